// The CUDA gemm entry (backend.h): out = alpha * a @ b + beta * out over a batch, any strides.
// A 16x16 shared-memory tiled kernel of our own: each block stages a tile of a and of b per step
// of K, each thread accumulates one output (float32 in float, float64 in double, integers in
// int64). The phases are in cuda/bodies.h (the C++ test runs them block by block on the CPU). It
// is the correctness baseline: register blocking, tensor cores (TF32/FP16/BF16) and cuBLAS are not
// written yet.
#include "cuda/bodies.h"
#include "cuda/launch.h"

namespace tk::cuda {
namespace {
using body::kTile;

template <class T, class A> __global__ void gemm_kernel(body::View3<T> a, body::View3<T> b, T* c, int64_t c_bs,
                                                        int64_t c_rs, int64_t c_cs, int64_t batch, int64_t M, int64_t N,
                                                        int64_t K, A alpha, A beta) {
  __shared__ body::GemmTiles<T> tiles;
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t row0 = int64_t(blockIdx.y) * kTile, col0 = int64_t(blockIdx.x) * kTile;
  for (int64_t bi = blockIdx.z; bi < batch; bi += gridDim.z) {
    A acc = 0;
    for (int64_t k0 = 0; k0 < K; k0 += kTile) {
      body::gemm_stage(tiles, tx, ty, bi, row0, col0, k0, a, b, M, N, K);
      __syncthreads();
      body::gemm_accumulate(tiles, tx, ty, acc);
      __syncthreads();
    }
    body::gemm_store(c, c_bs, c_rs, c_cs, bi, row0 + ty, col0 + tx, M, N, acc, alpha, beta);
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
      TK_CHECK((M + kTile - 1) / kTile <= 65535, NOT_IMPLEMENTED, "matmul: ", M,
               " rows exceed the CUDA kernel's grid (at most ", 65535 * kTile, ")");
      cudaStream_t s = prepare(out, "matmul");
      const auto &as = a.strides(), &bs = b.strides(), &cs = out.strides();
      dim3 block(kTile, kTile);
      dim3 grid(unsigned((N + kTile - 1) / kTile), unsigned((M + kTile - 1) / kTile),
                unsigned(std::min<int64_t>(batch, 65535)));
      gemm_kernel<T, A><<<grid, block, 0, s>>>(body::View3<T>{a.data<T>(), as[0], as[1], as[2]},
                                               body::View3<T>{b.data<T>(), bs[0], bs[1], bs[2]}, out.data<T>(), cs[0],
                                               cs[1], cs[2], batch, M, N, K, A(alpha), A(beta));
      check_launch("matmul");
    }
  });
}

}  // namespace

void register_matmul(Backend& b) { b.gemm = gemm; }

}  // namespace tk::cuda
