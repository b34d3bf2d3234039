// Evaluating the generated coefficient tables (bessel_tables.h, ndtri_tables.h): Chebyshev series
// by Clenshaw's recurrence and polynomials by Horner's rule. A table is a function-local constant
// (TK_TABLE) so that device code can read it: a namespace-scope array would be host-only.
#pragma once

#if defined(__CUDA_ARCH__)
#define TK_TABLE constexpr
#else
#define TK_TABLE static constexpr
#endif

namespace tk::kernels::special {

// c[0] + sum_{k >= 1} c[k] T_k(t) (c[0] is stored halved).
template <int N> TK_HD_CALL inline double chebyshev(const double (&c)[N], double t) {
  const double t2 = 2 * t;
  double b1 = 0, b2 = 0;
  for (int k = N - 1; k >= 1; --k) {
    const double b0 = t2 * b1 - b2 + c[k];
    b2 = b1;
    b1 = b0;
  }
  return t * b1 - b2 + c[0];
}

// sum_k c[k] v^k (low order first).
template <int N> TK_HD_CALL inline double horner(const double (&c)[N], double v) {
  double r = c[N - 1];
  for (int k = N - 2; k >= 0; --k) r = r * v + c[k];
  return r;
}

}  // namespace tk::kernels::special
