// Matrix products with PyTorch's semantics: matmul (1-D operands promoted and the added dim
// removed; batch dims broadcast), dot, mv, bmm and addmm. Every one runs through the backend's
// batched gemm ([B, M, K] @ [B, K, N] with any strides), so transposed or sliced operands are
// never copied.
#include <cmath>

#include "ops/internal.h"

namespace tk {
namespace {
using namespace ops;

void check_operands(std::span<const Tensor> ts, const char* op) {
  common_device(ts, op);
  for (const Tensor& t : ts) {
    TK_CHECK(t.dtype() == ts[0].dtype(), DTYPE_MISMATCH, op, ": expected ", ts.size() == 2 ? "both" : "all",
             " operands to have the same dtype, got ", dtype_name(ts[0].dtype()), " and ", dtype_name(t.dtype()));
    TK_CHECK(t.dtype() != DType::Bool, DTYPE_MISMATCH, op, ": not supported for bool tensors, got bool");
  }
}

void check_ndim(const Tensor& t, int ndim, const char* op, const char* what) {
  TK_CHECK(t.ndim() == ndim, SHAPE_MISMATCH, op, ": expected ", what, " to be ", ndim, "-D, got ",
           fmt_shape(t.shape()));
}

// [batch..., r, c] viewed as [B, r, c]; a copy only if the batch dims cannot be merged.
Tensor as3d(const Tensor& x, const DimVec& batch, int64_t B) {
  DimVec full = batch;
  full.push_back(x.shape()[x.ndim() - 2]);
  full.push_back(x.shape()[x.ndim() - 1]);
  Tensor e = expand(x, full.vec());
  return reshape(e, {B, full[full.size() - 2], full[full.size() - 1]}, "matmul");
}

// out3 = alpha * a3 @ b3 + beta * out3 on the tensors' device (all [B, ., .] views).
void gemm3(const Tensor& out3, const Tensor& a3, const Tensor& b3, double alpha, double beta, const char* op) {
  if (out3.numel() == 0) return;
  kernel_for(&Backend::gemm, a3.device(), op)(out3, a3, b3, alpha, beta);
}

}  // namespace

Tensor matmul(const Tensor& a0, const Tensor& b0) {
  const Tensor ops_[2] = {a0, b0};
  check_operands(ops_, "matmul");
  TK_CHECK(a0.ndim() >= 1 && b0.ndim() >= 1, INVALID_ARGUMENT, "matmul: both arguments need at least 1 dimension, got ",
           fmt_shape(a0.shape()), " @ ", fmt_shape(b0.shape()));
  Tensor a = a0.ndim() == 1 ? unsqueeze(a0, 0) : a0;  // [K] -> [1, K]
  Tensor b = b0.ndim() == 1 ? unsqueeze(b0, 1) : b0;  // [K] -> [K, 1]
  const int64_t M = a.shape()[a.ndim() - 2], K = a.shape()[a.ndim() - 1];
  const int64_t K2 = b.shape()[b.ndim() - 2], N = b.shape()[b.ndim() - 1];
  TK_CHECK(K == K2, SHAPE_MISMATCH, "matmul: inner dimensions must match, got ", fmt_shape(a0.shape()), " @ ",
           fmt_shape(b0.shape()));
  DimVec ab, bb;
  for (int i = 0; i < a.ndim() - 2; ++i) ab.push_back(a.shape()[i]);
  for (int i = 0; i < b.ndim() - 2; ++i) bb.push_back(b.shape()[i]);
  DimVec batch = broadcast_shapes(ab, bb, "matmul");
  int64_t B = checked_numel(batch, "matmul");
  DimVec out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device(), "matmul");
  gemm3(out.with_layout(Layout::contiguous({B, M, N})), as3d(a, batch, B), as3d(b, batch, B), 1, 0, "matmul");
  // Drop the dims added for 1-D operands.
  if (b0.ndim() == 1) out = squeeze(out, std::vector<int64_t>{-1});
  if (a0.ndim() == 1) out = squeeze(out, std::vector<int64_t>{b0.ndim() == 1 ? -1 : -2});
  return out;
}

Tensor dot(const Tensor& a, const Tensor& b) {
  const Tensor ops_[2] = {a, b};
  check_operands(ops_, "dot");
  TK_CHECK(a.ndim() == 1 && b.ndim() == 1, SHAPE_MISMATCH, "dot: expected 1-D tensors, got ", fmt_shape(a.shape()),
           " and ", fmt_shape(b.shape()));
  TK_CHECK(a.numel() == b.numel(), SHAPE_MISMATCH,
           "dot: inconsistent tensor size, expected tensors of the same size, got ", fmt_shape(a.shape()), " and ",
           fmt_shape(b.shape()));
  return matmul(a, b);
}

