// The float32 row primitives of the reductions (F32Rows, cpu.h), compiled once per SIMD level:
// rows.cpp includes this header in the baseline build, rows_avx2.cpp and rows_avx512.cpp after a
// `#pragma GCC target`, each with TK_ROWS_LEVEL set (0, 1, 2). Everything here has internal
// linkage, so each file keeps its own copy, compiled for its registers, and no AVX code can
// reach a baseline caller through a shared inline symbol.
//
// Why: the baseline build cannot vectorise a float sum (GCC may not reassociate it), so each
// element cost a dependent add, and max/argmax/softmax ran branchy scalar loops. Here the order
// of every sum is fixed by the code, not by the compiler: 32 double lanes (element i of a
// 32-element block goes to lane i % 32), the tail summed in order, then a fixed tree (a row of
// fewer than 32 in four chains). Each level
// holds the same lanes in its own registers (4 zmm, 8 ymm or 16 xmm), and the three files are
// compiled without FMA contraction, so every level gives the same bits (test/reduce-wide.test.ts
// checks it).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cpu/cpu.h"
#include "cpu/split_run.h"
#include "kernels/functors.h"

#ifndef TK_ROWS_LEVEL
#error "define TK_ROWS_LEVEL (0 baseline, 1 AVX2, 2 AVX-512) before including rows_impl.h"
#endif

namespace tk::cpu {
// The wide levels' tables (rows_avx2.cpp, rows_avx512.cpp; x86-64 GCC/Clang builds only).
const F32Rows& f32_rows_avx2();
const F32Rows& f32_rows_avx512();

namespace {

// Each level's native registers: vd holds doubles, vf floats (GCC vector types, so +, -, *, < and
// ?: act lane-wise). The lane layouts below are fixed in elements (32 double lanes, 16 float
// lanes) and spread over as many registers as the width needs.
#if TK_ROWS_LEVEL == 2
using vd = __m512d;
using vf = __m512;
#elif TK_ROWS_LEVEL == 1
using vd = __m256d;
using vf = __m256;
#elif defined(__SSE2__)
using vd = __m128d;
using vf = __m128;
#else
typedef double vd __attribute__((vector_size(16)));
typedef float vf __attribute__((vector_size(16)));
#endif
constexpr int kWd = int(sizeof(vd) / sizeof(double)), kWf = int(sizeof(vf) / sizeof(float));

#define TK_ROW inline __attribute__((always_inline))

TK_ROW vf loadf(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// kWd floats widened to doubles: one vcvtps2pd (GCC 12 lowers __builtin_convertvector from a
// wider generic vector into extract/convert/insert triples: 95 against 59 us per 1M sum).
TK_ROW vd widen(const float* p) {
#if TK_ROWS_LEVEL == 2
  return _mm512_cvtps_pd(_mm256_loadu_ps(p));
#elif TK_ROWS_LEVEL == 1
  return _mm256_cvtps_pd(_mm_loadu_ps(p));
#elif defined(__SSE2__)
  return _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
#else
  return vd{double(p[0]), double(p[1])};
#endif
}

// The sum of term(i) for i < n in double, in the fixed order described above: vterm(i) gives the
// kWd terms from i on as one vector.
template <class S, class V> TK_ROW double lane_sum(int64_t n, const S& term, const V& vterm) {
  if (n < 32) {  // a short row (class scores): four chains, without the lanes' final tree
    double t[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= n; i += 4)
      for (int j = 0; j < 4; ++j) t[j] += term(i + j);
    for (; i < n; ++i) t[0] += term(i);
    return (t[0] + t[1]) + (t[2] + t[3]);
  }
  constexpr int kAcc = 32 / kWd;
  vd a[kAcc] = {};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int k = 0; k < kAcc; ++k) a[k] += vterm(i + kWd * k);
  double t = 0;
  for (; i < n; ++i) t += term(i);
  double l[32];
  std::memcpy(l, a, sizeof l);
  for (int w = 16; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) l[j] += l[j + w];
  return l[0] + t;
}

TK_ROW double sum_impl(const float* p, int64_t n) {
  return lane_sum(
      n, [p](int64_t i) { return double(p[i]); }, [p](int64_t i) { return widen(p + i); });
}
// The sum of (p[i] - mean)^2.
TK_ROW double sq_dev_impl(const float* p, int64_t n, double mean) {
  return lane_sum(
      n,
      [p, mean](int64_t i) {
        const double d = double(p[i]) - mean;
        return d * d;
      },
      [p, mean](int64_t i) {
        const vd d = widen(p + i) - mean;
        return d * d;
      });
}
// The sum of q[i] (p[i] - mean) (batch norm's backward).
TK_ROW double dot_dev_impl(const float* p, const float* q, int64_t n, double mean) {
  return lane_sum(
      n, [p, q, mean](int64_t i) { return double(q[i]) * (double(p[i]) - mean); },
      [p, q, mean](int64_t i) { return widen(q + i) * (widen(p + i) - mean); });
}

template <bool IsMax> TK_ROW float sel(float best, float v) {
  return IsMax ? (v > best ? v : best) : (v < best ? v : best);
}

// The max (min) of a row, NaN if any element is NaN. 16 lanes of running selects, NaN tracked on
// the side; the last partial block re-reads the row's last 16 elements (a max is unchanged by
// seeing an element twice); the lanes are combined in a fixed tree.
template <bool IsMax> TK_ROW float extreme_impl(const float* p, int64_t n) {
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  if (n < 16) {
    float b = p[0];
    bool nan = false;
    for (int64_t i = 0; i < n; ++i) {
      b = sel<IsMax>(b, p[i]);
      nan |= p[i] != p[i];
    }
    return nan ? kNaN : b;
  }
  constexpr int kAcc = 16 / kWf;
  using vi = decltype(vf{} != vf{});  // lane masks
  vf b[kAcc];
  vi nan[kAcc];  // all-ones lanes where a NaN was seen
  for (int k = 0; k < kAcc; ++k) {
    b[k] = loadf(p + kWf * k);
    nan[k] = b[k] != b[k];
  }
  auto step = [&](const float* q) __attribute__((always_inline)) {
    for (int k = 0; k < kAcc; ++k) {
      const vf x = loadf(q + kWf * k);
      b[k] = IsMax ? (x > b[k] ? x : b[k]) : (x < b[k] ? x : b[k]);
      nan[k] |= x != x;
    }
  };
  int64_t i = 16;
  for (; i + 16 <= n; i += 16) step(p + i);
  if (i < n) step(p + n - 16);
  int32_t m[16];
  std::memcpy(m, nan, sizeof m);
  int32_t any = 0;
  for (int j = 0; j < 16; ++j) any |= m[j];
  if (any) return kNaN;
  float l[16];
  std::memcpy(l, b, sizeof l);
  for (int w = 8; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) l[j] = sel<IsMax>(l[j], l[j + w]);
  return l[0];
}

// The first index of v in the row (of the first NaN when v is NaN), or n: 64-element blocks
// tested branch-free (a vectorised count of hits), then the hit block scanned.
template <bool Nan> TK_ROW int64_t find_in(const float* p, int64_t n, float v) {
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    int32_t hits = 0;
    for (int j = 0; j < 64; ++j) hits += Nan ? p[i + j] != p[i + j] : p[i + j] == v;
    if (hits) break;
  }
  for (; i < n; ++i)
    if (Nan ? p[i] != p[i] : p[i] == v) return i;
  return n;
}
TK_ROW int64_t find_impl(const float* p, int64_t n, float v) {
  return v != v ? find_in<true>(p, n, v) : find_in<false>(p, n, v);
}

// e[i] = exp(x[i] - m) (the element-wise exp functor, so exactly the exp op's values) and their
// sum in double; split as the exp op's loops are (blocks wholly in Exp's near range, as a
// softmax row's usually is, take its shorter form).
TK_ROW double exp_sum_impl(const float* x, float* e, int64_t n, float m) {
  using kernels::Exp;
  split_run(
      e, n, [=](int64_t i) { return Exp::is_near(x[i] - m); }, [=](int64_t i) { return Exp::near(x[i] - m); },
      [=](int64_t i) { return Exp{}(float(x[i] - m), {}); });
  return sum_impl(e, n);
}

// softmax (log-softmax) of a row: max subtracted before exp, the sum in double.
TK_ROW void softmax_impl(const float* x, float* y, int64_t n, bool log) {
  const float m = extreme_impl<true>(x, n);
  const double s = exp_sum_impl(x, y, n, m);
  if (log) {
    const float shift = m + float(std::log(s));
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] - shift;
  } else {
    const float inv = float(1.0 / s);
    for (int64_t i = 0; i < n; ++i) y[i] *= inv;
  }
}

