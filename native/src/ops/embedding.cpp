// embedding(weight [V, D], indices [...]) -> [..., D], and its weight gradient.
#include "ops/internal.h"

namespace tk {
namespace ops {
namespace {

// Indices as contiguous int64, every one in [0, V) (checked here: a kernel must not read past
// the weight).
Tensor check_indices(const Tensor& idx0, int64_t V, const char* op) {
  TK_CHECK(idx0.dtype() == DType::Int64 || idx0.dtype() == DType::Int32, DTYPE_MISMATCH, op,
           ": indices must be int64 or int32, got ", dtype_name(idx0.dtype()));
  Tensor idx = contiguous(to_device(to_dtype(idx0, DType::Int64), Device{}));
  const int64_t* p = idx.data<int64_t>();
  for (int64_t i = 0, n_ = idx.numel(); i < n_; ++i)
    TK_CHECK(p[i] >= 0 && p[i] < V, INDEX_OUT_OF_RANGE, op, ": index ", p[i], " is out of range for ",
             V, " embeddings");
  return idx;
}

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
  Tensor idx = check_indices(a.in[1], w0.shape()[0], a.name);
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
  TK_CHECK(is_floating(g0.dtype()), DTYPE_MISMATCH, a.name, ": the gradient must be floating, got ", dtype_name(g0.dtype()));
  TK_CHECK(g0.ndim() == a.in[1].ndim() + 1, SHAPE_MISMATCH, a.name, ": gradient ", fmt_shape(g0.shape()),
           " does not match indices ", fmt_shape(a.in[1].shape()));
  Tensor idx = check_indices(a.in[1], V, a.name);
  const int64_t D = g0.shape()[g0.ndim() - 1];
  Tensor g = contiguous(g0);
  Tensor gw = Tensor::empty({V, D}, g.dtype(), g.device(), a.name);
  if (gw.numel() > 0) kernel_for(&Backend::embedding_backward, g.device(), a.name)(gw, g, to_device(idx, g.device()), padding);
  return {gw};
}

}  // namespace ops
}  // namespace tk
