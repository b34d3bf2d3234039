// The scalar math of every element-wise op, written once and shared by the CPU kernels and (when
// compiled by nvcc) the CUDA kernels. Each functor maps compute-type values to a result; the op
// layer has already promoted the inputs, so T is one of float, double, int32_t, int64_t, bool.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "kernels/f32_math.h"
#include "tk/half.h"

namespace tk::kernels {

template <class T> inline constexpr bool is_float_v = std::is_floating_point_v<T>;
// float32 in host code: where f32_math.h's forms serve (nvcc's device pass has __CUDA_ARCH__).
#if defined(__CUDA_ARCH__)
template <class T> inline constexpr bool kHostF32 = false;
#else
template <class T> inline constexpr bool kHostF32 = std::is_same_v<T, float>;
#endif

// Integer arithmetic wraps around (two's complement) like PyTorch's, without signed-overflow UB.
template <class T, class F> TK_HD inline T wrapping(T a, T b, F f) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using U = std::make_unsigned_t<T>;
    return T(f(U(a), U(b)));
  } else {
    return T(f(a, b));
  }
}

// Parameters of parametrised element-wise ops (clamp's bounds, leaky_relu's slope, elu's three
// coefficients, and their backward kernels'); unused by the others.
struct UnaryParams {
  double p0 = 0, p1 = 0, p2 = 0;
};
// A binary functor's value at (a, b): the parametrised ones (the activations' backward kernels)
// take the op's parameters as well.
template <class F, class T> TK_HD inline auto apply2(const F& f, T a, T b, const UnaryParams& p) {
  if constexpr (requires { f(a, b, p); })
    return f(a, b, p);
  else
    return f(a, b);
}
// Its result type, read from the declared return type (no functor body is instantiated, so the
// dtypes a functor does not support stay unchecked).
template <class F, class T, class = void> struct binary_result {
  using type = decltype(std::declval<F>()(std::declval<T>(), std::declval<T>()));
};
template <class F, class T>
struct binary_result<F, T,
                     std::void_t<decltype(std::declval<F>()(std::declval<T>(), std::declval<T>(),
                                                            std::declval<const UnaryParams&>()))>> {
  using type = decltype(std::declval<F>()(std::declval<T>(), std::declval<T>(), std::declval<const UnaryParams&>()));
};
template <class F, class T> using binary_result_t = typename binary_result<F, T>::type;

struct Neg {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
    if constexpr (is_float_v<T>)
      return -x;  // flips the sign bit: -(+0) is -0, where 0 - x gave +0 (PyTorch's neg gives -0)
    else
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
// Exp and Sigmoid split float32's domain as Trig does below: is_near() marks where near(), about
// half exp_f32's arithmetic, gives exp_f32's bits; the CPU's wide loops run near() alone over a
// block whose every element is near.
struct Exp {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
    if constexpr (std::is_same_v<T, float>)
      return exp_f32(x);
    else
      return std::exp(x);
  }
  static TK_HD bool is_near(float x) { return x >= kExpNearLo && x <= kExpNearHi; }
  static TK_HD float near(float x) { return exp_near_f32(x); }
};
// float32 through f32_math.h's straight-line form on the CPU (the wide loops vectorise it); double,
// and float32 on the GPU (whose own functions are fast), through libm's.
#define TK_F32_FUNCTOR(Name, f32, libm, ...)                               \
  struct Name {                                                            \
    template <class T> TK_HD T operator()(T x, const UnaryParams&) const { \
      if constexpr (kHostF32<T>)                                           \
        return f32(x);                                                     \
      else                                                                 \
        return libm(x);                                                    \
    }                                                                      \
    __VA_ARGS__                                                            \
  };
TK_F32_FUNCTOR(Exp2, exp2_f32, std::exp2)
TK_F32_FUNCTOR(Atan, atan_f32, std::atan)
TK_F32_FUNCTOR(Asin, asin_f32, std::asin)
TK_F32_FUNCTOR(Acos, acos_f32, std::acos)
TK_F32_FUNCTOR(Sinh, hyperbolic_f32<true>, std::sinh)
TK_F32_FUNCTOR(Cosh, hyperbolic_f32<false>, std::cosh)
TK_F32_FUNCTOR(Expm1, expm1_f32, std::expm1)
TK_F32_FUNCTOR(Log, log_f32, std::log)
TK_F32_FUNCTOR(Log1p, log1p_f32, std::log1p)  // exact for small x, where log(1 + x) would round 1 + x first
TK_F32_FUNCTOR(Tanh, tanh_f32, std::tanh)
TK_F32_FUNCTOR(Erf, erf_f32, std::erf)
TK_F32_FUNCTOR(Erfc, erfc_f32, std::erfc)
// gelu, the exact form (PyTorch's default): x Phi(x) = x erfc(-x / sqrt 2) / 2, which, unlike
// x (1 + erf(x / sqrt 2)) / 2, keeps its digits in the negative tail (gelu(-inf) is NaN, as PyTorch's).
template <class T> TK_HD inline T gelu_erfc(T x) { return T(0.5) * x * std::erfc(x * T(-0.70710678118654752440)); }
// Gelu and Silu split float32's domain as Exp does: near() is f32<true>, the same bits where
// is_near() holds, with less arithmetic (see f32_math.h's Near forms).
#define TK_NEAR_WITHIN(f32, limit)                                       \
  static TK_HD bool is_near(float x) { return std::fabs(x) <= (limit); } \
  static TK_HD float near(float x) { return f32<true>(x); }