// y = (x - mean) rstd w + b (w, b null: 1, 0), in that order of operations.
TK_ROW void normalize_impl(const float* x, float* y, int64_t n, float mean, float rstd, const float* w,
                           const float* b) {
  if (w && b)
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * rstd * w[i] + b[i];
  else if (w)
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * rstd * w[i];
  else if (b)
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * rstd + b[i];
  else
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * rstd;
}

TK_ROW void scale_impl(float* p, int64_t n, float s) {
  for (int64_t i = 0; i < n; ++i) p[i] *= s;
}
// In this order of operations: (p (d - c)) s.
TK_ROW void softmax_grad_impl(float* d, const float* p, int64_t n, float c, float s) {
  for (int64_t i = 0; i < n; ++i) d[i] = p[i] * (d[i] - c) * s;
}

TK_ROW void accumulate_impl(double* acc, const float* row, int64_t n) {
  for (int64_t i = 0; i < n; ++i) acc[i] += double(row[i]);
}

// The table of this file's level.
double sum(const float* p, int64_t n) { return sum_impl(p, n); }
double sq_dev(const float* p, int64_t n, double m) { return sq_dev_impl(p, n, m); }
double dot_dev(const float* p, const float* q, int64_t n, double m) { return dot_dev_impl(p, q, n, m); }
float max(const float* p, int64_t n) { return extreme_impl<true>(p, n); }
float min(const float* p, int64_t n) { return extreme_impl<false>(p, n); }
int64_t find(const float* p, int64_t n, float v) { return find_impl(p, n, v); }
double exp_sum(const float* x, float* e, int64_t n, float m) { return exp_sum_impl(x, e, n, m); }
void softmax(const float* x, float* y, int64_t n, bool log) { softmax_impl(x, y, n, log); }
void accumulate(double* acc, const float* row, int64_t n) { accumulate_impl(acc, row, n); }
void normalize(const float* x, float* y, int64_t n, float mean, float rstd, const float* w, const float* b) {
  normalize_impl(x, y, n, mean, rstd, w, b);
}
void scale(float* p, int64_t n, float s) { scale_impl(p, n, s); }
void softmax_grad(float* d, const float* p, int64_t n, float c, float s) { softmax_grad_impl(d, p, n, c, s); }
constexpr F32Rows kRows{sum,     sq_dev,  dot_dev,    max,       min,   find,
                        exp_sum, softmax, accumulate, normalize, scale, softmax_grad};

#undef TK_ROW

}  // namespace
}  // namespace tk::cpu
