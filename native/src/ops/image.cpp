// Image transforms (data.transforms): checks, output shapes and dispatch. Images are [..., H, W]
// (crop, flip, resize) or [..., C, H, W] (normalize, colour jitter); every leading dim is a batch
// dim. The kernels read contiguous inputs and run on the CPU.
#include <cmath>
#include <cstdlib>

#include "ops/internal.h"

namespace tk {
namespace ops {
namespace {

constexpr int64_t kMaxSide = int64_t(1) << 31;  // a side or offset beyond this is a mistake, not an image

Tensor image_arg(const Args& a, int min_ndim, const char* layout, bool floating_only) {
  const Tensor& x = a.in[0];
  TK_CHECK(x.ndim() >= min_ndim, SHAPE_MISMATCH, a.name, ": expected an image ", layout, " (", min_ndim,
           " or more dims), got ", fmt_shape(x.shape()));
  TK_CHECK(!floating_only || is_floating(x.dtype()), DTYPE_MISMATCH, a.name,
           ": expected a floating image (convert integer pixels with .to('float32').div(255)), got ",
           dtype_name(x.dtype()));
  return contiguous(x);
}

int64_t side(const Attrs& at, size_t i, const char* name, const char* op) {
  const int64_t v = at.integer(i, name);
  TK_CHECK(v >= 1 && v <= kMaxSide, INVALID_ARGUMENT, op, ": ", name, " must be in [1, 2^31], got ", v);
  return v;
}

DimVec with_hw(const DimVec& s, int64_t h, int64_t w) {
  DimVec o = s;
  o[o.size() - 2] = h;
  o[o.size() - 1] = w;
  return o;
}

// A per-channel statistic as float64 [C] on the CPU: `C` values, or one for every channel.
Tensor channel_stat(const Tensor& t, int64_t C, const char* op, const char* name) {
  TK_CHECK(t.ndim() == 1 && (t.numel() == C || t.numel() == 1), SHAPE_MISMATCH, op, ": ", name,
           " needs one value per channel (", C, ") or one for all, got ", fmt_shape(t.shape()));
  Tensor s = contiguous(to_dtype(to_device(t, Device{}), DType::Float64));
  if (s.numel() == C) return s;
  return full({C}, s.data<double>()[0], DType::Float64, Device{}, op);
}

}  // namespace

// inputs: image [..., H, W]; attrs: top, left, height, width, fill (default 0). Positions outside
// the image take `fill` (torchvision's crop pads with zeros the same way).
Outputs op_image_crop(const Args& a) {
  expect_inputs(a, 1);
  Tensor x = image_arg(a, 2, "[..., H, W]", false);
  const int64_t top = a.attrs.integer(0, "top"), left = a.attrs.integer(1, "left");
  TK_CHECK(std::llabs(top) <= kMaxSide && std::llabs(left) <= kMaxSide, INVALID_ARGUMENT, a.name,
           ": top and left must be within 2^31 of the image, got ", top, " and ", left);
  const int64_t h = side(a.attrs, 2, "height", a.name), w = side(a.attrs, 3, "width", a.name);
  const double fill = a.attrs.number_or(4, "fill", 0);
  TK_CHECK(std::isfinite(fill) || is_floating(x.dtype()), INVALID_ARGUMENT, a.name, ": fill ", fill, " does not fit a ",
           dtype_name(x.dtype()), " image");
  Tensor out = Tensor::empty(with_hw(x.shape(), h, w), x.dtype(), x.device(), a.name);
  Tensor f = full({1}, fill, x.dtype(), x.device(), a.name);
  if (out.numel() > 0) kernel_for(&Backend::image_crop, x.device(), a.name)(out, x, f, top, left);
  return {out};
}

// inputs: image [..., W]: each row reversed (torchvision's hflip).
Outputs op_image_hflip(const Args& a) {
  expect_inputs(a, 1);
  Tensor x = image_arg(a, 1, "[..., W]", false);
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device(), a.name);
  if (out.numel() > 0) kernel_for(&Backend::image_hflip, x.device(), a.name)(out, x);
  return {out};
}

// inputs: image [..., C, H, W] floating, mean [C] (or [1]), std [C] (or [1], nonzero).
Outputs op_image_normalize(const Args& a) {
  expect_inputs(a, 3);
  Tensor x = image_arg(a, 3, "[..., C, H, W]", true);
  const DimVec& s = x.shape();
  const int64_t C = s[s.size() - 3], S = s[s.size() - 2] * s[s.size() - 1];
  Tensor mean = channel_stat(a.in[1], C, a.name, "mean"), sd = channel_stat(a.in[2], C, a.name, "std");
  for (int64_t c = 0; c < C; ++c) {
    const double m = mean.data<double>()[c], d = sd.data<double>()[c];
    TK_CHECK(std::isfinite(m) && std::isfinite(d) && d != 0, INVALID_ARGUMENT, a.name,
             ": mean and std must be finite and std nonzero, got mean ", m, " and std ", d, " for channel ", c);
  }
  Tensor out = Tensor::empty(s, x.dtype(), x.device(), a.name);
  if (out.numel() > 0)
    kernel_for(&Backend::image_normalize, x.device(), a.name)(view(out, {out.numel() / (C * S), C, S}),
                                                              view(x, {x.numel() / (C * S), C, S}), mean, sd);
  return {out};
}

// inputs: image [..., H, W] floating; attrs: height, width. Bilinear, align_corners false.
Outputs op_image_resize(const Args& a) {
  expect_inputs(a, 1);
  Tensor x = image_arg(a, 2, "[..., H, W]", true);
  const DimVec& s = x.shape();
  const int64_t H = s[s.size() - 2], W = s[s.size() - 1];
  TK_CHECK(H > 0 && W > 0, SHAPE_MISMATCH, a.name, ": cannot resize an empty image ", fmt_shape(s));
  const int64_t h = side(a.attrs, 0, "height", a.name), w = side(a.attrs, 1, "width", a.name);
  Tensor out = Tensor::empty(with_hw(s, h, w), x.dtype(), x.device(), a.name);
  if (out.numel() > 0) {
    const int64_t P = x.numel() / (H * W);
    kernel_for(&Backend::image_resize, x.device(), a.name)(view(out, {P, h, w}), view(x, {P, H, W}));
  }
  return {out};
}

// inputs: image [..., C, H, W] floating, C 1 or 3; attrs: order (steps 0-3: brightness,
// contrast, saturation, hue, each at most once), brightness, contrast, saturation, hue.
Outputs op_image_adjust(const Args& a) {
  expect_inputs(a, 1);
  Tensor x = image_arg(a, 3, "[..., C, H, W]", true);
  const DimVec& s = x.shape();
  const int64_t C = s[s.size() - 3];
  TK_CHECK(C == 1 || C == 3, SHAPE_MISMATCH, a.name, ": expected 1 or 3 channels, got ", C, " in ", fmt_shape(s));
  ImageAdjust adj{};
  const std::vector<int64_t> order = a.attrs.ints(0, "order");
  TK_CHECK(order.size() <= 4, INVALID_ARGUMENT, a.name, ": order lists at most 4 steps, got ", order.size());
  bool seen[4] = {false, false, false, false};
  for (int64_t o : order) {
    TK_CHECK(o >= 0 && o < 4 && !seen[o], INVALID_ARGUMENT, a.name,
             ": order holds the steps 0-3 (brightness, contrast, saturation, hue) once each, got ", o);
    seen[o] = true;
    adj.order[adj.n++] = int(o);
  }
  const char* names[4] = {"brightness", "contrast", "saturation", "hue"};
  for (int k = 0; k < 4; ++k) {
    const double f = a.attrs.number_or(size_t(k) + 1, names[k], k == 3 ? 0.0 : 1.0);
    const bool ok = k == 3 ? f >= -0.5 && f <= 0.5 : std::isfinite(f) && f >= 0;
    TK_CHECK(ok, INVALID_ARGUMENT, a.name, ": ", names[k], k == 3 ? " must be in [-0.5, 0.5]" : " must be >= 0",
             ", got ", f);
    adj.factor[k] = f;
  }
  Tensor out = Tensor::empty(s, x.dtype(), x.device(), a.name);
  if (out.numel() > 0) {
    const int64_t H = s[s.size() - 2], W = s[s.size() - 1];
    kernel_for(&Backend::image_adjust, x.device(), a.name)(view(out, {out.numel() / (C * H * W), C, H, W}),
                                                           view(x, {x.numel() / (C * H * W), C, H, W}), adj);
  }
  return {out};
}

}  // namespace ops
}  // namespace tk
