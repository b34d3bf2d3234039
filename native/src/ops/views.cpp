// Views (share storage, change the layout) and movement ops (contiguous, clone, to, cat, stack).
#include <algorithm>

#include "cuda/cuda_api.h"
#include "ops/internal.h"

namespace tk {
namespace {
using namespace ops;

// Resolves one -1 and checks the element count.
DimVec infer_shape(const Tensor& x, const std::vector<int64_t>& shape, const char* op) {
  DimVec s = DimVec::from(shape, op);
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      TK_CHECK(infer < 0, INVALID_ARGUMENT, op, ": only one dimension can be inferred, got ", fmt_shape(s));
      infer = i;
    } else {
      TK_CHECK(s[i] >= 0, INVALID_ARGUMENT, op, ": invalid shape dimension ", s[i], " in ", fmt_shape(s));
      TK_CHECK(!__builtin_mul_overflow(known, s[i], &known), SHAPE_MISMATCH, op, ": shape ", fmt_shape(s),
               " is invalid for input of size ", x.numel());
    }
  }
  if (infer >= 0) {
    TK_CHECK(known != 0 && x.numel() % known == 0, SHAPE_MISMATCH, op, ": shape ", fmt_shape(s),
             " is invalid for input of size ", x.numel());
    s[infer] = x.numel() / known;
  } else {
    TK_CHECK(known == x.numel(), SHAPE_MISMATCH, op, ": shape ", fmt_shape(s), " is invalid for input of size ",
             x.numel());
  }
  return s;
}

}  // namespace

Tensor contiguous(const Tensor& x) { return x.is_contiguous() ? x : clone(x); }

// A contiguous copy: what reshape(), contiguous() and autograd's saved copies need.
Tensor clone(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device(), "clone");
  if (out.numel() > 0) kernel_for(&Backend::copy, x.device(), "clone")(out, x);
  return out;
}

namespace {
// The clone op, PyTorch's clone() (memory_format=torch.preserve_format): a copy laid out in x's
// memory order, as an element-wise result is (x.t().clone() is transposed too; a sliced view's
// copy is dense in the same order).
Tensor clone_preserving(const Tensor& x) {
  Tensor out = ops::empty_result({&x}, x.dtype(), x.device(), "clone");
  if (out.numel() > 0) kernel_for(&Backend::copy, x.device(), "clone")(out, x);
  return out;
}
}  // namespace

Tensor to_dtype(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = ops::empty_result({&x}, dtype, x.device(), "to");  // laid out as x, as PyTorch's to()
  if (out.numel() > 0) kernel_for(&Backend::copy, x.device(), "to")(out, x);
  return out;
}

Tensor to_device(const Tensor& x, Device device) {
  if (x.device() == device) return x;
  TK_CHECK(device.is_cpu() || x.device().is_cpu(), NOT_IMPLEMENTED,
           "to: copies between two CUDA devices are not supported yet, got ", device_name(x.device()), " to ",
           device_name(device));
  if (!device.is_cpu())
    TK_CHECK(device.index < cuda::device_count(), CUDA_ERROR, "to: cuda device ", device.index, " is not available (",
             cuda::device_count(), " device(s) found: ", cuda::status(), ")");
  Tensor src = contiguous(x);  // on the CPU, or already contiguous on the GPU
  Tensor out = Tensor::empty(x.shape(), x.dtype(), device, "to");
  if (out.nbytes() > 0)
    cuda::memcpy(out.data_ptr(), src.data_ptr(), out.nbytes(),
                 device.is_cpu() ? cuda::CopyKind::DeviceToHost : cuda::CopyKind::HostToDevice,
                 device.is_cpu() ? x.device().index : device.index);
  return out;
}

Tensor view(const Tensor& x, const std::vector<int64_t>& shape) {
  DimVec s = infer_shape(x, shape, "view");
  DimVec st;
  TK_CHECK(x.layout().view_strides(s, st), INVALID_ARGUMENT, "view: size ", fmt_shape(s),
           " is not compatible with the input's size and stride ", fmt_shape(x.shape()), " / ", fmt_shape(x.strides()),
           "; use reshape() instead");
  return x.with_layout({s, st, x.offset()});
}

