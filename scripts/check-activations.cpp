// Exhaustive accuracy check of the CPU's float32 exp2, expm1, sinh, cosh, atan, asin, acos, tanh, erf,
// erfc, erfinv, gelu, silu, log, log1p, log2, log10, sin, cos and tan (native/src/kernels/f32_math.h)
// against libm in double (erfinv: functors.h's double routine): every finite float32 of either sign, plus the specials (sin, cos and tan: their
// straight-line part, every float32 below 2^23); and atan2 over 10^8 sampled pairs. Also that each
// split functor's near() (exp, sigmoid, gelu, silu, elu and the two backward kernels) gives its
// operator()'s bits for every float32 where is_near() holds (`/tmp/check split`).
//   g++ -O2 -std=gnu++20 -Inative/include -Inative/src scripts/check-activations.cpp -o /tmp/check && /tmp/check
// (about 20 minutes; `/tmp/check gelu erf` checks only those). Prints the largest error in units in
// the last place and where it occurs.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <random>

#include "kernels/functors.h"

namespace {
double ulp_err(float got, double ref) {
  const float r = float(ref);
  if (std::isnan(ref)) return std::isnan(got) ? 0 : 1e9;
  if (got == r && std::signbit(got) == std::signbit(r)) return 0;
  if (got == r) return 1e9;  // a zero of the wrong sign
  float sp = std::nextafter(std::fabs(r), INFINITY) - std::fabs(r);
  if (!std::isfinite(sp)) sp = std::fabs(r) - std::nextafter(std::fabs(r), 0.0f);
  return std::fabs(double(got) - ref) / sp;
}

const char* const* g_only = nullptr;  // the names on the command line, if any
int g_only_n = 0;

template <class F, class R> void check(const char* name, F f, R ref, float limit = INFINITY) {
  bool wanted = g_only_n == 0;
  for (int i = 0; i < g_only_n; ++i) wanted = wanted || std::strcmp(g_only[i], name) == 0;
  if (!wanted) return;
  double worst = 0;
  float at = 0;
  for (uint32_t b = 0; b < 0x7f800000u; ++b) {
    float x;
    std::memcpy(&x, &b, 4);
    if (!(x < limit)) break;
    for (float s : {x, -x}) {
      const double e = ulp_err(f(s), ref(double(s)));
      if (e > worst) worst = e, at = s;
    }
  }
  for (float s : {INFINITY, -INFINITY, NAN}) {
    if (limit != INFINITY) break;
    const double e = ulp_err(f(s), ref(double(s)));
    if (e > worst) worst = e, at = s;
  }
  std::printf("%s: max %.3f ulp at %.9g\n", name, worst, at);
  std::fflush(stdout);
}
// atan2's near part over pairs: random bits, moderate values, and near the diagonals, where
// y / x is close to +-1 (10^8 pairs; the far part is libm's).
void check_atan2() {
  bool wanted = g_only_n == 0;
  for (int i = 0; i < g_only_n; ++i) wanted = wanted || std::strcmp(g_only[i], "atan2") == 0;
  if (!wanted) return;
  std::mt19937_64 rng(42);
  double worst = 0;
  float wy = 0, wx = 0;
  for (long i = 0; i < 100000000; ++i) {
    const uint64_t r = rng();
    const uint32_t by = uint32_t(r), bx = uint32_t(r >> 32);
    float y, x;
    if (i % 3 == 0) {
      std::memcpy(&y, &by, 4);
      std::memcpy(&x, &bx, 4);
    } else if (i % 3 == 1) {
      y = float(int32_t(by)) / 1e9f, x = float(int32_t(bx)) / 1e9f;
    } else {
      x = float(int32_t(bx)) / 1e7f;
      y = x * (1.0f + float(int32_t(by)) * 1e-9f) * ((by & 1) ? -1.0f : 1.0f);
    }
    if (!tk::kernels::Atan2::is_near(y, x)) continue;
    const double e = ulp_err(tk::kernels::Atan2::near(y, x), std::atan2(double(y), double(x)));
    if (e > worst) worst = e, wy = y, wx = x;
  }
  std::printf("atan2: max %.3f ulp at (%.9g, %.9g)\n", worst, wy, wx);
  std::fflush(stdout);
}
// Every float32 x where is_near(x): near(x) and full(x) have the same bits (NaN: both NaN).
template <class Ok, class Near, class Full> void check_split(const char* name, Ok ok, Near near, Full full) {
  bool wanted = g_only_n == 0;
  for (int i = 0; i < g_only_n; ++i) wanted = wanted || std::strcmp(g_only[i], "split") == 0;
  if (!wanted) return;
  long tested = 0, differ = 0;
  float first = 0;
  for (uint64_t b = 0; b <= 0xffffffffull; ++b) {
    const uint32_t u = uint32_t(b);
    float x;
    std::memcpy(&x, &u, 4);
    if (!ok(x)) continue;
    ++tested;
    const float a = near(x), c = full(x);
    if (std::memcmp(&a, &c, 4) != 0 && !(a != a && c != c) && differ++ == 0) first = x;
  }
  std::printf("split %s: %ld in the near range, %ld differ%s", name, tested, differ, differ ? " (first at " : "\n");
  if (differ) std::printf("%.9g)\n", first);
  std::fflush(stdout);
}
template <class F> void check_split_unary(const char* name) {
  check_split(name, [](float x) { return F::is_near(x); }, [](float x) { return F::near(x); },
              [](float x) { return F{}(x, {}); });
}
template <class F> void check_split_grad(const char* name) {  // gradient 1.5: g times the derivative
  check_split(name, [](float x) { return F::is_near(1.5f, x); }, [](float x) { return F::near(1.5f, x); },
              [](float x) { return F{}(1.5f, x); });
}
}  // namespace

