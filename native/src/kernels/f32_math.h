// The float32 math of the element-wise functors (functors.h) in straight-line arithmetic: no libm
// call and no branch, so the CPU's loops over it vectorise (libm's are scalar calls); the wide AVX2
// and AVX-512 loops of cpu/elementwise.cpp run it, and scripts/check-activations.cpp checks every
// float32 against libm in double. Shared with nvcc (TK_HD): the GPU runs exp_f32 too, and its own
// functions for the rest.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

// Scalar math must inline into the kernels' loops to be vectorised; GCC declined to for exp.
#if defined(__CUDACC__)
#define TK_HD __host__ __device__ __attribute__((always_inline))
#else
#define TK_HD __attribute__((always_inline))
#endif

namespace tk::kernels {

// c0 + x (c1 + x (c2 + ...)): Horner's rule, coefficients lowest first, evaluated from the
// highest as the unrolled sequence p = cn; p = p * x + c(n-1); ... would be.
template <class F> TK_HD inline F horner(F, F c0) { return c0; }
template <class F, class... C> TK_HD inline F horner(F x, F c0, C... cs) { return horner(x, cs...) * x + c0; }

// exp(r) - 1 for |r| <= ln 2 / 2: r + r^2 P(r), Cephes' degree-6 polynomial for exp (max error
// ~1 ulp). Shared by exp_f32, exp2_f32 and expm1_f32.
TK_HD inline float expm1_reduced(float r) {
  return horner(r, 5.0000001201e-1f, 1.6666665459e-1f, 4.1665795894e-2f, 8.3334519073e-3f, 1.3981999507e-3f,
                1.9875691500e-4f) *
             r * r +
         r;
}
// 2^k (kf a whole number in [-150, 128]) as two normal factors, so that p * s1 * s2 rounds once
// into the subnormal range instead of flushing, and 2^128 (beyond float32) still scales.
struct Pow2Pair {
  float s1, s2;
};
TK_HD inline Pow2Pair pow2_pair(float kf) {
  const int32_t k = int32_t(kf);
  const int32_t k1 = k >> 1, k2 = k - k1;  // floor(k / 2) and the rest, each in [-75, 64]: normal
  uint32_t b1 = uint32_t(k1 + 127) << 23, b2 = uint32_t(k2 + 127) << 23;
  Pow2Pair s;
  std::memcpy(&s.s1, &b1, 4);
  std::memcpy(&s.s2, &b2, 4);
  return s;
}

// x = kf ln 2 + r with kf = round(x / ln 2) and |r| <= ln 2 / 2 (Cody-Waite: ln 2 = C1 + C2, C1
// short enough that kf C1 and x - kf C1 are exact), for |x| below 104.
struct ExpReduced {
  float kf, r;
};
TK_HD inline ExpReduced exp_reduce(float x) {
  const float kf = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
  const float r = x - kf * 0.693359375f;
  return {kf, r - kf * -2.12194440e-4f};
}

// exp for float32 in straight-line arithmetic (no libm call, no branches), so the compiler
// vectorises loops over it: exp(x) = 2^k * exp(r) with k = round(x / ln 2) and |r| <= ln 2 / 2.
// NaN and the overflow range pass through.
TK_HD inline float exp_f32(float x) {
  const float hi = 88.72283935546875f, lo = -103.972084045410f;
  float xc = x > hi ? hi : (x < lo ? lo : x);
  xc = x == x ? xc : 0.0f;  // keep NaN out of the integer conversion
  const ExpReduced e = exp_reduce(xc);
  const Pow2Pair s = pow2_pair(e.kf);
  const float res = (expm1_reduced(e.r) + 1.0f) * s.s1 * s.s2;
  const float inf = std::numeric_limits<float>::infinity();
  return x != x ? x : (x > hi ? inf : res);
}

// exp_f32 where x is in [kExpNearLo, kExpNearHi], with the same bits: there 2^k is a normal float32
// (k in [-125, 127]) and (1 + p) 2^k a normal result, so one exact scaling by 2^k, built from its
// exponent bits, rounds as exp_f32's two do; and neither clamp nor NaN test is needed. About half
// exp_f32's arithmetic: a block whose every element is in range runs this (cpu/split_run.h).
// Outside the range (or for NaN) its value is meaningless.
constexpr float kExpNearLo = -86.0f, kExpNearHi = 88.0f;
TK_HD inline float pow2_normal(float kf) {  // 2^k for a whole kf in [-126, 127]
  const uint32_t b = uint32_t(int32_t(kf) + 127) << 23;
  float s;
  std::memcpy(&s, &b, 4);
  return s;
}
TK_HD inline float exp_near_f32(float x) {
  const ExpReduced e = exp_reduce(x);
  return (expm1_reduced(e.r) + 1.0f) * pow2_normal(e.kf);
}
// 2^k as a pair to multiply by in turn: two normal factors in general (pow2_pair), or, where the
// caller's Near range keeps k in [-126, 127], 2^k and 1 (one rounding either way; the 1 folds away).
template <bool Near> TK_HD inline Pow2Pair pow2_scale(float kf) {
  if constexpr (Near)
    return {pow2_normal(kf), 1.0f};
  else
    return pow2_pair(kf);
}

// 2^x = 2^k * exp((x - k) ln 2) with k = round(x) (x - k exact, in [-1/2, 1/2]); 2^k exact for
// whole x. Within 1.01 ulp over every float32 (scripts/check-activations.cpp).
TK_HD inline float exp2_f32(float x) {
  float xc = x > 128.0f ? 128.0f : (x < -150.0f ? -150.0f : x);
  xc = x == x ? xc : 0.0f;
  const float kf = (xc + 12582912.0f) - 12582912.0f;
  const Pow2Pair s = pow2_pair(kf);
  const float res = (expm1_reduced((xc - kf) * 0.693147180559945309f) + 1.0f) * s.s1 * s.s2;
  const float inf = std::numeric_limits<float>::infinity();
  return x != x ? x : (x >= 128.0f ? inf : res);
}

// e^x - 1 = 2^k q + (2^k - 1) with q = expm1(r) reduced as in exp_f32 (2^k - 1 exact for k <= 24;
// beyond, 2^k (q + 1), where the 1 is below half an ulp); exact at 0 (either sign) and for tiny
// x, -1 below -17.4. Within 1.65 ulp over every float32 (scripts/check-activations.cpp). Near:
// the same bits for x in [-20, kExpm1NearHi] (k <= 24, 2^k normal; no clamp, NaN or overflow).
constexpr float kExpm1NearHi = 16.0f;
template <bool Near = false> TK_HD inline float expm1_f32(float x) {
  const float hi = 88.72283935546875f;
  float xc = Near ? x : x > hi ? hi : (x < -20.0f ? -20.0f : x);
  xc = Near || x == x ? xc : 0.0f;
  const ExpReduced e = exp_reduce(xc);
  const float q = expm1_reduced(e.r);
  const Pow2Pair s = pow2_scale<Near>(e.kf);
  const float t = s.s1 * s.s2;
  const float res = !Near && e.kf > 24.0f ? (q + 1.0f) * s.s1 * s.s2 : q * t + (t - 1.0f);
  const float inf = std::numeric_limits<float>::infinity();
  return x == 0.0f || (!Near && x != x) ? x : (!Near && x > hi ? inf : res);
}

// cosh and sinh of a = |x| from one reduction: h = e^a / 2 as 2^(k-1) exp(r), so it overflows only
// where cosh does (a > 89.4); cosh = h + 1/(4h); sinh = h - 1/(4h) for a >= 1 and, below, the
// cancellation-free (E + E / (E + 1)) / 2 with E = e^a - 1 (expm1_f32's form; exact for tiny x).
// Within 1.46 ulp (cosh) and 2.23 ulp (sinh) over every float32 (scripts/check-activations.cpp).
template <bool Sinh> TK_HD inline float hyperbolic_f32(float x) {
  const float a0 = std::fabs(x);
  const float a = a0 > 89.5f ? 89.5f : a0;
  const ExpReduced e = exp_reduce(x == x ? a : 0.0f);
  const float q = expm1_reduced(e.r);
  const Pow2Pair half = pow2_pair(e.kf - 1.0f);
  const float h = (q + 1.0f) * half.s1 * half.s2;
  const float inv = 0.25f / h;
  const float inf = std::numeric_limits<float>::infinity();
  if constexpr (!Sinh) {
    return x != x ? x : (a0 > 89.5f ? inf : h + inv);
  } else {
    const Pow2Pair s = pow2_pair(e.kf);  // a < 1 here: k <= 1
    const float t = s.s1 * s.s2;
    const float em1 = q * t + (t - 1.0f);
    const float small = 0.5f * (em1 + em1 / (em1 + 1.0f));
    return x != x ? x : std::copysign(a0 > 89.5f ? inf : (a0 < 1.0f ? small : h - inv), x);
  }
}

// atan by Cephes' reduction of |x| to [0, tan(pi/8)]: pi/2 + atan(-1/|x|) above tan(3pi/8), pi/4 +
// atan((|x| - 1) / (|x| + 1)) above tan(pi/8) (one division either way), then its degree-9 odd
// polynomial; pi/2 and pi/4 added in two parts. Within 2.34 ulp over every float32
// (scripts/check-activations.cpp).
TK_HD inline float atan_f32(float x) {
  const float a = std::fabs(x);
  const bool far = a > 2.414213562373095f, mid = a > 0.4142135623730950f;
  const float t = (far ? -1.0f : (mid ? a - 1.0f : a)) / (far ? a : (mid ? a + 1.0f : 1.0f));
  const float z = t * t;
  const float p = horner(z, -3.33329491539e-1f, 1.99777106478e-1f, -1.38776856032e-1f, 8.05374449538e-2f) * z * t + t;
  const float hi = far ? 1.57079637050628662109375f : (mid ? 0.785398185253143310546875f : 0.0f);
  const float lo = far ? -4.37113900018624283e-8f : (mid ? -2.18556950009312141e-8f : 0.0f);
  return x != x ? x : std::copysign(hi + (p + lo), x);
}

// asin and acos for float32 in straight-line arithmetic (Cephes' asinf and acosf): with
// w(s) = s + s z P(z), z = s^2, asin(x) = w(x) for |x| <= 1/2, else pi/2 - 2 w(s) with
// s = sqrt((1 - |x|) / 2) (1 - |x| is exact there); acos from the same w. pi/2 and pi as a
// float32 and its remainder, so the subtractions near |x| = 1/2 lose no more than w's error.
// scripts/check-activations.cpp: at most 2.37 ulp (asin) and 1.14 (acos) over every float32.
// w(s), with s = x where |x| <= 1/2 (w then has x's sign), else sqrt((1 - |x|) / 2). A function of
// (x, big) returning one float, not a struct carrying big: GCC does not vectorise the loop around
// a struct-returning helper (asin and acos were 10x slower that way).
TK_HD inline float asin_acos_w(float x, bool big) {
  const float z = big ? 0.5f * (1.0f - std::fabs(x)) : x * x;
  const float s = big ? std::sqrt(z) : x;
  return s +
         s * z * horner(z, 1.6666752422e-1f, 7.4953002686e-2f, 4.5470025998e-2f, 2.4181311049e-2f, 4.2163199048e-2f);
}
constexpr float kPio2Hi = 1.57079637050628662109375f, kPio2Lo = -4.37113900018624283e-8f;
TK_HD inline float asin_f32(float x) {
  const bool big = std::fabs(x) > 0.5f;
  const float w = asin_acos_w(x, big);
  return std::copysign(big ? kPio2Hi - (2.0f * w - kPio2Lo) : w, x);
}
TK_HD inline float acos_f32(float x) {
  const bool big = std::fabs(x) > 0.5f;
  const float w = asin_acos_w(x, big);
  const float below = 2.0f * kPio2Hi - (2.0f * w - 2.0f * kPio2Lo);  // pi - 2 w
  return big ? (x > 0.0f ? 2.0f * w : below) : kPio2Hi - (w - kPio2Lo);
}

// atan2(y, x) for finite y and finite non-zero x: atan of y / x (whose rounding adds at most half
// an ulp: atan's slope times r over atan(r) is below 1), and for x < 0 the other half-plane,
// pi - |atan(y / x)| with pi as a float32 and its remainder, signed as y. At most 2.68 ulp over
// 10^8 sampled pairs (scripts/check-activations.cpp).
TK_HD inline float atan2_near_f32(float y, float x) {
  const float t = atan_f32(y / x);
  const float other = std::copysign(3.14159274101257324219f - (std::fabs(t) - -8.74227800037248566e-8f), y);
  return x > 0.0f ? t : other;
}

// tanh, erf, log and log1p for float32 in straight-line arithmetic, so loops over them vectorise
// as exp_f32's do (libm's are scalar calls). Coefficients are least-squares fits on Chebyshev
// nodes made by scripts/fit-activations.py; scripts/check-activations.cpp checks every float32:
// at most 1.07 ulp (tanh), 2.52 (erf), 0.89 (log) and 2.47 (log1p) from the exact value.
//
// tanh(x) = x + x^3 P(x^2) for |x| <= 0.7, else sign(x) (1 - 2 / (exp(2|x|) + 1)).
TK_HD inline float tanh_f32(float x) {
  const float a = std::fabs(x);
  const float z = x * x;
  const float p = horner(z, -3.333333279e-01f, 1.333325262e-01f, -5.394856616e-02f, 2.169165011e-02f, -8.118710893e-03f,
                         2.064850355e-03f);
  const float small = z == 0.0f ? x : x + x * z * p;  // keeps -0 (and a tiny x) exact
  const float e = exp_near_f32(2.0f * (a < 10.0f ? a : 10.0f));  // in [0, 20], NaN's too
  const float big = std::copysign(1.0f - 2.0f / (e + 1.0f), x);
  return a <= 0.7f ? small : (x != x ? x : big);
}

// erf(x) = x P(x^2) for |x| <= 1, else sign(x) (1 - exp(-x^2) R(x)), R a polynomial in
// t = (|x| - 2.475) / 1.475 over [1, 3.95]; erf rounds to +-1 in float32 beyond 3.92.
TK_HD inline float erf_f32(float x) {
  const float a = std::fabs(x);
  const float z = x * x;
  const float p = horner(z, 1.128379166e+00f, -3.761262690e-01f, 1.128359746e-01f, -2.685432880e-02f, 5.189311943e-03f,
                         -8.018854992e-04f, 7.882497108e-05f);
  const float small = x * p;
  const float ac = a < 3.95f ? a : 3.95f;
  const float t = (ac - 2.475f) * 0.6779661016949152f;
  const float q = horner(t, 2.126807543e-01f, -1.115242104e-01f, 5.558214731e-02f, -2.647737179e-02f, 1.211622424e-02f,
                         -5.384585711e-03f, 2.301572033e-03f, -8.640438976e-04f, 3.434427643e-04f, -2.227888001e-04f,
                         8.639587843e-05f);
  const float big = std::copysign(1.0f - exp_near_f32(-ac * ac) * q, x);  // -ac^2 in [-15.7, 0]
  return a <= 1.0f ? small : (x != x ? x : big);
}

// The normal upper tail Q(s) = Phi(-s) = exp(-s^2 / 2) R(s) for s in [0, 14.4], in pieces: R(s), a
// rational (4, 5) fit (scripts/fit-activations.py) evaluated in double (float32's Horner sums round
// up to ~6 ulp away over their 10 steps), and exp(-s^2 / 2) as m 2^k, k's power of two as two
// factors. s^2 = hi + lo exactly (Dekker's split of s into 12-bit halves), lo folded into exp's
// reduced argument, so the exponent carries no rounding. A caller multiplies its factors into m's
// side first, in the normal range, and the 2^k scaling last, so a subnormal result rounds once.
struct NormalTail {
  double r;  // R(s)
  float m;  // exp(-s^2 / 2) / 2^k
  Pow2Pair scale;
};
// s^2 = hi + lo exactly: Dekker's split of s into 12-bit halves, whose products are exact.
struct ExactSquare {
  float hi, lo;
};
TK_HD inline ExactSquare exact_square(float s) {
  const float c = s * 4097.0f;
  const float sh = c - (c - s), sl = s - sh;
  const float hi = s * s;
  return {hi, ((sh * sh - hi) + 2.0f * sh * sl) + sl * sl};
}
TK_HD inline double normal_tail_ratio(double s) {  // R(s), s in [0, 14.4]
  return horner(s, 0.50000000291091495, 0.43808927187643992, 0.18308247727629418, 0.040581680641530948,
                0.00410863389597238) /
         horner(s, 1.0, 1.6740635193709403, 1.2018696578463999, 0.46906754298402964, 0.1017297048308196,
                0.010298696434890897);
}
template <bool Near> TK_HD inline NormalTail normal_tail(float s) {
  const ExactSquare sq = exact_square(s);
  const ExpReduced e = exp_reduce(-0.5f * sq.hi);
  return {normal_tail_ratio(s), expm1_reduced(e.r - 0.5f * sq.lo) + 1.0f, pow2_scale<Near>(e.kf)};
}

// gelu(x) = x Phi(x) from the tail, s = |x|: x Q(s) for x <= 0 and x - x Q(s) above, so neither side
// cancels (x (1 + erf(x / sqrt 2)) / 2, PyTorch's form, loses every digit below x = -5.5). Beyond
// s = 14.4 the result is x above and -0 below (gelu(-inf) is NaN, as PyTorch's). Within 2.61 ulp
// over every float32 (scripts/check-activations.cpp). Near: the same bits for |x| <= kGeluNear,
// where 2^k is normal (s^2 / 2 <= 84.5) and neither the clamp nor the tail's select is needed.
constexpr float kGeluNear = 13.0f;
template <bool Near = false> TK_HD inline float gelu_f32(float x) {
  const float s0 = std::fabs(x);
  const NormalTail q = normal_tail<Near>(Near || s0 < 14.4f ? s0 : 14.4f);
  const float t = float(double(x) * q.r) * q.m * q.scale.s1 * q.scale.s2;
  const float body = x > 0.0f ? x - t : t;
  return Near || s0 < 14.4f ? body : (x > 0.0f ? x : x * 0.0f);
}
// gelu's derivative Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi): with u = exp(-s^2 / 2)
// (R(s) - s / sqrt(2 pi)), 1 - u above 0 and u below; NaN at +-inf, as PyTorch's (x phi(x) there is
// +-inf * 0). Near its zero (x = -0.7518) the error is absolute, ~1e-8, as any form's.
template <bool Near = false> TK_HD inline float gelu_grad_f32(float x) {
  const float s0 = std::fabs(x);
  const float s = Near || s0 < 14.4f ? s0 : 14.4f;
  const NormalTail q = normal_tail<Near>(s);
  const float u = float(q.r - double(s) * 0.39894228040143267794) * q.m * q.scale.s1 * q.scale.s2;
  const float body = x > 0.0f ? 1.0f - u : u;
  return Near || s0 < 14.4f ? body : (x > 0.0f ? 1.0f + (x - x) : x * 0.0f);
}

// erfc(x) = 2 Q(sqrt(2) |x|) = 2 e^(-x^2) R(sqrt(2) |x|), 2 minus that below 0: R as gelu's (its
// argument formed in double, where R is evaluated, so no rounding enters it), e^(-x^2) from
// x^2 = hi + lo exactly (Dekker's split, lo folded into the reduced argument), the 2^k scaling last.
// Beyond |x| = 10.18 (s = 14.4, R's range) erfc is below float32's least subnormal, and the value
// at 10.18 rounds to 0 (2 below). Within 2.55 ulp over every float32 (scripts/check-activations.cpp).
TK_HD inline float erfc_f32(float x) {
  const float a0 = std::fabs(x);
  const float a = a0 < 10.18f ? a0 : 10.18f;
  const ExactSquare sq = exact_square(a);
  const ExpReduced e = exp_reduce(-sq.hi);
  const float m = expm1_reduced(e.r - sq.lo) + 1.0f;
  const Pow2Pair sc = pow2_pair(e.kf);
  const float q = float(2.0 * normal_tail_ratio(double(a) * 1.4142135623730950488)) * m * sc.s1 * sc.s2;
  return x != x ? x : (x < 0.0f ? 2.0f - q : q);
}

// e^-a for a = |x| >= 0 as (1 + p) 2^k, k's power of two as two factors: exp_f32's pieces, kept
// apart so a caller forms y (1 + p) as y + y p (one rounding, not two) and scales last, so that a
// subnormal product rounds once; and 1 + e^-a as (1 + 2^k) + 2^k p, again one rounding (1 + 2^k is
// exact while it matters). a is held to 112 (the reduction stays exact: kf C1 has 18 bits), where
// x e^-a is below float32's least subnormal; NaN comes out finite.
struct ExpNegAbs {
  float p;  // e^r - 1
  Pow2Pair scale;
  float one_plus;  // 1 + e^-a
};
template <bool Near> TK_HD inline ExpNegAbs exp_neg_abs(float a) {
  const ExpReduced r = exp_reduce(-(Near || a < 112.0f ? a : 112.0f));
  const float p = expm1_reduced(r.r);
  const Pow2Pair s = pow2_scale<Near>(r.kf);
  const float k2 = s.s1 * s.s2;  // a power of two, or 0
  return {p, s, (1.0f + k2) + k2 * p};
}
// silu(x) = x sigmoid(x): x / (1 + e) for x >= 0 and x e / (1 + e) below, e = e^-|x| (never
// overflows), x e formed as (x + x p) 2^k so the subnormal tail (x below -87) rounds once. -0 below
// -112, x above 112; NaN at -inf, as PyTorch's (-inf * 0). Within 2.91 ulp over every float32
// (scripts/check-activations.cpp). Near: the same bits for |x| <= kSiluNear (2^k normal there).
constexpr float kSiluNear = -kExpNearLo;
template <bool Near = false> TK_HD inline float silu_f32(float x) {
  const float a = std::fabs(x);
  const ExpNegAbs q = exp_neg_abs<Near>(a);
  const float num = x < 0.0f ? (x + x * q.p) * q.scale.s1 * q.scale.s2 : x;
  const float r = num / q.one_plus;
  return Near || a < 112.0f ? r : (x > 0.0f ? x : x * 0.0f);
}
// silu's derivative s (1 + x (1 - s)), s = sigmoid(x): (d + x e) / d^2 for x >= 0 and e (d + x) / d^2
// below, d = 1 + e (e as in silu_f32, the tail scaled last); NaN at +-inf, as PyTorch's (1 + inf * 0,
// 0 * -inf there).
template <bool Near = false> TK_HD inline float silu_grad_f32(float x) {
  const float a = std::fabs(x);
  const ExpNegAbs q = exp_neg_abs<Near>(a);
  const float d = q.one_plus, dx = d + x;
  const float e = (1.0f + q.p) * q.scale.s1 * q.scale.s2;
  const float num = x < 0.0f ? (dx + dx * q.p) * q.scale.s1 * q.scale.s2 : d + x * e;
  const float r = num / (d * d);
  return Near || a < 112.0f ? r : (x > 0.0f ? 1.0f + (x - x) : x * 0.0f);
}

// log(x) = e ln 2 + log(m), x = m 2^e with m in [sqrt(1/2), sqrt(2)) (subnormals scaled by 2^23
// first), log(m) = f - f^2/2 + f^3 P(f) with f = m - 1 (exact); ln 2 split as in exp_f32.
struct LogParts {
  float f, tail, e;  // log(x) = e ln 2 + f + tail, for finite x > 0
};
TK_HD inline LogParts log_parts(float x) {
  const bool sub = x < 1.17549435e-38f;
  const float xs = sub ? x * 8388608.0f : x;
  uint32_t b;
  std::memcpy(&b, &xs, 4);
  int32_t e = int32_t((b >> 23) & 0xffu) - 127 - (sub ? 23 : 0);
  const uint32_t mb = (b & 0x7fffffu) | 0x3f800000u;
  float m;
  std::memcpy(&m, &mb, 4);
  const bool high = m > 1.41421356f;
  m = high ? m * 0.5f : m;
  e = high ? e + 1 : e;
  const float f = m - 1.0f;
  const float p = horner(f, 3.333333119e-01f, -2.499998905e-01f, 2.000070748e-01f, -1.666848024e-01f, 1.424993653e-01f,
                         -1.241105068e-01f, 1.166151111e-01f, -1.157120076e-01f, 7.149753830e-02f);
  const float z = f * f;
  return {f, f * z * p - 0.5f * z, float(e)};
}
// A logarithm's value at x given res, its value for finite x > 0: +Inf, -Inf at 0, NaN below.
TK_HD inline float log_finish(float x, float res) {
  const float inf = std::numeric_limits<float>::infinity();
  return x > 0.0f ? (x == inf ? x : res) : (x == 0.0f ? -inf : std::numeric_limits<float>::quiet_NaN());
}
TK_HD inline float log_f32(float x) {
  const LogParts l = log_parts(x);
  const float r = (l.e * -2.12194440e-4f + l.tail) + l.f;
  return log_finish(x, r + l.e * 0.693359375f);
}
// log2 (Base 2) and log10: e log_b 2 + (f + tail) log_b e in double, rounded once, so log2 of a
// power of two is exact. Checked over every float32 by scripts/check-activations.cpp.
template <int Base> TK_HD inline float logb_f32(float x) {
  static_assert(Base == 2 || Base == 10);
  const LogParts l = log_parts(x);
  const double per_e = Base == 2 ? 1.0 : 0.30102999566398119521;  // log_b 2
  const double per_ln = Base == 2 ? 1.4426950408889634074 : 0.43429448190325182765;  // log_b e
  return log_finish(x, float(double(l.e) * per_e + (double(l.f) + double(l.tail)) * per_ln));
}

// log(1 + x) as log(u) x / (u - 1) with u = 1 + x rounded (Goldberg): the factor undoes the
// rounding of u, so small x keep their digits; u == 1 gives x itself.
TK_HD inline float log1p_f32(float x) {
  const float u = 1.0f + x;
  const float d = u - 1.0f;
  const float r = log_f32(u) * (x / (d == 0.0f ? 1.0f : d));
  const float inf = std::numeric_limits<float>::infinity();
  return d == 0.0f ? x : (x == inf ? x : r);
}

// erfinv for float32 in straight-line arithmetic: Giles' single-precision approximation (w =
// -log((1 - y)(1 + y)); a polynomial in w - 2.5 below w = 5, in sqrt(w) - 3 above), then one Newton
// step. Up to |y| = 1/2 (x0 <= 0.477) its residual is taken in double, erf(x0) from 8 terms of its
// Taylor series (within 1e-11), so the result rounds once; beyond, on erfc(x0) = 1 - |y| (exact
// there), whose residual keeps the tail's digits (erf(x0) - y would cancel them) and whose error
// shrinks as x0 grows. Within 2.36 ulp over every float32 (scripts/check-activations.cpp), where
// PyTorch 1.13's float32 erfinv is off by up to 38 ulp near 1; -0 stays -0, +-1 gives +-inf.
TK_HD inline float erfinv_f32(float y) {
  const float a = std::fabs(y);
  const float ac = a < 1.0f ? a : 0.0f;  // out of the domain (and NaN): a finite stand-in
  const float w = -log_f32((1.0f - ac) * (1.0f + ac));
  const float pc = horner(w - 2.5f, 1.50140941f, 0.246640727f, -0.00417768164f, -0.00125372503f, 0.00021858087f,
                          -4.39150654e-06f, -3.5233877e-06f, 3.43273939e-07f, 2.81022636e-08f);
  const float pt = horner(std::sqrt(w) - 3.0f, 2.83297682f, 1.00167406f, 0.00943887047f, -0.0076224613f, 0.00573950773f,
                          -0.00367342844f, 0.00134934322f, 0.000100950558f, -0.000200214257f);
  const float x0 = (w < 5.0f ? pc : pt) * ac;
  const float slope_inv = 0.886226925452758014f * exp_f32(x0 * x0);  // 1 / erf'(x0)
  const double xd = x0;
  const double rc =
      xd * horner(xd * xd, 1.1283791670955126, -0.37612638903183754, 0.11283791670955126, -0.026866170645131252,
                  0.005223977625442188, -0.0008548327023450852, 0.00012055332981789664, -1.492565035840625e-05) -
      double(ac);
  const float near_zero = float(xd - rc * double(slope_inv));
  const float tail = x0 - ((1.0f - ac) - erfc_f32(x0)) * slope_inv;
  const float inf = std::numeric_limits<float>::infinity();
  const float r =
      a < 1.0f ? (ac > 0.5f ? tail : near_zero) : (a == 1.0f ? inf : std::numeric_limits<float>::quiet_NaN());
  return y != y ? y : std::copysign(r, y);
}

TK_HD inline double horner_d(double, double c0) { return c0; }
template <class... C> TK_HD inline double horner_d(double x, double c0, C... cs) { return horner_d(x, cs...) * x + c0; }

// sin, cos and tan of a float32 with |x| < kTrigNear, in straight-line double arithmetic so
// loops over it vectorise (libm's sinf is a scalar call). The reduction: x = m pi/2 + r with pi/2
// in three parts (30, 29 and 53 bits) so m times the first two is exact for |m| < 2^23, and r keeps
// ~50 bits even for the float32 closest to a multiple of pi/2.
//   sin and cos: m = 2k, k = round(x / pi) (cos: m = 2k - 1, k = round(x / pi + 1/2), as
//   cos x = sin(x + pi/2)), |r| <= pi/2, and the value (-1)^k sin r from one odd polynomial
//   r + r^3 P(r^2) (a relative least-squares fit, scripts/fit-activations.py: under 1e-13 on
//   |r| <= pi/2 + 0.02). One polynomial and a sign, where a pi/2 reduction needs sin's and cos's
//   series both and a select by quadrant.
//   tan: m = round(x 2/pi), |r| <= pi/4, the Taylor series of sin r and cos r (truncation under
//   2^-36), tan r = s / c for even m and -c / s for odd.
// One rounding to float32 at the end: within 0.5 + 2^-20 ulp of the exact value
// (scripts/check-activations.cpp checks every float32 below the limit). Beyond it, or for NaN and
// +-Inf, the result is meaningless: callers go to libm there (Trig).
inline constexpr float kTrigNear = 8388608.0f;  // 2^23
enum class TrigFn { sin, cos, tan };
// r = x - m pi/2 for a whole m, |m| < 2^23.
TK_HD inline double trig_reduce(double d, double m) {
  return ((d - m * 0x1.921fb548p0) - m * -0x1.de973ddp-31) - m * 0x1.313198a2e037p-61;
}
template <TrigFn Fn> TK_HD inline float trig_near_f32(float x) {
  const double d = x;
  const double magic = 0x1.8p52;  // adding 1.5 * 2^52 rounds to an integer, kept in the low bits
  if constexpr (Fn != TrigFn::tan) {
    const double y = d * 0x1.45f306dc9c883p-2;  // x / pi
    const double kb = (Fn == TrigFn::cos ? y + 0.5 : y) + magic;
    const double k = kb - magic;
    uint64_t q;
    std::memcpy(&q, &kb, 8);  // k's low bits, two's complement: the parity of k for either sign
    const double r = trig_reduce(d, Fn == TrigFn::cos ? 2.0 * k - 1.0 : 2.0 * k);
    const double z = r * r;
    const double s = r + r * z *
                             horner_d(z, -0.16666666666471155, 0.008333333319128243, -0.00019841266350569345,
                                      2.755692090742473e-06, -2.5028953558152434e-08, 1.5391680464882374e-10);
    uint64_t sb;
    std::memcpy(&sb, &s, 8);
    sb ^= (q & 1) << 63;  // (-1)^k, through the bits (a conditional would keep the loop scalar)
    double v;
    std::memcpy(&v, &sb, 8);
    return Fn == TrigFn::cos || x != 0.0f ? float(v) : x;  // sin(-0) = -0
  } else {
    const double kb = d * 0x1.45f306dc9c883p-1 + magic;
    const double k = kb - magic;
    uint64_t q;
    std::memcpy(&q, &kb, 8);  // k mod 2 for either sign
    const double r = trig_reduce(d, k);
    const double z = r * r;
    const double s = r + r * z * horner_d(z, -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880, -1.0 / 39916800);
    const double c = horner_d(z, 1.0, -1.0 / 2, 1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800, 1.0 / 479001600);
    // tan(r + k pi/2): tan r = s / c for even k, -1 / tan r = -c / s for odd; selected through the bits.
    uint64_t sb, cb;
    std::memcpy(&sb, &s, 8);
    std::memcpy(&cb, &c, 8);
    const uint64_t odd = uint64_t(0) - (q & 1);
    const uint64_t nb = ((cb & odd) | (sb & ~odd)) ^ (odd << 63), db = (sb & odd) | (cb & ~odd);
    double num, den;
    std::memcpy(&num, &nb, 8);
    std::memcpy(&den, &db, 8);
    return x != 0.0f ? float(num / den) : x;  // tan(-0) = -0
  }
}

}  // namespace tk::kernels