Tensor reshape(const Tensor& x, const std::vector<int64_t>& shape, const char* op) {
  DimVec s = infer_shape(x, shape, op);
  DimVec st;
  if (x.layout().view_strides(s, st)) return x.with_layout({s, st, x.offset()});
  Tensor c = clone(x);
  return c.with_layout(Layout::contiguous(s));
}

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  int a = wrap_dim(d0, x.ndim(), "transpose"), b = wrap_dim(d1, x.ndim(), "transpose");
  Layout l = x.layout();
  if (x.ndim() == 0) return x;
  std::swap(l.shape[a], l.shape[b]);
  std::swap(l.strides[a], l.strides[b]);
  return x.with_layout(l);
}

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) {
  TK_CHECK(int(dims.size()) == x.ndim(), INVALID_ARGUMENT, "permute: number of dims don't match, got ", dims.size(),
           " dims for a tensor of shape ", fmt_shape(x.shape()));
  Layout l;
  std::array<bool, kMaxDims> seen{};
  for (int64_t d : dims) {
    int w = wrap_dim(d, x.ndim(), "permute");
    TK_CHECK(!seen[w], INVALID_ARGUMENT, "permute: dim ", d, " appears more than once");
    seen[w] = true;
    l.shape.push_back(x.shape()[w]);
    l.strides.push_back(x.strides()[w]);
  }
  l.offset = x.offset();
  return x.with_layout(l);
}

Tensor expand(const Tensor& x, const std::vector<int64_t>& shape) {
  DimVec s = DimVec::from(shape, "expand");
  TK_CHECK(s.size() >= x.ndim(), SHAPE_MISMATCH, "expand: the number of sizes provided (", s.size(),
           ") must be greater or equal to the number of dimensions in the tensor (", x.ndim(), "), got ", fmt_shape(s),
           " for ", fmt_shape(x.shape()));
  int off = s.size() - x.ndim();
  Layout l;
  l.offset = x.offset();
  for (int i = 0; i < s.size(); ++i) {
    int j = i - off;
    int64_t want = s[i];
    if (j < 0) {
      TK_CHECK(want >= 0, INVALID_ARGUMENT, "expand: -1 is not allowed in a new leading dimension, got ", fmt_shape(s));
      l.shape.push_back(want);
      l.strides.push_back(0);
      continue;
    }
    int64_t have = x.shape()[j];
    if (want == -1) want = have;
    TK_CHECK(want == have || have == 1, SHAPE_MISMATCH, "expand: the expanded size ", want,
             " must match the existing size ", have, " at dimension ", i, ", got ", fmt_shape(s), " for ",
             fmt_shape(x.shape()));
    TK_CHECK(want >= 0, INVALID_ARGUMENT, "expand: invalid size ", want);
    l.shape.push_back(want);
    l.strides.push_back(have == want ? x.strides()[j] : 0);
  }
  return x.with_layout(l);
}

