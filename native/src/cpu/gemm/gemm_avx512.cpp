// AVX-512F GEMM kernels: 6 x 64 float and 6 x 32 double (24 zmm accumulators of 32), the same
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

  // Packs 16 columns of a column-major B (column j at src + j * cs, k contiguous) into rows of a
  // panel (dst[k * nr + j]), 16 k at a time through a 16 x 16 register transpose; returns how
  // many k it packed (a multiple of 16). The scalar copy it replaces wrote one element per cycle.
  static int64_t pack_cols16(const T* src, int64_t cs, int64_t kc, T* dst, int64_t nr) {
    int64_t k = 0;
    for (; k + 16 <= kc; k += 16) {
      R r[16], t[16], u[16], v[16];
      for (int j = 0; j < 16; ++j) r[j] = _mm512_loadu_ps(src + j * cs + k);
      for (int j = 0; j < 16; j += 2) {
        t[j] = _mm512_unpacklo_ps(r[j], r[j + 1]);
        t[j + 1] = _mm512_unpackhi_ps(r[j], r[j + 1]);
      }
      for (int j = 0; j < 16; j += 4) {
        u[j] = _mm512_shuffle_ps(t[j], t[j + 2], 0x44);
        u[j + 1] = _mm512_shuffle_ps(t[j], t[j + 2], 0xEE);
        u[j + 2] = _mm512_shuffle_ps(t[j + 1], t[j + 3], 0x44);
        u[j + 3] = _mm512_shuffle_ps(t[j + 1], t[j + 3], 0xEE);
      }
      // u[4q + i] holds k = i, 4 + i, 8 + i, 12 + i (one 128-bit lane each) of columns 4q..4q+3.
      for (int h = 0; h < 16; h += 8)
        for (int i = 0; i < 4; ++i) {
          v[h + i] = _mm512_shuffle_f32x4(u[h + i], u[h + 4 + i], 0x88);
          v[h + 4 + i] = _mm512_shuffle_f32x4(u[h + i], u[h + 4 + i], 0xDD);
        }
      for (int i = 0; i < 8; ++i) {
        _mm512_storeu_ps(dst + (k + i) * nr, _mm512_shuffle_f32x4(v[i], v[8 + i], 0x88));
        _mm512_storeu_ps(dst + (k + 8 + i) * nr, _mm512_shuffle_f32x4(v[i], v[8 + i], 0xDD));
      }
    }
    return k;
  }
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
  // 6 x 4 vectors (6 x 64 float, 6 x 32 double), two k steps a trip: on a full-width AVX-512
  // core (Zen 5) 1.3-1.6x the 12 x 2-vector kernel it replaces (`tk_gemm_bench`: 64x784x256
  // 124 -> 183 GFLOP/s, 2048^3 132 -> 198, 6x25x50176 44 -> 74 at 1 thread), as it loads one
  // broadcast of A per 4 FMAs instead of per 2.
  static const SimdGemmKernels k{GemmImpl<F32x16, 6, 4, 2>::table(), GemmImpl<F64x8, 6, 4, 2>::table()};
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
