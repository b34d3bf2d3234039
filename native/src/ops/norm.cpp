// batch_norm and layer_norm: the fused normalizations (backend.h's kernels); the checks, the shapes
// and the statistics' dtype live here. batch_norm's running statistics are the caller's to update
// (from the returned mean and var), so the op writes nothing but its outputs.
#include <cmath>
#include <utility>
#include <vector>

#include "ops/internal.h"

namespace tk {
namespace {

constexpr const char* kOp = "batchNorm";

// The statistics' dtype: float64 for float64 input, else float32 (16-bit input too).
DType stat_dtype(DType x) { return x == DType::Float64 ? DType::Float64 : DType::Float32; }

void check_channel(const Tensor& t, const char* name, const Tensor& x, DType want) {
  const int64_t C = x.shape()[1];
  TK_CHECK(t.defined(), INVALID_ARGUMENT, kOp, ": '", name, "' is required");
  TK_CHECK(t.ndim() == 1 && t.shape()[0] == C, SHAPE_MISMATCH, kOp, ": '", name, "' must be [", C, "], got ",
           fmt_shape(t.shape()));
  TK_CHECK(t.dtype() == want, DTYPE_MISMATCH, kOp, ": '", name, "' must be ", dtype_name(want), ", got ",
           dtype_name(t.dtype()));
  TK_CHECK(t.device() == x.device(), DEVICE_MISMATCH, kOp, ": '", name, "' is on ", device_name(t.device()),
           " but the input is on ", device_name(x.device()));
}

void check_input(const Tensor& x) {
  TK_CHECK(is_floating(x.dtype()), DTYPE_MISMATCH, kOp, ": the input must be floating, got ", dtype_name(x.dtype()));
  TK_CHECK(x.ndim() >= 2, SHAPE_MISMATCH, kOp, ": expected an input of at least 2 dims [N, C, ...], got ",
           fmt_shape(x.shape()));
}

}  // namespace

std::vector<Tensor> batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                               const Tensor& running_var, bool training, double eps) {
  check_input(x);
  check_channel(weight, "weight", x, x.dtype());
  check_channel(bias, "bias", x, x.dtype());
  TK_CHECK(std::isfinite(eps) && eps >= 0, INVALID_ARGUMENT, kOp, ": eps must be finite and >= 0, got ",
           fmt_number(eps));
  const int64_t C = x.shape()[1];
  const DType sd = stat_dtype(x.dtype());
  if (training)
    TK_CHECK(x.numel() / std::max<int64_t>(C, 1) > 1 || x.numel() == 0, INVALID_ARGUMENT, kOp,
             ": expected more than 1 value per channel when training, got input ", fmt_shape(x.shape()));
  Tensor mean, var;
  if (training) {
    mean = Tensor::empty({C}, sd, x.device(), kOp);
    var = Tensor::empty({C}, sd, x.device(), kOp);
  } else {
    TK_CHECK(running_mean.defined() && running_var.defined(), INVALID_ARGUMENT, kOp,
             ": running statistics are required when not training");
    check_channel(running_mean, "runningMean", x, running_mean.dtype());
    check_channel(running_var, "runningVar", x, running_var.dtype());
    TK_CHECK(is_floating(running_mean.dtype()) && is_floating(running_var.dtype()), DTYPE_MISMATCH, kOp,
             ": the running statistics must be floating");
    // the statistics as the kernel reads them, in the compute dtype
    mean = contiguous(to_dtype(running_mean, sd));
    var = contiguous(to_dtype(running_var, sd));
  }
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device(), kOp);
  if (x.numel() > 0)
    kernel_for(&Backend::batch_norm, x.device(), kOp)(y, mean, var, contiguous(x), contiguous(weight), contiguous(bias),
                                                      training, eps);
  else if (training) {
    fill_(mean, std::nan(""));
    fill_(var, std::nan(""));
  }
  return {y, mean, var};
}

std::vector<Tensor> batch_norm_backward(const Tensor& g, const Tensor& x, const Tensor& weight, const Tensor& mean,
                                        const Tensor& var, bool training, double eps) {
  check_input(x);
  check_channel(weight, "weight", x, x.dtype());
  check_channel(mean, "mean", x, mean.dtype());
  check_channel(var, "var", x, var.dtype());
  TK_CHECK(is_floating(mean.dtype()) && is_floating(var.dtype()), DTYPE_MISMATCH, kOp,
           ": the statistics must be floating, got ", dtype_name(mean.dtype()), " and ", dtype_name(var.dtype()));
  const DType sd = stat_dtype(x.dtype());  // the kernel reads them in the compute dtype
  TK_CHECK(g.shape() == x.shape() && g.dtype() == x.dtype() && g.device() == x.device(), SHAPE_MISMATCH, kOp,
           ": the output's gradient must be ", dtype_name(x.dtype()), " ", fmt_shape(x.shape()), ", got ",
           dtype_name(g.dtype()), " ", fmt_shape(g.shape()));
  const int64_t C = x.shape()[1];
  Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device(), kOp);
  Tensor gw = Tensor::empty({C}, x.dtype(), x.device(), kOp);
  Tensor gb = Tensor::empty({C}, x.dtype(), x.device(), kOp);
  if (x.numel() > 0)
    kernel_for(&Backend::batch_norm_backward, x.device(), kOp)(gx, gw, gb, contiguous(g), contiguous(x),
                                                               contiguous(weight), contiguous(to_dtype(mean, sd)),
                                                               contiguous(to_dtype(var, sd)), training, eps);
  else {
    fill_(gw, 0);
    fill_(gb, 0);
  }
  return {gx, gw, gb};
}