Tensor squeeze(const Tensor& x, const std::optional<std::vector<int64_t>>& dims) {
  std::array<bool, kMaxDims> drop{};
  if (!dims) {
    for (int d = 0; d < x.ndim(); ++d) drop[d] = x.shape()[d] == 1;
  } else {
    for (int64_t d : *dims) {
      if (x.ndim() == 0) {
        wrap_dim(d, 0, "squeeze");
        continue;
      }
      int w = wrap_dim(d, x.ndim(), "squeeze");
      drop[w] = x.shape()[w] == 1;  // squeezing a dim that is not 1 leaves it, as in PyTorch
    }
  }
  Layout l;
  l.offset = x.offset();
  for (int d = 0; d < x.ndim(); ++d)
    if (!drop[d]) {
      l.shape.push_back(x.shape()[d]);
      l.strides.push_back(x.strides()[d]);
    }
  return x.with_layout(l);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  int d = wrap_dim(dim, x.ndim() + 1, "unsqueeze");
  Layout l = x.layout();
  int64_t st = d < x.ndim() ? x.strides()[d] * x.shape()[d] : 1;
  l.shape.insert(d, 1);
  l.strides.insert(d, st);
  return x.with_layout(l);
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  TK_CHECK(x.ndim() > 0, INVALID_ARGUMENT, "narrow: cannot be applied to a 0-dim tensor");
  int d = wrap_dim(dim, x.ndim(), "narrow");
  int64_t size = x.shape()[d];
  TK_CHECK(start >= -size && start <= size, INDEX_OUT_OF_RANGE, "narrow: start out of range (expected in [", -size,
           ", ", size, "]), got ", start);
  if (start < 0) start += size;
  TK_CHECK(length >= 0 && start + length <= size, INDEX_OUT_OF_RANGE, "narrow: start (", start, ") + length (", length,
           ") exceeds dimension size (", size, ")");
  Layout l = x.layout();
  l.offset += start * l.strides[d];
  l.shape[d] = length;
  return x.with_layout(l);
}

Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  TK_CHECK(x.ndim() >= 2, SHAPE_MISMATCH, "diagonal: expected at least 2 dims, got ", fmt_shape(x.shape()));
  int d1 = wrap_dim(dim1, x.ndim(), "diagonal"), d2 = wrap_dim(dim2, x.ndim(), "diagonal");
  TK_CHECK(d1 != d2, INVALID_ARGUMENT, "diagonal: dim1 and dim2 cannot be the same dim, got ", dim1, " and ", dim2);
  const int64_t n = x.shape()[d1], m = x.shape()[d2];
  const int64_t len = std::max<int64_t>(0, offset >= 0 ? std::min(n, m - offset) : std::min(n + offset, m));
  Layout l;
  l.offset = x.offset();
  // An empty diagonal keeps the offset, so a far `offset` cannot point the view past its storage.
  if (len > 0) l.offset += offset >= 0 ? offset * x.strides()[d2] : -offset * x.strides()[d1];
  for (int d = 0; d < x.ndim(); ++d)
    if (d != d1 && d != d2) {
      l.shape.push_back(x.shape()[d]);
      l.strides.push_back(x.strides()[d]);
    }
  l.shape.push_back(len);
  l.strides.push_back(x.strides()[d1] + x.strides()[d2]);
  return x.with_layout(l);
}

Tensor unfold(const Tensor& x, int64_t dim, int64_t size, int64_t step) {
  TK_CHECK(x.ndim() > 0, SHAPE_MISMATCH, "unfold: cannot be applied to a 0-dim tensor");
  const int d = wrap_dim(dim, x.ndim(), "unfold");
  const int64_t len = x.shape()[d];
  TK_CHECK(size >= 0 && size <= len, INVALID_ARGUMENT, "unfold: size must be in [0, ", len, "] (dim ", d,
           "'s size), got ", size);
  TK_CHECK(step > 0, INVALID_ARGUMENT, "unfold: step must be positive, got ", step);
  Layout l = x.layout();
  l.shape[d] = (len - size) / step + 1;
  l.strides[d] = x.strides()[d] * step;
  l.shape.push_back(size);
  l.strides.push_back(x.strides()[d]);
  return x.with_layout(l);
}

Tensor as_strided(const Tensor& x, const std::vector<int64_t>& size, const std::vector<int64_t>& stride,
                  std::optional<int64_t> offset) {
  const char* name = "as_strided";
  TK_CHECK(size.size() == stride.size(), SHAPE_MISMATCH, name, ": mismatch in length of strides and shape, got ",
           size.size(), " sizes and ", stride.size(), " strides");
  TK_CHECK(size.size() <= size_t(kMaxDims), SHAPE_MISMATCH, name, ": at most ", kMaxDims, " dimensions, got ",
           size.size());
  const int64_t start = offset.value_or(x.offset());
  TK_CHECK(start >= 0, INVALID_ARGUMENT, name, ": the storage offset must be non-negative, got ", start);
  const int64_t capacity = int64_t(x.storage()->nbytes() / itemsize(x.dtype()));
  Layout l;
  l.offset = start;
  // the last element reached, computed with overflow checks: a hostile size or stride must not wrap
  int64_t last = start;
  bool empty = false;
  for (size_t i = 0; i < size.size(); ++i) {
    TK_CHECK(size[i] >= 0, INVALID_ARGUMENT, name, ": sizes must be non-negative, got ", size[i], " at dimension ", i);
    TK_CHECK(stride[i] >= 0, INVALID_ARGUMENT, name, ": strides must be non-negative, got ", stride[i],
             " at dimension ", i);
    empty = empty || size[i] == 0;
    int64_t reach = 0;
    TK_CHECK(size[i] == 0 || (!__builtin_mul_overflow(size[i] - 1, stride[i], &reach) &&
                              !__builtin_add_overflow(last, reach, &last)),
             INVALID_ARGUMENT, name, ": size ", size[i], " with stride ", stride[i], " overflows at dimension ", i);
    l.shape.push_back(size[i]);
    l.strides.push_back(stride[i]);
  }
  TK_CHECK(empty || last < capacity, INDEX_OUT_OF_RANGE, name, ": the view reaches element ", last, " of a storage of ",
           capacity, " elements");
  int64_t n = 1;
  for (int64_t v : size) TK_CHECK(!__builtin_mul_overflow(n, v, &n), INVALID_ARGUMENT, name, ": too many elements");
  return x.with_layout(l);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  TK_CHECK(x.ndim() > 0, INVALID_ARGUMENT, "select: cannot be applied to a 0-dim tensor");
  int d = wrap_dim(dim, x.ndim(), "select");
  int64_t size = x.shape()[d];
  TK_CHECK(index >= -size && index < size, INDEX_OUT_OF_RANGE, "select: index ", index, " out of range for dimension ",
           d, " with size ", size);
  if (index < 0) index += size;
  Layout l = x.layout();
  l.offset += index * l.strides[d];
  l.shape.erase(d);
  l.strides.erase(d);
  return x.with_layout(l);
}

