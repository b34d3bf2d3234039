#include "tk/tensor.h"

namespace tk {

namespace {
size_t checked_bytes(const DimVec& shape, DType dtype, const char* op) {
  int64_t n = checked_numel(shape, op);
  size_t bytes;
  TK_CHECK(!__builtin_mul_overflow(size_t(n), itemsize(dtype), &bytes), OUT_OF_MEMORY, op, ": tensor of shape ",
           fmt_shape(shape), " is too large");
  return bytes;
}
}  // namespace

Tensor Tensor::empty(const DimVec& shape, DType dtype, Device device, const char* op) {
  const size_t bytes = checked_bytes(shape, dtype, op);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(bytes, device, op);
  impl->layout = Layout::contiguous(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::empty_permuted(const DimVec& shape, const int* inner_first, DType dtype, Device device, const char* op) {
  Tensor out = empty(shape, dtype, device, op);
  int64_t s = 1;
  for (int j = 0; j < shape.size(); ++j) {
    out.impl_->layout.strides[inner_first[j]] = s;
    s *= shape[inner_first[j]] > 0 ? shape[inner_first[j]] : 1;
  }
  return out;
}

Tensor Tensor::zeros_shareable(const DimVec& shape, DType dtype, const char* op) {
  const size_t bytes = checked_bytes(shape, dtype, op);
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::shareable(bytes, op);
  impl->layout = Layout::contiguous(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::wrapped_scalar(double v, DType dtype) {
  Tensor t = empty({}, dtype, Device{}, "scalar");
  dispatch_dtype(dtype, [&]<class T>() { *t.data<T>() = static_cast<T>(v); });
  t.impl()->wrapped_number = true;
  return t;
}

Tensor Tensor::with_layout(Layout layout) const {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = impl_->storage;
  impl->layout = layout;
  impl->dtype = impl_->dtype;
  impl->is_view = true;
  return Tensor(std::move(impl));
}

}  // namespace tk