int main(int argc, char** argv) {
  g_only = argv + 1;
  g_only_n = argc - 1;
  check("exp2", [](float x) { return tk::kernels::exp2_f32(x); }, [](double x) { return std::exp2(x); });
  check("expm1", [](float x) { return tk::kernels::expm1_f32(x); }, [](double x) { return std::expm1(x); });
  check("sinh", [](float x) { return tk::kernels::hyperbolic_f32<true>(x); }, [](double x) { return std::sinh(x); });
  check("cosh", [](float x) { return tk::kernels::hyperbolic_f32<false>(x); }, [](double x) { return std::cosh(x); });
  check("atan", [](float x) { return tk::kernels::atan_f32(x); }, [](double x) { return std::atan(x); });
  check("asin", [](float x) { return tk::kernels::asin_f32(x); }, [](double x) { return std::asin(x); });
  check("acos", [](float x) { return tk::kernels::acos_f32(x); }, [](double x) { return std::acos(x); });
  check_atan2();
  check("tanh", [](float x) { return tk::kernels::tanh_f32(x); }, [](double x) { return std::tanh(x); });
  check("erf", [](float x) { return tk::kernels::erf_f32(x); }, [](double x) { return std::erf(x); });
  check("erfc", [](float x) { return tk::kernels::erfc_f32(x); }, [](double x) { return std::erfc(x); });
  check("erfinv", [](float x) { return tk::kernels::erfinv_f32(x); }, [](double x) { return tk::kernels::special::erfinv(x); });
  check(
      "gelu", [](float x) { return tk::kernels::gelu_f32(x); },
      [](double x) { return 0.5 * x * std::erfc(-x * 0.70710678118654752440); });
  check("silu", [](float x) { return tk::kernels::silu_f32(x); }, [](double x) { return x / (1 + std::exp(-x)); });
  check("log", [](float x) { return tk::kernels::log_f32(x); }, [](double x) { return std::log(x); });
  check("log1p", [](float x) { return tk::kernels::log1p_f32(x); }, [](double x) { return std::log1p(x); });
  check("log2", [](float x) { return tk::kernels::logb_f32<2>(x); }, [](double x) { return std::log2(x); });
  check("log10", [](float x) { return tk::kernels::logb_f32<10>(x); }, [](double x) { return std::log10(x); });
  using tk::kernels::kTrigNear, tk::kernels::trig_near_f32, tk::kernels::TrigFn;
  check("sin", [](float x) { return trig_near_f32<TrigFn::sin>(x); }, [](double x) { return std::sin(x); }, kTrigNear);
  check("cos", [](float x) { return trig_near_f32<TrigFn::cos>(x); }, [](double x) { return std::cos(x); }, kTrigNear);
  check("tan", [](float x) { return trig_near_f32<TrigFn::tan>(x); }, [](double x) { return std::tan(x); }, kTrigNear);
  check_split_unary<tk::kernels::Exp>("exp");
  check_split_unary<tk::kernels::Sigmoid>("sigmoid");
  check_split_unary<tk::kernels::Gelu>("gelu");
  check_split_unary<tk::kernels::Silu>("silu");
  check_split(
      "expm1 in [-20, 16]", [](float x) { return x >= -20.0f && x <= tk::kernels::kExpm1NearHi; },
      [](float x) { return tk::kernels::expm1_f32<true>(x); }, [](float x) { return tk::kernels::expm1_f32(x); });
  // elu (alpha 1), selu, and celu with alpha -0.5 (a negative input scale): p0, p1, p2 as Elu's
  for (const tk::kernels::UnaryParams p : {tk::kernels::UnaryParams{1.0, 1.0, 1.0},
                                           tk::kernels::UnaryParams{1.0507009873554805 * 1.6732632423543772, 1.0,
                                                                    1.0507009873554805},
                                           tk::kernels::UnaryParams{-0.5, -2.0, 1.0}})
    check_split(
        "elu", [p](float x) { return tk::kernels::Elu::is_near(x, p); },
        [p](float x) { return tk::kernels::Elu::near(x, p); }, [p](float x) { return tk::kernels::Elu{}(x, p); });
  check_split_grad<tk::kernels::GeluBackward>("gelu backward");
  check_split_grad<tk::kernels::SiluBackward>("silu backward");
}
