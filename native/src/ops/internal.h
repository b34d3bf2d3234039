// Helpers shared by the op-layer files (not part of the public C++ API).
#pragma once
#include <initializer_list>
#include <span>
#include <vector>

#include "backend.h"
#include "tk/ops.h"

namespace tk::ops {

struct Args {
  std::span<const Tensor> in;
  Attrs& attrs;
  const char* name;
};
using tk::Outputs;

// Structured-op adapters, one per TK_OP row: parse attrs, call the C++ API.
#define TK_OP(name) Outputs op_##name(const Args& a);
#include "tk/ops.def"

// The kernel parameters of a parametrised element-wise op (clamp's bounds, polygamma's n,
// leaky_relu's slope, elu's alpha, scale and input scale, hardtanh's bounds, and their backward
// kernels') from its attrs, checked (INVALID_ARGUMENT); all zero for the others. The eager call
// and the jit's fused chains both read them here.
kernels::UnaryParams elementwise_params(OpId id, const Attrs& attrs, const char* name);

// INVALID_ARGUMENT unless exactly n (or, with n_max, n..n_max) inputs were given.
void expect_inputs(const Args& a, size_t n, size_t n_max = 0);
// DEVICE_MISMATCH naming `op` unless all tensors (wrapped numbers excepted) share one device.
Device common_device(std::span<const Tensor> ts, const char* op);
// x converted to dtype (no copy when it already is) and moved to `device` if it is a wrapped
// number (PyTorch lets CPU scalars meet tensors on any device).
Tensor operand(const Tensor& x, DType dtype, Device device);
// The uninitialised result of an element-wise op over `ins` (each already of the result's shape),
// its dims in the memory order of theirs as PyTorch orders them: a transposed input gives a
// transposed result, contiguous inputs a contiguous one (ops/elementwise.cpp says how).
Tensor empty_result(std::initializer_list<const Tensor*> ins, DType dtype, Device device, const char* name);
// A view of x broadcast to `shape` (0 strides on expanded dims).
Tensor broadcast_to(const Tensor& x, const DimVec& shape);
// DTYPE_MISMATCH unless `result` can be written into a tensor of dtype `into` (PyTorch's
// can_cast: no float into integer, no number into bool).
void check_can_cast(DType result, DType into, const char* op);
// Indices a user handed to a gathering or scattering kernel, checked once here so no kernel reads
// or writes out of bounds: DTYPE_MISMATCH unless int64 or int32, INDEX_OUT_OF_RANGE unless every
// value is in [0, n). Returns them as a contiguous int64 CPU tensor (the caller moves it to its
// device). `what` names the indexed thing in the message ("embeddings", "a dimension").
Tensor checked_indices(const Tensor& index, int64_t n, const char* op, const char* what);
// INVALID_ARGUMENT if several elements of t alias one memory location (an expanded view).
void check_writable(const Tensor& t, const char* op);
std::optional<DType> dtype_attr(const Attrs& at, size_t i);
Device device_attr(const Attrs& at, size_t i, const char* op);
DimVec shape_attr(const Attrs& at, size_t i, const char* op);
// Conv attributes at first..first+3: stride, padding (1, 2 or 4 values: top, left, bottom,
// right), dilation, groups; and the same list built back from params (for derivative formulas).
Conv2dParams conv2d_params(const Attrs& at, size_t first, const char* op);
std::vector<Attr> conv2d_attrs(const Conv2dParams& p);
// Pool attributes at first..first+5: kernel, stride (default: kernel), padding, dilation,
// ceilMode, countIncludePad; and the list built back.
Pool2dParams pool2d_params(const Attrs& at, size_t first, const char* op);
std::vector<Attr> pool2d_attrs(const Pool2dParams& p);

}  // namespace tk::ops
