// The scalar math of every element-wise op, written once and shared by the CPU kernels and (when
// compiled by nvcc) the CUDA kernels. Each functor maps compute-type values to a result; the op
// layer has already promoted the inputs, so T is one of float, double, int32_t, int64_t, bool.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "tk/half.h"

// Scalar math must inline into the kernels' loops to be vectorised; GCC declined to for exp.
#if defined(__CUDACC__)
#define TK_HD __host__ __device__ __attribute__((always_inline))
#else
#define TK_HD __attribute__((always_inline))
#endif

namespace tk::kernels {

template <class T> inline constexpr bool is_float_v = std::is_floating_point_v<T>;

// Integer arithmetic wraps around (two's complement) like PyTorch's, without signed-overflow UB.
template <class T, class F> TK_HD inline T wrapping(T a, T b, F f) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = std::make_unsigned_t<T>;
    return T(f(U(a), U(b)));
  } else {
    return T(f(a, b));
  }
}

// c0 + x (c1 + x (c2 + ...)): Horner's rule, coefficients lowest first, evaluated from the
// highest as the unrolled sequence p = cn; p = p * x + c(n-1); ... would be.
TK_HD inline float horner(float, float c0) { return c0; }
template <class... C> TK_HD inline float horner(float x, float c0, C... cs) { return horner(x, cs...) * x + c0; }

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
  const int32_t k1 = k / 2, k2 = k - k1;  // each in [-75, 64]: a normal power of two
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
// x, -1 below -17.4. Within 1.65 ulp over every float32 (scripts/check-activations.cpp).
TK_HD inline float expm1_f32(float x) {
  const float hi = 88.72283935546875f;
  float xc = x > hi ? hi : (x < -20.0f ? -20.0f : x);
  xc = x == x ? xc : 0.0f;
  const ExpReduced e = exp_reduce(xc);
  const float q = expm1_reduced(e.r);
  const Pow2Pair s = pow2_pair(e.kf);
  const float t = s.s1 * s.s2;
  const float res = e.kf > 24.0f ? (q + 1.0f) * s.s1 * s.s2 : q * t + (t - 1.0f);
  const float inf = std::numeric_limits<float>::infinity();
  return x == 0.0f || x != x ? x : (x > hi ? inf : res);
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
  const float e = exp_f32(2.0f * (a < 10.0f ? a : 10.0f));
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
  const float big = std::copysign(1.0f - exp_f32(-ac * ac) * q, x);
  return a <= 1.0f ? small : (x != x ? x : big);
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

TK_HD inline double horner_d(double, double c0) { return c0; }
template <class... C> TK_HD inline double horner_d(double x, double c0, C... cs) { return horner_d(x, cs...) * x + c0; }

// sin, cos and tan of a float32 with |x| < kTrigNear, in straight-line double arithmetic so
// loops over it vectorise (libm's sinf is a scalar call): x = k pi/2 + r with k = round(x 2/pi)
// and |r| <= pi/4, pi/2 in three parts (30, 29 and 53 bits) so k times the first two is exact for
// k < 2^23 and r keeps ~50 bits even for the float32 closest to a multiple of pi/2; then Taylor
// series of sin r and cos r (truncation under 2^-36 on |r| <= pi/4), the quadrant k mod 4 picking
// one and its sign (tan: their quotient). One rounding to float32 at the end: within 0.5 + 2^-20
// ulp of the exact value (scripts/check-activations.cpp checks every float32 below the limit).
// Beyond it, or for NaN and +-Inf, the result is meaningless: callers go to libm there (Trig).
inline constexpr float kTrigNear = 8388608.0f;  // 2^23
enum class TrigFn { sin, cos, tan };
template <TrigFn Fn> TK_HD inline float trig_near_f32(float x) {
  const double d = x;
  const double magic = 0x1.8p52;  // adding 1.5 * 2^52 rounds to an integer, kept in the low bits
  const double kb = d * 0x1.45f306dc9c883p-1 + magic;
  const double k = kb - magic;
  uint64_t q;
  std::memcpy(&q, &kb, 8);  // k's low bits, two's complement: k mod 4 for either sign
  q += Fn == TrigFn::cos ? 1 : 0;  // cos x = sin(x + pi/2)
  const double r = ((d - k * 0x1.921fb548p0) - k * -0x1.de973ddp-31) - k * 0x1.313198a2e037p-61;
  const double z = r * r;
  const double s = r + r * z * horner_d(z, -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880, -1.0 / 39916800);
  const double c = horner_d(z, 1.0, -1.0 / 2, 1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800, 1.0 / 479001600);
  // Selected through the bits, not a conditional, which would keep the loop scalar.
  uint64_t sb, cb;
  std::memcpy(&sb, &s, 8);
  std::memcpy(&cb, &c, 8);
  const uint64_t odd = uint64_t(0) - (q & 1);
  double v;
  if constexpr (Fn == TrigFn::tan) {  // tan(r + k pi/2): tan r = s / c for even k, -1 / tan r = -c / s for odd
    const uint64_t nb = ((cb & odd) | (sb & ~odd)) ^ (odd << 63), db = (sb & odd) | (cb & ~odd);
    double num, den;
    std::memcpy(&num, &nb, 8);
    std::memcpy(&den, &db, 8);
    v = num / den;
  } else {
    const uint64_t vb = ((cb & odd) | (sb & ~odd)) ^ ((q & 2) << 62);
    std::memcpy(&v, &vb, 8);
  }
  return Fn == TrigFn::cos || x != 0.0f ? float(v) : x;  // sin(-0) = tan(-0) = -0
}

// Parameters of parametrised unary ops (clamp's bounds); unused by the others.
struct UnaryParams {
  double p0 = 0, p1 = 0;
};

struct Neg {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
    return wrapping(T(0), x, [](auto a, auto b) { return a - b; });
  }
};
struct Abs {
  template <class T> TK_HD T operator()(T x, const UnaryParams& p) const {
    if constexpr (is_float_v<T>)
      return std::fabs(x);  // branch-free (a sign-bit mask)
    else
      return x < T(0) ? Neg{}(x, p) : x;
  }
};
struct Exp {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
    if constexpr (std::is_same_v<T, float>)
      return exp_f32(x);
    else
      return std::exp(x);
  }
};
struct Exp2 {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
#if !defined(__CUDA_ARCH__)
    if constexpr (std::is_same_v<T, float>) return exp2_f32(x);
#endif
    return std::exp2(x);
  }
};
struct Atan {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
#if !defined(__CUDA_ARCH__)
    if constexpr (std::is_same_v<T, float>) return atan_f32(x);
#endif
    return std::atan(x);
  }
};
struct Sinh {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
#if !defined(__CUDA_ARCH__)
    if constexpr (std::is_same_v<T, float>) return hyperbolic_f32<true>(x);
#endif
    return std::sinh(x);
  }
};
struct Cosh {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
#if !defined(__CUDA_ARCH__)
    if constexpr (std::is_same_v<T, float>) return hyperbolic_f32<false>(x);
#endif
    return std::cosh(x);
  }
};
struct Expm1 {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
#if !defined(__CUDA_ARCH__)
    if constexpr (std::is_same_v<T, float>) return expm1_f32(x);
#endif
    return std::expm1(x);
  }
};
struct Log {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
#if !defined(__CUDA_ARCH__)
    if constexpr (std::is_same_v<T, float>) return log_f32(x);
#endif
    return std::log(x);
  }
};
template <int Base> struct LogB {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
#if !defined(__CUDA_ARCH__)
    if constexpr (std::is_same_v<T, float>) return logb_f32<Base>(x);
#endif
    return Base == 2 ? std::log2(x) : std::log10(x);
  }
};
struct Log2 : LogB<2> {};
struct Log10 : LogB<10> {};
struct Sqrt {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const { return std::sqrt(x); }
};
struct Rsqrt {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const { return T(1) / std::sqrt(x); }
};
// float32 sin, cos and tan: trig_near_f32 below 2^23, libm beyond (and for NaN, +-Inf). near()
// and is_near() are that split for the CPU's wide loops, which test a block and then run near()
// alone, vectorised, when every element is near.
template <TrigFn Fn> struct Trig {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
#if !defined(__CUDA_ARCH__)
    if constexpr (std::is_same_v<T, float>)
      if (is_near(x)) return near(x);
#endif
    return Fn == TrigFn::sin ? std::sin(x) : Fn == TrigFn::cos ? std::cos(x) : std::tan(x);
  }
  static TK_HD bool is_near(float x) { return std::fabs(x) < kTrigNear; }
  static TK_HD float near(float x) { return trig_near_f32<Fn>(x); }
};
struct Sin : Trig<TrigFn::sin> {};
struct Cos : Trig<TrigFn::cos> {};
struct Tan : Trig<TrigFn::tan> {};
struct Relu {
  // NaN stays NaN, as in PyTorch. Floats go through the bits: a compare-and-select here was
  // compiled to a branch in the strided loops, and random signs made it 30x slower.
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
      constexpr U sign = U(1) << (sizeof(T) * 8 - 1);
      U b;
      std::memcpy(&b, &x, sizeof(T));
      const U abs = b & ~sign;
      const U exp_mask = sizeof(T) == 4 ? U(0x7f800000u) : U(0x7ff0000000000000ull);
      const U keep = U((b & sign) == 0) | U(abs > exp_mask);  // non-negative, or NaN
      b &= U(0) - keep;
      std::memcpy(&x, &b, sizeof(T));
      return x;
    } else {
      return x < T(0) ? T(0) : x;
    }
  }
};
struct Sigmoid {  // e = e^-|x| either side, which never overflows: 1 / (1 + e) for x >= 0, e / (1 + e) below
  template <class T> TK_HD T operator()(T x, const UnaryParams& p) const {
    const T e = Exp{}(T(-std::fabs(x)), p);
    return (x < T(0) ? e : T(1)) / (T(1) + e);
  }
};
// float32 on the CPU through the vectorisable forms above; the GPU's own tanhf/erff are fast.
template <class T> TK_HD inline T tanh_of(T x) {
#if !defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<T, float>) return tanh_f32(x);
#endif
  return std::tanh(x);
}
template <class T> TK_HD inline T erf_of(T x) {
#if !defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<T, float>) return erf_f32(x);
#endif
  return std::erf(x);
}
struct Tanh {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const { return tanh_of(x); }
};
struct Gelu {  // the exact (erf) form, PyTorch's default
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
    return T(0.5) * x * (T(1) + erf_of(x * T(0.70710678118654752440)));
  }
};
struct Log1p {  // log(1 + x), exact for small x where log(1 + x) rounds 1 + x first
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
#if !defined(__CUDA_ARCH__)
    if constexpr (std::is_same_v<T, float>) return log1p_f32(x);
#endif
    return std::log1p(x);
  }
};
struct Erf {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const { return erf_of(x); }
};
struct Clamp {  // p0 = min, p1 = max (the op layer passes +-inf for a missing bound)
  template <class T> TK_HD T operator()(T x, const UnaryParams& p) const {
    if constexpr (is_float_v<T>) {
      // Two selects, no branch (random data made the branchy form 30x slower): NaN falls through
      // both compares and stays NaN, and min > max gives max everywhere, as in PyTorch.
      const T lo = T(p.p0), hi = T(p.p1);
      const T r = x < lo ? lo : x;
      return r > hi ? hi : r;
    } else {
      // Bounds beyond the integer range clamp to the range; never a UB conversion.
      double v = double(x), lo = p.p0, hi = p.p1;
      double r = v < lo ? lo : v;
      r = r > hi ? hi : r;
      return T(r);
    }
  }
};