Tensor mv(const Tensor& m, const Tensor& v) {
  const Tensor ops_[2] = {m, v};
  check_operands(ops_, "mv");
  check_ndim(m, 2, "mv", "the matrix");
  check_ndim(v, 1, "mv", "the vector");
  TK_CHECK(m.shape()[1] == v.shape()[0], SHAPE_MISMATCH,
           "mv: the matrix's columns must match the vector's length, got ", fmt_shape(m.shape()), " @ ",
           fmt_shape(v.shape()));
  return matmul(m, v);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  const Tensor ops_[2] = {a, b};
  check_operands(ops_, "bmm");
  check_ndim(a, 3, "bmm", "the first batch of matrices");
  check_ndim(b, 3, "bmm", "the second batch of matrices");
  TK_CHECK(a.shape()[0] == b.shape()[0] && a.shape()[2] == b.shape()[1], SHAPE_MISMATCH,
           "bmm: expected [B, n, m] @ [B, m, p], got ", fmt_shape(a.shape()), " @ ", fmt_shape(b.shape()));
  return matmul(a, b);
}

Tensor addmm(const Tensor& input, const Tensor& m1, const Tensor& m2, double beta, double alpha) {
  const Tensor ops_[3] = {input, m1, m2};
  check_operands(ops_, "addmm");
  check_ndim(m1, 2, "addmm", "mat1");
  check_ndim(m2, 2, "addmm", "mat2");
  TK_CHECK(m1.shape()[1] == m2.shape()[0], SHAPE_MISMATCH, "addmm: inner dimensions must match, got ",
           fmt_shape(m1.shape()), " @ ", fmt_shape(m2.shape()));
  if (!is_floating(m1.dtype()))
    TK_CHECK(alpha == std::trunc(alpha) && beta == std::trunc(beta), INVALID_ARGUMENT,
             "addmm: alpha and beta must be integers for ", dtype_name(m1.dtype()), " tensors, got alpha=", alpha,
             ", beta=", beta);
  const int64_t M = m1.shape()[0], N = m2.shape()[1];
  const DimVec shape{M, N};
  TK_CHECK(input.ndim() <= 2 && broadcast_shapes(input.shape(), shape, "addmm") == shape, SHAPE_MISMATCH,
           "addmm: input must broadcast to ", fmt_shape(shape), ", got ", fmt_shape(input.shape()));
  Tensor out = Tensor::empty(shape, m1.dtype(), m1.device(), "addmm");
  if (beta != 0) copy_(out, input);  // beta == 0: input is ignored, as in PyTorch
  gemm3(out.with_layout(Layout::contiguous({1, M, N})), unsqueeze(m1, 0), unsqueeze(m2, 0), alpha, beta, "addmm");
  return out;
}

namespace {
struct LinearShape {
  int64_t M, in, out;
  DimVec y_shape;  // x's leading dims, then out
};

LinearShape linear_shape(const Tensor& x, const Tensor& w, const Tensor& b, const char* op) {
  std::vector<Tensor> ts{x, w};
  if (b.defined()) ts.push_back(b);
  check_operands(ts, op);
  TK_CHECK(x.ndim() >= 1, SHAPE_MISMATCH, op, ": expected an input with at least 1 dimension, got a 0-dim tensor");
  check_ndim(w, 2, op, "weight");
  LinearShape s{1, w.shape()[1], w.shape()[0], {}};
  TK_CHECK(x.shape()[x.ndim() - 1] == s.in, SHAPE_MISMATCH, op, ": expected input with last dimension ", s.in,
           " (inFeatures of the ", fmt_shape(w.shape()), " weight), got input ", fmt_shape(x.shape()));
  TK_CHECK(!b.defined() || (b.ndim() == 1 && b.shape()[0] == s.out), SHAPE_MISMATCH, op, ": bias must be [", s.out,
           "], got ", fmt_shape(b.shape()));
  for (int d = 0; d + 1 < x.ndim(); ++d) s.y_shape.push_back(x.shape()[d]), s.M *= x.shape()[d];
  s.y_shape.push_back(s.out);
  return s;
}

// t [..., n] as [1, M, n] (a view where the leading dims merge).
Tensor rows3(const Tensor& t, int64_t M, int64_t n) { return reshape(t, {1, M, n}, "linear"); }
}  // namespace

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b, bool relu) {
  const LinearShape s = linear_shape(x, w, b, "linear");
  Tensor y = Tensor::empty(s.y_shape, x.dtype(), x.device(), "linear");
  if (y.numel() == 0) return y;
  const Tensor y3 = y.with_layout(Layout::contiguous({1, s.M, s.out})), x3 = rows3(x, s.M, s.in);
  const Tensor wt3 = unsqueeze(transpose(w, 0, 1), 0);
  if (has_kernel(&Backend::gemm_fused, x.device())) {
    kernel_for(&Backend::gemm_fused, x.device(), "linear")(y3, x3, wt3, b, Tensor(), relu);
    return y;
  }
  if (b.defined()) copy_(y, b);  // gemm with beta 1 onto the bias: rounds as the fused kernel
  gemm3(y3, x3, wt3, 1, b.defined() ? 1 : 0, "linear");
  return relu ? unary(UnaryOp::relu, y) : y;
}

