// The generic entry point: op names, attribute access and call(), which routes an OpId to the
// element-wise families or to the structured op's adapter.
#include <array>
#include <cmath>
#include <limits>

#include "autograd/node.h"
#include "ops/internal.h"

namespace tk {

namespace {
constexpr std::array<std::string_view, kNumOps> kOpNames = {
#define TK_UNARY(name, F, rule, inplace, cost) #name, TK_IF_##inplace(#name "_", )
#define TK_BINARY(name, F, rule, inplace, cost) #name, TK_IF_##inplace(#name "_", )
#define TK_OP(name) #name,
#include "tk/ops.def"
};
}  // namespace

std::string_view op_name(OpId id) { return kOpNames[size_t(id)]; }

bool find_op(std::string_view name, OpId& out) {
  for (size_t i = 0; i < kOpNames.size(); ++i)
    if (kOpNames[i] == name) {
      out = OpId(i);
      return true;
    }
  return false;
}

// ---- Attrs --------------------------------------------------------------------------------------
double Attrs::number(size_t i, const char* name) const {
  const Attr* a = get(i);
  TK_CHECK(a && a->kind == Attr::Kind::Number, INVALID_ARGUMENT, op_, ": option '", name, "' must be a number");
  return a->number;
}
double Attrs::number_or(size_t i, const char* name, double def) const { return has(i) ? number(i, name) : def; }
std::optional<double> Attrs::number_opt(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  return number(i, name);
}
int64_t Attrs::integer(size_t i, const char* name) const {
  double v = number(i, name);
  TK_CHECK(is_safe_integer(v), INVALID_ARGUMENT, op_, ": option '", name, "' must be ", integer_requirement(v),
           ", got ", fmt_number(v));
  return int64_t(v);
}
int64_t Attrs::integer_or(size_t i, const char* name, int64_t def) const { return has(i) ? integer(i, name) : def; }
bool Attrs::boolean_or(size_t i, const char* name, bool def) const {
  if (!has(i)) return def;
  const Attr* a = get(i);
  TK_CHECK(a->kind == Attr::Kind::Bool, INVALID_ARGUMENT, op_, ": option '", name, "' must be a boolean");
  return a->boolean;
}
std::vector<int64_t> Attrs::ints(size_t i, const char* name) const {
  const Attr* a = get(i);
  if (a && a->kind == Attr::Kind::Number) return {integer(i, name)};
  TK_CHECK(a && a->kind == Attr::Kind::Ints, INVALID_ARGUMENT, op_, ": option '", name,
           "' must be an integer or a list of integers");
  return a->ints;
}
std::optional<std::vector<int64_t>> Attrs::ints_opt(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  return ints(i, name);
}
std::optional<std::string> Attrs::string_opt(size_t i, const char* name) const {
  if (!has(i)) return std::nullopt;
  const Attr* a = get(i);
  TK_CHECK(a->kind == Attr::Kind::String, INVALID_ARGUMENT, op_, ": option '", name, "' must be a string");
  return a->str;
}

// ---- call ---------------------------------------------------------------------------------------
namespace {
using namespace ops;

// Clamping an integer tensor to a fractional bound computes in float32 (PyTorch promotes the same).
bool clamp_needs_float(const Tensor& x, const kernels::UnaryParams& p) {
  auto frac = [](double v) { return std::isfinite(v) && v != std::floor(v); };
  return !is_floating(x.dtype()) && (frac(p.p0) || frac(p.p1));
}

Outputs run_unary(OpId id, UnaryOp op, const Args& a, bool inplace) {
  expect_inputs(a, 1);
  const kernels::UnaryParams p = elementwise_params(id, a.attrs, a.name);
  Tensor x = a.in[0];
  if ((op == UnaryOp::clamp || op == UnaryOp::hardtanh) && clamp_needs_float(x, p)) {
    TK_CHECK(!inplace, DTYPE_MISMATCH, a.name, ": result type float32 can't be cast to ", dtype_name(x.dtype()));
    x = to_dtype(x, kDefaultFloat);
  }
  if (inplace) {
    unary_(op, x, p.p0, p.p1, p.p2);
    return {};
  }
  return {unary(op, x, p.p0, p.p1, p.p2)};
}

Outputs run_binary(OpId id, BinaryOp op, const Args& a, bool inplace) {
  expect_inputs(a, 2);
  const kernels::UnaryParams p = elementwise_params(id, a.attrs, a.name);
  if (inplace) {
    binary_(op, a.in[0], a.in[1], p.p0, p.p1, p.p2);
    return {};
  }
  return {binary(op, a.in[0], a.in[1], p.p0, p.p1, p.p2)};
}

Outputs run_op(OpId id, std::span<const Tensor> inputs, Attrs& attrs) {
  const char* name = kOpNames[size_t(id)].data();  // names are literals: NUL-terminated
  Args a{inputs, attrs, name};
  switch (id) {
    // Case labels made by macros, kept as written.
    // clang-format off
#define TK_UNARY(n, F, rule, inplace, cost)                      \
  case OpId::n: return run_unary(id, UnaryOp::n, a, false); \
    TK_IF_##inplace(case OpId::n##_ : return run_unary(id, UnaryOp::n, a, true);)
#define TK_BINARY(n, F, rule, inplace, cost)                               \
  case OpId::n: return run_binary(id, BinaryOp::n, a, false); \
    TK_IF_##inplace(case OpId::n##_ : return run_binary(id, BinaryOp::n, a, true);)
#define TK_OP(n) \
  case OpId::n: return op_##n(a);
#include "tk/ops.def"
    // clang-format on
    case OpId::kCount: break;
  }
  raise(ErrorCode::INVALID_ARGUMENT, "call: unknown op id ", int(id));
}

bool any_requires_grad(std::span<const Tensor> inputs) {
  for (const Tensor& t : inputs)
    if (t.defined() && autograd::requires_grad(t)) return true;
  return false;
}
}  // namespace

Outputs call(OpId id, std::span<const Tensor> inputs, Attrs& attrs) {
  TK_CHECK(size_t(id) < kOpNames.size(), INVALID_ARGUMENT, "call: unknown op id ", int(id));
  attrs.set_op(kOpNames[size_t(id)]);
  if (!autograd::grad_enabled() || !any_requires_grad(inputs)) [[likely]]
    return run_op(id, inputs, attrs);
  // Recording. In-place ops (names ending in '_') rebase their first input's history.
  if (kOpNames[size_t(id)].back() == '_') {
    autograd::record_inplace(id, inputs, attrs, [&] { run_op(id, inputs, attrs); });
    return {};
  }
  Outputs outs = run_op(id, inputs, attrs);
  autograd::record(id, inputs, attrs, outs);
  return outs;
}

// ---- helpers shared by the op files -------------------------------------------------------------
namespace ops {

kernels::UnaryParams elementwise_params(OpId id, const Attrs& attrs, const char* name) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  auto finite = [&](size_t i, const char* attr, double def) {
    const double v = attrs.number_or(i, attr, def);
    TK_CHECK(std::isfinite(v), INVALID_ARGUMENT, name, ": '", attr, "' must be a finite number, got ", v);
    return v;
  };
  switch (id) {
    case OpId::clamp:
    case OpId::clamp_: {
      auto lo = attrs.number_opt(0, "min"), hi = attrs.number_opt(1, "max");
      TK_CHECK(lo || hi, INVALID_ARGUMENT, name, ": at least one of 'min' and 'max' must be given");
      TK_CHECK(!(lo && std::isnan(*lo)) && !(hi && std::isnan(*hi)), INVALID_ARGUMENT, name,
               ": bounds must not be NaN");
      return {lo.value_or(-inf), hi.value_or(inf)};
    }
    case OpId::polygamma: {
      const int64_t n = attrs.integer(0, "n");
      TK_CHECK(n >= 0, INVALID_ARGUMENT, name, ": n must be a non-negative integer, got ", n);
      return {double(n)};
    }
    case OpId::leaky_relu:
    case OpId::leaky_relu_backward: return {finite(0, "negative_slope", 0.01)};
    case OpId::elu:
    case OpId::elu_backward: {  // PyTorch's alpha, scale, input_scale -> negcoef, negiptcoef, poscoef
      const double alpha = finite(0, "alpha", 1.0), scale = finite(1, "scale", 1.0),
                   input_scale = finite(2, "input_scale", 1.0);
      return {alpha * scale, input_scale, scale};
    }
    case OpId::hardtanh:
    case OpId::hardtanh_backward: {
      const double lo = attrs.number_or(0, "min_val", -1), hi = attrs.number_or(1, "max_val", 1);
      TK_CHECK(!std::isnan(lo) && !std::isnan(hi), INVALID_ARGUMENT, name, ": bounds must not be NaN");
      TK_CHECK(lo <= hi, INVALID_ARGUMENT, name, ": min_val ", lo, " is above max_val ", hi);
      return {lo, hi};
    }
    default: return {};
  }
}

void expect_inputs(const Args& a, size_t n, size_t n_max) {
  size_t hi = n_max ? n_max : n;
  TK_CHECK(a.in.size() >= n && a.in.size() <= hi, INVALID_ARGUMENT, a.name, ": expected ",
           n == hi ? std::to_string(n) : std::to_string(n) + ".." + std::to_string(hi), " tensor input(s), got ",
           a.in.size());
  for (const Tensor& t : a.in) TK_CHECK(t.defined(), INVALID_ARGUMENT, a.name, ": missing input");
}

Tensor checked_indices(const Tensor& index, int64_t n, const char* op, const char* what) {
  TK_CHECK(index.dtype() == DType::Int64 || index.dtype() == DType::Int32, DTYPE_MISMATCH, op,
           ": indices must be int64 or int32, got ", dtype_name(index.dtype()));
  Tensor idx = contiguous(to_device(to_dtype(index, DType::Int64), Device{}));
  const int64_t* p = idx.data<int64_t>();
  for (int64_t i = 0, count = idx.numel(); i < count; ++i)
    TK_CHECK(p[i] >= 0 && p[i] < n, INDEX_OUT_OF_RANGE, op, ": index ", p[i], " is out of range for ", what,
             " of size ", n);
  return idx;
}

Device common_device(std::span<const Tensor> ts, const char* op) {
  const Tensor* first = nullptr;
  for (const Tensor& t : ts) {
    if (t.is_wrapped_number()) continue;
    if (!first) first = &t;
    TK_CHECK(t.device() == first->device(), DEVICE_MISMATCH, op, ": expected all tensors on the same device, got ",
             device_name(first->device()), " and ", device_name(t.device()));
  }
  return first ? first->device() : Device{};
}

Tensor operand(const Tensor& x, DType dtype, Device device) {
  Tensor t = x.dtype() == dtype ? x : to_dtype(x, dtype);
  if (t.device() != device) t = to_device(t, device);
  return t;
}

Tensor broadcast_to(const Tensor& x, const DimVec& shape) {
  if (x.shape() == shape) return x;
  return x.with_layout({shape, x.layout().broadcast_strides_to(shape), x.offset()});
}

void check_can_cast(DType result, DType into, const char* op) {
  auto category = [](DType d) { return d == DType::Bool ? 0 : is_floating(d) ? 2 : 1; };
  TK_CHECK(category(result) <= category(into), DTYPE_MISMATCH, op, ": result type ", dtype_name(result),
           " can't be cast to the desired output type ", dtype_name(into));
}

void check_writable(const Tensor& t, const char* op) {
  for (int d = 0; d < t.ndim(); ++d)
    TK_CHECK(t.strides()[d] != 0 || t.shape()[d] <= 1, INVALID_ARGUMENT, op,
             ": unsupported operation: more than one element of the written-to tensor refers to "
             "a single memory location (an expanded view); call clone() first");
}

std::optional<DType> dtype_attr(const Attrs& at, size_t i) {
  auto s = at.string_opt(i, "dtype");
  if (!s) return std::nullopt;
  return parse_dtype(*s, "dtype");
}

Device device_attr(const Attrs& at, size_t i, const char* op) {
  auto s = at.string_opt(i, "device");
  return s ? parse_device(*s, op) : Device{};
}

DimVec shape_attr(const Attrs& at, size_t i, const char* op) {
  std::vector<int64_t> v = at.ints(i, "shape");
  DimVec d = DimVec::from(v, op);
  checked_numel(d, op);
  return d;
}

}  // namespace ops
}  // namespace tk
