// AVX-512F GEMM kernels: 12 x 32 float and 12 x 16 double (24 zmm accumulators of 32), the same
// code as the AVX2 kernel over 16-lane registers.
#include <cstdint>

#include "cpu/gemm/gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
// _mm512_reduce_add_* start from an undefined register that GCC 12 then flags.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace {
struct F32x16 {
  using T = float;
  using R = __m512;
  static constexpr int L = 16;
  static R zero() { return _mm512_setzero_ps(); }
  static R set1(T x) { return _mm512_set1_ps(x); }
  static R load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, R r) { _mm512_storeu_ps(p, r); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_ps(a, b, c); }
  static R mul(R a, R b) { return _mm512_mul_ps(a, b); }
  static R add(R a, R b) { return _mm512_add_ps(a, b); }
  static T hsum(R r) { return _mm512_reduce_add_ps(r); }
};
struct F64x8 {
  using T = double;
  using R = __m512d;
  static constexpr int L = 8;
  static R zero() { return _mm512_setzero_pd(); }
  static R set1(T x) { return _mm512_set1_pd(x); }
  static R load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, R r) { _mm512_storeu_pd(p, r); }
  static R fma(R a, R b, R c) { return _mm512_fmadd_pd(a, b, c); }
  static R mul(R a, R b) { return _mm512_mul_pd(a, b); }
  static R add(R a, R b) { return _mm512_add_pd(a, b); }
  static T hsum(R r) { return _mm512_reduce_add_pd(r); }
};
}  // namespace

#include "cpu/gemm/kernel.h"

namespace tk::cpu {
const SimdGemmKernels* gemm_kernels_avx512() {
  static const SimdGemmKernels k{GemmImpl<F32x16, 12, 2>::table(), GemmImpl<F64x8, 12, 2>::table()};
  return &k;
}
}  // namespace tk::cpu

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else
namespace tk::cpu {
const SimdGemmKernels* gemm_kernels_avx512() { return nullptr; }
}  // namespace tk::cpu
#endif
