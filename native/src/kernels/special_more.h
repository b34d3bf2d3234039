// torch.special's functions beyond the gamma family (functors.h): the modified Bessel functions
// I0 and I1 (and their exponentially scaled forms), the standard normal's quantile (ndtri) and log
// CDF (log_ndtr), the scaled complementary error function erfcx, and the regularized incomplete
// gamma functions. Computed in double whatever the tensor's dtype, as functors.h's special
// functions; included by functors.h after them (it uses their helpers).
//
// Contracts (torch 1.13's values at the edges): i0/i1 of +-inf are +inf/+-inf, i0e/i1e of +-inf
// are 0; ndtri(0) = -inf, ndtri(1) = +inf, NaN outside [0, 1]; gammainc/gammaincc return NaN for a
// negative argument and follow torch's table for the zero and infinite ones.
#pragma once
#include <cmath>

#include "kernels/bessel_i_tables.h"
#include "kernels/ndtri_tables.h"

namespace tk::kernels::special {

// I0 and I1: below 8 rational functions of x^2 (bessel_i_tables.h, fitted with mpmath by
// scripts/gen-special-tables.py, relative error ~1e-17 before rounding), from 8 to 30 rational
// functions of x - 8 for e^-x sqrt(x) I, and past kBesselSeries the large-argument expansion
// e^x / sqrt(2 pi x) * sum_k (-1)^k a_k(nu) / x^k, a_k = prod_{j<=k} (4 nu^2 - (2j - 1)^2) / (k! 8^k),
// whose terms shrink to well under an ulp there. `scaled` returns the value times e^-|x|.
constexpr double kBesselSeries = 30.0;
TK_HD_CALL inline double bessel_i(int nu, double x, bool scaled) {
  namespace it = bessel_i_tables;
  if (x != x) return x;
  const double ax = std::fabs(x);
  const double sign = (nu == 1 && x < 0) ? -1.0 : 1.0;
  if (ax == inf_value()) return scaled ? 0.0 : sign * inf_value();
  if (ax <= 8) {
    const double u = ax * ax;
    const double r = nu == 0 ? it::i0_small(u) : ax * it::i1_small(u);
    return sign * (scaled ? r * std::exp(-ax) : r);
  }
  double base;  // I e^-x sqrt(x)
  if (ax <= kBesselSeries) {
    base = nu == 0 ? it::i0_mid(ax - 8) : it::i1_mid(ax - 8);
  } else {
    const double mu = 4.0 * nu * nu;
    double term = 1.0, sum = 1.0;
    for (int k = 1; k < 60; ++k) {
      const double odd = 2.0 * k - 1.0;
      term *= -(mu - odd * odd) / (double(k) * 8.0 * ax);
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * 1e-17) break;
    }
    base = sum / std::sqrt(2 * kPi);
  }
  const double scaled_value = base / std::sqrt(ax);
  // e^x split in two so that x up to ~1418 does not overflow before the division by sqrt(x)
  return sign * (scaled ? scaled_value : scaled_value * std::exp(0.5 * ax) * std::exp(0.5 * ax));
}

// erfcx(x) = e^(x^2) erfc(x). Below 26, erfc is accurate to an ulp and x^2 is split exactly
// (fma), so the product keeps full precision; beyond, the asymptotic series of 1 / (x sqrt(pi)).
// Negative x: 2 e^(x^2) - erfcx(-x) (no cancellation: the first term dominates).
TK_HD_CALL inline double erfcx(double x) {
  if (x != x) return x;
  if (x < 0) {
    if (x < -26.7) return inf_value();
    const double hi = x * x, lo = std::fma(x, x, -hi);
    return 2 * std::exp(hi) * (1 + lo) - erfcx(-x);
  }
  if (x < 26) {
    const double hi = x * x, lo = std::fma(x, x, -hi);
    return std::exp(hi) * (1 + lo) * std::erfc(x);
  }
  if (x == inf_value()) return 0.0;
  const double z = 1 / (2 * x * x);
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 20; ++k) {
    term *= -(2.0 * k - 1.0) * z;
    sum += term;
    if (std::fabs(term) < 1e-17) break;
  }
  return sum / (x * std::sqrt(kPi));
}

// The standard normal CDF, from erfc (accurate in both tails).
TK_HD_CALL inline double ndtr(double x) { return 0.5 * std::erfc(-x * 0.70710678118654752440); }

