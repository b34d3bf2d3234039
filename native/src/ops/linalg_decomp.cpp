// The dense factorizations (torch.linalg): cholesky_ex, lu_factor_ex, solve_triangular, eigh, svd
// and qr: checks, shapes and dtypes. Every kernel works on a fresh contiguous float64 copy of the
// batch ([B, rows, cols]) and the results are cast back to the input's dtype, so float32 gains
// double's accuracy (the kernels are O(n^3); the copies are O(n^2)). The TS linalg namespace
// builds solve, inv, det, slogdet, lstsq, pinv, matrix norms and ranks from these rows, and their
// gradients come from those compositions and the formulas in autograd/derivatives.cpp.
#include <algorithm>
#include <string>

#include "ops/internal.h"

namespace tk {
namespace {
using namespace ops;

// A must be a batch of matrices (at least 2-D; square when `square`), float32 or float64.
void check_matrices(const Tensor& a, const char* op, const char* name, bool square) {
  TK_CHECK(a.ndim() >= 2, SHAPE_MISMATCH, op, ": expected ", name, " to have at least 2 dimensions, got ",
           fmt_shape(a.shape()));
  TK_CHECK(a.dtype() == DType::Float32 || a.dtype() == DType::Float64, DTYPE_MISMATCH, op, ": expected ", name,
           " to be float32 or float64, got ", dtype_name(a.dtype()));
  const int64_t r = a.shape()[a.ndim() - 2], c = a.shape()[a.ndim() - 1];
  TK_CHECK(!square || r == c, SHAPE_MISMATCH, op, ": expected ", name,
           " to be a batch of square matrices, but they are ", r, " by ", c, " matrices");
}

DimVec batch_of(const Tensor& a) {
  DimVec b;
  for (int i = 0; i < a.ndim() - 2; ++i) b.push_back(a.shape()[i]);
  return b;
}

DimVec with(DimVec v, std::initializer_list<int64_t> tail) {
  for (int64_t t : tail) v.push_back(t);
  return v;
}

// A fresh contiguous float64 copy of x (broadcast to `batch` + its matrix dims) as [B, r, c].
Tensor work_copy(const Tensor& x, const DimVec& batch, const char* op) {
  const int64_t r = x.shape()[x.ndim() - 2], c = x.shape()[x.ndim() - 1];
  const int64_t B = checked_numel(batch, op);
  const DimVec full = with(batch, {r, c});
  Tensor w = Tensor::empty(full, DType::Float64, x.device(), op);
  if (w.numel() > 0) copy_(w, broadcast_to(x, full));  // one pass: cast, gather strides, broadcast
  return reshape(w, {B, r, c}, op);
}

// A kernel result [B, r, c] (float64) as `shape`, in dtype `dt`.
Tensor result(const Tensor& w, const DimVec& shape, DType dt, const char* op) {
  return to_dtype(reshape(w, shape.vec(), op), dt);
}

Tensor mT(const Tensor& x) { return transpose(x, -2, -1); }

Tensor zeros(const DimVec& shape, DType dt, Device d) { return full(shape, 0, dt, d); }

// The [B, r, c] float64 identity (ones on the main diagonal), for factors of empty matrices.
Tensor identity(int64_t B, int64_t r, int64_t c, Device d, const char* op) {
  Tensor rows = reshape(arange(0, double(r), 1, DType::Int64, d), {1, r, 1}, op);
  Tensor cols = reshape(arange(0, double(c), 1, DType::Int64, d), {1, 1, c}, op);
  return contiguous(expand(to_dtype(binary(BinaryOp::eq, rows, cols), DType::Float64), {B, r, c}));
}

template <class F> F kernel(F Backend::*k, const Tensor& t, const char* op) { return kernel_for(k, t.device(), op); }

}  // namespace

std::vector<Tensor> linalg_cholesky_ex(const Tensor& a, bool upper) {
  const char* op = "linalg.cholesky";
  check_matrices(a, op, "A", true);
  const DimVec batch = batch_of(a);
  const int64_t n = a.shape()[a.ndim() - 1];
  // The upper factor of A is the transposed lower factor of A^T (whose lower triangle is A's upper).
  Tensor w = work_copy(upper ? mT(a) : a, batch, op);
  Tensor info = zeros(batch, DType::Int32, a.device());
  if (w.numel() > 0) kernel(&Backend::cholesky, a, op)(w, info);
  Tensor l = result(w, with(batch, {n, n}), a.dtype(), op);
  return {upper ? contiguous(mT(l)) : l, info};
}

std::vector<Tensor> linalg_lu_factor_ex(const Tensor& a) {
  const char* op = "linalg.lu_factor";
  check_matrices(a, op, "A", false);
  const DimVec batch = batch_of(a);
  const int64_t m = a.shape()[a.ndim() - 2], n = a.shape()[a.ndim() - 1], k = std::min(m, n);
  Tensor w = work_copy(a, batch, op);
  Tensor piv = zeros(with(batch, {k}), DType::Int32, a.device());
  Tensor info = zeros(batch, DType::Int32, a.device());
  if (w.numel() > 0) kernel(&Backend::lu_factor, a, op)(w, piv, info);
  return {result(w, a.shape(), a.dtype(), op), piv, info};
}

Tensor linalg_solve_triangular(const Tensor& a, const Tensor& b, bool upper, bool left, bool unitriangular) {
  const char* op = "linalg.solve_triangular";
  const Tensor both[2] = {a, b};
  common_device(both, op);
  check_matrices(a, op, "A", true);
  check_matrices(b, op, "B", false);
  TK_CHECK(a.dtype() == b.dtype(), DTYPE_MISMATCH, op, ": expected A and B to have the same dtype, got ",
           dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  const int64_t n = a.shape()[a.ndim() - 1];
  const int64_t br = b.shape()[b.ndim() - 2], bc = b.shape()[b.ndim() - 1];
  TK_CHECK((left ? br : bc) == n, SHAPE_MISMATCH, op, ": incompatible shapes of A and B for the equation ",
           left ? "AX = B" : "XA = B", " (", fmt_shape(a.shape()), " and ", fmt_shape(b.shape()), ")");
  const DimVec batch = broadcast_shapes(batch_of(a), batch_of(b), op);
  // X A = B is A^T X^T = B^T, A^T's triangle the other one.
  Tensor wa = work_copy(left ? a : mT(a), batch, op);
  Tensor wb = work_copy(left ? b : mT(b), batch, op);
  if (wb.numel() > 0 && n > 0) kernel(&Backend::solve_triangular, a, op)(wa, wb, left ? upper : !upper, unitriangular);
  Tensor x = result(wb, with(batch, {n, left ? bc : br}), a.dtype(), op);
  return left ? x : contiguous(mT(x));
}

std::vector<Tensor> linalg_eigh(const Tensor& a, bool lower) {
  const char* op = "linalg.eigh";
  check_matrices(a, op, "A", true);
  const DimVec batch = batch_of(a);
  const int64_t n = a.shape()[a.ndim() - 1], B = checked_numel(batch, op);
  Tensor w = work_copy(a, batch, op);
  Tensor vals = Tensor::empty({B, n}, DType::Float64, a.device(), op);
  Tensor vecs = Tensor::empty({B, n, n}, DType::Float64, a.device(), op);
  if (w.numel() > 0) kernel(&Backend::eigh, a, op)(w, lower, vals, vecs);
  return {result(vals, with(batch, {n}), a.dtype(), op), result(vecs, with(batch, {n, n}), a.dtype(), op)};
}

std::vector<Tensor> linalg_svd(const Tensor& a, bool full_matrices) {
  const char* op = "linalg.svd";
  check_matrices(a, op, "A", false);
  const DimVec batch = batch_of(a);
  const int64_t m = a.shape()[a.ndim() - 2], n = a.shape()[a.ndim() - 1], k = std::min(m, n);
  const int64_t B = checked_numel(batch, op);
  // The kernel wants a tall matrix (rows >= cols) given as its transpose: A^T for a tall A, and
  // A itself for a wide one (the SVD of A^T, whose factors swap roles).
  const bool tall = m >= n;
  const int64_t M = tall ? m : n, N = tall ? n : m, uc = full_matrices ? M : N;
  Tensor wt = work_copy(tall ? mT(a) : a, batch, op);
  Tensor s = Tensor::empty({B, N}, DType::Float64, a.device(), op);
  Tensor u = zeros({B, M, uc}, DType::Float64, a.device());
  Tensor vt = zeros({B, N, N}, DType::Float64, a.device());
  if (B > 0 && N > 0) kernel(&Backend::svd, a, op)(wt, s, u, vt, tall);
  if (B > 0 && N == 0 && full_matrices)  // no singular values: U (or V) is the identity
    copy_(u, identity(B, M, M, a.device(), op));
  Tensor S = result(s, with(batch, {k}), a.dtype(), op);
  if (tall) return {result(u, with(batch, {m, uc}), a.dtype(), op), S, result(vt, with(batch, {n, n}), a.dtype(), op)};
  // A^T = U' S V'^T, so A = V' S U'^T: U = V'^T^T, Vh = U'^T.
  return {contiguous(mT(result(vt, with(batch, {m, m}), a.dtype(), op))), S,
          contiguous(mT(result(u, with(batch, {n, uc}), a.dtype(), op)))};
}

std::vector<Tensor> linalg_qr(const Tensor& a, const std::string& mode) {
  const bool raw = mode == "geqrf";
  const char* op = raw ? "geqrf" : "linalg.qr";
  TK_CHECK(mode == "reduced" || mode == "complete" || mode == "r" || raw, INVALID_ARGUMENT, op,
           ": mode must be 'reduced', 'complete' or 'r', got '", mode, "'");
  check_matrices(a, op, raw ? "input" : "A", false);
  const DimVec batch = batch_of(a);
  const int64_t m = a.shape()[a.ndim() - 2], n = a.shape()[a.ndim() - 1], k = std::min(m, n);
  const int64_t B = checked_numel(batch, op), qc = mode == "complete" ? m : k;
  Tensor r = work_copy(a, batch, op);
  Tensor q = mode == "r" || raw ? Tensor() : zeros({B, m, qc}, DType::Float64, a.device());
  Tensor tau = raw ? zeros({B, k}, DType::Float64, a.device()) : Tensor();
  if (B > 0 && m > 0 && n > 0) kernel(&Backend::qr, a, op)(r, q, tau);
  // geqrf's packed form: R with the reflectors below the diagonal, and their scales.
  if (raw) return {result(r, with(batch, {m, n}), a.dtype(), op), result(tau, with(batch, {k}), a.dtype(), op)};
  if (q.defined() && B > 0 && (m == 0 || n == 0) && qc > 0)  // nothing to reflect: Q is the identity
    copy_(q, identity(B, m, qc, a.device(), op));
  const int64_t rr = mode == "complete" ? m : k;
  Tensor R = result(contiguous(narrow(r, 1, 0, rr)), with(batch, {rr, n}), a.dtype(), op);
  Tensor Q = q.defined() ? result(q, with(batch, {m, qc}), a.dtype(), op) : zeros({0}, a.dtype(), a.device());
  return {Q, R};
}

namespace ops {
// linalg_cholesky_ex [upper] (A) -> L (or U), info
Outputs op_linalg_cholesky_ex(const Args& a) {
  expect_inputs(a, 1);
  auto r = linalg_cholesky_ex(a.in[0], a.attrs.boolean_or(0, "upper", false));
  return {r[0], r[1]};
}
// linalg_lu_factor_ex (A) -> LU, pivots, info
Outputs op_linalg_lu_factor_ex(const Args& a) {
  expect_inputs(a, 1);
  auto r = linalg_lu_factor_ex(a.in[0]);
  return {r[0], r[1], r[2]};
}
// linalg_solve_triangular [upper, left, unitriangular] (A, B) -> X
Outputs op_linalg_solve_triangular(const Args& a) {
  expect_inputs(a, 2);
  TK_CHECK(a.attrs.size() > 0, INVALID_ARGUMENT, "linalg.solve_triangular: 'upper' is required");
  return {linalg_solve_triangular(a.in[0], a.in[1], a.attrs.boolean_or(0, "upper", false),
                                  a.attrs.boolean_or(1, "left", true), a.attrs.boolean_or(2, "unitriangular", false))};
}
// linalg_eigh [uplo: 'L' | 'U'] (A) -> eigenvalues, eigenvectors
Outputs op_linalg_eigh(const Args& a) {
  expect_inputs(a, 1);
  const std::string uplo = a.attrs.string_opt(0, "UPLO").value_or("L");
  TK_CHECK(uplo == "L" || uplo == "U", INVALID_ARGUMENT, "linalg.eigh: UPLO must be 'L' or 'U', got '", uplo, "'");
  auto r = linalg_eigh(a.in[0], uplo == "L");
  return {r[0], r[1]};
}
// linalg_svd [fullMatrices] (A) -> U, S, Vh
Outputs op_linalg_svd(const Args& a) {
  expect_inputs(a, 1);
  auto r = linalg_svd(a.in[0], a.attrs.boolean_or(0, "fullMatrices", true));
  return {r[0], r[1], r[2]};
}
// linalg_qr [mode] (A) -> Q, R; mode 'geqrf' -> the packed reflectors and tau (torch.geqrf)
Outputs op_linalg_qr(const Args& a) {
  expect_inputs(a, 1);
  auto r = linalg_qr(a.in[0], a.attrs.string_opt(0, "mode").value_or("reduced"));
  return {r[0], r[1]};
}
}  // namespace ops
}  // namespace tk
