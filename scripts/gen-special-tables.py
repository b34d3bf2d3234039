#!/usr/bin/env python3
"""Coefficient tables for the special functions, computed here with mpmath.

native/src/kernels/bessel_tables.h: Chebyshev series for the Bessel functions J0, J1, Y0, Y1, K0,
K1 and the Airy function Ai. Each function is split into ranges on which a smooth auxiliary function (zeros and logarithmic
singularities factored out, or the oscillating/exponential factor of the large-argument form
removed) is expanded in a Chebyshev series, computed here with mpmath at 40 digits and truncated
where the terms fall under 1e-18 of the largest, into native/src/kernels/bessel_tables.h (the
plain TypeScript reference computes these functions by other routes, src/plain/bessel.ts).

Run: python3 scripts/gen-special-tables.py && npx clang-format -i native/src/kernels/*_tables.h
(needs mpmath; rerun only to change a table)
"""
import os
import mpmath as mp

mp.mp.dps = 40
NODES = 80
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')


def chebyshev(f):
    """Coefficients c of f(t) ~ c[0] + sum_k c[k] T_k(t) on [-1, 1] (c[0] already halved)."""
    ts = [mp.cos(mp.pi * (j + mp.mpf(1) / 2) / NODES) for j in range(NODES)]
    fs = [f(t) for t in ts]
    c = [2 * mp.fsum(fs[j] * mp.cos(mp.pi * k * (j + mp.mpf(1) / 2) / NODES) for j in range(NODES)) / NODES
         for k in range(NODES)]
    c[0] /= 2
    big = max(abs(v) for v in c)
    n = max(k for k in range(NODES) if abs(c[k]) > 1e-18 * big)
    assert n < NODES - 10, 'series did not converge within the node count'
    return [float(v) for v in c[:n + 1]]


def split(z):
    hi = float(z)
    return hi, float(z - mp.mpf(hi))


J0_ZEROS = [mp.besseljzero(0, 1), mp.besseljzero(0, 2)]
J1_ZEROS = [mp.besseljzero(1, 1), mp.besseljzero(1, 2)]
ZETA0 = mp.mpf(2) / 3 * mp.mpf(2) ** mp.mpf(1.5)  # zeta at |x| = 2, where Ai's outer ranges start


def small(t):  # x in (0, 8]: u = x^2 = 32 (t + 1)
    return mp.sqrt(32 * (t + 1))


def large(t):  # x in [8, inf): 64 / x^2 = (t + 1) / 2
    return 8 / mp.sqrt((t + 1) / 2)


def pq(nu, t):
    x = large(t)
    chi = x - (2 * nu + 1) * mp.pi / 4
    j, y, s = mp.besselj(nu, x), mp.bessely(nu, x), mp.sqrt(mp.pi * x / 2)
    return s * (j * mp.cos(chi) + y * mp.sin(chi)), s * (y * mp.cos(chi) - j * mp.sin(chi))


def k_small(t):  # x in (0, 2]: u = x^2 = 2 (t + 1)
    return mp.sqrt(2 * (t + 1))


def k_large(t):  # x in [2, inf): 2 / x = (t + 1) / 2
    return 4 / (t + 1)


def ai_outer(t):  # |x| in [2, inf): zeta0 / zeta = (t + 1) / 2
    zeta = 2 * ZETA0 / (t + 1)
    return zeta, (mp.mpf(3) / 2 * zeta) ** (mp.mpf(2) / 3)


def ai_negative(t):  # x = -y, y in [2, inf)
    zeta, y = ai_outer(t)
    theta = zeta + mp.pi / 4
    a, b, s = mp.airyai(-y), mp.airybi(-y), mp.sqrt(mp.pi) * y ** (mp.mpf(1) / 4)
    return s * (a * mp.sin(theta) + b * mp.cos(theta)), s * (b * mp.sin(theta) - a * mp.cos(theta))


def prod_zeros(x, zeros):
    return mp.fprod(x * x - z * z for z in zeros)