Tensor cat(std::span<const Tensor> xs, int64_t dim) {
  TK_CHECK(!xs.empty(), INVALID_ARGUMENT, "cat: expected a non-empty list of tensors");
  Device dev = common_device(xs, "cat");
  const Tensor& ref = xs[0];
  TK_CHECK(ref.ndim() > 0, INVALID_ARGUMENT, "cat: zero-dimensional tensor cannot be concatenated");
  int d = wrap_dim(dim, ref.ndim(), "cat");
  DimVec shape = ref.shape();
  shape[d] = 0;
  for (size_t k = 0; k < xs.size(); ++k) {
    const Tensor& t = xs[k];
    TK_CHECK(t.ndim() == ref.ndim(), SHAPE_MISMATCH,
             "cat: tensors must have the same number of "
             "dimensions, got ",
             fmt_shape(ref.shape()), " and ", fmt_shape(t.shape()), " (tensor ", k, ")");
    for (int i = 0; i < t.ndim(); ++i)
      TK_CHECK(i == d || t.shape()[i] == ref.shape()[i], SHAPE_MISMATCH,
               "cat: sizes of tensors must match except in dimension ", d, ", got ", fmt_shape(ref.shape()), " and ",
               fmt_shape(t.shape()), " (tensor ", k, ")");
    shape[d] += t.shape()[d];
  }
  Tensor out = Tensor::empty(shape, result_type(xs), dev, "cat");
  int64_t at = 0;
  for (const Tensor& t : xs) {
    if (t.numel() > 0) kernel_for(&Backend::copy, dev, "cat")(narrow(out, d, at, t.shape()[d]), t);
    at += t.shape()[d];
  }
  return out;
}

Tensor stack(std::span<const Tensor> xs, int64_t dim) {
  TK_CHECK(!xs.empty(), INVALID_ARGUMENT, "stack: expected a non-empty list of tensors");
  int d = wrap_dim(dim, xs[0].ndim() + 1, "stack");
  std::vector<Tensor> parts;
  for (size_t k = 0; k < xs.size(); ++k) {
    TK_CHECK(xs[k].shape() == xs[0].shape(), SHAPE_MISMATCH, "stack: expects each tensor to be equal size, got ",
             fmt_shape(xs[0].shape()), " at entry 0 and ", fmt_shape(xs[k].shape()), " at entry ", k);
    parts.push_back(unsqueeze(xs[k], d));
  }
  return cat(parts, d);
}