TK_F32_FUNCTOR(Gelu, gelu_f32, gelu_erfc, TK_NEAR_WITHIN(gelu_f32, kGeluNear))
// silu, x sigmoid(x), from e = e^-|x| (which never overflows) as silu_f32 does.
template <class T> TK_HD inline T silu_exp(T x) {
  const T e = std::exp(-std::fabs(x));
  return (x < T(0) ? x * e : x) / (T(1) + e);
}
TK_F32_FUNCTOR(Silu, silu_f32, silu_exp, TK_NEAR_WITHIN(silu_f32, kSiluNear))
#undef TK_F32_FUNCTOR
#undef TK_NEAR_WITHIN
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
  static TK_HD bool is_near(float x) { return std::fabs(x) <= -kExpNearLo; }
  static TK_HD float near(float x) {
    const float e = exp_near_f32(-std::fabs(x));
    return (x < 0.0f ? e : 1.0f) / (1.0f + e);
  }
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

// The activations with parameters or kinks, as PyTorch's CPU kernels compute them (the same
// comparisons as its vectorised loops, so the same values at the kinks and for NaN, checked
// against PyTorch 1.13's in test/activations.test.ts).
// leaky_relu: p0 = the negative slope.
struct LeakyRelu {
  template <class T> TK_HD T operator()(T x, const UnaryParams& p) const { return x > T(0) ? x : x * T(p.p0); }
};
// elu, selu and celu: x p2 where x > 0, else p0 (e^(x p1) - 1), PyTorch's negcoef (alpha scale),
// negiptcoef (the input scale) and poscoef (scale); e^y - 1 as expm1, exact near 0, and + 0 so
// that -0 gives +0 as PyTorch's.
// is_near(): x > 0, or x p1 <= 0, where near() takes expm1_f32's Near form of x p1 held to [-20, 0]
// (the same value: expm1_f32 holds x p1 to -20 itself, and x > 0 discards it); NaN is not near.
struct Elu {
  template <class T> TK_HD T operator()(T x, const UnaryParams& p) const {
    const T e = Expm1{}(T(x * T(p.p1)), p);
    return x > T(0) ? x * T(p.p2) : T(e * T(p.p0)) + T(0);
  }
  static TK_HD bool is_near(float x, const UnaryParams& p) { return x > 0.0f || x * float(p.p1) <= 0.0f; }
  static TK_HD float near(float x, const UnaryParams& p) {
    const float y = x * float(p.p1);
    const float e = expm1_f32<true>(y < 0.0f ? (y > -20.0f ? y : -20.0f) : 0.0f);
    return x > 0.0f ? x * float(p.p2) : e * float(p.p0) + 0.0f;
  }
};
// min(max(r, 0), 6), NaN kept (both compares fail).
template <class T> TK_HD inline T relu6_of(T r) {
  const T a = r < T(0) ? T(0) : r;
  return a > T(6) ? T(6) : a;
}
struct Hardsigmoid {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const { return relu6_of(T(x + T(3))) / T(6); }
};
struct Hardswish {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const { return T(x * relu6_of(T(x + T(3)))) / T(6); }
};
// hardtanh's values are clamp's (p0 = min, p1 = max); its gradient is not (hardtanh_backward).
struct Hardtanh : Clamp {};

// Libm's functions, one functor each (float and double; integers compute in float32).
#define TK_LIBM_FUNCTOR(Name, expr)                                                       \
  struct Name {                                                                           \
    template <class T> TK_HD T operator()(T x, const UnaryParams&) const { return expr; } \
  };
TK_LIBM_FUNCTOR(Asinh, std::asinh(x))
TK_LIBM_FUNCTOR(Acosh, std::acosh(x))
TK_LIBM_FUNCTOR(Atanh, std::atanh(x))
TK_LIBM_FUNCTOR(Reciprocal, T(1) / x)
#undef TK_LIBM_FUNCTOR

