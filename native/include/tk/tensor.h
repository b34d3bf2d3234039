// tk::Tensor: a cheap refcounted handle to a view (layout + dtype) over a Storage.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "tk/device.h"
#include "tk/dtype.h"
#include "tk/error.h"
#include "tk/layout.h"
#include "tk/storage.h"

namespace tk {

namespace autograd {
struct Node;
class PostAccumulateHook;
class GradHook;
}  // namespace autograd

struct TensorImpl {
  StoragePtr storage;
  Layout layout;
  DType dtype = DType::Float32;
  // Set on 0-dim tensors made from a JS number operand: they take part in type promotion only by
  // category, as Python scalars do in PyTorch (int32 tensor + 2 stays int32).
  bool wrapped_number = false;
  // Made by a view op (shares a base's storage): autograd refuses in-place ops on such views
  // when gradients are involved, since it cannot route them back to the base.
  bool is_view = false;

  // ---- autograd (tk/autograd.h) ----
  bool requires_grad = false;  // set on leaves by the user; results use grad_fn instead
  bool retains_grad = false;  // a non-leaf whose .grad backward fills
  uint32_t output_nr = 0;  // which output of grad_fn this tensor is
  std::shared_ptr<autograd::Node> grad_fn;  // null for leaves
  std::shared_ptr<TensorImpl> grad;  // accumulated gradient
  std::weak_ptr<autograd::Node> grad_accumulator;  // a leaf's AccumulateGrad node, shared by uses
  std::shared_ptr<autograd::PostAccumulateHook> post_accumulate;  // runs after .grad is accumulated
  std::vector<std::shared_ptr<autograd::GradHook>> grad_hooks;  // a leaf's (autograd::add_grad_hook)
  // Where backward writes this leaf's gradient while .grad is unset (autograd::set_grad_destination).
  std::shared_ptr<TensorImpl> grad_destination;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // A new, uninitialised, contiguous tensor.
  static Tensor empty(const DimVec& shape, DType dtype, Device device, const char* op = "empty");
  // A new, uninitialised tensor whose dims lie in memory in the order `inner_first` gives (a
  // permutation of the dims, innermost first): dense, strides the products of the inner sizes.
  static Tensor empty_permuted(const DimVec& shape, const int* inner_first, DType dtype, Device device, const char* op);
  // A new contiguous CPU tensor of zeros in memory other processes can map (Storage::shareable).
  static Tensor zeros_shareable(const DimVec& shape, DType dtype, const char* op = "zeros");
  // A 0-dim tensor holding a JS number (wrapped: see TensorImpl::wrapped_number).
  static Tensor wrapped_scalar(double v, DType dtype);

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  const Layout& layout() const { return impl_->layout; }
  const DimVec& shape() const { return impl_->layout.shape; }
  const DimVec& strides() const { return impl_->layout.strides; }
  int64_t offset() const { return impl_->layout.offset; }
  int ndim() const { return impl_->layout.ndim(); }
  int64_t numel() const { return impl_->layout.numel(); }
  DType dtype() const { return impl_->dtype; }
  Device device() const { return impl_->storage->device(); }
  bool is_contiguous() const { return impl_->layout.is_contiguous(); }
  bool is_wrapped_number() const { return impl_->wrapped_number; }
  const StoragePtr& storage() const { return impl_->storage; }
  size_t nbytes() const { return size_t(numel()) * itemsize(dtype()); }

  // Pointer to element [0, 0, ...] of this view (storage base + offset).
  void* data_ptr() const {
    return static_cast<char*>(impl_->storage->data()) + impl_->layout.offset * int64_t(itemsize(dtype()));
  }
  template <class T> T* data() const { return static_cast<T*>(data_ptr()); }

  // A view sharing this tensor's storage with another layout.
  Tensor with_layout(Layout layout) const;
  bool same_storage(const Tensor& o) const { return impl_->storage == o.impl_->storage; }
  void bump_version() const { impl_->storage->bump_version(); }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

}  // namespace tk