TABLES = [
    ('j0_small', 'J0(x) / ((x^2 - j01^2)(x^2 - j02^2)), x <= 8, t = x^2 / 32 - 1',
     lambda t: mp.besselj(0, small(t)) / prod_zeros(small(t), J0_ZEROS)),
    ('j1_small', 'J1(x) / (x (x^2 - j11^2)(x^2 - j12^2)), x <= 8, t = x^2 / 32 - 1',
     lambda t: mp.besselj(1, small(t)) / (small(t) * prod_zeros(small(t), J1_ZEROS))),
    ('y0_small', 'Y0(x) - 2/pi ln(x) J0(x), x <= 8, t = x^2 / 32 - 1',
     lambda t: mp.bessely(0, small(t)) - 2 / mp.pi * mp.log(small(t)) * mp.besselj(0, small(t))),
    ('y1_small', '(Y1(x) - 2/pi (ln(x) J1(x) - 1/x)) / x, x <= 8, t = x^2 / 32 - 1',
     lambda t: (mp.bessely(1, small(t)) - 2 / mp.pi * (mp.log(small(t)) * mp.besselj(1, small(t)) - 1 / small(t)))
     / small(t)),
    ('p0_large', 'P0 of J0 = sqrt(2/(pi x)) (P0 cos(x - pi/4) - Q0 sin(x - pi/4)), x >= 8, t = 128/x^2 - 1',
     lambda t: pq(0, t)[0]),
    ('q0_large', 'x Q0 (Y0 = sqrt(2/(pi x)) (P0 sin + Q0 cos); Q0 is odd in 1/x), x >= 8',
     lambda t: large(t) * pq(0, t)[1]),
    ('p1_large', 'P1, as P0 with x - 3pi/4, x >= 8', lambda t: pq(1, t)[0]),
    ('q1_large', 'x Q1, as x Q0 with x - 3pi/4, x >= 8', lambda t: large(t) * pq(1, t)[1]),
    ('k0_small', 'K0(x) + ln(x/2) I0(x), x <= 2, t = x^2 / 2 - 1',
     lambda t: mp.besselk(0, k_small(t)) + mp.log(k_small(t) / 2) * mp.besseli(0, k_small(t))),
    ('k1_small', '(K1(x) - ln(x/2) I1(x) - 1/x) / x, x <= 2, t = x^2 / 2 - 1',
     lambda t: (mp.besselk(1, k_small(t)) - mp.log(k_small(t) / 2) * mp.besseli(1, k_small(t)) - 1 / k_small(t))
     / k_small(t)),
    ('k0_large', 'K0(x) e^x sqrt(x), x >= 2, t = 4/x - 1',
     lambda t: mp.besselk(0, k_large(t)) * mp.exp(k_large(t)) * mp.sqrt(k_large(t))),
    ('k1_large', 'K1(x) e^x sqrt(x), x >= 2, t = 4/x - 1',
     lambda t: mp.besselk(1, k_large(t)) * mp.exp(k_large(t)) * mp.sqrt(k_large(t))),
    ('ai_middle', 'Ai(x), |x| <= 2, t = x / 2', lambda t: mp.airyai(2 * t)),
    ('ai_positive', 'Ai(x) 2 sqrt(pi) x^(1/4) e^zeta, zeta = 2/3 x^(3/2), x >= 2, t = 2 zeta0/zeta - 1',
     lambda t: (lambda z, x: mp.airyai(x) * 2 * mp.sqrt(mp.pi) * x ** (mp.mpf(1) / 4) * mp.exp(z))(*ai_outer(t))),
    ('ai_negative_a', 'A of Ai(-y) = y^(-1/4)/sqrt(pi) (A sin(zeta + pi/4) - B cos(zeta + pi/4)), y >= 2, '
     't = 2 zeta0/zeta - 1', lambda t: ai_negative(t)[0]),
    ('ai_negative_b', 'B, of the same', lambda t: ai_negative(t)[1]),
]

# The zeros as hi + lo pairs (x - hi is exact near a zero); zeta0 needs no low part.
ZEROS = [
    ('kJ01', split(J0_ZEROS[0])), ('kJ02', split(J0_ZEROS[1])),
    ('kJ11', split(J1_ZEROS[0])), ('kJ12', split(J1_ZEROS[1])),
]


