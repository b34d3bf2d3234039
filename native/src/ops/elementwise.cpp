// Element-wise ops: type promotion, broadcasting and in-place rules, then the device kernel.
#include <array>
#include <optional>
#include <utility>

#include "kernels/functors.h"
#include "ops/internal.h"

namespace tk {
namespace {
using namespace ops;

using kernels::Rule;

constexpr std::array kUnaryRules = {
#define TK_UNARY(name, F, rule, inplace, cost) Rule::rule,
#include "tk/ops.def"
};
constexpr std::array kUnaryNames = {
#define TK_UNARY(name, F, rule, inplace, cost) #name,
#include "tk/ops.def"
};
constexpr std::array kBinaryRules = {
#define TK_BINARY(name, F, rule, inplace, cost) Rule::rule,
#include "tk/ops.def"
};
constexpr std::array kBinaryNames = {
#define TK_BINARY(name, F, rule, inplace, cost) #name,
#include "tk/ops.def"
};
static_assert(kUnaryRules.size() == size_t(UnaryOp::kCount));
static_assert(kBinaryRules.size() == size_t(BinaryOp::kCount));

// Compute dtype and result dtype of a binary op from the promoted input dtype.
struct Types {
  DType compute, result;
};
Types binary_types(BinaryOp op, DType promoted, const char* name) {
  switch (kBinaryRules[size_t(op)]) {
    case Rule::TRUEDIV: {
      DType c = is_floating(promoted) ? promoted : kDefaultFloat;
      return {c, c};
    }
    case Rule::COMPARE: return {promoted, DType::Bool};
    case Rule::FLOAT_ONLY:
      TK_CHECK(is_floating(promoted), DTYPE_MISMATCH, name, ": expected floating tensors, got ", dtype_name(promoted),
               " (convert with .to('float32') first)");
      return {promoted, promoted};
    case Rule::BITWISE:
    case Rule::INTEGER:
      TK_CHECK(!is_floating(promoted), DTYPE_MISMATCH, name, ": expected integer",
               kBinaryRules[size_t(op)] == Rule::BITWISE ? " or bool" : "", " tensors, got ", dtype_name(promoted));
      TK_CHECK(kBinaryRules[size_t(op)] == Rule::BITWISE || promoted != DType::Bool, DTYPE_MISMATCH, name,
               ": not supported for bool tensors, got bool (convert with .to('int32') first)");
      return {promoted, promoted};
    case Rule::ARITH_NOBOOL:
      TK_CHECK(promoted != DType::Bool, DTYPE_MISMATCH, name,
               ": not supported for bool tensors, got bool (convert with .to('int32') first)");
      return {promoted, promoted};
    default: return {promoted, promoted};
  }
}

DType unary_compute(UnaryOp op, DType in, const char* name) {
  if (kUnaryRules[size_t(op)] == Rule::FLOAT) return is_floating(in) ? in : kDefaultFloat;
  if (kUnaryRules[size_t(op)] == Rule::BITWISE) {
    TK_CHECK(!is_floating(in), DTYPE_MISMATCH, name, ": expected an integer or bool tensor, got ", dtype_name(in));
    return in;
  }
  TK_CHECK(in != DType::Bool, DTYPE_MISMATCH, name,
           ": not supported for bool tensors, got bool (convert with .to('int32') first)");
  return in;
}

// Checks only values can fail, before a kernel runs:
// - As torch, an integer tensor to a negative integer number is an error, not the zeros that
//   truncating 1 / x^n gives. (A tensor exponent computes elementwise, as torch's does.)
// - Integer division by zero (remainder, fmod, floor_divide) is an error, as torch's
//   ZeroDivisionError; the kernels would otherwise trap.
void check_values(BinaryOp op, DType compute, const Tensor& b, const char* name) {
  if (is_floating(compute)) return;
  if (op == BinaryOp::pow && b.is_wrapped_number()) {
    const double e = dispatch_dtype(b.dtype(), [&]<class T>() { return double(*b.data<T>()); });
    TK_CHECK(!(e < 0), INVALID_ARGUMENT, name, ": integers to negative integer powers are not allowed, got exponent ",
             e, " for a ", dtype_name(compute), " tensor (convert it to a float dtype first)");
  }
  if (op == BinaryOp::remainder || op == BinaryOp::fmod || op == BinaryOp::floor_divide) {
    Tensor d = contiguous(to_device(to_dtype(b, DType::Int64), Device{}));
    const int64_t* p = d.data<int64_t>();
    for (int64_t i = 0, n = d.numel(); i < n; ++i)
      TK_CHECK(p[i] != 0, INVALID_ARGUMENT, name, ": integer division by zero (the divisor holds a 0 at element ", i,
               "); divide float tensors for inf and NaN");
  }
}

// x.pow(0.5) and x.pow(-0.5) for a JS number exponent and a float compute type are PyTorch's sqrt
// and rsqrt (pow_tensor_scalar_kernel), at their cost and with their values at -0 and -inf; a
// tensor exponent, even a 1-element one, keeps pow's.
std::optional<UnaryOp> pow_as_unary(BinaryOp op, DType compute, const Tensor& b) {
  if (op != BinaryOp::pow || !b.is_wrapped_number() || !is_floating(compute)) return std::nullopt;
  const double e = dispatch_dtype(b.dtype(), [&]<class T>() { return double(*b.data<T>()); });
  if (e == 0.5) return UnaryOp::sqrt;
  if (e == -0.5) return UnaryOp::rsqrt;
  return std::nullopt;
}

// Writing `src` into `dst` element by element is only safe when src reads each location before
// dst overwrites it: true when they are the same view, or share no storage.
bool needs_temporary(const Tensor& dst, const Tensor& src) {
  return dst.same_storage(src) && !(dst.layout().strides == src.layout().strides && dst.offset() == src.offset());
}

}  // namespace

// The result of an element-wise op whose operands (already broadcast to its shape) are `ins`, its
// dims in the memory order of theirs: PyTorch's TensorIterator rule, so a transposed or
// channels-last input gives a result laid out alike and the kernel walks every operand forwards
// as one stretch. Dims are ordered innermost first by insertion sort on the first operand whose
// strides tell them apart (a broadcast dim, stride 0, tells nothing; a tie goes to the smaller
// size); when no operand does, they keep their order, so contiguous inputs give contiguous output.
Tensor ops::empty_result(std::initializer_list<const Tensor*> ins, DType dtype, Device device, const char* name) {
  const DimVec& shape = (*ins.begin())->shape();
  const int nd = shape.size();
  bool contiguous = true;
  for (const Tensor* t : ins) contiguous &= t->is_contiguous();
  if (contiguous || nd < 2) return Tensor::empty(shape, dtype, device, name);
  auto should_swap = [&](int d0, int d1) {  // > 0: d1 lies inside d0
    for (const Tensor* t : ins) {
      const int64_t s0 = t->strides()[d0], s1 = t->strides()[d1];
      if (s0 == 0 || s1 == 0) continue;
      if (s0 != s1) return s0 < s1 ? -1 : 1;
      if (shape[d0] > shape[d1]) return 1;
    }
    return 0;
  };
  int perm[kMaxDims];
  for (int j = 0; j < nd; ++j) perm[j] = nd - 1 - j;
  for (int i = 1; i < nd; ++i)
    for (int d1 = i, d0 = i - 1; d0 >= 0; --d0) {
      const int c = should_swap(perm[d0], perm[d1]);
      if (c > 0) {
        std::swap(perm[d0], perm[d1]);
        d1 = d0;
      } else if (c < 0) {
        break;
      }
    }
  return Tensor::empty_permuted(shape, perm, dtype, device, name);
}

// PyTorch's result_type: tensors with dims outrank 0-dim tensors, which outrank wrapped numbers;
// a lower tier only matters when its category (bool < integer < float) is higher.
DType result_type(std::span<const Tensor> ts) {
  std::optional<DType> dim, zero, wrapped;
  auto upd = [](std::optional<DType>& s, DType d) { s = s ? promote_types(*s, d) : d; };
  for (const Tensor& t : ts) {
    if (t.is_wrapped_number())
      upd(wrapped, is_floating(t.dtype()) ? kDefaultFloat : t.dtype());
    else if (t.ndim() == 0)
      upd(zero, t.dtype());
    else
      upd(dim, t.dtype());
  }
  auto combine = [](std::optional<DType> higher, std::optional<DType> lower) -> std::optional<DType> {
    if (!higher) return lower;
    if (!lower) return higher;
    if (is_floating(*higher)) return higher;
    if (*higher == DType::Bool || is_floating(*lower)) return promote_types(*higher, *lower);
    return higher;
  };
  return combine(dim, combine(zero, wrapped)).value_or(kDefaultFloat);
}

Tensor unary(UnaryOp op, const Tensor& x, double p0, double p1, double p2) {
  const char* name = kUnaryNames[size_t(op)];
  DType c = unary_compute(op, x.dtype(), name);
  Tensor in = operand(x, c, x.device());
  Tensor out = empty_result({&in}, c, x.device(), name);
  kernel_for(&Backend::unary, x.device(), name)(op, out, in, {p0, p1, p2});
  return out;
}

void unary_(UnaryOp op, const Tensor& x, double p0, double p1, double p2) {
  const char* name = kUnaryNames[size_t(op)];
  DType c = unary_compute(op, x.dtype(), name);
  check_can_cast(c, x.dtype(), name);
  check_writable(x, name);
  kernel_for(&Backend::unary, x.device(), name)(op, x, x, {p0, p1, p2});
  x.bump_version();
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b, double p0, double p1, double p2) {
  const char* name = kBinaryNames[size_t(op)];
  const kernels::UnaryParams p{p0, p1, p2};
  // Common case first: two tensors of one dtype, shape and device need no promotion, no
  // broadcast views and no conversions (the general path below gives the same result).
  if (a.dtype() == b.dtype() && !a.is_wrapped_number() && !b.is_wrapped_number() && a.shape() == b.shape() &&
      a.device() == b.device()) {
    Types t = binary_types(op, a.dtype(), name);
    check_values(op, t.compute, b, name);
    if (t.compute == a.dtype()) {
      Tensor out = empty_result({&a, &b}, t.result, a.device(), name);
      kernel_for(&Backend::binary, a.device(), name)(op, out, a, b, p);
      return out;
    }
  }
  const Tensor both[2] = {a, b};
  Device dev = common_device(both, name);
  Types t = binary_types(op, result_type(both), name);
  check_values(op, t.compute, b, name);
  if (auto u = pow_as_unary(op, t.compute, b)) return unary(*u, operand(a, t.compute, dev), 0, 0);
  DimVec shape = broadcast_shapes(a.shape(), b.shape(), name);
  const Tensor ab = broadcast_to(operand(a, t.compute, dev), shape),
               bb = broadcast_to(operand(b, t.compute, dev), shape);
  Tensor out = empty_result({&ab, &bb}, t.result, dev, name);
  kernel_for(&Backend::binary, dev, name)(op, out, ab, bb, p);
  return out;
}

void binary_(BinaryOp op, const Tensor& a, const Tensor& b, double p0, double p1, double p2) {
  const char* name = kBinaryNames[size_t(op)];
  const kernels::UnaryParams p{p0, p1, p2};
  const Tensor both[2] = {a, b};
  Device dev = common_device(both, name);
  TK_CHECK(!a.is_wrapped_number(), INVALID_ARGUMENT, name, "_: cannot write into a number");
  Types t = binary_types(op, result_type(both), name);
  check_values(op, t.compute, b, name);
  check_can_cast(t.result, a.dtype(), name);
  DimVec shape = broadcast_shapes(a.shape(), b.shape(), name);
  TK_CHECK(shape == a.shape(), SHAPE_MISMATCH, name, "_: output with shape ", fmt_shape(a.shape()),
           " doesn't match the broadcast shape ", fmt_shape(shape));
  check_writable(a, name);
  if (auto u = pow_as_unary(op, t.compute, b); u && t.compute == a.dtype()) return unary_(*u, a, 0, 0);
  auto kernel = kernel_for(&Backend::binary, dev, name);
  Tensor ac = operand(a, t.compute, dev), bc = broadcast_to(operand(b, t.compute, dev), shape);
  if (t.result == a.dtype() && !needs_temporary(a, bc)) {
    kernel(op, a, ac, bc, p);
  } else {
    Tensor tmp = Tensor::empty(shape, t.result, dev, name);
    kernel(op, tmp, ac, bc, p);
    copy_(a, tmp);
  }
  a.bump_version();
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  const Tensor all[3] = {cond, a, b};
  Device dev = common_device(all, "where");
  TK_CHECK(cond.dtype() == DType::Bool, DTYPE_MISMATCH, "where: condition must be a bool tensor, got ",
           dtype_name(cond.dtype()));
  const Tensor ab[2] = {a, b};
  DType t = result_type(ab);
  DimVec shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  Tensor out = Tensor::empty(shape, t, dev, "where");
  kernel_for(&Backend::where, dev, "where")(out, broadcast_to(operand(cond, DType::Bool, dev), shape),
                                            broadcast_to(operand(a, t, dev), shape),
                                            broadcast_to(operand(b, t, dev), shape));
  return out;
}

void copy_(const Tensor& dst, const Tensor& src) {
  const Tensor both[2] = {dst, src};
  Device dev = common_device(both, "copy_");
  DimVec shape = broadcast_shapes(dst.shape(), src.shape(), "copy_");
  TK_CHECK(shape == dst.shape(), SHAPE_MISMATCH, "copy_: source shape ", fmt_shape(src.shape()),
           " cannot be broadcast to destination shape ", fmt_shape(dst.shape()));
  check_writable(dst, "copy_");
  Tensor s = operand(src, src.dtype(), dev);
  if (needs_temporary(dst, s)) s = clone(s);
  kernel_for(&Backend::copy, dev, "copy_")(dst, broadcast_to(s, shape));
  dst.bump_version();
}

void fill_(const Tensor& t, double value) {
  check_writable(t, "fill_");
  kernel_for(&Backend::fill, t.device(), "fill_")(t, value);
  t.bump_version();
}

namespace ops {

Outputs op_where(const Args& a) {
  expect_inputs(a, 3);
  return {where(a.in[0], a.in[1], a.in[2])};
}

Outputs op_copy_(const Args& a) {
  expect_inputs(a, 2);
  copy_(a.in[0], a.in[1]);
  return {};
}

Outputs op_fill_(const Args& a) {
  expect_inputs(a, 1);
  double v = a.attrs.number(0, "value");
  if (!is_floating(a.in[0].dtype()))
    TK_CHECK(std::isfinite(v), INVALID_ARGUMENT, a.name, ": cannot fill an integer tensor with ", v);
  fill_(a.in[0], v);
  return {};
}

Outputs op_zero_(const Args& a) {
  expect_inputs(a, 1);
  fill_(a.in[0], 0);
  return {};
}

}  // namespace ops
}  // namespace tk
