// AVX2 + FMA GEMM kernels: 6 x 16 float (12 ymm accumulators), 6 x 8 double — the tile BLIS
// uses on Haswell and Zen: 12 FMAs per k against 2 loads of B and 6 broadcasts of A.
#include <cstdint>

#include "cpu/gemm/gemm.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

namespace {
struct F32x8 {
  using T = float;
  using R = __m256;
  static constexpr int L = 8;
  static R zero() { return _mm256_setzero_ps(); }
  static R set1(T x) { return _mm256_set1_ps(x); }
  static R load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, R r) { _mm256_storeu_ps(p, r); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_ps(a, b, c); }
  static R mul(R a, R b) { return _mm256_mul_ps(a, b); }
  static R add(R a, R b) { return _mm256_add_ps(a, b); }
  static T hsum(R r) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(r), _mm256_extractf128_ps(r, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};
struct F64x4 {
  using T = double;
  using R = __m256d;
  static constexpr int L = 4;
  static R zero() { return _mm256_setzero_pd(); }
  static R set1(T x) { return _mm256_set1_pd(x); }
  static R load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, R r) { _mm256_storeu_pd(p, r); }
  static R fma(R a, R b, R c) { return _mm256_fmadd_pd(a, b, c); }
  static R mul(R a, R b) { return _mm256_mul_pd(a, b); }
  static R add(R a, R b) { return _mm256_add_pd(a, b); }
  static T hsum(R r) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(r), _mm256_extractf128_pd(r, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }
};
}  // namespace

#include "cpu/gemm/kernel.h"

namespace tk::cpu {
const SimdGemmKernels* gemm_kernels_avx2() {
  static const SimdGemmKernels k{GemmImpl<F32x8, 6, 2>::table(), GemmImpl<F64x4, 6, 2>::table()};
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
const SimdGemmKernels* gemm_kernels_avx2() { return nullptr; }
}  // namespace tk::cpu
#endif