// log of the standard normal CDF: log1p(-ndtr(-x)) in the upper range, and below -1
// log(erfcx(-x / sqrt 2) / 2) - x^2 / 2, finite down to -1e154 (torch's formula).
TK_HD_CALL inline double log_ndtr(double x) {
  const double t = x * 0.70710678118654752440;
  if (x < -1) return std::log(erfcx(-t) / 2) - t * t;
  return std::log1p(-std::erfc(t) / 2);
}

// The standard normal quantile by rational approximations of our own (ndtri_tables.h, fitted with
// mpmath by scripts/gen-special-tables.py, relative error under 1e-16 before rounding): in the
// centre x = t P(w) / Q(w) with t = q - 1/2, w = 0.425^2 - t^2, in the tails -P(u) / Q(u) in u = sqrt(-log q) - r.
// Computed on the lower half, where q keeps its relative precision; p > 1/2 by symmetry on
// 1 - p (exact there).
TK_HD_CALL inline double ndtri(double p) {
  namespace nt = ndtri_tables;
  if (!(p >= 0 && p <= 1)) return nan_value();
  if (p == 0) return -inf_value();
  if (p == 1) return inf_value();
  const bool upper = p > 0.5;
  const double q = upper ? 1 - p : p;
  double x;
  if (q >= 0.5 - nt::kSplit) {
    const double t = q - 0.5;
    x = t * nt::ndtri_centre(nt::kSplit * nt::kSplit - t * t);
  } else {
    const double r = std::sqrt(-std::log(q));
    x = r < nt::kR1 ? -nt::ndtri_tail_near(r - nt::kR0) : -nt::ndtri_tail_far(r - nt::kR1);
  }
  return upper ? -x : x;
}

// The regularized incomplete gamma functions P(a, x) (gammainc) and Q(a, x) = 1 - P (gammaincc):
// Cephes' igam (the power series, for x < a + 1) and igamc (the continued fraction), each
// computing the other's complement, with torch's values at zero and infinite arguments.
TK_HD_CALL inline double gamma_prefix(double a, double x) { return std::exp(a * std::log(x) - x - lgamma(a)); }
TK_HD_CALL inline double igam_series(double a, double x) {
  const double machep = 1.11022302462515654042E-16;
  double r = a, c = 1, sum = 1;
  for (int i = 0; i < 100000; ++i) {
    r += 1;
    c *= x / r;
    sum += c;
    if (c <= sum * machep) break;
  }
  return sum * gamma_prefix(a, x) / a;
}
TK_HD_CALL inline double igamc_fraction(double a, double x) {
  const double machep = 1.11022302462515654042E-16, big = 4.503599627370496e15, biginv = 2.22044604925031308085e-16;
  double y = 1 - a, z = x + y + 1, c = 0;
  double pkm2 = 1, qkm2 = x, pkm1 = x + 1, qkm1 = z * x;
  double ans = pkm1 / qkm1, t;
  int i = 0;
  do {
    c += 1;
    y += 1;
    z += 2;
    const double yc = y * c, pk = pkm1 * z - pkm2 * yc, qk = qkm1 * z - qkm2 * yc;
    if (qk != 0) {
      const double r = pk / qk;
      t = std::fabs((ans - r) / r);
      ans = r;
    } else {
      t = 1;
    }
    pkm2 = pkm1;
    pkm1 = pk;
    qkm2 = qkm1;
    qkm1 = qk;
    if (std::fabs(pk) > big) {
      pkm2 *= biginv;
      pkm1 *= biginv;
      qkm2 *= biginv;
      qkm1 *= biginv;
    }
  } while (t > machep && ++i < 100000);
  return ans * gamma_prefix(a, x);
}
// upper: Q(a, x), else P(a, x).
TK_HD_CALL inline double igamma(double a, double x, bool upper) {
  if (a != a || x != x || a < 0 || x < 0) return nan_value();
  if (a == 0) return x > 0 ? (upper ? 0.0 : 1.0) : nan_value();
  if (x == 0) return upper ? 1.0 : 0.0;
  if (a == inf_value()) return x == inf_value() ? nan_value() : (upper ? 1.0 : 0.0);
  if (x == inf_value()) return upper ? 0.0 : 1.0;
  if (x < a + 1) {
    const double p = igam_series(a, x);
    return upper ? 1 - p : p;
  }
  const double q = igamc_fraction(a, x);
  return upper ? q : 1 - q;
}

}  // namespace tk::kernels::special
