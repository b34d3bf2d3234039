// Reductions and scans: dims and keepdim handling, output dtypes, and the [O, R, I] plan that the
// kernels work on.
#include <cmath>
#include <limits>

#include "ops/internal.h"

namespace tk {
namespace {
using namespace ops;

struct Plan {
  Tensor x;  // contiguous, viewable as [O, R, I]
  ORI g;
  DimVec out_shape;
};

// Marks the reduced dims; none given (or an empty list) means all dims.
std::array<bool, kMaxDims> reduced_mask(const Tensor& x, const std::optional<std::vector<int64_t>>& dims,
                                        const char* op) {
  std::array<bool, kMaxDims> red{};
  if (!dims || dims->empty()) {
    red.fill(true);
    return red;
  }
  for (int64_t d : *dims) {
    int w = wrap_dim(d, x.ndim(), op);
    TK_CHECK(!red[w], INVALID_ARGUMENT, op, ": dim ", d, " appears multiple times in the list of dims");
    red[w] = true;
  }
  return red;
}

// Reduced dims that are adjacent (ignoring size-1 dims) give [O, R, I] directly; otherwise the
// kept dims are permuted to the front (one copy) so the reduced ones form the trailing block.
Plan plan(const Tensor& input, const std::array<bool, kMaxDims>& red, bool keepdim) {
  Plan p;
  const int nd = input.ndim();
  for (int d = 0; d < nd; ++d) {
    if (!red[d])
      p.out_shape.push_back(input.shape()[d]);
    else if (keepdim)
      p.out_shape.push_back(1);
  }
  int first = -1, last = -1;
  for (int d = 0; d < nd; ++d)
    if (red[d] && input.shape()[d] != 1) {
      if (first < 0) first = d;
      last = d;
    }
  bool adjacent = true;
  for (int d = first + 1; first >= 0 && d < last; ++d)
    if (!red[d] && input.shape()[d] != 1) adjacent = false;
  if (adjacent) {
    p.x = contiguous(input);
    int64_t O = 1, R = 1, I = 1;
    for (int d = 0; d < nd; ++d) {
      int64_t s = input.shape()[d];
      if (red[d])
        R *= s;
      else if (first < 0 || d < first)
        O *= s;
      else
        I *= s;
    }
    p.g = {O, R, I};
  } else {
    std::vector<int64_t> order;
    int64_t O = 1, R = 1;
    for (int d = 0; d < nd; ++d)
      if (!red[d]) order.push_back(d), O *= input.shape()[d];
    for (int d = 0; d < nd; ++d)
      if (red[d]) order.push_back(d), R *= input.shape()[d];
    p.x = contiguous(permute(input, order));
    p.g = {O, R, 1};
  }
  return p;
}

Plan plan_dim(const Tensor& x, int64_t dim, const char* op) {
  int d = wrap_dim(dim, x.ndim(), op);
  std::array<bool, kMaxDims> red{};
  red[d] = true;
  Plan p = plan(x, red, true);
  p.out_shape = x.shape();
  return p;
}

void check_floating(const Tensor& x, const char* op) {
  TK_CHECK(is_floating(x.dtype()), DTYPE_MISMATCH, op, ": expected a floating point tensor, got ",
           dtype_name(x.dtype()), " (convert with .to('float32') first)");
}

void check_nonempty(const Plan& p, const char* op) {
  TK_CHECK(p.g.R > 0 || p.g.O * p.g.I == 0, INVALID_ARGUMENT, op,
           ": cannot reduce over a dimension of size 0 (the operation has no identity)");
}

std::optional<std::vector<int64_t>> dims_attr(const Args& a, size_t i) { return a.attrs.ints_opt(i, "dim"); }

std::optional<int64_t> single_dim_attr(const Args& a, size_t i) {
  if (!a.attrs.has(i)) return std::nullopt;
  return a.attrs.integer(i, "dim");
}

// Reduced dims in two blocks around the kept ones ([N, C, H, W] over (0, 2, 3): a convolution's
// bias gradient, a per-channel statistic) split into the leading and the trailing block, each
// adjacent, so the reduction can run as two passes over memory in order instead of plan()'s
// transposing copy of the whole input. Empty when x is not of that form.
struct Blocks {
  std::vector<int64_t> leading, trailing;
};
std::optional<Blocks> two_blocks(const Tensor& x, const std::array<bool, kMaxDims>& red) {
  int first_kept = -1, last_kept = -1;
  for (int d = 0; d < x.ndim(); ++d)
    if (!red[d] && x.shape()[d] != 1) {
      if (first_kept < 0) first_kept = d;
      last_kept = d;
    }
  if (first_kept < 0) return std::nullopt;
  Blocks b;
  for (int d = 0; d < x.ndim(); ++d) {
    if (!red[d] || x.shape()[d] == 1) continue;
    if (d > first_kept && d < last_kept) return std::nullopt;  // a reduced dim among the kept ones
    (d < first_kept ? b.leading : b.trailing).push_back(d);
  }
  if (b.leading.empty() || b.trailing.empty()) return std::nullopt;
  return b;
}

}  // namespace

Tensor reduce(ReduceOp op, const Tensor& x, const std::optional<std::vector<int64_t>>& dims, bool keepdim,
              const char* name) {
  const std::array<bool, kMaxDims> red = reduced_mask(x, dims, name);
  // Two blocks: the trailing one first (rows in memory order), then the leading one, on a
  // contiguous input (a strided one is copied either way). Sums keep their accumulator's precision
  // up to one more rounding of the partial sums, in float32, float64 or int64; half types would
  // round those partials to their own 8 or 11 bits, so they (and bool and integer means, which
  // plan() handles) take the one-pass plan. Max and min are exact either way.
  const bool exact = op == ReduceOp::Max || op == ReduceOp::Min;
  const bool wide_sum = x.dtype() == DType::Float32 || x.dtype() == DType::Float64 ||
                        (op == ReduceOp::Sum && !is_floating(x.dtype()) && x.dtype() != DType::Bool);
  if (x.is_contiguous() && x.numel() > 0 && (exact || wide_sum))
    if (const auto b = two_blocks(x, red)) {
      const ReduceOp pass = op == ReduceOp::Mean ? ReduceOp::Sum : op;
      Tensor t = reduce(pass, reduce(pass, x, b->trailing, true, name), b->leading, true, name);
      if (!keepdim) {
        std::vector<int64_t> out_shape;
        for (int d = 0; d < x.ndim(); ++d)
          if (!red[d]) out_shape.push_back(x.shape()[d]);
        t = reshape(t, out_shape);
      }
      if (op == ReduceOp::Mean) {
        int64_t count = 1;
        for (int d = 0; d < x.ndim(); ++d)
          if (red[d]) count *= x.shape()[d];
        binary_(BinaryOp::div, t, Tensor::wrapped_scalar(double(count), DType::Int64));
      }
      return t;
    }
  Plan p = plan(x, red, keepdim);
  DType out_dt = x.dtype();
  ReduceKernel k = ReduceKernel::Sum;
  switch (op) {
    case ReduceOp::Sum:
      if (!is_floating(out_dt)) out_dt = DType::Int64;
      break;
    case ReduceOp::Mean: check_floating(x, name); break;
    case ReduceOp::Max:
      k = ReduceKernel::Max;
      check_nonempty(p, name);
      break;
    case ReduceOp::Min:
      k = ReduceKernel::Min;
      check_nonempty(p, name);
      break;
  }
  Tensor out = Tensor::empty(p.out_shape, out_dt, x.device(), name);
  if (out.numel() == 0) return out;
  kernel_for(&Backend::reduce, x.device(), name)(k, out, p.x, p.g);
  if (op == ReduceOp::Mean) binary_(BinaryOp::div, out, Tensor::wrapped_scalar(double(p.g.R), DType::Int64));
  return out;
}

Tensor var(const Tensor& x, const std::optional<std::vector<int64_t>>& dims, double correction, bool keepdim,
           bool take_sqrt) {
  const char* name = take_sqrt ? "std" : "var";
  check_floating(x, name);
  Plan p = plan(x, reduced_mask(x, dims, name), keepdim);
  Tensor out = Tensor::empty(p.out_shape, x.dtype(), x.device(), name);
  if (out.numel() == 0) return out;
  kernel_for(&Backend::var, x.device(), name)(out, p.x, p.g, correction, take_sqrt);
  return out;
}

std::pair<Tensor, Tensor> arg_reduce(const Tensor& x, std::optional<int64_t> dim, bool keepdim, bool is_max,
                                     const char* name) {
  Plan p;
  if (dim) {
    std::array<bool, kMaxDims> red{};
    red[wrap_dim(*dim, x.ndim(), name)] = true;
    p = plan(x, red, keepdim);
  } else {
    p = plan(x, reduced_mask(x, std::nullopt, name), keepdim);
  }
  check_nonempty(p, name);
  Tensor values = Tensor::empty(p.out_shape, x.dtype(), x.device(), name);
  Tensor indices = Tensor::empty(p.out_shape, DType::Int64, x.device(), name);
  if (values.numel() > 0) kernel_for(&Backend::arg_reduce, x.device(), name)(values, indices, p.x, p.g, is_max);
  return {values, indices};
}

Tensor softmax(const Tensor& x, int64_t dim, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  check_floating(x, name);
  Plan p = plan_dim(x, dim, name);
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device(), name);
  if (out.numel() > 0) kernel_for(&Backend::softmax, x.device(), name)(out, p.x, p.g, log);
  return out;
}

