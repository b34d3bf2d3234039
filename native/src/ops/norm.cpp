// batch_norm: the fused batch normalization (backend.h's batch_norm kernels); the checks and the
// statistics' dtype live here. The running statistics are the caller's to update (from the
// returned mean and var), so the op writes nothing but its outputs.
#include <cmath>

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

namespace ops {
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