// ---- special functions: erfinv, lgamma, digamma, polygamma ------------------------------------
// Computed in double whatever T is (float32 gains the accuracy; these are COSTLY ops anyway), by
// the algorithms torch uses (Cephes' digamma, trigamma and Hurwitz zeta), so values agree with
// PyTorch's to the last bits; float32 erfinv on the CPU excepted (f32_math.h's, vectorised).
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
  const double a = std::fabs(y);
  x = std::fabs(x);
  for (int i = 0; i < 2; ++i) {
    const double slope = 2 / std::sqrt(kPi) * std::exp(-x * x);
    x -= a > 0.5 ? ((1 - a) - std::erfc(x)) / slope : (std::erf(x) - a) / slope;
  }
  return std::copysign(x, y);  // -0 stays -0, as PyTorch's
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
// float32 through f32_math.h's straight-line erfinv on the CPU (2.36 ulp; the wide loops vectorise
// it), the rest through the double routine above.
struct Erfinv {
  template <class T> TK_HD T operator()(T x, const UnaryParams&) const {
    if constexpr (kHostF32<T>)
      return erfinv_f32(x);
    else
      return T(special::erfinv(double(x)));
  }
};
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
// atan2(y, x); only float types reach it (TRUEDIV rule: integers compute in float32). float32 on
// the CPU through atan2_near_f32 where y is finite and x finite and non-zero (near(), which the
// wide loops run alone, vectorised, over blocks where is_near holds), libm elsewhere (zeros,
// infinities, NaN: its signed-zero and quadrant rules).
struct Atan2 {
  template <class T> TK_HD T operator()(T y, T x) const {
#if !defined(__CUDA_ARCH__)
    if constexpr (std::is_same_v<T, float>)
      if (is_near(y, x)) return near(y, x);
#endif
    return std::atan2(y, x);
  }
  static TK_HD bool is_near(float y, float x) {
    return x != 0.0f && std::fabs(x) < std::numeric_limits<float>::infinity() &&
           std::fabs(y) < std::numeric_limits<float>::infinity();
  }
  static TK_HD float near(float y, float x) { return atan2_near_f32(y, x); }
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
struct SiluBackward {  // (gradient, input) -> gradient s (1 + x (1 - s)), s = sigmoid(x); FLOAT_ONLY rule
  template <class T> TK_HD T operator()(T g, T x) const {
    if constexpr (kHostF32<T>) {
      return g * silu_grad_f32(x);
    } else {
      const T e = std::exp(-std::fabs(x)), d = T(1) + e;
      return g * ((x < T(0) ? e * (d + x) : d + x * e) / (d * d));
    }
  }
  static TK_HD bool is_near(float, float x) { return std::fabs(x) <= kSiluNear; }  // Silu's split
  static TK_HD float near(float g, float x) { return g * silu_grad_f32<true>(x); }
};
// The activations' backward kernels: g times the local derivative, with PyTorch's comparisons.
struct LeakyReluBackward {  // p0 = the negative slope
  template <class T> TK_HD T operator()(T g, T x, const UnaryParams& p) const { return x > T(0) ? g : g * T(p.p0); }
};
struct EluBackward {  // elu's p0, p1, p2: g p2 where x > 0, else g p1 p0 e^(x p1) (NaN for NaN)
  template <class T> TK_HD T operator()(T g, T x, const UnaryParams& p) const {
    const T e = Exp{}(T(x * T(p.p1)), p);
    return x > T(0) ? g * T(p.p2) : T(T(g * T(p.p1)) * T(p.p0)) * e;
  }
};
struct HardtanhBackward {  // p0 = min, p1 = max: g strictly inside, else 0 (NaN's too)
  template <class T> TK_HD T operator()(T g, T x, const UnaryParams& p) const {
    return x > T(p.p0) && x < T(p.p1) ? g : T(0);
  }
};
struct HardsigmoidBackward {
  template <class T> TK_HD T operator()(T g, T x) const { return x > T(-3) && x < T(3) ? g * T(1.0 / 6) : T(0); }
};
// 0 below -3, g above 3, else g (x / 3 + 1/2): at 3 itself PyTorch's scalar loop and CUDA kernel
// (x / 3 + 1/2), where its vectorised CPU loop takes g; NaN gives NaN, as that loop.
struct HardswishBackward {
  template <class T> TK_HD T operator()(T g, T x) const {
    return x < T(-3) ? T(0) : x > T(3) ? g : g * T(x / T(3) + T(0.5));
  }
};
// g where y = relu(x) > 0, else 0 (PyTorch's threshold_backward: 0, not NaN, for an infinite g at
// y <= 0); x itself gives the same, since relu(x) > 0 exactly where x > 0.
struct ReluBackward {
  template <class T> TK_HD T operator()(T g, T y) const { return y > T(0) ? g : T(0); }
};
struct GeluBackward {  // (gradient, input) -> gradient (Phi(x) + x phi(x)); FLOAT_ONLY rule
  template <class T> TK_HD T operator()(T g, T x) const {
    if constexpr (kHostF32<T>)
      return g * gelu_grad_f32(x);
    else
      return g * (T(0.5) * std::erfc(x * T(-0.70710678118654752440)) +
                  x * std::exp(T(-0.5) * x * x) * T(0.39894228040143267794));
  }
  static TK_HD bool is_near(float, float x) { return std::fabs(x) <= kGeluNear; }  // Gelu's split
  static TK_HD float near(float g, float x) { return g * gelu_grad_f32<true>(x); }
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