Tensor cumsum(const Tensor& x, int64_t dim) {
  Plan p = plan_dim(x, dim, "cumsum");
  DType dt = is_floating(x.dtype()) ? x.dtype() : DType::Int64;
  Tensor out = Tensor::empty(x.shape(), dt, x.device(), "cumsum");
  if (out.numel() > 0) kernel_for(&Backend::cumsum, x.device(), "cumsum")(out, p.x, p.g);
  return out;
}

Tensor cumprod(const Tensor& x, int64_t dim) {
  Plan p = plan_dim(x, dim, "cumprod");
  DType dt = is_floating(x.dtype()) ? x.dtype() : DType::Int64;
  Tensor out = Tensor::empty(x.shape(), dt, x.device(), "cumprod");
  if (out.numel() > 0) kernel_for(&Backend::cumprod, x.device(), "cumprod")(out, p.x, p.g);
  return out;
}

Tensor cumprod_backward(const Tensor& g, const Tensor& x, int64_t dim) {
  const char* op = "cumprodBackward";
  check_floating(g, op);
  TK_CHECK(g.shape() == x.shape(), SHAPE_MISMATCH, op, ": the gradient ", fmt_shape(g.shape()), " and the input ",
           fmt_shape(x.shape()), " differ in shape");
  TK_CHECK(g.device() == x.device(), DEVICE_MISMATCH, op, ": the gradient is on ", device_name(g.device()),
           ", the input on ", device_name(x.device()));
  Plan p = plan_dim(to_dtype(x, g.dtype()), dim, op);
  Plan pg = plan_dim(g, dim, op);
  Tensor out = Tensor::empty(x.shape(), g.dtype(), x.device(), op);
  if (out.numel() > 0) kernel_for(&Backend::cumprod_backward, x.device(), op)(out, pg.x, p.x, p.g);
  return out;
}

