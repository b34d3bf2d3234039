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

namespace {
// The index of gather and scatter: int64/int32 of x's rank, no larger than `target` outside dim,
// values in [0, target.size(dim)); returned contiguous int64 on target's device.
Tensor dim_index(const Tensor& index, const Tensor& target, int d, const char* op, const char* what) {
  TK_CHECK(index.device() == target.device() || index.device().is_cpu(), DEVICE_MISMATCH, op, ": the index is on ",
           device_name(index.device()), ", the ", what, " on ", device_name(target.device()));
  const int nd = std::max(target.ndim(), 1);
  TK_CHECK(index.ndim() == target.ndim() || (target.ndim() == 0 && index.ndim() <= 1), SHAPE_MISMATCH, op,
           ": the index must have as many dims as the ", what, " (", target.ndim(), "), got ",
           fmt_shape(index.shape()));
  for (int k = 0; k < index.ndim() && target.ndim() > 0; ++k)
    TK_CHECK(k == d || index.shape()[k] <= target.shape()[k], SHAPE_MISMATCH, op, ": the index ",
             fmt_shape(index.shape()), " is larger than the ", what, " ", fmt_shape(target.shape()), " in dim ", k);
  (void)nd;
  const int64_t n = target.ndim() == 0 ? 1 : target.shape()[size_t(d)];
  return to_device(ops::checked_indices(index, n, op, "the indexed dimension"), target.device());
}

std::vector<int64_t> shape_or_1(const Tensor& t) { return t.ndim() == 0 ? std::vector<int64_t>{1} : t.shape().vec(); }
}  // namespace

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  const char* op = "gather";
  const int d = x.ndim() == 0 ? (wrap_dim(dim, 1, op), 0) : wrap_dim(dim, x.ndim(), op);
  TK_CHECK(x.ndim() > 0 || index.numel() <= 1, SHAPE_MISMATCH, op, ": a 0-D input takes a 0-D or one-element index");
  Tensor idx = dim_index(index, x, d, op, "input");
  Tensor out = Tensor::empty(index.shape(), x.dtype(), x.device(), op);
  if (out.numel() > 0)
    kernel_for(&Backend::gather, x.device(), op)(reshape(out, shape_or_1(index)), contiguous(reshape(x, shape_or_1(x))),
                                                 reshape(idx, shape_or_1(index)), d);
  return out;
}

namespace {
// scatter into `out` itself (a fresh copy of self, or fresh zeros), after the checks.
Tensor scatter_to(Tensor out, int64_t dim, const Tensor& index, const Tensor& src, ScatterReduce reduce,
                  bool include_self) {
  const Tensor& self = out;
  const char* op = reduce == ScatterReduce::None ? "scatter" : "scatterReduce";
  const int d = self.ndim() == 0 ? (wrap_dim(dim, 1, op), 0) : wrap_dim(dim, self.ndim(), op);
  TK_CHECK(self.ndim() > 0 || index.numel() <= 1, SHAPE_MISMATCH, op, ": a 0-D input takes a 0-D or one-element index");
  TK_CHECK(reduce == ScatterReduce::None || self.dtype() != DType::Bool, DTYPE_MISMATCH, op, ": reduce '",
           scatter_reduce_name(reduce), "' does not apply to bool tensors");
  Tensor idx = dim_index(index, self, d, op, "input");
  TK_CHECK(src.device() == self.device() || src.is_wrapped_number(), DEVICE_MISMATCH, op, ": src is on ",
           device_name(src.device()), ", the input on ", device_name(self.device()));
  // A number (or a 0-D src) is written at every index position, as scatter(dim, index, value).
  Tensor s = src;
  if (src.ndim() == 0) {
    s = ops::broadcast_to(ops::operand(src, self.dtype(), self.device()), index.shape());
  } else {
    TK_CHECK(src.ndim() == index.ndim(), SHAPE_MISMATCH, op, ": src ", fmt_shape(src.shape()),
             " must have as many dims as the index ", fmt_shape(index.shape()));
    for (int k = 0; k < index.ndim(); ++k) {
      TK_CHECK(src.shape()[k] >= index.shape()[k], SHAPE_MISMATCH, op, ": src ", fmt_shape(src.shape()),
               " is smaller than the index ", fmt_shape(index.shape()), " in dim ", k);
      if (src.shape()[k] > index.shape()[k]) s = narrow(s, k, 0, index.shape()[k]);
    }
    TK_CHECK(src.dtype() == self.dtype(), DTYPE_MISMATCH, op, ": src is ", dtype_name(src.dtype()), ", the input ",
             dtype_name(self.dtype()), "; convert one with .to()");
  }
  if (index.numel() > 0)
    kernel_for(&Backend::scatter, self.device(), op)(reshape(out, shape_or_1(self)), reshape(idx, shape_or_1(index)),
                                                     contiguous(reshape(s, shape_or_1(index))), d, reduce,
                                                     include_self);
  return out;
}
}  // namespace

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, ScatterReduce reduce,
               bool include_self) {
  return scatter_to(clone(self), dim, index, src, reduce, include_self);
}