std::vector<Tensor> linear_backward(const Tensor& g, const Tensor& x, const Tensor& w, const Tensor& y, bool need_x,
                                    bool need_w, bool need_b, const Tensor& into_w, const Tensor& into_b) {
  const char* op = "linear_backward";
  const LinearShape s = linear_shape(x, w, Tensor(), op);
  TK_CHECK(g.shape() == s.y_shape && (!y.defined() || y.shape() == s.y_shape), SHAPE_MISMATCH, op,
           ": expected the gradient and output of shape ", fmt_shape(s.y_shape), ", got ", fmt_shape(g.shape()),
           y.defined() ? " and " : "", y.defined() ? fmt_shape(y.shape()) : std::string());
  const Tensor ops_[2] = {g, x};
  check_operands(ops_, op);
  const bool fused = has_kernel(&Backend::gemm_fused, x.device());
  Tensor g3 = rows3(g, s.M, s.out);
  Tensor m3 = y.defined() ? rows3(y, s.M, s.out) : Tensor();
  if (m3.defined() && !fused) {  // threshold backward as a pass of its own: g where y > 0, else 0
    g3 = where(binary(BinaryOp::gt, m3, full({}, 0, y.dtype(), y.device())), g3, full({}, 0, g.dtype(), g.device()));
    m3 = Tensor();
  }
  auto fits = [&](const DimVec& shape, const Tensor& into) {
    return into.defined() && into.shape() == shape && into.dtype() == x.dtype() && into.device() == x.device() &&
           into.is_contiguous();
  };
  auto product = [&](const DimVec& shape, const Tensor& a, const Tensor& am, const Tensor& bm,
                     const Tensor& into = Tensor()) {
    Tensor out = fits(shape, into) ? into : Tensor::empty(shape, x.dtype(), x.device(), op);
    if (out.numel() == 0) return out;
    Layout l = Layout::contiguous({1, a.shape()[1], bm.shape()[2]});
    l.offset = out.offset();  // `into` may be a slice of a larger buffer (a DDP bucket)
    const Tensor o3 = out.with_layout(l);
    if (fused)
      kernel_for(&Backend::gemm_fused, x.device(), op)(o3, a, bm, Tensor(), am, false);
    else
      gemm3(o3, a, bm, 1, 0, op);
    return out;
  };
  auto t = [](const Tensor& v) { return v.defined() ? transpose(v, 1, 2) : v; };
  std::vector<Tensor> r;
  if (need_x) r.push_back(product(x.shape(), g3, m3, unsqueeze(w, 0)));  // g @ W
  if (need_w) r.push_back(product(w.shape(), t(g3), t(m3), rows3(x, s.M, s.in), into_w));  // g^T @ x
  if (need_b && m3.defined()) {  // column sums: g^T @ ones, the mask applied as for the products
    r.push_back(product({s.out}, t(g3), t(m3), full({1, s.M, 1}, 1, g.dtype(), g.device()), into_b));
  } else if (need_b) {
    Tensor sum = reduce(ReduceOp::Sum, reshape(g3, {s.M, s.out}, op), std::vector<int64_t>{0}, false, op);
    if (fits({s.out}, into_b)) {
      copy_(into_b, sum);
      sum = into_b;
    }
    r.push_back(sum);
  }
  return r;
}

namespace ops {
Outputs op_dot(const Args& a) {
  expect_inputs(a, 2);
  return {dot(a.in[0], a.in[1])};
}
Outputs op_matmul(const Args& a) {
  expect_inputs(a, 2);
  return {matmul(a.in[0], a.in[1])};
}
Outputs op_mv(const Args& a) {
  expect_inputs(a, 2);
  return {mv(a.in[0], a.in[1])};
}
Outputs op_bmm(const Args& a) {
  expect_inputs(a, 2);
  return {bmm(a.in[0], a.in[1])};
}
Outputs op_addmm(const Args& a) {
  expect_inputs(a, 3);
  return {addmm(a.in[0], a.in[1], a.in[2], a.attrs.number_or(0, "beta", 1), a.attrs.number_or(1, "alpha", 1))};
}
// linear and linear_relu (inputs x, weight, optional bias) -> y. Two rows rather than an option,
// as only linear_relu saves its output for the backward (its mask): linear's output may then be
// changed in place, as in PyTorch.
Outputs op_linear(const Args& a) {
  expect_inputs(a, 2, 3);
  return {linear(a.in[0], a.in[1], a.in.size() > 2 ? a.in[2] : Tensor(), false)};
}
Outputs op_linear_relu(const Args& a) {
  expect_inputs(a, 2, 3);
  return {linear(a.in[0], a.in[1], a.in.size() > 2 ? a.in[2] : Tensor(), true)};
}
// linear_backward [needX, needW, needB] (inputs g, x, weight, optional y: its mask when the layer
// had a relu) -> the needed gradients, in that order.
Outputs op_linear_backward(const Args& a) {
  expect_inputs(a, 3, 4);
  const Tensor y = a.in.size() > 3 ? a.in[3] : Tensor();
  Outputs o;
  for (Tensor& t : linear_backward(a.in[0], a.in[1], a.in[2], y, a.attrs.boolean_or(0, "needX", true),
                                   a.attrs.boolean_or(1, "needW", true), a.attrs.boolean_or(2, "needB", true)))
    o.push_back(std::move(t));
  return o;
}
}  // namespace ops
}  // namespace tk
