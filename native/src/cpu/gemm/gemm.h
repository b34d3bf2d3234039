// The CPU GEMM: C = alpha * A @ B + beta * C for float32/float64 (SIMD micro-kernels chosen at run
// time) and int32/int64 (the portable kernel), over a batch of matrices with any strides.
//
// Structure (BLIS/GotoBLAS): the driver (gemm.cpp) blocks C into NC-column slabs, K into KC-deep
// slices and M into MC-row blocks; packs a KC x NC block of B into NR-wide column panels (kept in
// L3/L2) and an MC x KC block of A into MR-tall row panels (kept in L2); then a register-blocked
// MR x NR micro-kernel walks the packed panels (one B panel stays in L1). Strides and transposes
// are absorbed by the packing, so no operand is ever copied to make it contiguous.
#pragma once
#include <cstdint>
#include <vector>

namespace tk::cpu {

template <class T> struct GemmArgs {
  int64_t batch = 1, M = 0, N = 0, K = 0;
  T alpha = 1, beta = 0;  // beta == 0: C is not read (NaN or garbage there does not propagate)
  const T* a = nullptr;  // A[b][i][k] = a[b * a_bs + i * a_rs + k * a_cs]
  int64_t a_bs = 0, a_rs = 0, a_cs = 0;
  const T* b = nullptr;  // B[b][k][j] = b[b * b_bs + k * b_rs + j * b_cs]
  int64_t b_bs = 0, b_rs = 0, b_cs = 0;
  T* c = nullptr;  // C[b][i][j] = c[b * c_bs + i * c_rs + j * c_cs]; must not alias A or B
  int64_t c_bs = 0, c_rs = 0, c_cs = 0;
  // B already packed by pack_b_whole() (the same B of every batch entry), or null: then the
  // product packs no B panel. Used only where gemm_packs_b() is true.
  const T* packed_b = nullptr;
  // The fused layer's extras (all off by default). bias: added to C before the product is
  // accumulated onto it, bias(i, j) = bias[i * bias_rs + j * bias_cs] (a row vector: bias_rs 0),
  // the same for every batch entry; C starts from it instead of beta * C (beta is ignored), so a
  // product with bias rounds exactly as beta = 1 onto a C holding the bias. relu: max(., 0) (NaN
  // kept) on each C tile after its last K slice, while the tile is still in L1. a_mask: A's
  // elements count only where a_mask > 0 (A[b][i][k] := 0 elsewhere; masked pack), the ReLU mask
  // of a layer's output applied inside the backward product instead of as a pass of its own.
  const T* bias = nullptr;
  int64_t bias_rs = 0, bias_cs = 0;
  bool relu = false;
  const T* a_mask = nullptr;  // a_mask[b * am_bs + i * am_rs + k * am_cs]
  int64_t am_bs = 0, am_rs = 0, am_cs = 0;
};

// Runs on the thread pool when the product is big enough. Instantiated for float, double,
// int32_t and int64_t.
template <class T> void gemm(const GemmArgs<T>& g);

// One product C[M, N] = alpha A B + beta C over raw pointers with any strides for A and B (C's
// columns adjacent, its rows c_rs apart): the GemmArgs of a single matrix. Nothing when M or N
// is 0.
template <class T> void gemm_strided(T* c, int64_t c_rs, const T* a, int64_t a_rs, int64_t a_cs, const T* b,
                                     int64_t b_rs, int64_t b_cs, int64_t M, int64_t N, int64_t K, T alpha, T beta) {
  if (M == 0 || N == 0) return;
  GemmArgs<T> g;
  g.M = M, g.N = N, g.K = K, g.alpha = alpha, g.beta = beta;
  g.a = a, g.a_rs = a_rs, g.a_cs = a_cs;
  g.b = b, g.b_rs = b_rs, g.b_cs = b_cs;
  g.c = c, g.c_rs = c_rs, g.c_cs = 1;
  gemm(g);
}

// Whether gemm(g) packs B into panels (false for matrix-vector products and for a narrow C,
// which is computed transposed) — when it does, B can be packed once ahead (a graph's weights).
template <class T> bool gemm_packs_b(const GemmArgs<T>& g);
// B of g (one matrix: batch 1, or the same B for every entry) packed whole, in the layout gemm()
// reads through packed_b: for each K slice of the blocking, every NR-wide panel. The packed
// panels hold the same numbers in the same order as packing per call, so results are identical.
template <class T> std::vector<T> pack_b_whole(const GemmArgs<T>& g);

// ---- what one instruction set provides (gemm_avx2.cpp, gemm_avx512.cpp, gemm_generic.cpp) ----
template <class T> struct GemmKernels {
  int mr = 0, nr = 0;
  // c[i * rsc + j * csc] = alpha * sum_k ap[k * mr + i] * bp[k * nr + j] + beta * c[...] for
  // i < m <= mr, j < n <= nr; ap/bp are packed panels of depth kc.
  void (*micro)(int64_t kc, const T* ap, const T* bp, T* c, int64_t rsc, int64_t csc, int m, int n, T alpha, T beta);
  // Packs rows [0, mc) x cols [0, kc) of A (strides rs, cs) into ceil(mc / mr) panels of
  // kc * mr elements, zero-padding the last.
  void (*pack_a)(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, T* dst);
  // Packs rows [0, kc) x cols [0, nc) of B into ceil(nc / nr) panels of kc * nr elements.
  void (*pack_b)(int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs, T* dst);
  // y[i * incy] = alpha * sum_k a[i * rs + k * cs] * x[k * incx] + beta * y[i * incy], i < m.
  void (*gemv)(int64_t m, int64_t k, T alpha, const T* a, int64_t rs, int64_t cs, const T* x, int64_t incx, T beta,
               T* y, int64_t incy);
};

struct SimdGemmKernels {
  GemmKernels<float> f32;
  GemmKernels<double> f64;
};

// Each returns nullptr when its instruction set was not compiled in (another architecture).
const SimdGemmKernels* gemm_kernels_avx2();
const SimdGemmKernels* gemm_kernels_avx512();
const GemmKernels<float>& gemm_kernels_generic_f32();
const GemmKernels<double>& gemm_kernels_generic_f64();
const GemmKernels<int32_t>& gemm_kernels_generic_i32();
const GemmKernels<int64_t>& gemm_kernels_generic_i64();

}  // namespace tk::cpu
