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
}  // namespace ops
}  // namespace tk