// Libm's functions, one functor each (float and double; integers compute in float32).
#define TK_LIBM_FUNCTOR(Name, expr)                                                       \
  struct Name {                                                                           \
    template <class T> TK_HD T operator()(T x, const UnaryParams&) const { return expr; } \
  };
TK_LIBM_FUNCTOR(Asin, std::asin(x))
TK_LIBM_FUNCTOR(Acos, std::acos(x))
TK_LIBM_FUNCTOR(Asinh, std::asinh(x))
TK_LIBM_FUNCTOR(Acosh, std::acosh(x))
TK_LIBM_FUNCTOR(Atanh, std::atanh(x))
TK_LIBM_FUNCTOR(Reciprocal, T(1) / x)
#undef TK_LIBM_FUNCTOR

// ---- special functions: erfc, erfinv, lgamma, digamma, polygamma -----------------------------
// Computed in double whatever T is (float32 gains the accuracy; these are COSTLY ops anyway), by
// the algorithms torch uses (Cephes' digamma, trigamma and Hurwitz zeta), so values agree with
// PyTorch's to the last bits.
// Real functions, called (not forced inline: they are large, and loops over them do not vectorise).
#if defined(__CUDACC__)
#define TK_HD_CALL __host__ __device__
#else
#define TK_HD_CALL
#endif
namespace special {
constexpr double kPi = 3.14159265358979323846;
TK_HD_CALL inline double nan_value() { return std::numeric_limits<double>::quiet_NaN(); }
TK_HD_CALL inline double inf_value() { return std::numeric_limits<double>::infinity(); }

// erf^-1: Giles' single-precision approximation, then two Newton steps (quadratic: ~1e-7 ->
// ~1e-14 -> double precision; within 1e-15 of scipy's where torch's is off by up to 2e-11).
TK_HD_CALL inline double erfinv(double y) {
  if (!(y >= -1 && y <= 1)) return nan_value();
  if (y == 1) return inf_value();
  if (y == -1) return -inf_value();
  double w = -std::log((1 - y) * (1 + y)), p;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = std::sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  double x = p * y;
  // Newton on erf near 0; past |y| = 0.5 on erfc(|x|) = 1 - |y| (exact there), which keeps the
  // tail's digits that erf(x) - y would cancel away.
  const double a = std::fabs(y), sign = y < 0 ? -1.0 : 1.0;
  x = std::fabs(x);
  for (int i = 0; i < 2; ++i) {
    const double slope = 2 / std::sqrt(kPi) * std::exp(-x * x);
    x -= a > 0.5 ? ((1 - a) - std::erfc(x)) / slope : (std::erf(x) - a) / slope;
  }
  return sign * x;
}

TK_HD_CALL inline double lgamma(double x) {
#if defined(__CUDA_ARCH__)
  return ::lgamma(x);
#else
  int sign;  // lgamma_r: std::lgamma writes the global signgam, a race across threads
  return ::lgamma_r(x, &sign);
#endif
}

TK_HD_CALL inline double digamma(double x) {
  if (x == 0) return std::copysign(inf_value(), -x);  // torch: -inf at +0
  double result = 0;
  if (x < 0) {
    if (x == std::trunc(x)) return nan_value();
    // digamma(x) = digamma(1 - x) - pi / tan(pi x); tan of the fractional part is more accurate
    // than tan(pi x) for large |x|.
    double q;
    const double r = std::modf(x, &q);
    result = -kPi / std::tan(kPi * r);
    x = 1 - x;
  }
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  if (x == 10) return result + 2.25175258906672110764;
  double y = 0;
  if (x < 1.0e17) {
    const double z = 1 / (x * x);
    const double A[] = {8.33333333333333333333E-2,  -2.10927960927960927961E-2, 7.57575757575757575758E-3,
                        -4.16666666666666666667E-3, 3.96825396825396825397E-3,  -8.33333333333333333333E-3,
                        8.33333333333333333333E-2};
    double p = A[0];
    for (int i = 1; i < 7; ++i) p = p * z + A[i];
    y = z * p;
  }
  return result + std::log(x) - 0.5 / x - y;
}

TK_HD_CALL inline double trigamma(double x) {
  double sign = 1, result = 0;
  if (x < 0.5) {
    sign = -1;
    const double s = std::sin(kPi * x);
    result -= kPi * kPi / (s * s);
    x = 1 - x;
  }
  for (int i = 0; i < 6; ++i) {
    result += 1 / (x * x);
    x += 1;
  }
  const double ixx = 1 / (x * x);
  result += (1 + 1 / (2 * x) + ixx * (1. / 6 - ixx * (1. / 30 - ixx * (1. / 42)))) / x;
  return sign * result;
}

// The Hurwitz zeta function sum_k (k + q)^-s (Cephes, Euler-Maclaurin).
TK_HD_CALL inline double zeta(double s, double q) {
  const double machep = 1.11022302462515654042E-16;
  const double A[] = {12.0,
                      -720.0,
                      30240.0,
                      -1209600.0,
                      47900160.0,
                      -1.8924375803183791606e9,
                      7.47242496e10,
                      -2.950130727918164224e12,
                      1.1646782814350067249e14,
                      -4.5979787224074726105e15,
                      1.8152105401943546773e17,
                      -7.1661652561756670113e18};
  if (s == 1) return inf_value();
  if (s < 1) return nan_value();
  if (q <= 0) {
    if (q == std::floor(q)) return inf_value();
    if (s != std::floor(s)) return nan_value();
  }
  double sum = std::pow(q, -s), a = q, b = 0;
  int i = 0;
  while (i < 9 || a <= 9) {
    i += 1;
    a += 1;
    b = std::pow(a, -s);
    sum += b;
    if (-machep * sum < b && b < machep * sum) return sum;
  }
  const double w = a;
  sum += b * w / (s - 1);
  sum -= 0.5 * b;
  double fac = 1, k = 0;
  for (int j = 0; j < 12; ++j) {
    fac *= s + k;
    b /= w;
    const double t = fac * b / A[j];
    sum += t;
    if (std::fabs(t / sum) < machep) return sum;
    k += 1;
    fac *= s + k;
    b /= w;
    k += 1;
  }
  return sum;
}

// polygamma(n, x): digamma for n = 0, trigamma for 1, else (-1)^(n+1) n! zeta(n + 1, x).
TK_HD_CALL inline double polygamma(int64_t n, double x) {
  if (n == 0) return digamma(x);
  if (n == 1) return trigamma(x);
  const double sign = n % 2 ? 1.0 : -1.0;
  return sign * std::exp(lgamma(double(n) + 1)) * zeta(double(n + 1), x);
}
}  // namespace special
}  // namespace tk::kernels
#include "kernels/special_more.h"
#include "kernels/bessel.h"
namespace tk::kernels {

#define TK_SPECIAL_FUNCTOR(Name, expr)                                       \
  struct Name {                                                              \
    template <class T> TK_HD T operator()(T x, const UnaryParams& p) const { \
      (void)p;                                                               \
      const double v = double(x);                                            \
      return T(expr);                                                        \
    }                                                                        \
  };
TK_SPECIAL_FUNCTOR(Erfc, std::erfc(v))
TK_SPECIAL_FUNCTOR(Erfinv, special::erfinv(v))
TK_SPECIAL_FUNCTOR(Lgamma, special::lgamma(v))
TK_SPECIAL_FUNCTOR(Digamma, special::digamma(v))
TK_SPECIAL_FUNCTOR(Polygamma, special::polygamma(int64_t(p.p0), v))  // p0: the order n >= 0
TK_SPECIAL_FUNCTOR(I0, special::bessel_i(0, v, false))
TK_SPECIAL_FUNCTOR(I0e, special::bessel_i(0, v, true))
TK_SPECIAL_FUNCTOR(I1, special::bessel_i(1, v, false))
TK_SPECIAL_FUNCTOR(I1e, special::bessel_i(1, v, true))
TK_SPECIAL_FUNCTOR(Ndtri, special::ndtri(v))
TK_SPECIAL_FUNCTOR(LogNdtr, special::log_ndtr(v))
TK_SPECIAL_FUNCTOR(Erfcx, special::erfcx(v))
TK_SPECIAL_FUNCTOR(BesselJ0, special::bessel_j0(v))
TK_SPECIAL_FUNCTOR(BesselJ1, special::bessel_j1(v))
TK_SPECIAL_FUNCTOR(BesselY0, special::bessel_y(0, v))
TK_SPECIAL_FUNCTOR(BesselY1, special::bessel_y(1, v))
TK_SPECIAL_FUNCTOR(ModifiedBesselK0, special::bessel_k(0, v, false))
TK_SPECIAL_FUNCTOR(ModifiedBesselK1, special::bessel_k(1, v, false))
TK_SPECIAL_FUNCTOR(ScaledModifiedBesselK0, special::bessel_k(0, v, true))
TK_SPECIAL_FUNCTOR(ScaledModifiedBesselK1, special::bessel_k(1, v, true))
TK_SPECIAL_FUNCTOR(SphericalBesselJ0, special::spherical_bessel_j0(v))
TK_SPECIAL_FUNCTOR(AiryAi, special::airy_ai(v))
#undef TK_SPECIAL_FUNCTOR

// Rounding keeps integers as they are. round is half to even (nearbyint in the default rounding
// mode), as torch.round.
#define TK_ROUNDING_FUNCTOR(Name, fn)                                      \
  struct Name {                                                            \
    template <class T> TK_HD T operator()(T x, const UnaryParams&) const { \
      if constexpr (is_float_v<T>)                                         \
        return fn(x);                                                      \
      else                                                                 \
        return x;                                                          \
    }                                                                      \
  };
TK_ROUNDING_FUNCTOR(Floor, std::floor)
TK_ROUNDING_FUNCTOR(Ceil, std::ceil)
TK_ROUNDING_FUNCTOR(Round, std::nearbyint)
TK_ROUNDING_FUNCTOR(Trunc, std::trunc)
#undef TK_ROUNDING_FUNCTOR
struct Sign {  // (0 < x) - (x < 0), as torch's: 0 for NaN and both zeros
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const { return T(int(T(0) < x) - int(x < T(0))); }
};

struct Add {
  template <class T> TK_HD T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>)
      return a || b;
    else
      return wrapping(a, b, [](auto x, auto y) { return x + y; });
  }
};
struct Sub {
  template <class T> TK_HD T operator()(T a, T b) const {
    return wrapping(a, b, [](auto x, auto y) { return x - y; });
  }
};
struct Mul {
  template <class T> TK_HD T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>)
      return a && b;
    else
      return wrapping(a, b, [](auto x, auto y) { return x * y; });
  }
};
struct Div {  // only float types reach it (TRUEDIV rule)
  template <class T> TK_HD T operator()(T a, T b) const { return a / b; }
};
struct Pow {
  template <class T> TK_HD T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) {
      return a || !b;
    } else if constexpr (is_float_v<T>) {
      return std::pow(a, b);
    } else {
      // Integer power by squaring. A negative exponent gives the truncated result of 1/a^|b|
      // (0 unless |a| == 1), the value PyTorch computes for tensor exponents.
      if (b < 0) return a == T(1) ? T(1) : a == T(-1) ? ((b & 1) ? T(-1) : T(1)) : T(0);
      using U = std::make_unsigned_t<T>;
      U r = 1, base = U(a);
      for (T e = b; e; e >>= 1) {
        if (e & 1) r *= base;
        base *= base;
      }
      return T(r);
    }
  }
};
struct Maximum {  // NaN propagates, as in PyTorch
  template <class T> TK_HD T operator()(T a, T b) const {
    if constexpr (is_float_v<T>) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return a > b ? a : b;
  }
};
struct Minimum {
  template <class T> TK_HD T operator()(T a, T b) const {
    if constexpr (is_float_v<T>) {
      if (a != a) return a;
      if (b != b) return b;
    }
    return a < b ? a : b;
  }
};
// fmod of two float32 in double arithmetic, where |a / b| < 2^28 and b is finite (is_fmod_near):
// then the double quotient is within 2^-25 of a / b, while a non-integral a / b lies at least 2^-24
// from an integer, so its truncation q is exact; q b (28 + 24 bits) is exact, and so is a - q b,
// the remainder being a float32. Straight-line, so loops over it vectorise (libm's fmodf is a
// scalar loop over the exponent difference: 18 ms per 1M).
TK_HD inline bool is_fmod_near(float a, float b) {
  return std::fabs(a) < 268435456.0f * std::fabs(b) && std::fabs(b) < std::numeric_limits<float>::infinity();
}
TK_HD inline float fmod_near_f32(float a, float b) {
  const double q = std::trunc(double(a) / double(b));
  const float r = float(double(a) - q * double(b));
  return r == 0.0f ? std::copysign(0.0f, a) : r;  // the dividend's sign, as fmod's
}
// The float division family through a remainder m = fmod(a, b): fmod_near_f32 where it is exact,
// libm elsewhere, so either gives the same bits. near() and is_near() are that split for the CPU's
// wide loops, as Trig's.
template <class Of> struct ByFmod {
  template <class T> TK_HD T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, float>) {
#if !defined(__CUDA_ARCH__)
      if (is_fmod_near(a, b)) return near(a, b);
#endif
      return Of::from(a, b, std::fmod(a, b));
    } else if constexpr (is_float_v<T>) {
      return Of::from(a, b, std::fmod(a, b));
    } else {
      return Of::integral(a, b);
    }
  }
  static TK_HD bool is_near(float a, float b) { return is_fmod_near(a, b); }
  static TK_HD float near(float a, float b) { return Of::from(a, b, fmod_near_f32(a, b)); }
};
// Integer division by zero is refused by the op layer before a kernel runs; here it gives 0, and
// a divisor of -1 is taken apart, so that no kernel traps (x86 faults on INT_MIN / -1 too).
struct Remainder : ByFmod<Remainder> {  // Python's %: the sign of the divisor (torch.remainder)
  template <class T> static TK_HD T from(T a, T b, T m) {
    return m != T(0) && ((b < T(0)) != (m < T(0))) ? T(m + b) : m;
  }
  template <class T> static TK_HD T integral(T a, T b) {
    if (b == T(0) || b == T(-1)) return T(0);
    return from(a, b, T(a % b));
  }
};
struct Fmod : ByFmod<Fmod> {  // C's fmod: the sign of the dividend (torch.fmod)
  template <class T> static TK_HD T from(T, T, T m) { return m; }
  template <class T> static TK_HD T integral(T a, T b) {
    if (b == T(0) || b == T(-1)) return T(0);
    return a % b;
  }
};
struct FloorDivide : ByFmod<FloorDivide> {  // a / b rounded down (torch.floor_divide, div(rounding_mode='floor'))
  // numpy's and torch's formula: exact where floor(a / b) would round a / b first. Selects, not
  // early returns, so that loops over it vectorise.
  template <class T> static TK_HD T from(T a, T b, T mod) {
    T div = (a - mod) / b;
    div = mod != T(0) && ((b < T(0)) != (mod < T(0))) ? div - T(1) : div;
    T floordiv = std::floor(div);
    floordiv = div - floordiv > T(0.5) ? floordiv + T(1) : floordiv;
    floordiv = div == T(0) ? std::copysign(T(0), a / b) : floordiv;
    return b == T(0) ? a / b : floordiv;
  }
  template <class T> static TK_HD T integral(T a, T b) {
    if (b == T(0)) return T(0);
    if (b == T(-1)) return wrapping(T(0), a, [](auto x, auto y) { return x - y; });
    const T q = a / b;
    return (a % b != T(0) && ((a < T(0)) != (b < T(0)))) ? T(q - 1) : q;
  }
};
struct Atan2 {  // only float types reach it (TRUEDIV rule: integers compute in float32)
  template <class T> TK_HD T operator()(T a, T b) const { return std::atan2(a, b); }
};
// The special functions of two arguments (TRUEDIV rule: float types only reach them).
struct Zeta {  // Hurwitz zeta(x, q)
  template <class T> TK_HD T operator()(T x, T q) const { return T(special::zeta(double(x), double(q))); }
};
struct Gammainc {
  template <class T> TK_HD T operator()(T a, T x) const { return T(special::igamma(double(a), double(x), false)); }
};
struct Gammaincc {
  template <class T> TK_HD T operator()(T a, T x) const { return T(special::igamma(double(a), double(x), true)); }
};
struct Nextafter {  // FLOAT_ONLY rule
  template <class T> TK_HD T operator()(T a, T b) const { return std::nextafter(a, b); }
};

