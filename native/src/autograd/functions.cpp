#include "autograd/functions.h"

namespace tk::autograd::fn {

Tensor op(OpId id, std::span<const Tensor> inputs, std::vector<Attr> attrs) {
  Attrs at(std::move(attrs));
  Outputs outs = call(id, inputs, at);
  TK_ASSERT(outs.size() == 1);
  return outs[0];
}

Tensor op(OpId id, std::initializer_list<Tensor> inputs, std::vector<Attr> attrs) {
  return op(id, std::span<const Tensor>(inputs.begin(), inputs.size()), std::move(attrs));
}

Tensor reshape(const Tensor& x, const DimVec& shape) {
  if (x.shape() == shape) return x;
  return op(OpId::reshape, {x}, {ints(shape.vec())});
}

Tensor expand(const Tensor& x, const DimVec& shape) {
  if (x.shape() == shape) return x;
  return op(OpId::expand, {x}, {ints(shape.vec())});
}

Tensor cat(const std::vector<Tensor>& xs, int64_t dim) {
  return op(OpId::cat, std::span<const Tensor>(xs), {num(double(dim))});
}

Tensor sum(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  Attr d;  // empty list: all dims
  if (!dims.empty()) d = ints(std::move(dims));
  return op(OpId::sum, {x}, {d, flag(keepdim)});
}

Tensor sum_to(const Tensor& x, const DimVec& shape) {
  if (x.shape() == shape) return x;
  const int lead = x.ndim() - shape.size();
  TK_ASSERT(lead >= 0);
  std::vector<int64_t> dims;
  for (int d = 0; d < lead; ++d) dims.push_back(d);
  for (int d = 0; d < shape.size(); ++d)
    if (shape[d] == 1 && x.shape()[d + lead] != 1) dims.push_back(d + lead);
  Tensor r = dims.empty() ? x : sum(x, dims, true);
  return fn::reshape(r, shape);
}

Tensor unreduce(const Tensor& g, const DimVec& shape, const std::optional<std::vector<int64_t>>& dims, bool keepdim) {
  Tensor r = g;
  if (!keepdim) {
    DimVec kept = shape;  // the reduced shape with keepdim: reduced dims of size 1
    if (!dims || dims->empty()) {
      for (int d = 0; d < kept.size(); ++d) kept[d] = 1;
    } else {
      for (int64_t d : *dims) kept[wrap_dim(d, shape.size(), "backward")] = 1;
    }
    r = fn::reshape(g, kept);
  }
  return fn::expand(r, shape);
}

Tensor zeros(const DimVec& shape, DType dt, Device d) { return full(shape, 0, dt, d); }

Tensor mask(const Tensor& cond, DType dt) { return tk::to_dtype(cond, dt); }

}  // namespace tk::autograd::fn
