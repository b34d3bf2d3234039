// The derivatives of the dense factorizations (torch.linalg's cholesky, lu_factor,
// solve_triangular, eigh, svd and qr), split from the derivative table (derivatives.cpp), which
// names them in its rows. PyTorch's formulas (FunctionsManual.cpp; real case), written in
// differentiable ops so they nest. Triangles are taken with constant masks; inverses only ever as
// triangular solves.
#include <algorithm>
#include <string>
#include <utility>

#include "autograd/derivatives.h"
#include "autograd/functions.h"
#include "ops/internal.h"

namespace tk::autograd {
namespace {
using namespace fn;

Tensor gather_op(const Tensor& x, int64_t d, const Tensor& idx) { return op(OpId::gather, {x, idx}, {num(double(d))}); }

// A constant [r, c] mask in dt: 1 where col - row <= k (lower) or >= k (upper).
Tensor tri_mask(int64_t r, int64_t c, int64_t k, bool lower, DType dt, Device d) {
  Tensor rows = tk::reshape(arange(0, double(r), 1, DType::Int64, d), std::vector<int64_t>{r, 1});
  Tensor cols = tk::reshape(arange(0, double(c), 1, DType::Int64, d), std::vector<int64_t>{1, c});
  Tensor diff = binary(BinaryOp::sub, cols, rows);
  return fn::mask(binary(lower ? BinaryOp::le : BinaryOp::ge, diff, scalar(double(k))), dt);
}

int64_t rows_of(const Tensor& x) { return x.shape()[x.ndim() - 2]; }
int64_t cols_of(const Tensor& x) { return x.shape()[x.ndim() - 1]; }
Tensor tril(const Tensor& x, int64_t k = 0) {
  return mul(x, tri_mask(rows_of(x), cols_of(x), k, true, x.dtype(), x.device()));
}
Tensor triu(const Tensor& x, int64_t k = 0) {
  return mul(x, tri_mask(rows_of(x), cols_of(x), k, false, x.dtype(), x.device()));
}
// The [r, c] identity (ones where row == col) in x's dtype and device.
Tensor identity(int64_t r, int64_t c, const Tensor& x) {
  return mul(tri_mask(r, c, 0, true, x.dtype(), x.device()), tri_mask(r, c, 0, false, x.dtype(), x.device()));
}
Tensor identity(int64_t n, const Tensor& x) { return identity(n, n, x); }
// v [..., n] -> [..., n, n] with v on the diagonal.
Tensor diag_embed(const Tensor& v) {
  const int64_t n = v.shape()[v.ndim() - 1];
  return mul(fn::unsqueeze(v, -1), identity(n, v));
}
Tensor solve_tri(const Tensor& a, const Tensor& b, bool upper, bool left, bool unit = false) {
  return op(OpId::linalg_solve_triangular, {a, b}, {flag(upper), flag(left), flag(unit)});
}

// A = Q R with rows >= cols: gA = (gQ + Q N) R^-T, N the upper triangle of M = R gR^T - gQ^T Q
// mirrored below (derived from Q^T dQ being skew). Wide A = [X | Y]: X = Q R1 as above with gQ
// + Y gR2^T, and gY = Q gR2.
Tensor qr_square_grad(const Tensor& gQ, const Tensor& gR, const Tensor& Q, const Tensor& R) {
  const Tensor M = sub(fn::matmul(gR, mT(R)), fn::matmul(mT(Q), gQ));
  const Tensor N = add(triu(M), tril(mT(M), -1));
  return solve_tri(mT(R), add(gQ, fn::matmul(Q, N)), false, false);
}
}  // namespace

// A = L L^T: gA = L^-T P L^-1, P = 1/2 (tril(L^T gL) + tril(L^T gL, -1)^T) (symmetric, as A).
void cholesky_grad(Ctx& c) {
  const bool upper = c.attrs().boolean_or(0, "upper", false);
  Tensor L = c.out(0), gL = c.g(0);
  if (upper) {
    L = mT(L);
    gL = mT(gL);
  }
  Tensor p = tril(fn::matmul(mT(L), gL));
  p = mul(add(p, mT(tril(p, -1))), 0.5);
  p = solve_tri(mT(L), p, true, true);
  c.set(0, solve_tri(L, p, false, false));
}

// A = P L U with L [m, k] unit lower and U [k, n] upper (k = min(m, n); packed in LU), PyTorch's
// linalg_lu_backward. Wide (m <= n, U = [U1 U2]): gA = P L^-T [tril(L^T gL - gU U^T, -1) U1^-T
// + gU1 | gU2]. Tall (L = [L1; L2]): gA = P [L1^-T triu(gU U^T - L^T gL) + gL1 ; gL2] U^-T.
// (gL strictly lower, gU upper: the parts of the packed gradient.)
void lu_factor_grad(Ctx& c) {
  const Tensor lu = c.out(0), g = c.g(0);
  const int64_t m = rows_of(lu), n = cols_of(lu), k = std::min(m, n);
  const Tensor L = add(tril(fn::narrow(lu, -1, 0, k), -1), identity(m, k, lu));  // [m, k]
  const Tensor U = triu(fn::narrow(lu, -2, 0, k));  // [k, n]
  const Tensor gL = tril(fn::narrow(g, -1, 0, k), -1), gU = triu(fn::narrow(g, -2, 0, k));
  Tensor x;
  if (m <= n) {
    x = sub(fn::matmul(mT(L), gL), fn::matmul(gU, mT(U)));
    x = add(solve_tri(mT(fn::narrow(U, -1, 0, k)), tril(x, -1), false, false), fn::narrow(gU, -1, 0, k));
    if (n > k) x = fn::cat({x, fn::narrow(gU, -1, k, n - k)}, -1);
    x = solve_tri(mT(L), x, true, true, true);
  } else {
    x = sub(fn::matmul(gU, mT(U)), fn::matmul(mT(L), gL));
    x = solve_tri(mT(fn::narrow(L, -2, 0, k)), triu(x), true, true, true);
    x = fn::cat({add(x, fn::narrow(gL, -2, 0, k)), fn::narrow(gL, -2, k, m - k)}, -2);
    x = solve_tri(mT(U), x, false, false);
  }
  // P x: the row swaps of the pivots, undone in reverse order (row i of P x is row perm[i] of x).
  Tensor piv = tk::contiguous(tk::to_device(tk::to_dtype(c.out(1), DType::Int64), Device{}));
  const int64_t B = k == 0 ? 0 : piv.numel() / k;
  DimVec pshape = piv.shape();
  pshape[pshape.size() - 1] = m;
  Tensor perm = Tensor::empty(pshape, DType::Int64, Device{}, "backward");
  const int64_t* pv = piv.data<int64_t>();
  int64_t* pp = perm.data<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    int64_t* r = pp + b * m;
    for (int64_t i = 0; i < m; ++i) r[i] = i;
    for (int64_t j = k - 1; j >= 0; --j) {
      const int64_t s = pv[b * k + j] - 1;
      TK_CHECK(s >= 0 && s < m, INVALID_ARGUMENT, "linalg.lu_factor: backward: pivot ", s + 1, " out of range");
      std::swap(r[j], r[s]);
    }
  }
  DimVec full = pshape;
  full.push_back(n);
  Tensor index = tk::contiguous(fn::expand(fn::unsqueeze(perm, -1), full));
  c.set(0, gather_op(x, x.ndim() - 2, tk::to_device(index, x.device())));
}