Tensor scatter_into_zeros(const DimVec& shape, int64_t dim, const Tensor& index, const Tensor& src,
                          ScatterReduce reduce) {
  return scatter_to(full(shape, 0, src.dtype(), src.device()), dim, index, src, reduce, true);
}

ScatterReduce scatter_reduce_of(std::string_view name, const char* op) {
  if (name == "none") return ScatterReduce::None;
  if (name == "sum") return ScatterReduce::Sum;
  if (name == "prod") return ScatterReduce::Prod;
  if (name == "mean") return ScatterReduce::Mean;
  if (name == "amax") return ScatterReduce::Amax;
  if (name == "amin") return ScatterReduce::Amin;
  raise(ErrorCode::INVALID_ARGUMENT, op, ": reduce must be 'sum', 'prod', 'mean', 'amax' or 'amin', got '", name, "'");
}

std::string_view scatter_reduce_name(ScatterReduce r) {
  switch (r) {
    case ScatterReduce::None: return "none";
    case ScatterReduce::Sum: return "sum";
    case ScatterReduce::Prod: return "prod";
    case ScatterReduce::Mean: return "mean";
    case ScatterReduce::Amax: return "amax";
    case ScatterReduce::Amin: return "amin";
  }
  return "none";
}

Tensor nonzero(const Tensor& x) {
  const char* op = "nonzero";
  Tensor v = contiguous(to_device(is_half(x.dtype()) ? to_dtype(x, DType::Float32) : x, Device{}));
  const int nd = x.ndim();
  std::vector<int64_t> flat;
  dispatch_dtype(v.dtype(), [&]<class T>() {
    const T* p = v.data<T>();
    for (int64_t i = 0, n = v.numel(); i < n; ++i)
      if (p[i] != T(0)) flat.push_back(i);
  });
  Tensor out = Tensor::empty({int64_t(flat.size()), nd}, DType::Int64, Device{}, op);
  int64_t* o = out.data<int64_t>();
  for (size_t k = 0; k < flat.size(); ++k) {
    int64_t f = flat[k];
    for (int d = nd - 1; d >= 0; --d) {
      o[int64_t(k) * nd + d] = f % x.shape()[d];
      f /= x.shape()[d];
    }
  }
  return to_device(out, x.device());
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
// gather [dim] (inputs x, index); scatter [dim, reduce ('none' replaces), includeSelf] (inputs
// self, index, src); nonzero [].
Outputs op_gather(const Args& a) {
  expect_inputs(a, 2);
  return {gather(a.in[0], a.attrs.integer(0, "dim"), a.in[1])};
}
Outputs op_scatter(const Args& a) {
  expect_inputs(a, 3);
  const ScatterReduce r = scatter_reduce_of(a.attrs.string_opt(1, "reduce").value_or("none"), a.name);
  return {scatter(a.in[0], a.attrs.integer(0, "dim"), a.in[1], a.in[2], r, a.attrs.boolean_or(2, "includeSelf", true))};
}
Outputs op_nonzero(const Args& a) {
  expect_inputs(a, 1);
  return {nonzero(a.in[0])};
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