namespace {
constexpr const char* kLn = "layerNorm";

// The trailing `k` dims of x as [M, N], checked; `stats` gets the statistics' shape (x's, the
// normalized dims 1).
std::pair<int64_t, int64_t> ln_rows(const Tensor& x, int64_t k, DimVec& stats) {
  TK_CHECK(is_floating(x.dtype()), DTYPE_MISMATCH, kLn, ": the input must be floating, got ", dtype_name(x.dtype()));
  TK_CHECK(k >= 1 && k <= x.ndim(), SHAPE_MISMATCH, kLn, ": cannot normalize the last ", k, " dims of an input ",
           fmt_shape(x.shape()));
  int64_t N = 1;
  for (int d = 0; d < x.ndim(); ++d) {
    const bool norm = d >= x.ndim() - k;
    if (norm) N *= x.shape()[d];
    stats.push_back(norm ? 1 : x.shape()[d]);
  }
  return {N == 0 ? 0 : x.numel() / N, N};
}

// The normalized dims' sizes.
DimVec trailing(const Tensor& x, int64_t k) {
  DimVec s;
  for (int d = x.ndim() - int(k); d < x.ndim(); ++d) s.push_back(x.shape()[d]);
  return s;
}

void ln_param(const Tensor& t, const char* name, const Tensor& x, int64_t k) {
  if (!t.defined()) return;
  const DimVec want = trailing(x, k);
  TK_CHECK(t.shape() == want, SHAPE_MISMATCH, kLn, ": '", name, "' must be ", fmt_shape(want), ", got ",
           fmt_shape(t.shape()));
  TK_CHECK(t.dtype() == x.dtype(), DTYPE_MISMATCH, kLn, ": '", name, "' must be ", dtype_name(x.dtype()), ", got ",
           dtype_name(t.dtype()));
  TK_CHECK(t.device() == x.device(), DEVICE_MISMATCH, kLn, ": '", name, "' is on ", device_name(t.device()),
           " but the input is on ", device_name(x.device()));
}

Tensor flat_or_none(const Tensor& t, int64_t N) { return t.defined() ? reshape(contiguous(t), {N}, kLn) : Tensor(); }
}  // namespace

std::vector<Tensor> layer_norm(const Tensor& x, int64_t k, const Tensor& weight, const Tensor& bias, double eps) {
  DimVec stats;
  const auto [M, N] = ln_rows(x, k, stats);
  ln_param(weight, "weight", x, k);
  ln_param(bias, "bias", x, k);
  TK_CHECK(std::isfinite(eps) && eps >= 0, INVALID_ARGUMENT, kLn, ": eps must be finite and >= 0, got ",
           fmt_number(eps));
  const DType sd = stat_dtype(x.dtype());
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device(), kLn);
  Tensor mean = Tensor::empty(stats, sd, x.device(), kLn), rstd = Tensor::empty(stats, sd, x.device(), kLn);
  if (x.numel() > 0) {
    kernel_for(&Backend::layer_norm, x.device(), kLn)(reshape(y, {M, N}, kLn), reshape(mean, {M}, kLn),
                                                      reshape(rstd, {M}, kLn), reshape(contiguous(x), {M, N}, kLn),
                                                      flat_or_none(weight, N), flat_or_none(bias, N), eps);
  } else {  // rows of nothing: the mean of no values, as PyTorch
    fill_(mean, std::nan(""));
    fill_(rstd, std::nan(""));
  }
  return {y, mean, rstd};
}