// X = A^-1 B (left) or B A^-1: gB = A^-T gX (gX A^-T); gA = -gB X^T (-X^T gB), in A's triangle.
void solve_triangular_grad(Ctx& c) {
  const bool upper = c.attrs().boolean_or(0, "upper", false), left = c.attrs().boolean_or(1, "left", true),
             unit = c.attrs().boolean_or(2, "unitriangular", false);
  const Tensor a = c.in(0);
  const Tensor gb = solve_tri(mT(a), c.g(), !upper, left, unit);
  if (c.needs(1)) c.set(1, gb);
  if (c.needs(0)) {
    const Tensor x = c.out(0);
    Tensor ga = neg(left ? fn::matmul(gb, mT(x)) : fn::matmul(mT(x), gb));
    c.set(0, upper ? triu(ga, unit ? 1 : 0) : tril(ga, unit ? -1 : 0));
  }
}

// A = V diag(L) V^T: gA = V (diag(gL) + skew(V^T gV) / E) V^T, E_ij = L_j - L_i (1 on the diagonal).
void eigh_grad(Ctx& c) {
  const Tensor L = c.out(0), V = c.out(1);
  Tensor inner = diag_embed(c.g(0));
  if (c.arrived(1)) {
    const Tensor vg = fn::matmul(mT(V), c.g(1));
    const Tensor skew = mul(sub(vg, mT(vg)), 0.5);
    const int64_t n = cols_of(V);
    const Tensor E = add(sub(fn::unsqueeze(L, -2), fn::unsqueeze(L, -1)), identity(n, L));
    inner = add(inner, div(skew, E));
  }
  c.set(0, fn::matmul(V, fn::matmul(inner, mT(V))));
}

