// index_select (+ its gradient), argsort and bincount: checks, shapes and dtypes; the kernels are
// in the backend's index family.
#include "ops/internal.h"

namespace tk {
namespace {

// x viewed as [O, R, I] around dim d.
ORI ori(const DimVec& s, int d) {
  ORI g{1, s[size_t(d)], 1};
  for (int i = 0; i < d; ++i) g.O *= s[size_t(i)];
  for (int i = d + 1; i < int(s.size()); ++i) g.I *= s[size_t(i)];
  return g;
}

}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  const char* op = "indexSelect";
  const int d = x.ndim() == 0 ? (wrap_dim(dim, 1, op), 0) : wrap_dim(dim, x.ndim(), op);
  const DimVec s = x.ndim() == 0 ? DimVec{1} : x.shape();
  TK_CHECK(index.device() == x.device() || index.device().is_cpu(), DEVICE_MISMATCH, op, ": the index is on ",
           device_name(index.device()), ", the input on ", device_name(x.device()));
  TK_CHECK(index.ndim() <= 1, SHAPE_MISMATCH, op, ": the index must be 0-D or 1-D, got ", fmt_shape(index.shape()));
  Tensor idx = ops::checked_indices(index, s[size_t(d)], op, "a dimension");
  DimVec out_shape = s;
  out_shape[size_t(d)] = idx.numel();
  if (x.ndim() == 0) out_shape = index.ndim() == 0 ? DimVec{} : DimVec{idx.numel()};
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device(), op);
  if (out.numel() > 0)
    kernel_for(&Backend::index_select, x.device(), op)(out, contiguous(x), to_device(idx, x.device()), ori(s, d));
  return out;
}

Tensor index_select_backward(const Tensor& grad, int64_t dim, const Tensor& index, int64_t size) {
  const char* op = "indexSelectBackward";
  TK_CHECK(is_floating(grad.dtype()), DTYPE_MISMATCH, op, ": the gradient must be floating, got ",
           dtype_name(grad.dtype()));
  TK_CHECK(size >= 0, INVALID_ARGUMENT, op, ": size must be non-negative, got ", size);
  const int d = grad.ndim() == 0 ? (wrap_dim(dim, 1, op), 0) : wrap_dim(dim, grad.ndim(), op);
  DimVec gs = grad.ndim() == 0 ? DimVec{1} : grad.shape();
  TK_CHECK(index.ndim() <= 1, SHAPE_MISMATCH, op, ": the index must be 0-D or 1-D, got ", fmt_shape(index.shape()));
  Tensor idx = ops::checked_indices(index, size, op, "a dimension");
  TK_CHECK(gs[size_t(d)] == idx.numel(), SHAPE_MISMATCH, op, ": the gradient has ", gs[size_t(d)], " slices along dim ",
           d, ", the index ", idx.numel());
  DimVec out_shape = gs;
  out_shape[size_t(d)] = size;
  if (grad.ndim() == 0) out_shape = DimVec{};  // a 0-D input selected by a 0-D index
  TK_CHECK(grad.ndim() > 0 || size == 1, SHAPE_MISMATCH, op, ": a 0-D gradient needs size 1, got ", size);
  Tensor out = Tensor::empty(out_shape, grad.dtype(), grad.device(), op);
  if (out.numel() > 0)
    kernel_for(&Backend::index_add, grad.device(), op)(out, contiguous(grad), to_device(idx, grad.device()),
                                                       ori(out_shape.empty() ? DimVec{1} : out_shape, d));
  return out;
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending) {
  const char* op = "argsort";
  const int d = x.ndim() == 0 ? (wrap_dim(dim, 1, op), 0) : wrap_dim(dim, x.ndim(), op);
  Tensor out = Tensor::empty(x.shape(), DType::Int64, x.device(), op);
  if (out.numel() > 0)
    kernel_for(&Backend::argsort, x.device(), op)(out, contiguous(x), ori(x.ndim() == 0 ? DimVec{1} : x.shape(), d),
                                                  descending);
  return out;
}

Tensor bincount(const Tensor& x, const Tensor& weights, int64_t minlength) {
  const char* op = "bincount";
  TK_CHECK(x.dtype() == DType::Int64 || x.dtype() == DType::Int32, DTYPE_MISMATCH, op,
           ": expected int64 or int32 values, got ", dtype_name(x.dtype()));
  TK_CHECK(x.ndim() == 1, SHAPE_MISMATCH, op, ": expected a 1-D tensor, got ", fmt_shape(x.shape()));
  TK_CHECK(minlength >= 0, INVALID_ARGUMENT, op, ": minlength must be non-negative, got ", minlength);
  Tensor v = contiguous(to_device(to_dtype(x, DType::Int64), Device{}));
  const int64_t* p = v.data<int64_t>();
  int64_t n = minlength;
  for (int64_t i = 0, n_ = v.numel(); i < n_; ++i) {
    TK_CHECK(p[i] >= 0, INVALID_ARGUMENT, op, ": values must be non-negative, got ", p[i]);
    n = std::max(n, p[i] + 1);
  }
  Tensor w;
  DType dt = DType::Int64;
  if (weights.defined()) {
    TK_CHECK(weights.device() == x.device(), DEVICE_MISMATCH, op, ": weights on ", device_name(weights.device()),
             ", values on ", device_name(x.device()));
    TK_CHECK(weights.ndim() == 1 && weights.numel() == x.numel(), SHAPE_MISMATCH, op,
             ": weights must have the values' shape ", fmt_shape(x.shape()), ", got ", fmt_shape(weights.shape()));
    // PyTorch: float32 weights count in float32, any other dtype in float64.
    dt = weights.dtype() == DType::Float32 ? DType::Float32 : DType::Float64;
    w = contiguous(to_dtype(weights, dt));
  }
  Tensor out = Tensor::empty({n}, dt, x.device(), op);
  if (n > 0) kernel_for(&Backend::bincount, x.device(), op)(out, to_device(v, x.device()), w);
  return out;
}

namespace ops {

// Attribute layout: index_select [dim]; index_select_backward [dim, size]; argsort [dim,
// descending]; bincount [minlength] (inputs: values, optional weights).
Outputs op_index_select(const Args& a) {
  expect_inputs(a, 2);
  return {index_select(a.in[0], a.attrs.integer(0, "dim"), a.in[1])};
}
Outputs op_index_select_backward(const Args& a) {
  expect_inputs(a, 2);
  return {index_select_backward(a.in[0], a.attrs.integer(0, "dim"), a.in[1], a.attrs.integer(1, "size"))};
}
Outputs op_argsort(const Args& a) {
  expect_inputs(a, 1);
  return {argsort(a.in[0], a.attrs.integer_or(0, "dim", -1), a.attrs.boolean_or(1, "descending", false))};
}
Outputs op_bincount(const Args& a) {
  expect_inputs(a, 1, 2);
  return {bincount(a.in[0], a.in.size() > 1 ? a.in[1] : Tensor(), a.attrs.integer_or(0, "minlength", 0))};
}

}  // namespace ops
}  // namespace tk