def rational_fit(f, lo, hi, m, n, points=300, iterations=30):
    """P/Q (degrees m, n; q0 = 1) nearest f in relative error on [lo, hi]: each pass solves the
    least-squares problem (P - f Q) / (f Q_prev) weighted by Lawson's weights, which grow where the
    error is largest; the best pass is kept. Returns (max relative error, p, q), low order first."""
    xs = [(lo + hi) / 2 + (hi - lo) / 2 * mp.cos(mp.pi * (j + mp.mpf(1) / 2) / points) for j in range(points)]
    fs = [f(x) for x in xs]
    q_prev, w, best = [mp.mpf(1)] * points, [mp.mpf(1)] * points, None
    for _ in range(iterations):
        a, b = mp.matrix(points, m + 1 + n), mp.matrix(points, 1)
        for i, (x, fx) in enumerate(zip(xs, fs)):
            s = mp.sqrt(w[i]) / (fx * q_prev[i])
            for k in range(m + 1):
                a[i, k] = x ** k * s
            for k in range(1, n + 1):
                a[i, m + k] = -fx * x ** k * s
            b[i] = fx * s
        sol = mp.qr_solve(a, b)[0]
        p = [sol[k] for k in range(m + 1)]
        q = [mp.mpf(1)] + [sol[m + k] for k in range(1, n + 1)]
        q_prev = [mp.polyval(q[::-1], x) for x in xs]
        errs = [abs(mp.polyval(p[::-1], x) / qx - fx) / abs(fx) for x, qx, fx in zip(xs, q_prev, fs)]
        if best is None or max(errs) < best[0]:
            best = (max(errs), p, q)
        total = mp.fsum(wi * e for wi, e in zip(w, errs))
        w = [wi * e / total * points for wi, e in zip(w, errs)]
    return best


def ndtri_of_r(r):
    """ndtri(exp(-r^2)), solved in log space (mpmath's exponent range has no underflow)."""
    r = mp.mpf(r)
    return mp.findroot(lambda x: mp.log(mp.ncdf(x)) + r * r, -r * mp.sqrt(2))


NDTRI_SPLIT = 0.425  # |q - 1/2| <= 0.425: the centre; beyond, the tails
NDTRI_R0, NDTRI_R1, NDTRI_RMAX = mp.sqrt(-mp.log(mp.mpf(0.5) - mp.mpf(NDTRI_SPLIT))), 5, 27.3
NDTRI = [
    # in w = 0.425^2 - t^2, measured from the edge, the coefficients come out of one sign (in t^2
    # they alternate, and Horner's rule loses digits to their cancellation)
    ('ndtri_centre', 'ndtri(1/2 + t) / t as a function of w = 0.425^2 - t^2, |t| <= 0.425',
     lambda w: (lambda t: mp.sqrt(2) * mp.erfinv(2 * t) / t)(mp.sqrt(mp.mpf(NDTRI_SPLIT) ** 2 - w)),
     mp.mpf(0), mp.mpf(NDTRI_SPLIT) ** 2 - mp.mpf(1e-30)),
    ('ndtri_tail_near', '-ndtri(q) as a function of u = r - r0, r = sqrt(-log q) in [r0, 5], r0 = sqrt(-log 0.075)',
     lambda u: -ndtri_of_r(u + NDTRI_R0), mp.mpf(0), NDTRI_R1 - NDTRI_R0),
    ('ndtri_tail_far', '-ndtri(q) as a function of u = r - 5, r in [5, 27.3] (q down to the least subnormal)',
     lambda u: -ndtri_of_r(u + NDTRI_R1), mp.mpf(0), NDTRI_RMAX - NDTRI_R1),
]


