// embedding(weight [V, D], indices [...]) -> [..., D], and its weight gradient.
#include "ops/internal.h"

namespace tk {
namespace ops {
namespace {

DimVec out_shape(const Tensor& idx, int64_t D) {
  DimVec s = idx.shape();
  s.push_back(D);
  return s;
}
}  // namespace

// inputs: weight, indices.
Outputs op_embedding(const Args& a) {
  expect_inputs(a, 2);
  const Tensor& w0 = a.in[0];
  TK_CHECK(w0.ndim() == 2, SHAPE_MISMATCH, a.name, ": weight must be 2-D [num, dim], got ", fmt_shape(w0.shape()));
  Tensor idx = checked_indices(a.in[1], w0.shape()[0], a.name, "the embeddings");
  Tensor w = contiguous(w0);
  Tensor out = Tensor::empty(out_shape(a.in[1], w.shape()[1]), w.dtype(), w.device(), a.name);
  if (out.numel() > 0) kernel_for(&Backend::embedding, w.device(), a.name)(out, w, to_device(idx, w.device()));
  return {out};
}

// inputs: grad [..., D], indices [...]; attrs: numWeights, paddingIdx (-1: none).
Outputs op_embedding_backward(const Args& a) {
  expect_inputs(a, 2);
  const int64_t V = a.attrs.integer(0, "numWeights"), padding = a.attrs.integer_or(1, "paddingIdx", -1);
  const Tensor& g0 = a.in[0];
  TK_CHECK(is_floating(g0.dtype()), DTYPE_MISMATCH, a.name, ": the gradient must be floating, got ",
           dtype_name(g0.dtype()));
  // The gradient is [...indices' shape, D]: one row per index (the kernel reads row i for index i).
  const DimVec& is = a.in[1].shape();
  bool match = g0.ndim() == a.in[1].ndim() + 1;
  for (int i = 0; match && i < a.in[1].ndim(); ++i) match = g0.shape()[size_t(i)] == is[size_t(i)];
  TK_CHECK(match, SHAPE_MISMATCH, a.name, ": gradient ", fmt_shape(g0.shape()), " does not match indices ",
           fmt_shape(is), " (expected the indices' shape plus one trailing dimension)");
  TK_CHECK(V >= 0, INVALID_ARGUMENT, a.name, ": numWeights must be non-negative, got ", V);
  Tensor idx = checked_indices(a.in[1], V, a.name, "the embeddings");
  const int64_t D = g0.shape()[g0.ndim() - 1];
  Tensor g = contiguous(g0);
  Tensor gw = Tensor::empty({V, D}, g.dtype(), g.device(), a.name);
  if (gw.numel() > 0)
    kernel_for(&Backend::embedding_backward, g.device(), a.name)(gw, g, to_device(idx, g.device()), padding);
  return {gw};
}

}  // namespace ops
}  // namespace tk