// A = U diag(S) Vh (PyTorch's svd_backward): with only gS, U diag(gS) Vh; otherwise
// U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] Vh, E_jk = S_k^2 - S_j^2, plus the
// components outside U's (or V's) span when A is not square. Full matrices use their first
// min(m, n) columns, as PyTorch.
void svd_grad(Ctx& c) {
  const bool full = c.attrs().boolean_or(0, "fullMatrices", true);
  Tensor U = c.out(0), S = c.out(1), Vh = c.out(2);
  const int64_t m = rows_of(U), n = cols_of(Vh), k = S.shape()[S.ndim() - 1];
  const bool has_u = c.arrived(0), has_v = c.arrived(2);
  Tensor gU = c.g(0), gVh = c.g(2);
  if (full) {
    U = fn::narrow(U, -1, 0, k);
    Vh = fn::narrow(Vh, -2, 0, k);
    gU = fn::narrow(gU, -1, 0, k);
    gVh = fn::narrow(gVh, -2, 0, k);
  }
  const Tensor gS = c.g(1), Sr = fn::unsqueeze(S, -2), Sc = fn::unsqueeze(S, -1);
  if (!has_u && !has_v) {
    c.set(0, fn::matmul(mul(U, fn::unsqueeze(gS, -2)), Vh));
    return;
  }
  const Tensor V = mT(Vh), gV = mT(gVh);
  const Tensor E = add(sub(mul(Sr, Sr), mul(Sc, Sc)), identity(k, S));
  Tensor inner;
  auto plus = [&](const Tensor& t) { inner = inner.defined() ? add(inner, t) : t; };
  if (has_u) {
    const Tensor ug = fn::matmul(mT(U), gU);
    plus(mul(sub(ug, mT(ug)), Sr));
  }
  if (has_v) {
    const Tensor vg = fn::matmul(mT(V), gV);
    plus(mul(Sc, sub(vg, mT(vg))));
  }
  const Tensor ga = add(div(inner, E), diag_embed(gS));
  if (m > k && has_u) {
    const Tensor gus = div(gU, Sr);
    Tensor r = add(fn::matmul(U, ga), sub(gus, fn::matmul(U, fn::matmul(mT(U), gus))));
    c.set(0, fn::matmul(r, Vh));
  } else if (n > k && has_v) {
    const Tensor gvs = mT(div(gV, Sr));
    Tensor r = add(fn::matmul(ga, Vh), sub(gvs, fn::matmul(fn::matmul(gvs, V), Vh)));
    c.set(0, fn::matmul(U, r));
  } else {
    c.set(0, fn::matmul(U, fn::matmul(ga, Vh)));
  }
}

// A = Q R (see qr_square_grad); the wide case splits A = [X | Y].
void qr_grad(Ctx& c) {
  const std::string mode = c.attrs().string_opt(0, "mode").value_or("reduced");
  TK_CHECK(mode != "geqrf", NOT_IMPLEMENTED, "geqrf: the derivative is not implemented (as in PyTorch); use linalg.qr");
  TK_CHECK(mode != "r", INVALID_ARGUMENT,
           "linalg.qr: the gradient depends on Q, which is not computed when mode='r'; use mode='reduced'");
  const Tensor Q = c.out(0), R = c.out(1);
  const int64_t m = rows_of(Q), n = cols_of(R);
  TK_CHECK(mode != "complete" || m <= n, NOT_IMPLEMENTED,
           "linalg.qr: the gradient is not defined for mode='complete' with more rows than columns (", m, " by ", n,
           "); use mode='reduced'");
  const Tensor gQ = c.g(0), gR = c.g(1);
  if (m >= n) {
    c.set(0, qr_square_grad(gQ, gR, Q, R));
    return;
  }
  const Tensor y = fn::narrow(c.in(0), -1, m, n - m);
  const Tensor gR1 = fn::narrow(gR, -1, 0, m), gR2 = fn::narrow(gR, -1, m, n - m);
  const Tensor gx = qr_square_grad(add(gQ, fn::matmul(y, mT(gR2))), gR1, Q, fn::narrow(R, -1, 0, m));
  c.set(0, fn::cat({gx, fn::matmul(Q, gR2)}, -1));
}

}  // namespace tk::autograd
