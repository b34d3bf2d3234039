// CPU matmul: a blocked, correct kernel. (The packed GEMM with SIMD micro-kernels is its own
// issue; this one keeps B panels in L2 and updates four rows of C per pass over a B row so the
// compiler's vectorised inner loop reads B once per four rows.)
#include <algorithm>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

constexpr int64_t kKc = 256;  // rows of B per panel
constexpr int64_t kNc = 512;  // columns of B per panel (256 x 512 floats = 512 KiB, fits L2)
constexpr int64_t kMr = 4;

template <class T>
void matmul_typed(const Tensor& out, const Tensor& a, const Tensor& b) {
  const int64_t B = out.shape()[0], M = out.shape()[1], N = out.shape()[2], K = a.shape()[2];
  T* c = out.data<T>();
  std::fill(c, c + B * M * N, T(0));
  if (K == 0 || M == 0 || N == 0) return;
  // B must be row-major within each batch for the vectorised inner loop; pack it if not.
  const T* bp = b.data<T>();
  int64_t bs_batch = b.strides()[0], bs_k = b.strides()[1];
  std::vector<T> packed;
  if (b.strides()[2] != 1 && N > 1) {
    packed.resize(size_t(B * K * N));
    for (int64_t bb = 0; bb < B; ++bb)
      for (int64_t k = 0; k < K; ++k)
        for (int64_t j = 0; j < N; ++j)
          packed[(bb * K + k) * N + j] =
              bp[bb * b.strides()[0] + k * b.strides()[1] + j * b.strides()[2]];
    bp = packed.data();
    bs_batch = K * N;
    bs_k = N;
  }
  const T* ap = a.data<T>();
  const int64_t as_b = a.strides()[0], as_m = a.strides()[1], as_k = a.strides()[2];
  const int64_t mblocks = (M + 63) / 64;
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 18) / std::max<int64_t>(1, 64 * N * K));
  parallel_for(0, B * mblocks, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t bb = t / mblocks, m0 = (t % mblocks) * 64, m1 = std::min(M, m0 + 64);
      const T* A = ap + bb * as_b;
      const T* Bm = bp + bb * bs_batch;
      T* C = c + bb * M * N;
      for (int64_t n0 = 0; n0 < N; n0 += kNc) {
        int64_t nc = std::min(kNc, N - n0);
        for (int64_t k0 = 0; k0 < K; k0 += kKc) {
          int64_t k1 = std::min(K, k0 + kKc);
          int64_t i = m0;
          for (; i + kMr <= m1; i += kMr) {
            T* c0 = C + i * N + n0;
            T* c1 = c0 + N;
            T* c2 = c1 + N;
            T* c3 = c2 + N;
            for (int64_t k = k0; k < k1; ++k) {
              const T* br = Bm + k * bs_k + n0;
              const T a0 = A[i * as_m + k * as_k], a1 = A[(i + 1) * as_m + k * as_k],
                      a2 = A[(i + 2) * as_m + k * as_k], a3 = A[(i + 3) * as_m + k * as_k];
              for (int64_t j = 0; j < nc; ++j) {
                const T bv = br[j];
                c0[j] += a0 * bv;
                c1[j] += a1 * bv;
                c2[j] += a2 * bv;
                c3[j] += a3 * bv;
              }
            }
          }
          for (; i < m1; ++i) {
            T* ci = C + i * N + n0;
            for (int64_t k = k0; k < k1; ++k) {
              const T* br = Bm + k * bs_k + n0;
              const T av = A[i * as_m + k * as_k];
              for (int64_t j = 0; j < nc; ++j) ci[j] += av * br[j];
            }
          }
        }
      }
    }
  });
}

void matmul(const Tensor& out, const Tensor& a, const Tensor& b) {
  dispatch_dtype(out.dtype(), [&]<class T>() {
    if constexpr (std::is_same_v<T, bool>) TK_ASSERT(!"matmul on bool");
    else matmul_typed<T>(out, a, b);
  });
}

}  // namespace

void register_matmul(Backend& b) { b.matmul = matmul; }

}  // namespace tk::cpu
