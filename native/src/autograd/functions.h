// The ops derivative formulas are written in. Each goes through tk::call(), so when the backward
// pass is itself recorded (create_graph) its results carry a graph too and second derivatives
// work; with grad mode off they cost one switch more than the plain C++ API.
#pragma once
#include <initializer_list>
#include <vector>

#include "tk/ops.h"

namespace tk::autograd::fn {

Tensor op(OpId id, std::initializer_list<Tensor> inputs, std::vector<Attr> attrs = {});
Tensor op(OpId id, std::span<const Tensor> inputs, std::vector<Attr> attrs);

inline Attr num(double v) {
  Attr a;
  a.kind = Attr::Kind::Number;
  a.number = v;
  return a;
}
inline Attr flag(bool v) {
  Attr a;
  a.kind = Attr::Kind::Bool;
  a.boolean = v;
  return a;
}
inline Attr ints(std::vector<int64_t> v) {
  Attr a;
  a.kind = Attr::Kind::Ints;
  a.ints = std::move(v);
  return a;
}

inline Attr text(std::string v) {
  Attr a;
  a.kind = Attr::Kind::String;
  a.str = std::move(v);
  return a;
}

// A wrapped number: promotes like a JS scalar (a float32 tensor times it stays float32).
inline Tensor scalar(double v) { return Tensor::wrapped_scalar(v, DType::Float64); }

inline Tensor add(const Tensor& a, const Tensor& b) { return op(OpId::add, {a, b}); }
inline Tensor sub(const Tensor& a, const Tensor& b) { return op(OpId::sub, {a, b}); }
inline Tensor mul(const Tensor& a, const Tensor& b) { return op(OpId::mul, {a, b}); }
inline Tensor mul(const Tensor& a, double b) { return op(OpId::mul, {a, scalar(b)}); }
inline Tensor div(const Tensor& a, const Tensor& b) { return op(OpId::div, {a, b}); }
inline Tensor pow(const Tensor& a, const Tensor& b) { return op(OpId::pow, {a, b}); }
inline Tensor pow(const Tensor& a, double b) { return op(OpId::pow, {a, scalar(b)}); }
inline Tensor neg(const Tensor& a) { return op(OpId::neg, {a}); }
inline Tensor exp(const Tensor& a) { return op(OpId::exp, {a}); }
inline Tensor log(const Tensor& a) { return op(OpId::log, {a}); }
inline Tensor sin(const Tensor& a) { return op(OpId::sin, {a}); }
inline Tensor cos(const Tensor& a) { return op(OpId::cos, {a}); }
inline Tensor erf(const Tensor& a) { return op(OpId::erf, {a}); }
inline Tensor sqrt(const Tensor& a) { return op(OpId::sqrt, {a}); }
inline Tensor sinh(const Tensor& a) { return op(OpId::sinh, {a}); }
inline Tensor cosh(const Tensor& a) { return op(OpId::cosh, {a}); }
inline Tensor where(const Tensor& c, const Tensor& a, const Tensor& b) { return op(OpId::where, {c, a, b}); }
inline Tensor matmul(const Tensor& a, const Tensor& b) { return op(OpId::matmul, {a, b}); }
inline Tensor transpose(const Tensor& x, int64_t a, int64_t b) {
  return op(OpId::transpose, {x}, {num(double(a)), num(double(b))});
}
inline Tensor mT(const Tensor& x) { return fn::transpose(x, -2, -1); }
inline Tensor permute(const Tensor& x, std::vector<int64_t> dims) {
  return op(OpId::permute, {x}, {ints(std::move(dims))});
}
inline Tensor unsqueeze(const Tensor& x, int64_t d) { return op(OpId::unsqueeze, {x}, {num(double(d))}); }
inline Tensor narrow(const Tensor& x, int64_t d, int64_t start, int64_t len) {
  return op(OpId::narrow, {x}, {num(double(d)), num(double(start)), num(double(len))});
}
inline Tensor select(const Tensor& x, int64_t d, int64_t i) {
  return op(OpId::select, {x}, {num(double(d)), num(double(i))});
}
inline Tensor cumsum(const Tensor& x, int64_t d) { return op(OpId::cumsum, {x}, {num(double(d))}); }
inline Tensor to_dtype(const Tensor& x, DType dt) {
  Attr a;
  a.kind = Attr::Kind::String;
  a.str = std::string(dtype_name(dt));
  return op(OpId::to_dtype, {x}, {a});
}
inline Tensor to_device(const Tensor& x, Device d) {
  Attr a;
  a.kind = Attr::Kind::String;
  a.str = device_name(d);
  return op(OpId::to_device, {x}, {a});
}
Tensor reshape(const Tensor& x, const DimVec& shape);
Tensor expand(const Tensor& x, const DimVec& shape);
Tensor cat(const std::vector<Tensor>& xs, int64_t dim);
// Sum over `dims` (all when empty), keeping them with size 1 if keepdim.
Tensor sum(const Tensor& x, std::vector<int64_t> dims, bool keepdim);
// Sums x down to `shape`, which x's shape is a broadcast of (the gradient of a broadcast).
Tensor sum_to(const Tensor& x, const DimVec& shape);
// A gradient reduced over `dims` (all when nullopt) spread back to `shape`: the inverse of a
// reduction's shape change, as a broadcast view.
Tensor unreduce(const Tensor& g, const DimVec& shape, const std::optional<std::vector<int64_t>>& dims, bool keepdim);
// Constant tensors (never differentiable, so made directly).
Tensor zeros(const DimVec& shape, DType dt, Device d);
// dtype-matched 0/1 mask from a bool tensor.
Tensor mask(const Tensor& cond, DType dt);

}  // namespace tk::autograd::fn