// Bitwise ops on integers and bool (BITWISE rule; bool's and / or / xor are the logical ones).
struct BitwiseNot {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
    if constexpr (std::is_same_v<T, bool>)
      return !x;
    else
      return T(~x);
  }
};
struct BitwiseAnd {
  template <class T> TK_HD T operator()(T a, T b) const { return T(a & b); }
};
struct BitwiseOr {
  template <class T> TK_HD T operator()(T a, T b) const { return T(a | b); }
};
struct BitwiseXor {
  template <class T> TK_HD T operator()(T a, T b) const { return T(a ^ b); }
};
// Shifts (INTEGER rule) as torch's: a shift by a negative amount or by the width or more gives 0
// (left) or the sign fill (right) instead of C's undefined behaviour; left shifts wrap.
struct BitwiseLeftShift {
  template <class T> TK_HD T operator()(T a, T b) const {
    if (b < 0 || b >= T(sizeof(T) * 8)) return T(0);
    return T(std::make_unsigned_t<T>(a) << b);
  }
};
struct BitwiseRightShift {
  template <class T> TK_HD T operator()(T a, T b) const {
    if (b < 0 || b >= T(sizeof(T) * 8)) return a < 0 ? T(-1) : T(0);
    return T(a >> b);
  }
};
// gcd and lcm (INTEGER rule) of the magnitudes, as torch's: gcd(0, 0) = 0, lcm(0, x) = 0. The
// magnitudes are taken unsigned, so the most negative value does not overflow before the result
// wraps as torch's does.
template <class T> TK_HD inline std::make_unsigned_t<T> magnitude(T v) {
  using U = std::make_unsigned_t<T>;
  return v < 0 ? U(0) - U(v) : U(v);
}
template <class U> TK_HD inline U gcd_unsigned(U a, U b) {
  while (b != 0) {
    const U t = a % b;
    a = b;
    b = t;
  }
  return a;
}
struct Gcd {
  template <class T> TK_HD T operator()(T a, T b) const { return T(gcd_unsigned(magnitude(a), magnitude(b))); }
};
struct Lcm {
  template <class T> TK_HD T operator()(T a, T b) const {
    const auto g = gcd_unsigned(magnitude(a), magnitude(b));
    return g == 0 ? T(0) : T(magnitude(a) / g * magnitude(b));
  }
};

