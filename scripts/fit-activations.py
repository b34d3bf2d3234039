#!/usr/bin/env python3
"""Fits the polynomials of native/src/kernels/f32_math.h (tanh_f32, erf_f32, log_f32, gelu_f32).

Least squares on Chebyshev nodes (close to minimax), in double, printed as float literals:
  tanh(x) = x + x^3 P(x^2)            |x| <= 0.7       P of degree 5 in z = x^2 over [0, 0.49]
  erf(x)  = x P(x^2)                  |x| <= 1         P of degree 6 in z over [0, 1]
  erf(x)  = 1 - exp(-x^2) R(x)        1 < |x| <= 3.95  R of degree 10 in t = (x - 2.475) / 1.475
  log(m)  = f - f^2/2 + f^3 P(f)       f = m - 1, m in [sqrt(1/2), sqrt(2))   P of degree 8
  Q(s)    = exp(-s^2/2) P(s) / D(s)    0 <= s <= 14.4   Q = Phi(-s), the normal upper tail, for gelu;
                                       P of degree 4, D of degree 5 with D(0) = 1, in double (gelu_f32
                                       evaluates it in double), fitted for relative error
  sin(r)  = r + r^3 P(r^2)            |r| <= pi/2 + 0.02   P of degree 5, in double (trig_near_f32's
                                       sin and cos), fitted for relative error
(for |x| > 0.7 tanh uses 1 - 2 / (exp(2|x|) + 1) with the kernels' exp; log1p is built on log).
scripts/check-activations.cpp checks the results on every float32: at most 1.07 ulp (tanh),
2.52 (erf), 0.89 (log) and 2.47 (log1p).

Usage: python3 scripts/fit-activations.py   (numpy and scipy)
"""
import numpy as np
from scipy.special import erf, erfc, erfcx


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


def log_tail(f):
    """(log(1 + f) - f + f^2/2) / f^3 (its series near 0)."""
    out = np.empty_like(f)
    small = np.abs(f) < 1e-3
    out[~small] = (np.log1p(f[~small]) - f[~small] + f[~small] ** 2 / 2) / f[~small] ** 3
    fs = f[small]
    out[small] = 1 / 3 - fs / 4 + fs**2 / 5 - fs**3 / 6 + fs**4 / 7
    return out


def fit_rational(f, lo, hi, m, n, n_pts=20000, rounds=100):
    """P (degree m) and D (degree n, D(0) = 1), lowest first, with P / D close to f in relative error
    over [lo, hi]: linearised least squares (P - f D = 0, weighted by 1 / (f D_previous)) with
    Lawson's reweighting toward the largest errors (close to minimax)."""
    t = np.cos(np.pi * (np.arange(n_pts) + 0.5) / n_pts)
    x = np.concatenate([(lo + hi) / 2 + (hi - lo) / 2 * t, np.linspace(lo, hi, n_pts)])
    y = f(x)
    vp = np.vander(x, m + 1, increasing=True)
    vd = np.vander(x, n + 1, increasing=True)[:, 1:]
    d_prev, w = np.ones_like(x), np.ones_like(x)
    for _ in range(rounds):
        scale = w / (y * d_prev)
        c, *_ = np.linalg.lstsq(np.hstack([vp, -y[:, None] * vd]) * scale[:, None], y * scale, rcond=None)
        d_prev = 1 + vd @ c[m + 1 :]
        err = (vp @ c[: m + 1]) / d_prev / y - 1
        w = np.maximum(w * np.sqrt(np.abs(err)), 1e-8)
        w /= w.max()
    print("gelu rational: max relative error %.2e" % np.abs(err).max())
    return c[: m + 1], np.concatenate([[1.0], c[m + 1 :]])


def erf_over_x(z):
    return np.where(z > 0, erf(np.sqrt(z)) / np.sqrt(np.maximum(z, 1e-300)), 2 / np.sqrt(np.pi))


def sin_fit(deg=5, a=np.pi / 2 + 0.02, n=20000):
    """P with r + r^3 P(r^2) close to sin r in relative error for |r| <= a (lowest first)."""
    z = a * a / 2 * (np.cos(np.pi * (np.arange(n) + 0.5) / n) + 1)
    r = np.sqrt(z)
    tgt = np.where(z > 1e-6, (np.sin(r) - r) / (r * np.maximum(z, 1e-300)), -1 / 6 + z / 120)
    w = r * z / np.where(r > 0, np.sin(r), 1)  # an error in P, relative to sin r
    c, *_ = np.linalg.lstsq(np.stack([z**j for j in range(deg + 1)], 1) * w[:, None], tgt * w, rcond=None)
    return c


def show(name, c):
    print(f"{name} (lowest first): " + ", ".join("%.9ef" % v for v in c))


show("tanh P", fit(tanh_tail, 0, 0.7**2, 5))
show("erf P", fit(erf_over_x, 0, 1.0, 6))
show("erf R", fit_scaled(lambda x: erfc(x) * np.exp(x * x), 1.0, 3.95, 10))
print("erf R's t = (x - 2.475) * %.16g" % (2 / (3.95 - 1.0)))
show("log P", fit(log_tail, np.sqrt(0.5) - 1, np.sqrt(2) - 1, 8))
num, den = fit_rational(lambda s: 0.5 * erfcx(s / np.sqrt(2.0)), 0.0, 14.4, 4, 5)
print("gelu P (lowest first): " + ", ".join("%.17g" % v for v in num))
print("gelu D (lowest first): " + ", ".join("%.17g" % v for v in den))
print("sin P (lowest first): " + ", ".join(repr(float(v)) for v in sin_fit()))
