// The CUDA gemm entry (backend.h): out = alpha * a @ b + beta * out over a batch, any strides.
// A 16x16 shared-memory tiled kernel of our own: each block stages a tile of a and of b per step
// of K, each thread accumulates one output (float32 in float, float64 in double, integers in
// int64). It is the correctness baseline; register blocking, tensor cores (TF32/FP16/BF16) and
// cuBLAS are not written yet.
#include "cuda/launch.h"

namespace tk::cuda {
namespace {

constexpr int kTile = 16;

template <class T>
struct View3 {
  const T* p;
  int64_t bs, rs, cs;  // element strides: batch, row, column
  __device__ T at(int64_t b, int64_t r, int64_t c) const { return p[b * bs + r * rs + c * cs]; }
};

template <class T, class A>
__global__ void gemm_kernel(View3<T> a, View3<T> b, T* c, int64_t c_bs, int64_t c_rs, int64_t c_cs,
                            int64_t batch, int64_t M, int64_t N, int64_t K, A alpha, A beta) {
  __shared__ T as[kTile][kTile + 1], bs[kTile][kTile + 1];  // +1: no bank conflicts on columns
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t row = int64_t(blockIdx.y) * kTile + ty, col = int64_t(blockIdx.x) * kTile + tx;
  for (int64_t bi = blockIdx.z; bi < batch; bi += gridDim.z) {
    A acc = 0;
    for (int64_t k0 = 0; k0 < K; k0 += kTile) {
      as[ty][tx] = row < M && k0 + tx < K ? a.at(bi, row, k0 + tx) : T(0);
      bs[ty][tx] = k0 + ty < K && col < N ? b.at(bi, k0 + ty, col) : T(0);
      __syncthreads();
      for (int kk = 0; kk < kTile; ++kk) acc += A(as[ty][kk]) * A(bs[kk][tx]);
      __syncthreads();
    }
    if (row < M && col < N) {
      T* out = c + bi * c_bs + row * c_rs + col * c_cs;
      *out = beta == A(0) ? T(alpha * acc) : T(alpha * acc + beta * A(*out));  // beta 0: ignore NaN in out
    }
  }
}

void gemm(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta) {
  dispatch_dtype(out.dtype(), [&]<class T>() {
    if constexpr (std::is_same_v<T, bool>) {
      TK_ASSERT(!"gemm on bool");
    } else {
      using A = std::conditional_t<std::is_floating_point_v<T>, T, int64_t>;
      const int64_t batch = out.shape()[0], M = out.shape()[1], N = out.shape()[2], K = a.shape()[2];
      if (batch == 0 || M == 0 || N == 0) return;
      cudaStream_t s = prepare(out, "matmul");
      const auto& as = a.strides();
      const auto& bs = b.strides();
      const auto& cs = out.strides();
      dim3 block(kTile, kTile);
      dim3 grid(unsigned((N + kTile - 1) / kTile), unsigned((M + kTile - 1) / kTile),
                unsigned(std::min<int64_t>(batch, 65535)));
      TK_CHECK((M + kTile - 1) / kTile <= 65535, NOT_IMPLEMENTED, "matmul: ", M,
               " rows exceed the CUDA kernel's grid (at most ", 65535 * kTile, ")");
      gemm_kernel<T, A><<<grid, block, 0, s>>>(View3<T>{a.data<T>(), as[0], as[1], as[2]},
                                               View3<T>{b.data<T>(), bs[0], bs[1], bs[2]}, out.data<T>(),
                                               cs[0], cs[1], cs[2], batch, M, N, K, A(alpha), A(beta));
      check_launch("matmul");
    }
  });
}

}  // namespace

void register_matmul(Backend& b) { b.gemm = gemm; }

}  // namespace tk::cuda