namespace ops {

// Attribute layouts: reshape/view/expand [shape]; transpose [dim0, dim1]; permute [dims];
// squeeze [dim?]; unsqueeze [dim]; flatten [startDim, endDim]; narrow [dim, start, length];
// select [dim, index]; diagonal [offset, dim1, dim2]; unfold [dim, size, step]; to_dtype [dtype]; to_device [device];
// cat/stack [dim].
Outputs op_reshape(const Args& a) {
  expect_inputs(a, 1);
  return {reshape(a.in[0], a.attrs.ints(0, "shape"))};
}
Outputs op_view(const Args& a) {
  expect_inputs(a, 1);
  return {view(a.in[0], a.attrs.ints(0, "shape"))};
}
Outputs op_transpose(const Args& a) {
  expect_inputs(a, 1);
  return {transpose(a.in[0], a.attrs.integer(0, "dim0"), a.attrs.integer(1, "dim1"))};
}
Outputs op_permute(const Args& a) {
  expect_inputs(a, 1);
  return {permute(a.in[0], a.attrs.ints(0, "dims"))};
}
Outputs op_expand(const Args& a) {
  expect_inputs(a, 1);
  return {expand(a.in[0], a.attrs.ints(0, "shape"))};
}
Outputs op_squeeze(const Args& a) {
  expect_inputs(a, 1);
  return {squeeze(a.in[0], a.attrs.ints_opt(0, "dim"))};
}
Outputs op_unsqueeze(const Args& a) {
  expect_inputs(a, 1);
  return {unsqueeze(a.in[0], a.attrs.integer(0, "dim"))};
}
Outputs op_flatten(const Args& a) {
  expect_inputs(a, 1);
  const Tensor& x = a.in[0];
  if (x.ndim() == 0) return {reshape(x, {1}, a.name)};
  int s = wrap_dim(a.attrs.integer_or(0, "startDim", 0), x.ndim(), a.name);
  int e = wrap_dim(a.attrs.integer_or(1, "endDim", -1), x.ndim(), a.name);
  TK_CHECK(s <= e, INVALID_ARGUMENT, a.name, ": startDim cannot come after endDim, got ", s, " and ", e);
  std::vector<int64_t> shape;
  int64_t merged = 1;
  for (int d = 0; d < x.ndim(); ++d) {
    if (d < s || d > e)
      shape.push_back(x.shape()[d]);
    else {
      merged *= x.shape()[d];
      if (d == e) shape.push_back(merged);
    }
  }
  return {reshape(x, shape, a.name)};
}
Outputs op_narrow(const Args& a) {
  expect_inputs(a, 1);
  return {narrow(a.in[0], a.attrs.integer(0, "dim"), a.attrs.integer(1, "start"), a.attrs.integer(2, "length"))};
}
Outputs op_diagonal(const Args& a) {
  expect_inputs(a, 1);
  return {diagonal(a.in[0], a.attrs.integer_or(0, "offset", 0), a.attrs.integer_or(1, "dim1", 0),
                   a.attrs.integer_or(2, "dim2", 1))};
}
Outputs op_unfold(const Args& a) {
  expect_inputs(a, 1);
  return {unfold(a.in[0], a.attrs.integer(0, "dim"), a.attrs.integer(1, "size"), a.attrs.integer(2, "step"))};
}
// as_strided [size, stride, offset (none: x's own)]
Outputs op_as_strided(const Args& a) {
  expect_inputs(a, 1);
  std::optional<int64_t> offset;
  if (a.attrs.has(2)) offset = a.attrs.integer(2, "storageOffset");
  return {as_strided(a.in[0], a.attrs.ints(0, "size"), a.attrs.ints(1, "stride"), offset)};
}
Outputs op_select(const Args& a) {
  expect_inputs(a, 1);
  return {select(a.in[0], a.attrs.integer(0, "dim"), a.attrs.integer(1, "index"))};
}
Outputs op_contiguous(const Args& a) {
  expect_inputs(a, 1);
  return {contiguous(a.in[0])};
}
Outputs op_clone(const Args& a) {
  expect_inputs(a, 1);
  return {clone_preserving(a.in[0])};
}
Outputs op_to_dtype(const Args& a) {
  expect_inputs(a, 1);
  auto dt = dtype_attr(a.attrs, 0);
  TK_CHECK(dt.has_value(), INVALID_ARGUMENT, "to: a dtype is required");
  return {to_dtype(a.in[0], *dt)};
}
Outputs op_to_device(const Args& a) {
  expect_inputs(a, 1);
  TK_CHECK(a.attrs.has(0), INVALID_ARGUMENT, "to: a device is required");
  return {to_device(a.in[0], device_attr(a.attrs, 0, "to"))};
}
Outputs op_cat(const Args& a) { return {cat(a.in, a.attrs.integer_or(0, "dim", 0))}; }
Outputs op_stack(const Args& a) { return {stack(a.in, a.attrs.integer_or(0, "dim", 0))}; }

}  // namespace ops
}  // namespace tk
