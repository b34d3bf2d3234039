// 2-D pooling: checks and output sizes (PyTorch's rules, ceil_mode included), then the kernels
// over [N*C, H, W] planes. Inputs may be [N, C, H, W] or unbatched [C, H, W].
#include "ops/internal.h"
#include "tk/autograd.h"

namespace tk {
namespace ops {

namespace {
void two(const Attrs& at, size_t i, const char* name, int64_t* out, int64_t def, bool allow_zero, const char* op) {
  if (!at.has(i)) {
    out[0] = out[1] = def;
    return;
  }
  std::vector<int64_t> v = at.ints(i, name);
  TK_CHECK(v.size() == 1 || v.size() == 2, INVALID_ARGUMENT, op, ": '", name, "' must have 1 or 2 values, got ",
           v.size());
  for (int k = 0; k < 2; ++k) {
    out[k] = v[v.size() == 1 ? 0 : k];
    TK_CHECK(allow_zero ? out[k] >= 0 : out[k] > 0, INVALID_ARGUMENT, op, ": '", name, "' must be ",
             allow_zero ? "non-negative" : "positive", ", got ", out[k]);
  }
}
Attr list2(const int64_t* v) {
  Attr a;
  a.kind = Attr::Kind::Ints;
  a.ints = {v[0], v[1]};
  return a;
}
Attr flag(bool b) {
  Attr a;
  a.kind = Attr::Kind::Bool;
  a.boolean = b;
  return a;
}
}  // namespace

Pool2dParams pool2d_params(const Attrs& at, size_t f, const char* op) {
  Pool2dParams p;
  TK_CHECK(at.has(f), INVALID_ARGUMENT, op, ": 'kernelSize' is required");
  two(at, f, "kernelSize", p.kernel, 1, false, op);
  two(at, f + 1, "stride", p.stride, 0, false, op);
  if (!at.has(f + 1)) p.stride[0] = p.kernel[0], p.stride[1] = p.kernel[1];
  two(at, f + 2, "padding", p.padding, 0, true, op);
  two(at, f + 3, "dilation", p.dilation, 1, false, op);
  p.ceil_mode = at.boolean_or(f + 4, "ceilMode", false);
  p.count_include_pad = at.boolean_or(f + 5, "countIncludePad", true);
  return p;
}

std::vector<Attr> pool2d_attrs(const Pool2dParams& p) {
  return {list2(p.kernel),   list2(p.stride),   list2(p.padding),
          list2(p.dilation), flag(p.ceil_mode), flag(p.count_include_pad)};
}

}  // namespace ops

namespace {
using namespace ops;

// Bounds H * W so that it cannot overflow (a plane of 2^62 elements is refused long before).
constexpr int64_t kMaxPlane = int64_t(1) << 62;

void check_input(const Tensor& x, const char* op) {
  TK_CHECK(x.ndim() == 3 || x.ndim() == 4, SHAPE_MISMATCH, op,
           ": expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got ", fmt_shape(x.shape()));
  TK_CHECK(is_floating(x.dtype()), DTYPE_MISMATCH, op,
           ": expected a floating tensor (float32, float64, float16 or bfloat16), got ", dtype_name(x.dtype()));
}

int64_t pooled_size(int64_t in, int64_t k, int64_t s, int64_t pad, int64_t d, bool ceil_mode) {
  const int64_t span = in + 2 * pad - d * (k - 1) - 1;
  if (span < 0) return 0;  // the dilated kernel does not fit (and / would round toward 0)
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  // The last window must start inside the input or its left padding (PyTorch's rule).
  if (ceil_mode && (out - 1) * s >= in + pad) --out;
  return out;
}

Window2d window(const Tensor& x, const Pool2dParams& p, const char* op) {
  const int64_t H = x.shape()[x.ndim() - 2], W = x.shape()[x.ndim() - 1];
  for (int k = 0; k < 2; ++k)
    TK_CHECK(p.padding[k] * 2 <= p.kernel[k], INVALID_ARGUMENT, op,
             ": padding should be at most half of the kernel size, got padding ", p.padding[k], " for kernel ",
             p.kernel[k]);
  const int64_t OH = pooled_size(H, p.kernel[0], p.stride[0], p.padding[0], p.dilation[0], p.ceil_mode);
  const int64_t OW = pooled_size(W, p.kernel[1], p.stride[1], p.padding[1], p.dilation[1], p.ceil_mode);
  TK_CHECK(OH > 0 && OW > 0, SHAPE_MISMATCH, op, ": the kernel [", p.kernel[0], ", ", p.kernel[1], "] (dilation [",
           p.dilation[0], ", ", p.dilation[1], "]) does not fit the padded input ", fmt_shape(x.shape()),
           ": output size would be [", OH, ", ", OW, "]");
  return {0,
          H,
          W,
          OH,
          OW,
          p.kernel[0],
          p.kernel[1],
          p.stride[0],
          p.stride[1],
          p.padding[0],
          p.padding[1],
          p.dilation[0],
          p.dilation[1]};
}

DimVec with_hw(const DimVec& s, int64_t H, int64_t W) {
  DimVec out = s;
  out[out.size() - 2] = H;
  out[out.size() - 1] = W;
  return out;
}
}  // namespace

std::pair<Tensor, Tensor> max_pool2d(const Tensor& x0, const Pool2dParams& p, bool with_indices) {
  const char* op = "max_pool2d";
  check_input(x0, op);
  Window2d w = window(x0, p, op);
  Tensor x = contiguous(x0);
  DimVec os = with_hw(x.shape(), w.OH, w.OW);
  Tensor out = Tensor::empty(os, x.dtype(), x.device(), op);
  Tensor idx = Tensor::empty(with_indices ? os : DimVec{0}, DType::Int64, x.device(), op);
  if (out.numel() > 0) kernel_for(&Backend::max_pool2d, x.device(), op)(out, with_indices ? idx : Tensor(), x, w);
  return {out, idx};
}

Tensor max_pool2d_backward(const Tensor& go0, const Tensor& idx0, int64_t H, int64_t W) {
  const char* op = "max_pool2d_backward";
  check_input(go0, op);
  TK_CHECK(idx0.shape() == go0.shape(), SHAPE_MISMATCH, op, ": indices ", fmt_shape(idx0.shape()),
           " must have the grad_output's shape ", fmt_shape(go0.shape()));
  TK_CHECK(H > 0 && W > 0, INVALID_ARGUMENT, op, ": input size must be positive, got [", H, ", ", W, "]");
  TK_CHECK(H <= kMaxPlane / W, INVALID_ARGUMENT, op, ": input size [", H, ", ", W, "] is too large");
  // Each index is a position in its H x W input plane; the kernel writes there unchecked.
  Tensor idx = to_device(checked_indices(idx0, H * W, op, "an input plane"), go0.device());
  Tensor go = contiguous(go0);
  Tensor gi = Tensor::empty(with_hw(go.shape(), H, W), go.dtype(), go.device(), op);
  if (gi.numel() > 0) kernel_for(&Backend::max_pool2d_backward, go.device(), op)(gi, go, idx);
  return gi;
}

Tensor avg_pool2d(const Tensor& x0, const Pool2dParams& p) {
  const char* op = "avg_pool2d";
  check_input(x0, op);
  TK_CHECK(p.dilation[0] == 1 && p.dilation[1] == 1, INVALID_ARGUMENT, op, ": dilation is not supported");
  Window2d w = window(x0, p, op);
  Tensor x = contiguous(x0);
  Tensor out = Tensor::empty(with_hw(x.shape(), w.OH, w.OW), x.dtype(), x.device(), op);
  if (out.numel() > 0) kernel_for(&Backend::avg_pool2d, x.device(), op)(out, x, w, p.count_include_pad);
  return out;
}

Tensor avg_pool2d_backward(const Tensor& go0, int64_t H, int64_t W, const Pool2dParams& p) {
  const char* op = "avg_pool2d_backward";
  check_input(go0, op);
  TK_CHECK(H > 0 && W > 0, INVALID_ARGUMENT, op, ": input size must be positive");
  Tensor gi = Tensor::empty(with_hw(go0.shape(), H, W), go0.dtype(), go0.device(), op);
  Window2d w = window(gi, p, op);
  TK_CHECK(w.OH == go0.shape()[go0.ndim() - 2] && w.OW == go0.shape()[go0.ndim() - 1], SHAPE_MISMATCH, op,
           ": grad_output ", fmt_shape(go0.shape()), " does not match the pooled size [", w.OH, ", ", w.OW, "]");
  Tensor go = contiguous(go0);
  if (gi.numel() > 0) kernel_for(&Backend::avg_pool2d_backward, go.device(), op)(gi, go, w, p.count_include_pad);
  return gi;
}

Tensor adaptive_avg_pool2d(const Tensor& x0, int64_t OH, int64_t OW) {
  const char* op = "adaptive_avg_pool2d";
  check_input(x0, op);
  TK_CHECK(OH > 0 && OW > 0, INVALID_ARGUMENT, op, ": output size must be positive, got [", OH, ", ", OW, "]");
  TK_CHECK(x0.shape()[x0.ndim() - 2] > 0 && x0.shape()[x0.ndim() - 1] > 0, SHAPE_MISMATCH, op, ": input ",
           fmt_shape(x0.shape()), " has an empty spatial dimension");
  Tensor x = contiguous(x0);
  Tensor out = Tensor::empty(with_hw(x.shape(), OH, OW), x.dtype(), x.device(), op);
  if (out.numel() > 0) kernel_for(&Backend::adaptive_avg_pool2d, x.device(), op)(out, x);
  return out;
}

Tensor adaptive_avg_pool2d_backward(const Tensor& go0, int64_t H, int64_t W) {
  const char* op = "adaptive_avg_pool2d_backward";
  check_input(go0, op);
  TK_CHECK(H > 0 && W > 0, INVALID_ARGUMENT, op, ": input size must be positive");
  Tensor go = contiguous(go0);
  Tensor gi = Tensor::empty(with_hw(go.shape(), H, W), go.dtype(), go.device(), op);
  if (gi.numel() > 0) kernel_for(&Backend::adaptive_avg_pool2d_backward, go.device(), op)(gi, go);
  return gi;
}

namespace ops {
namespace {
std::pair<int64_t, int64_t> hw_attr(const Args& a, size_t i, const char* name) {
  std::vector<int64_t> v = a.attrs.ints(i, name);
  TK_CHECK(v.size() == 2, INVALID_ARGUMENT, a.name, ": '", name, "' must be [H, W]");
  return {v[0], v[1]};
}
}  // namespace

// attrs: the pool attributes, then returnIndices (default true). Indices are computed anyway
// when autograd will record this op (its derivative needs them).
Outputs op_max_pool2d(const Args& a) {
  expect_inputs(a, 1);
  const bool needed =
      a.attrs.boolean_or(6, "returnIndices", true) || (autograd::grad_enabled() && autograd::requires_grad(a.in[0]));
  auto [v, i] = max_pool2d(a.in[0], pool2d_params(a.attrs, 0, a.name), needed);
  return {v, i};
}
Outputs op_max_pool2d_backward(const Args& a) {
  expect_inputs(a, 2);
  auto [H, W] = hw_attr(a, 0, "inputSize");
  return {max_pool2d_backward(a.in[0], a.in[1], H, W)};
}
Outputs op_avg_pool2d(const Args& a) {
  expect_inputs(a, 1);
  return {avg_pool2d(a.in[0], pool2d_params(a.attrs, 0, a.name))};
}
// attrs: inputSize, then the pool attributes.
Outputs op_avg_pool2d_backward(const Args& a) {
  expect_inputs(a, 1);
  auto [H, W] = hw_attr(a, 0, "inputSize");
  return {avg_pool2d_backward(a.in[0], H, W, pool2d_params(a.attrs, 1, a.name))};
}
Outputs op_adaptive_avg_pool2d(const Args& a) {
  expect_inputs(a, 1);
  auto [H, W] = hw_attr(a, 0, "outputSize");
  return {adaptive_avg_pool2d(a.in[0], H, W)};
}
Outputs op_adaptive_avg_pool2d_backward(const Args& a) {
  expect_inputs(a, 1);
  auto [H, W] = hw_attr(a, 0, "inputSize");
  return {adaptive_avg_pool2d_backward(a.in[0], H, W)};
}
}  // namespace ops

}  // namespace tk