struct Eq {
  template <class T> TK_HD bool operator()(T a, T b) const { return a == b; }
};
struct Ne {
  template <class T> TK_HD bool operator()(T a, T b) const { return a != b; }
};
struct Lt {
  template <class T> TK_HD bool operator()(T a, T b) const { return a < b; }
};
struct Le {
  template <class T> TK_HD bool operator()(T a, T b) const { return a <= b; }
};
struct Gt {
  template <class T> TK_HD bool operator()(T a, T b) const { return a > b; }
};
struct Ge {
  template <class T> TK_HD bool operator()(T a, T b) const { return a >= b; }
};

// Conversion between element types without undefined behaviour: NaN and out-of-range floats
// become the integer type's lowest value (what x86 conversions produce, and PyTorch shows).
// NaN-aware helpers of the reductions, sorts and pooling on both devices.
template <class T> TK_HD inline bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return v != v;
  else
    return false;
}
// Max (min) that propagates NaN, as PyTorch's reductions do.
template <bool IsMax, class T> TK_HD inline T pick(T best, T v) {
  if (is_nan(best)) return best;
  if (is_nan(v)) return v;
  return IsMax ? (v > best ? v : best) : (v < best ? v : best);
}
// a < b with NaN as the largest value, as in PyTorch's sort.
template <class T> TK_HD inline bool nan_last_less(T a, T b) {
  if (is_nan(a)) return false;
  if (is_nan(b)) return true;
  return a < b;
}
// What sums accumulate in: double for floats, int64 for integers and bool.
template <class T> using sum_acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

