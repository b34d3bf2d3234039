// dot and matmul (PyTorch's semantics: 1-D operands are promoted and the added dim removed;
// batch dims broadcast). Everything runs through the batched [B, M, K] @ [B, K, N] kernel.
#include "ops/internal.h"

namespace tk {
namespace {
using namespace ops;

void check_operands(const Tensor& a, const Tensor& b, const char* op) {
  const Tensor both[2] = {a, b};
  common_device(both, op);
  TK_CHECK(a.dtype() == b.dtype(), DTYPE_MISMATCH, op, ": expected both operands to have the same dtype, got ",
           dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  TK_CHECK(a.dtype() != DType::Bool, DTYPE_MISMATCH, op, ": not supported for bool tensors, got bool");
}

// [batch..., r, c] viewed as [B, r, c]; a copy only if the batch dims cannot be merged.
Tensor as3d(const Tensor& x, const DimVec& batch, int64_t B) {
  DimVec full = batch;
  full.push_back(x.shape()[x.ndim() - 2]);
  full.push_back(x.shape()[x.ndim() - 1]);
  Tensor e = expand(x, full.vec());
  return reshape(e, {B, full[full.size() - 2], full[full.size() - 1]}, "matmul");
}

}  // namespace

Tensor matmul(const Tensor& a0, const Tensor& b0) {
  check_operands(a0, b0, "matmul");
  TK_CHECK(a0.ndim() >= 1 && b0.ndim() >= 1, INVALID_ARGUMENT,
           "matmul: both arguments need at least 1 dimension, got ", fmt_shape(a0.shape()), " @ ",
           fmt_shape(b0.shape()));
  Tensor a = a0.ndim() == 1 ? unsqueeze(a0, 0) : a0;   // [K] -> [1, K]
  Tensor b = b0.ndim() == 1 ? unsqueeze(b0, 1) : b0;   // [K] -> [K, 1]
  const int64_t M = a.shape()[a.ndim() - 2], K = a.shape()[a.ndim() - 1];
  const int64_t K2 = b.shape()[b.ndim() - 2], N = b.shape()[b.ndim() - 1];
  TK_CHECK(K == K2, SHAPE_MISMATCH, "matmul: inner dimensions must match, got ",
           fmt_shape(a0.shape()), " @ ", fmt_shape(b0.shape()));
  DimVec ab, bb;
  for (int i = 0; i < a.ndim() - 2; ++i) ab.push_back(a.shape()[i]);
  for (int i = 0; i < b.ndim() - 2; ++i) bb.push_back(b.shape()[i]);
  DimVec batch = broadcast_shapes(ab, bb, "matmul");
  int64_t B = checked_numel(batch, "matmul");
  DimVec out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device(), "matmul");
  if (out.numel() > 0)
    kernel_for(&Backend::matmul, a.device(), "matmul")(
        out.with_layout(Layout::contiguous({B, M, N})), as3d(a, batch, B), as3d(b, batch, B));
  // Drop the dims added for 1-D operands.
  if (b0.ndim() == 1) out = squeeze(out, std::vector<int64_t>{-1});
  if (a0.ndim() == 1) out = squeeze(out, std::vector<int64_t>{a0.ndim() == 1 && b0.ndim() == 1 ? -1 : -2});
  return out;
}

Tensor dot(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "dot");
  TK_CHECK(a.ndim() == 1 && b.ndim() == 1, INVALID_ARGUMENT,
           "dot: expected 1-D tensors, got ", fmt_shape(a.shape()), " and ", fmt_shape(b.shape()));
  TK_CHECK(a.numel() == b.numel(), SHAPE_MISMATCH,
           "dot: inconsistent tensor size, expected tensors of the same size, got ",
           fmt_shape(a.shape()), " and ", fmt_shape(b.shape()));
  return matmul(a, b);
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
}  // namespace ops
}  // namespace tk
