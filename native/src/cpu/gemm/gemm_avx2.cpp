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
  // pack_a's hook for 6 row-major rows: dst[k * 6 + i] = src[i * rs + k] for k below the
  // returned count (a multiple of 8), by 8 x 8 register transposes (rows 6 and 7 are zero). Each
  // store writes 8 floats where 6 belong; the 2 extra are overwritten by the next store, or land
  // in the next panel (packed afterwards) or the buffer's slack.
  static int64_t pack_rows6(const T* src, int64_t rs, int64_t kc, T* dst) {
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
      R r0 = load(src + k), r1 = load(src + rs + k), r2 = load(src + 2 * rs + k);
      R r3 = load(src + 3 * rs + k), r4 = load(src + 4 * rs + k), r5 = load(src + 5 * rs + k);
      R r6 = zero(), r7 = zero();
      R t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
      R t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      R t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
      R t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      R s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
      R s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      R s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
      R s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      T* d = dst + k * 6;
      store(d, _mm256_permute2f128_ps(s0, s4, 0x20));
      store(d + 6, _mm256_permute2f128_ps(s1, s5, 0x20));
      store(d + 12, _mm256_permute2f128_ps(s2, s6, 0x20));
      store(d + 18, _mm256_permute2f128_ps(s3, s7, 0x20));
      store(d + 24, _mm256_permute2f128_ps(s0, s4, 0x31));
      store(d + 30, _mm256_permute2f128_ps(s1, s5, 0x31));
      store(d + 36, _mm256_permute2f128_ps(s2, s6, 0x31));
      store(d + 42, _mm256_permute2f128_ps(s3, s7, 0x31));
    }
    return k;
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
  // As F32x8::pack_rows6, 4 k at a time: a 4 x 4 transpose for rows 0-3 and pairs for rows
  // 4-5; stores exactly 6 doubles per k.
  static int64_t pack_rows6(const T* src, int64_t rs, int64_t kc, T* dst) {
    int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
      R r0 = load(src + k), r1 = load(src + rs + k), r2 = load(src + 2 * rs + k);
      R r3 = load(src + 3 * rs + k), r4 = load(src + 4 * rs + k), r5 = load(src + 5 * rs + k);
      R t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
      R t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
      R u0 = _mm256_unpacklo_pd(r4, r5), u1 = _mm256_unpackhi_pd(r4, r5);
      T* d = dst + k * 6;
      store(d, _mm256_permute2f128_pd(t0, t2, 0x20));
      _mm_storeu_pd(d + 4, _mm256_castpd256_pd128(u0));
      store(d + 6, _mm256_permute2f128_pd(t1, t3, 0x20));
      _mm_storeu_pd(d + 10, _mm256_castpd256_pd128(u1));
      store(d + 12, _mm256_permute2f128_pd(t0, t2, 0x31));
      _mm_storeu_pd(d + 16, _mm256_extractf128_pd(u0, 1));
      store(d + 18, _mm256_permute2f128_pd(t1, t3, 0x31));
      _mm_storeu_pd(d + 22, _mm256_extractf128_pd(u1, 1));
    }
    return k;
  }
};
}  // namespace

#include "cpu/gemm/kernel.h"

namespace tk::cpu {
const SimdGemmKernels* gemm_kernels_avx2() {
  static const SimdGemmKernels k{GemmImpl<F32x8, 6, 2, 2>::table(), GemmImpl<F64x4, 6, 2>::table()};
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