// Each element-wise functor's row of ops.def: its dtype rule and its cost.
enum class Rule { FLOAT, NUMERIC, ARITH, ARITH_NOBOOL, TRUEDIV, COMPARE, FLOAT_ONLY, BITWISE, INTEGER };
enum class Cost { CHEAP, COSTLY };
template <class F> struct OpFacts;
#define TK_OP_FACTS(F, r, c)                                \
  template <> struct OpFacts<F> {                           \
    static constexpr Rule rule = Rule::r;                   \
    static constexpr bool costly = Cost::c == Cost::COSTLY; \
  };
#define TK_UNARY(name, F, rule, inplace, cost) TK_OP_FACTS(F, rule, cost)
#define TK_BINARY(name, F, rule, inplace, cost) TK_OP_FACTS(F, rule, cost)
#include "tk/ops.def"
#undef TK_OP_FACTS

// Which compute dtypes an element-wise functor is instantiated for, from its rule (the op layer
// never sends others): float-only math (FLOAT; TRUEDIV, whose integers divide as float), no bool
// where PyTorch refuses it (NUMERIC, ARITH_NOBOOL), integers and bool (BITWISE) or integers
// alone (INTEGER) for the bitwise ops, every dtype otherwise.
template <class F, class T> constexpr bool supports() {
  constexpr Rule r = OpFacts<F>::rule;
  if constexpr (r == Rule::FLOAT || r == Rule::TRUEDIV || r == Rule::FLOAT_ONLY)
    return std::is_floating_point_v<T>;
  else if constexpr (r == Rule::BITWISE)
    return std::is_integral_v<T>;
  else if constexpr (r == Rule::INTEGER)
    return std::is_integral_v<T> && !std::is_same_v<T, bool>;
  else if constexpr (r == Rule::NUMERIC || r == Rule::ARITH_NOBOOL)
    return !std::is_same_v<T, bool>;
  else
    return true;
}

// The 16-bit floats convert through float32 both ways (double -> float16 rounds twice, as c10's
// Half(float(d)) does).
template <class T> inline constexpr bool is_half_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
template <class T> TK_HD inline float half_value(T h) {
  if constexpr (std::is_same_v<T, Half>)
    return half_to_float(h.bits);
  else
    return bf16_to_float(h.bits);
}
template <class To, class From> TK_HD inline To cast(From v);
template <class To> TK_HD inline To half_from(float f) {
  if constexpr (std::is_same_v<To, Half>)
    return Half{float_to_half(f)};
  else
    return BFloat16{float_to_bf16(f)};
}

template <class To, class From> TK_HD inline To cast(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (is_half_v<From>) {
    return cast<To>(half_value(v));
  } else if constexpr (is_half_v<To>) {
    return half_from<To>(cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_integral_v<To> && is_float_v<From>) {
    constexpr double lim = double(std::numeric_limits<To>::max()) + 1.0;  // 2^31 or 2^63
    if (!(double(v) >= -lim && double(v) < lim)) return std::numeric_limits<To>::lowest();
    return To(v);
  } else {
    return To(v);
  }
}

}  // namespace tk::kernels
