# PyTorch's side of scripts/compare/special.ts: the same ops, sizes and timing rule.
import time, torch
torch.set_num_threads(1)
n = 1 << 20
x = torch.rand(n, dtype=torch.float64) * 10 + 0.1
p = torch.rand(n, dtype=torch.float64) * 0.98 + 0.01
ai = x * 2 - 10
a = torch.randint(0, 1 << 30, (n,), dtype=torch.int64)
S = torch.special
cases = [("i0", lambda: torch.i0(x)), ("i0e", lambda: S.i0e(x)), ("i1e", lambda: S.i1e(x)), ("erfcx", lambda: S.erfcx(x)), ("ndtri", lambda: S.ndtri(p)), ("logNdtr", lambda: S.log_ndtr(-x)),
         ("gammainc", lambda: S.gammainc(x, x * 0.9)), ("zeta", lambda: S.zeta(x + 1.5, x)), ("besselJ0", lambda: S.bessel_j0(x)), ("besselY1", lambda: S.bessel_y1(x)), ("besselY0", lambda: S.bessel_y0(x)), ("besselJ1", lambda: S.bessel_j1(x)), ("modifiedBesselK0", lambda: S.modified_bessel_k0(x)),
         ("scaledModifiedBesselK1", lambda: S.scaled_modified_bessel_k1(x)), ("sphericalBesselJ0", lambda: S.spherical_bessel_j0(x)),
         ("airyAi", lambda: S.airy_ai(ai)), ("bitwiseAnd", lambda: a & a), ("gcd", lambda: torch.gcd(a, a + 7))]
for name, f in cases:
    ts = []
    for i in range(9):
        t0 = time.perf_counter(); f(); ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    print(name, "%.2f" % ts[4])