BESSEL_I = [
    # below 8, I itself is a rational function of u = x^2 to 1e-17 (I1 as I1(x) / x); from 8 to 30
    # the scaled amplitude e^-x sqrt(x) I in x - 8 (in 1/x the coefficients alternate in sign and
    # Horner's rule loses 190 ulp to their cancellation; in x - 8 they are all positive); beyond 30
    # the asymptotic series converges to an ulp in a few terms (special_more.h)
    ('i0_small', 'I0(x) as a function of u = x^2, x <= 8', lambda u: mp.besseli(0, mp.sqrt(u)), mp.mpf(0), mp.mpf(64), 7),
    ('i1_small', 'I1(x) / x as a function of u = x^2, x <= 8',
     lambda u: mp.besseli(1, mp.sqrt(u)) / mp.sqrt(u), mp.mpf(1e-30), mp.mpf(64), 7),
    ('i0_mid', 'I0(x) e^-x sqrt(x) as a function of v = x - 8, 8 <= x <= 30',
     lambda v: mp.besseli(0, v + 8) * mp.exp(-(v + 8)) * mp.sqrt(v + 8), mp.mpf(0), mp.mpf(22), 8),
    ('i1_mid', 'I1(x) e^-x sqrt(x) as a function of v = x - 8, 8 <= x <= 30',
     lambda v: mp.besseli(1, v + 8) * mp.exp(-(v + 8)) * mp.sqrt(v + 8), mp.mpf(0), mp.mpf(22), 8),
]


def write_rationals(path, namespace, what, constants, entries):
    """Fits each entry (name, doc, f, lo, hi, degree) and writes P(v) / Q(v) evaluators."""
    lines = ['// Generated by scripts/gen-special-tables.py (mpmath, 50 digits); do not edit. Rational',
             f'// approximations P(v) / Q(v) {what}, coefficients low order first.',
             '#pragma once', '#include "kernels/series.h"', '', f'namespace tk::kernels::special::{namespace} {{', '']
    lines += constants + ([''] if constants else [])
    for name, doc, f, lo, hi, m in entries:
        err, p, q = rational_fit(f, lo, hi, m, m)
        print(f'{name}: {m}/{m}, max relative error {mp.nstr(err, 3)}')
        lines += [f'// {doc}; max relative error {mp.nstr(err, 2)}', f'TK_HD_CALL inline double {name}(double v) {{',
                  f'  TK_TABLE double p[{m + 1}] = {{{", ".join(repr(float(c)) for c in p)}}};',
                  f'  TK_TABLE double q[{m + 1}] = {{{", ".join(repr(float(c)) for c in q)}}};',
                  '  return horner(p, v) / horner(q, v);', '}']
    lines += ['', f'}}  // namespace tk::kernels::special::{namespace}', '']
    with open(os.path.join(ROOT, path), 'w') as out:
        out.write('\n'.join(lines))


def write_ndtri():
    constants = [f'constexpr double kSplit = {NDTRI_SPLIT!r}, kR0 = {float(NDTRI_R0)!r}, kR1 = {float(NDTRI_R1)!r};']
    write_rationals('native/src/kernels/ndtri_tables.h', 'ndtri_tables', 'to the normal quantile', constants,
                    [(name, doc, f, lo, hi, 7) for name, doc, f, lo, hi in NDTRI])


def main():
    tables = [(name, doc, chebyshev(f)) for name, doc, f in TABLES]
    header = ['// Generated by scripts/gen-special-tables.py (mpmath, 40 digits); do not edit. Chebyshev',
              '// coefficients c of f(t) = c[0] + sum_k c[k] T_k(t), c[0] already halved; one function per',
              '// table so that device code reads them as constants (a namespace-scope array is host-only).',
              '#pragma once', '#include "kernels/series.h"', '', 'namespace tk::kernels::special::bessel_tables {', '']
    for name, (hi, lo) in ZEROS:
        header.append(f'constexpr double {name}Hi = {hi!r}, {name}Lo = {lo!r};')
    header += [f'constexpr double kAiryZeta0 = {float(ZETA0)!r};', '']
    for name, doc, c in tables:
        body = ', '.join(repr(v) for v in c)
        header += [f'// {doc}', f'TK_HD_CALL inline double {name}(double t) {{',
                   f'  TK_TABLE double c[{len(c)}] = {{{body}}};', '  return chebyshev(c, t);', '}']
    header += ['', '}  // namespace tk::kernels::special::bessel_tables', '']
    with open(os.path.join(ROOT, 'native/src/kernels/bessel_tables.h'), 'w') as out:
        out.write('\n'.join(header))
    for name, _, c in tables:
        print(f'{name}: {len(c)} terms')
    write_ndtri()
    write_rationals('native/src/kernels/bessel_i_tables.h', 'bessel_i_tables',
                    'to the modified Bessel functions I0 and I1', [], BESSEL_I)


if __name__ == '__main__':
    main()