std::vector<Tensor> layer_norm_backward(const Tensor& g, const Tensor& x, int64_t k, const Tensor& weight,
                                        const Tensor& mean, const Tensor& rstd, bool need_x, bool need_weight,
                                        bool need_bias) {
  DimVec stats;
  const auto [M, N] = ln_rows(x, k, stats);
  ln_param(weight, "weight", x, k);
  TK_CHECK(g.shape() == x.shape() && g.dtype() == x.dtype() && g.device() == x.device(), SHAPE_MISMATCH, kLn,
           ": the output's gradient must be ", dtype_name(x.dtype()), " ", fmt_shape(x.shape()), ", got ",
           dtype_name(g.dtype()), " ", fmt_shape(g.shape()));
  const DType sd = stat_dtype(x.dtype());  // the kernel reads them in the compute dtype
  for (const Tensor* t : {&mean, &rstd}) {
    TK_CHECK(t->defined() && t->numel() == M && t->device() == x.device(), SHAPE_MISMATCH, kLn,
             ": the statistics must be ", fmt_shape(stats), " on ", device_name(x.device()));
    TK_CHECK(is_floating(t->dtype()), DTYPE_MISMATCH, kLn, ": the statistics must be floating, got ",
             dtype_name(t->dtype()));
  }
  const DimVec ns = trailing(x, k);
  Tensor gx = need_x ? Tensor::empty(x.shape(), x.dtype(), x.device(), kLn) : Tensor();
  Tensor gw = need_weight && weight.defined() ? Tensor::empty(ns, x.dtype(), x.device(), kLn) : Tensor();
  Tensor gb = need_bias ? Tensor::empty(ns, x.dtype(), x.device(), kLn) : Tensor();
  if (x.numel() > 0) {
    auto flat = [&](const Tensor& t, std::vector<int64_t> s) { return t.defined() ? reshape(t, s, kLn) : Tensor(); };
    kernel_for(&Backend::layer_norm_backward, x.device(), kLn)(
        flat(gx, {M, N}), flat(gw, {N}), flat(gb, {N}), reshape(contiguous(g), {M, N}, kLn),
        reshape(contiguous(x), {M, N}, kLn), flat_or_none(weight, N), reshape(contiguous(to_dtype(mean, sd)), {M}, kLn),
        reshape(contiguous(to_dtype(rstd, sd)), {M}, kLn));
  } else {
    for (const Tensor* t : {&gw, &gb})
      if (t->defined()) fill_(*t, 0);
  }
  return {gx, gw, gb};
}

namespace ops {
// layer_norm [normalized_ndim, eps, has_weight, has_bias] (inputs x, then weight and bias when
// present) -> y, mean, rstd; layer_norm_backward [normalized_ndim, need_x, need_weight, need_bias]
// (inputs g, x, mean, rstd, then weight when present) -> dx, dweight, dbias (undefined ones as
// empty outputs are not returned: the caller asked for them).
Outputs op_layer_norm(const Args& a) {
  const bool hw = a.attrs.boolean_or(2, "has_weight", false), hb = a.attrs.boolean_or(3, "has_bias", false);
  expect_inputs(a, 1 + hw + hb);
  auto r = layer_norm(a.in[0], a.attrs.integer(0, "normalized_ndim"), hw ? a.in[1] : Tensor(),
                      hb ? a.in[1 + hw] : Tensor(), a.attrs.number_or(1, "eps", 1e-5));
  return {r[0], r[1], r[2]};
}
Outputs op_layer_norm_backward(const Args& a) {
  expect_inputs(a, 4, 5);
  const bool nx = a.attrs.boolean_or(1, "need_x", true), nw = a.attrs.boolean_or(2, "need_weight", true),
             nb = a.attrs.boolean_or(3, "need_bias", true);
  auto r = layer_norm_backward(a.in[0], a.in[1], a.attrs.integer(0, "normalized_ndim"),
                               a.in.size() > 4 ? a.in[4] : Tensor(), a.in[2], a.in[3], nx, nw, nb);
  Outputs out;
  for (const Tensor& t : r)
    if (t.defined()) out.push_back(t);
  return out;
}

// batch_norm [training, eps] (inputs x, weight, bias, optional running_mean, running_var) -> y,
// mean, var; batch_norm_backward [training, eps] (inputs g, x, weight, mean, var) -> gx, gw, gb.
Outputs op_batch_norm(const Args& a) {
  expect_inputs(a, 3, 5);
  const bool training = a.attrs.boolean_or(0, "training", true);
  const double eps = a.attrs.number_or(1, "eps", 1e-5);
  auto r = batch_norm(a.in[0], a.in[1], a.in[2], a.in.size() > 3 ? a.in[3] : Tensor(),
                      a.in.size() > 4 ? a.in[4] : Tensor(), training, eps);
  return {r[0], r[1], r[2]};
}
Outputs op_batch_norm_backward(const Args& a) {
  expect_inputs(a, 5);
  auto r = batch_norm_backward(a.in[0], a.in[1], a.in[2], a.in[3], a.in[4], a.attrs.boolean_or(0, "training", true),
                               a.attrs.number_or(1, "eps", 1e-5));
  return {r[0], r[1], r[2]};
}
}  // namespace ops

}  // namespace tk