namespace ops {

// Attribute layout: sum/mean [dim, keepdim]; max/min/argmax/argmin/*_with_indices [dim, keepdim];
// var/std [dim, correction, keepdim]; softmax/log_softmax/cumsum [dim].
Outputs op_sum(const Args& a) {
  expect_inputs(a, 1);
  return {reduce(ReduceOp::Sum, a.in[0], dims_attr(a, 0), a.attrs.boolean_or(1, "keepdim", false), a.name)};
}
Outputs op_mean(const Args& a) {
  expect_inputs(a, 1);
  return {reduce(ReduceOp::Mean, a.in[0], dims_attr(a, 0), a.attrs.boolean_or(1, "keepdim", false), a.name)};
}
Outputs op_max(const Args& a) {
  expect_inputs(a, 1);
  return {reduce(ReduceOp::Max, a.in[0], dims_attr(a, 0), a.attrs.boolean_or(1, "keepdim", false), a.name)};
}
Outputs op_min(const Args& a) {
  expect_inputs(a, 1);
  return {reduce(ReduceOp::Min, a.in[0], dims_attr(a, 0), a.attrs.boolean_or(1, "keepdim", false), a.name)};
}
Outputs op_max_with_indices(const Args& a) {
  expect_inputs(a, 1);
  auto [v, i] = arg_reduce(a.in[0], a.attrs.integer(0, "dim"), a.attrs.boolean_or(1, "keepdim", false), true, a.name);
  return {v, i};
}
Outputs op_min_with_indices(const Args& a) {
  expect_inputs(a, 1);
  auto [v, i] = arg_reduce(a.in[0], a.attrs.integer(0, "dim"), a.attrs.boolean_or(1, "keepdim", false), false, a.name);
  return {v, i};
}
Outputs op_argmax(const Args& a) {
  expect_inputs(a, 1);
  return {arg_reduce(a.in[0], single_dim_attr(a, 0), a.attrs.boolean_or(1, "keepdim", false), true, a.name).second};
}
Outputs op_argmin(const Args& a) {
  expect_inputs(a, 1);
  return {arg_reduce(a.in[0], single_dim_attr(a, 0), a.attrs.boolean_or(1, "keepdim", false), false, a.name).second};
}
Outputs op_var(const Args& a) {
  expect_inputs(a, 1);
  return {var(a.in[0], dims_attr(a, 0), a.attrs.number_or(1, "correction", 1), a.attrs.boolean_or(2, "keepdim", false),
              false)};
}
Outputs op_std(const Args& a) {
  expect_inputs(a, 1);
  return {var(a.in[0], dims_attr(a, 0), a.attrs.number_or(1, "correction", 1), a.attrs.boolean_or(2, "keepdim", false),
              true)};
}
Outputs op_softmax(const Args& a) {
  expect_inputs(a, 1);
  return {softmax(a.in[0], a.attrs.integer(0, "dim"), false)};
}
Outputs op_log_softmax(const Args& a) {
  expect_inputs(a, 1);
  return {softmax(a.in[0], a.attrs.integer(0, "dim"), true)};
}
Outputs op_cumprod(const Args& a) {
  expect_inputs(a, 1);
  return {cumprod(a.in[0], a.attrs.integer(0, "dim"))};
}
Outputs op_cumprod_backward(const Args& a) {
  expect_inputs(a, 2);
  return {cumprod_backward(a.in[0], a.in[1], a.attrs.integer(0, "dim"))};
}
Outputs op_cumsum(const Args& a) {
  expect_inputs(a, 1);
  return {cumsum(a.in[0], a.attrs.integer(0, "dim"))};
}

}  // namespace ops
}  // namespace tk
