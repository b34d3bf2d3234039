#!/usr/bin/env python3
"""Fits the float32 tanh and erf polynomials of native/src/kernels/functors.h (tanh_f32, erf_f32).

Least squares on Chebyshev nodes (close to minimax), in double, printed as float literals:
  tanh(x) = x + x^3 P(x^2)            |x| <= 0.7       P of degree 5 in z = x^2 over [0, 0.49]
  erf(x)  = x P(x^2)                  |x| <= 1         P of degree 6 in z over [0, 1]
  erf(x)  = 1 - exp(-x^2) R(x)        1 < |x| <= 3.95  R of degree 10 in t = (x - 2.475) / 1.475
(for |x| > 0.7 tanh uses 1 - 2 / (exp(2|x|) + 1) with the kernels' exp). scripts/check-activations.cpp
checks the result on every float32: 1.07 ulp (tanh) and 2.52 ulp (erf) at most
(2.43 with fused multiply-adds).

Usage: python3 scripts/fit-activations.py   (numpy and scipy)
"""
import numpy as np
from scipy.special import erf, erfc


def fit(f, lo, hi, deg, n=20000):
    """Coefficients, lowest first, of the degree-`deg` fit to f over [lo, hi], in the variable itself."""
    t = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    x = (lo + hi) / 2 + (hi - lo) / 2 * t
    cc, *_ = np.linalg.lstsq(np.polynomial.chebyshev.chebvander(t, deg), f(x), rcond=None)
    return np.polynomial.Chebyshev(cc, domain=[lo, hi]).convert(kind=np.polynomial.Polynomial).coef


def fit_scaled(f, lo, hi, deg, n=20000):
    """As fit, but in t = (x - mid) / half-width, which keeps the float32 Horner sum well conditioned."""
    t = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    x = (lo + hi) / 2 + (hi - lo) / 2 * t
    cc, *_ = np.linalg.lstsq(np.polynomial.chebyshev.chebvander(t, deg), f(x), rcond=None)
    return np.polynomial.Chebyshev(cc).convert(kind=np.polynomial.Polynomial).coef


def tanh_tail(z):
    """(tanh(x) - x) / x^3 as a function of z = x^2 (its series near 0)."""
    x = np.sqrt(z)
    out = np.empty_like(z)
    small = z < 1e-4
    out[~small] = (np.tanh(x[~small]) - x[~small]) / (z[~small] * x[~small])
    zs = z[small]
    out[small] = -1 / 3 + 2 / 15 * zs - 17 / 315 * zs**2 + 62 / 2835 * zs**3
    return out


def erf_over_x(z):
    return np.where(z > 0, erf(np.sqrt(z)) / np.sqrt(np.maximum(z, 1e-300)), 2 / np.sqrt(np.pi))


def show(name, c):
    print(f"{name} (lowest first): " + ", ".join("%.9ef" % v for v in c))


show("tanh P", fit(tanh_tail, 0, 0.7**2, 5))
show("erf P", fit(erf_over_x, 0, 1.0, 6))
show("erf R", fit_scaled(lambda x: erfc(x) * np.exp(x * x), 1.0, 3.95, 10))
print("erf R's t = (x - 2.475) * %.16g" % (2 / (3.95 - 1.0)))
