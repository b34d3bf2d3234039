// 2-D convolution lowered to the GEMM: per image, im2col then one batched product over groups
// ([G, O/G, C/G*kh*kw] @ [G, C/G*kh*kw, OH*OW]). A 1x1 kernel with stride 1 and no padding reads
// the image in place. Images are spread over the thread pool, each thread with its own column
// buffer (the GEMM then runs single-threaded inside); a single image uses the GEMM's threads.

#include "ops/internal.h"
#include "tk/parallel.h"

namespace tk {
namespace ops {

namespace {
// A list attribute of 1 or n values (one value means all), positive unless allow_zero.
void pairs(const Attrs& at, size_t i, const char* name, int64_t* out, int n, bool allow_zero, int64_t def,
           const char* op) {
  if (!at.has(i)) {
    for (int k = 0; k < n; ++k) out[k] = def;
    return;
  }
  std::vector<int64_t> v = at.ints(i, name);
  TK_CHECK(v.size() == 1 || int(v.size()) == n || (n == 4 && v.size() == 2), INVALID_ARGUMENT, op, ": '", name,
           "' must have 1 or ", n == 4 ? "2 or 4" : std::to_string(n), " values, got ", v.size());
  for (int k = 0; k < n; ++k) {
    int64_t x = v.size() == 1 ? v[0] : (n == 4 && v.size() == 2) ? v[k % 2] : v[k];
    TK_CHECK(allow_zero ? x >= 0 : x > 0, INVALID_ARGUMENT, op, ": '", name, "' must be ",
             allow_zero ? "non-negative" : "positive", ", got ", x);
    out[k] = x;
  }
}
}  // namespace

Conv2dParams conv2d_params(const Attrs& at, size_t first, const char* op) {
  Conv2dParams p;
  pairs(at, first, "stride", p.stride, 2, false, 1, op);
  pairs(at, first + 1, "padding", p.padding, 4, true, 0, op);
  pairs(at, first + 2, "dilation", p.dilation, 2, false, 1, op);
  p.groups = at.integer_or(first + 3, "groups", 1);
  TK_CHECK(p.groups > 0, INVALID_ARGUMENT, op, ": 'groups' must be positive, got ", p.groups);
  return p;
}

std::vector<Attr> conv2d_attrs(const Conv2dParams& p) {
  auto list = [](std::initializer_list<int64_t> v) {
    Attr a;
    a.kind = Attr::Kind::Ints;
    a.ints = v;
    return a;
  };
  Attr g;
  g.kind = Attr::Kind::Number;
  g.number = double(p.groups);
  return {list({p.stride[0], p.stride[1]}), list({p.padding[0], p.padding[1], p.padding[2], p.padding[3]}),
          list({p.dilation[0], p.dilation[1]}), g};
}

}  // namespace ops

namespace {
using namespace ops;

struct Geometry {
  int64_t N, C, H, W, O, kh, kw, G, OH, OW;
  Window2d win;  // per group: C / G channels
  bool pointwise;  // 1x1, stride 1, no padding: the image is its own column matrix
};

Geometry geometry(int64_t N, int64_t C, int64_t H, int64_t W, int64_t O, int64_t kh, int64_t kw, const Conv2dParams& p,
                  const char* op) {
  Geometry g{N, C, H, W, O, kh, kw, p.groups, 0, 0, {}, false};
  TK_CHECK(C % p.groups == 0, INVALID_ARGUMENT, op, ": groups (", p.groups, ") must divide the input channels (", C,
           ")");
  TK_CHECK(O % p.groups == 0, INVALID_ARGUMENT, op, ": groups (", p.groups, ") must divide the output channels (", O,
           ")");
  const int64_t eh = p.dilation[0] * (kh - 1) + 1, ew = p.dilation[1] * (kw - 1) + 1;
  const int64_t Hp = H + p.padding[0] + p.padding[2], Wp = W + p.padding[1] + p.padding[3];
  TK_CHECK(eh <= Hp && ew <= Wp, SHAPE_MISMATCH, op, ": kernel size [", eh, ", ", ew,
           "] (dilated) is larger than the padded input [", Hp, ", ", Wp, "]");
  g.OH = (Hp - eh) / p.stride[0] + 1;
  g.OW = (Wp - ew) / p.stride[1] + 1;
  g.win = {C / p.groups, H, W, g.OH, g.OW, kh, kw, p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0],
           p.dilation[1]};
  g.pointwise = kh == 1 && kw == 1 && p.stride[0] == 1 && p.stride[1] == 1 && p.padding[0] == 0 && p.padding[1] == 0 &&
                p.padding[2] == 0 && p.padding[3] == 0;
  return g;
}

void check_tensors(std::initializer_list<const Tensor*> ts, const char* op) {
  const Tensor* first = *ts.begin();
  for (const Tensor* t : ts) {
    if (!t->defined()) continue;
    TK_CHECK(is_floating(t->dtype()), DTYPE_MISMATCH, op,
             ": expected floating tensors (float32, float64, float16 or bfloat16), got ", dtype_name(t->dtype()));
    TK_CHECK(t->dtype() == first->dtype(), DTYPE_MISMATCH, op, ": expected all tensors to have the same dtype, got ",
             dtype_name(first->dtype()), " and ", dtype_name(t->dtype()));
    TK_CHECK(t->device() == first->device(), DEVICE_MISMATCH, op, ": expected all tensors on the same device, got ",
             device_name(first->device()), " and ", device_name(t->device()));
  }
}

void check_4d(const Tensor& t, const char* op, const char* what) {
  TK_CHECK(t.ndim() == 4, SHAPE_MISMATCH, op, ": expected ", what, " to be 4-D, got ", fmt_shape(t.shape()));
}

// Runs fn(n, col) for every image n; col is a per-thread scratch [G, C/G*kh*kw, OH*OW].
template <class Fn> void for_images(const Geometry& g, DType dt, Device dev, const Fn& fn) {
  const DimVec col_shape{g.G, g.win.C * g.kh * g.kw, g.OH * g.OW};
  if (g.N < 2 || get_num_threads() == 1) {
    Tensor col = g.pointwise ? Tensor() : Tensor::empty(col_shape, dt, dev, "conv2d");
    for (int64_t n = 0; n < g.N; ++n) fn(n, col);
    return;
  }
  parallel_for(0, g.N, 1, [&](int64_t n0, int64_t n1) {
    Tensor col = g.pointwise ? Tensor() : Tensor::empty(col_shape, dt, dev, "conv2d");
    for (int64_t n = n0; n < n1; ++n) fn(n, col);
  });
}

// The direct kernel's limit on input channels (bench/suites/conv.ts: it beats im2col for RGB
// layers; im2col's GEMM wins once the reduction is long). At 9 to 12 channels (a 3-D
// convolution's 3 colours x 3 depth taps) on 32x32 images it still runs 1.3-1.8x im2col's speed
// with 16 outputs; with 64 outputs, within 0.8-1.15x either way.
constexpr int64_t kDirectMaxChannels = 12;

// How many partial sums a weight gradient is split into over the batch: enough to keep 8 threads
// busy, fixed so the summation order never depends on the thread count.
constexpr int64_t kWeightGradRuns = 8;

// Image n of x [N, C, H, W] (contiguous) as [G, C/G, H*W] (the column matrix of a pointwise conv).
Tensor image_groups(const Tensor& x, int64_t n, const Geometry& g) {
  return reshape(select(x, 0, n), {g.G, g.C / g.G, g.H * g.W});
}

// Group gi of image n of x [N, C, H, W] (contiguous): the [C/G, H, W] block im2col reads.
Tensor group_image(const Tensor& x, int64_t n, int64_t gi, const Geometry& g) {
  const DimVec shape{g.win.C, g.H, g.W};
  return x.with_layout({shape, contiguous_strides(shape), x.offset() + (n * g.C + gi * g.win.C) * g.H * g.W});
}
}  // namespace

// Winograd pays when both channel counts are large enough for its GEMMs to dominate the
// transforms (bench/suites/conv.ts: case B gains ~2.5x; case A, 3 input channels, loses).
bool winograd_eligible(const Tensor& x, const Geometry& g, const Conv2dParams& p) {
  return x.dtype() == DType::Float32 && g.kh == 3 && g.kw == 3 && g.G == 1 && p.stride[0] == 1 && p.stride[1] == 1 &&
         p.dilation[0] == 1 && p.dilation[1] == 1 && g.C >= 16 && g.O >= 16 &&
         has_kernel(&Backend::conv3x3_winograd, x.device());
}

// The direct kernel wins while the reduction C * kh * kw is short (bench/suites/conv.ts).
bool direct_eligible(const Tensor& x, const Geometry& g, const Conv2dParams& p) {
  return x.dtype() == DType::Float32 && g.G == 1 && g.C <= kDirectMaxChannels && p.stride[0] == 1 && p.stride[1] == 1 &&
         p.dilation[0] == 1 && p.dilation[1] == 1 && has_kernel(&Backend::conv_direct, x.device());
}

// The direct weight gradient beats im2col's GEMM and Winograd's on few input channels
// (bench/suites/conv.ts; 3x3 with 16 outputs on 32x32 images: 2.5x at 9 channels, 2.8x at 16).
// Past 16 channels the GEMM's long reduction catches up; and output rows that are not a whole
// number of 16-float vectors are copied zero-padded once per input channel, which only few
// channels amortise (1 channel on 26-wide rows: 2x; 16 channels: 0.7x). 1x1 runs the GEMM on the
// image in place.
constexpr int64_t kDirectGradMaxChannels = 16, kDirectGradRaggedMaxChannels = 8;

bool direct_grad_eligible(const Tensor& x, const Geometry& g, const Conv2dParams& p) {
  const int64_t limit = g.OW % 16 == 0 ? kDirectGradMaxChannels : kDirectGradRaggedMaxChannels;
  return x.dtype() == DType::Float32 && g.G == 1 && g.C <= limit && g.kw <= 5 && !g.pointwise && p.stride[0] == 1 &&
         p.stride[1] == 1 && p.dilation[0] == 1 && p.dilation[1] == 1 && p.padding[2] == p.padding[0] &&
         p.padding[3] == p.padding[1] && has_kernel(&Backend::conv_direct_weight_grad, x.device());
}

Tensor conv2d(const Tensor& x0, const Tensor& w0, const Tensor& bias, const Conv2dParams& p) {
  const char* op = "conv2d";
  check_tensors({&x0, &w0, &bias}, op);
  check_4d(x0, op, "input");
  check_4d(w0, op, "weight");
  const int64_t O = w0.shape()[0];
  TK_CHECK(w0.shape()[1] * p.groups == x0.shape()[1], SHAPE_MISMATCH, op, ": weight ", fmt_shape(w0.shape()),
           " with groups=", p.groups, " expects ", w0.shape()[1] * p.groups, " input channels, got input ",
           fmt_shape(x0.shape()));
  if (bias.defined())
    TK_CHECK(bias.ndim() == 1 && bias.shape()[0] == O, SHAPE_MISMATCH, op, ": bias must be [", O, "], got ",
             fmt_shape(bias.shape()));
  Geometry g =
      geometry(x0.shape()[0], x0.shape()[1], x0.shape()[2], x0.shape()[3], O, w0.shape()[2], w0.shape()[3], p, op);
  // The kernels read rows of the image and of the weight: both contiguous (a copy if not).
  Tensor x = contiguous(x0), w = contiguous(w0);
  Tensor out = Tensor::empty({g.N, O, g.OH, g.OW}, x.dtype(), x.device(), op);
  if (out.numel() == 0) return out;
  if (direct_eligible(x, g, p) && kernel_for(&Backend::conv_direct, x.device(), op)(
                                      out, x, w, bias.defined() ? contiguous(bias) : bias, p.padding[0], p.padding[1]))
    return out;
  if (winograd_eligible(x, g, p) &&
      kernel_for(&Backend::conv3x3_winograd, x.device(), op)(out, x, w, bias.defined() ? contiguous(bias) : bias,
                                                             p.padding[0], p.padding[1]))
    return out;
  const int64_t K = g.win.C * g.kh * g.kw;
  Tensor wg = reshape(w, {g.G, O / g.G, K});
  double beta = 0;
  if (bias.defined()) {  // start from the bias, then accumulate the product onto it
    copy_(out, reshape(bias, {O, 1, 1}));
    beta = 1;
  }
  auto gemm = kernel_for(&Backend::gemm, x.device(), op);
  auto im2col = kernel_for(&Backend::im2col, x.device(), op);
  for_images(g, x.dtype(), x.device(), [&](int64_t n, const Tensor& col) {
    Tensor cols = col;
    if (g.pointwise) {
      cols = image_groups(x, n, g);
    } else {
      for (int64_t gi = 0; gi < g.G; ++gi) im2col(select(col, 0, gi), group_image(x, n, gi, g), g.win);
    }
    gemm(reshape(select(out, 0, n), {g.G, O / g.G, g.OH * g.OW}), wg, cols, 1.0, beta);
  });
  return out;
}

Tensor conv2d_input_grad(const Tensor& go0, const Tensor& w0, int64_t H, int64_t W, const Conv2dParams& p) {
  const char* op = "conv2d_input_grad";
  check_tensors({&go0, &w0}, op);
  check_4d(go0, op, "grad_output");
  check_4d(w0, op, "weight");
  const int64_t O = w0.shape()[0], C = w0.shape()[1] * p.groups;
  TK_CHECK(go0.shape()[1] == O, SHAPE_MISMATCH, op, ": grad_output ", fmt_shape(go0.shape()), " has ", go0.shape()[1],
           " channels, the weight ", fmt_shape(w0.shape()), " makes ", O);
  TK_CHECK(H > 0 && W > 0, INVALID_ARGUMENT, op, ": input size must be positive, got [", H, ", ", W, "]");
  Geometry g = geometry(go0.shape()[0], C, H, W, O, w0.shape()[2], w0.shape()[3], p, op);
  TK_CHECK(g.OH == go0.shape()[2] && g.OW == go0.shape()[3], SHAPE_MISMATCH, op, ": grad_output ",
           fmt_shape(go0.shape()), " does not match the output size [", g.OH, ", ", g.OW, "] of an input of size [", H,
           ", ", W, "]");
  Tensor go = contiguous(go0), w = contiguous(w0);
  // A 3x3 stride-1 input gradient is itself a 3x3 convolution: of grad_out with the kernels
  // rotated 180 degrees and in/out channels swapped, padded by 2 - padding.
  if (winograd_eligible(go, g, p) && p.padding[0] <= 2 && p.padding[1] <= 2 && p.padding[2] == p.padding[0] &&
      p.padding[3] == p.padding[1]) {
    Tensor wr = Tensor::empty({C, O, 3, 3}, w.dtype(), w.device(), op);
    copy_(wr, permute(w, {1, 0, 2, 3}));
    Tensor flipped = Tensor::empty({C, O, 3, 3}, w.dtype(), w.device(), op);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) copy_(select(select(flipped, 2, i), 2, j), select(select(wr, 2, 2 - i), 2, 2 - j));
    Tensor gx = Tensor::empty({g.N, C, H, W}, go.dtype(), go.device(), op);
    if (gx.numel() == 0 || kernel_for(&Backend::conv3x3_winograd, go.device(), op)(gx, go, flipped, Tensor(),
                                                                                   2 - p.padding[0], 2 - p.padding[1]))
      return gx;
  }
  Tensor gx = full({g.N, C, H, W}, 0, go.dtype(), go.device(), op);
  if (gx.numel() == 0 || go.numel() == 0) return gx;
  const int64_t K = g.win.C * g.kh * g.kw;
  Tensor wt = transpose(reshape(w, {g.G, O / g.G, K}), 1, 2);  // [G, K, O/G]
  auto gemm = kernel_for(&Backend::gemm, go.device(), op);
  auto col2im = kernel_for(&Backend::col2im, go.device(), op);
  for_images(g, go.dtype(), go.device(), [&](int64_t n, const Tensor& col) {
    Tensor gon = reshape(select(go, 0, n), {g.G, O / g.G, g.OH * g.OW});
    if (g.pointwise) {
      gemm(image_groups(gx, n, g), wt, gon, 1.0, 0.0);
      return;
    }
    gemm(col, wt, gon, 1.0, 0.0);
    for (int64_t gi = 0; gi < g.G; ++gi) col2im(group_image(gx, n, gi, g), select(col, 0, gi), g.win);
  });
  return gx;
}

Tensor conv2d_weight_grad(const Tensor& go0, const Tensor& x0, int64_t kh, int64_t kw, const Conv2dParams& p) {
  const char* op = "conv2d_weight_grad";
  check_tensors({&go0, &x0}, op);
  check_4d(go0, op, "grad_output");
  check_4d(x0, op, "input");
  TK_CHECK(go0.shape()[0] == x0.shape()[0], SHAPE_MISMATCH, op, ": grad_output ", fmt_shape(go0.shape()), " and input ",
           fmt_shape(x0.shape()), " differ in batch size");
  TK_CHECK(kh > 0 && kw > 0, INVALID_ARGUMENT, op, ": kernel size must be positive, got [", kh, ", ", kw, "]");
  const int64_t O = go0.shape()[1];
  Geometry g = geometry(x0.shape()[0], x0.shape()[1], x0.shape()[2], x0.shape()[3], O, kh, kw, p, op);
  TK_CHECK(g.OH == go0.shape()[2] && g.OW == go0.shape()[3], SHAPE_MISMATCH, op, ": grad_output ",
           fmt_shape(go0.shape()), " does not match the output size [", g.OH, ", ", g.OW, "]");
  Tensor go = contiguous(go0), x = contiguous(x0);
  const int64_t K = g.win.C * kh * kw;
  if (direct_grad_eligible(x, g, p) && go.numel() > 0) {
    Tensor gw = Tensor::empty({O, g.win.C, kh, kw}, x.dtype(), x.device(), op);
    if (kernel_for(&Backend::conv_direct_weight_grad, x.device(), op)(gw, x, go, p.padding[0], p.padding[1])) return gw;
  }
  if (winograd_eligible(x, g, p) && has_kernel(&Backend::conv3x3_winograd_weight_grad, x.device()) && go.numel() > 0) {
    Tensor gw = Tensor::empty({O, g.win.C, kh, kw}, x.dtype(), x.device(), op);
    if (kernel_for(&Backend::conv3x3_winograd_weight_grad, x.device(), op)(gw, x, go, p.padding[0], p.padding[1]))
      return gw;
  }
  Tensor gw = full({O, g.win.C, kh, kw}, 0, x.dtype(), x.device(), op);
  if (gw.numel() == 0 || go.numel() == 0) return gw;
  auto gemm = kernel_for(&Backend::gemm, x.device(), op);
  auto im2col = kernel_for(&Backend::im2col, x.device(), op);
  // The images are cut into a fixed number of runs (it depends on N only, never on the thread
  // count); each run sums its images into its own [G, O/G, K] partial, and the partials are added
  // in run order. So the weight gradient is bit-identical for any thread count.
  const int64_t runs = std::min<int64_t>(g.N, kWeightGradRuns);
  Tensor gwg = reshape(gw, {g.G, O / g.G, K});
  std::vector<Tensor> partial(static_cast<size_t>(runs));
  parallel_for(0, runs, 1, [&](int64_t r0, int64_t r1) {
    Tensor col = g.pointwise ? Tensor() : Tensor::empty({g.G, K, g.OH * g.OW}, x.dtype(), x.device(), op);
    for (int64_t r = r0; r < r1; ++r) {
      Tensor acc = r == 0 ? gwg : Tensor::empty({g.G, O / g.G, K}, x.dtype(), x.device(), op);
      const int64_t n0 = g.N * r / runs, n1 = g.N * (r + 1) / runs;
      for (int64_t n = n0; n < n1; ++n) {
        Tensor cols = col;
        if (g.pointwise) {
          cols = image_groups(x, n, g);
        } else {
          for (int64_t gi = 0; gi < g.G; ++gi) im2col(select(col, 0, gi), group_image(x, n, gi, g), g.win);
        }
        Tensor gon = reshape(select(go, 0, n), {g.G, O / g.G, g.OH * g.OW});
        gemm(acc, gon, transpose(cols, 1, 2), 1.0, n == n0 ? 0.0 : 1.0);
      }
      partial[size_t(r)] = acc;
    }
  });
  for (int64_t r = 1; r < runs; ++r) binary_(BinaryOp::add, gwg, partial[size_t(r)]);
  return gw;
}

namespace ops {
Outputs op_conv2d(const Args& a) {
  expect_inputs(a, 2, 3);
  return {conv2d(a.in[0], a.in[1], a.in.size() > 2 ? a.in[2] : Tensor(), conv2d_params(a.attrs, 0, a.name))};
}
Outputs op_conv2d_input_grad(const Args& a) {
  expect_inputs(a, 2);
  std::vector<int64_t> hw = a.attrs.ints(0, "inputSize");
  TK_CHECK(hw.size() == 2, INVALID_ARGUMENT, a.name, ": 'inputSize' must be [H, W]");
  return {conv2d_input_grad(a.in[0], a.in[1], hw[0], hw[1], conv2d_params(a.attrs, 1, a.name))};
}
Outputs op_conv2d_weight_grad(const Args& a) {
  expect_inputs(a, 2);
  std::vector<int64_t> k = a.attrs.ints(0, "kernelSize");
  TK_CHECK(k.size() == 2, INVALID_ARGUMENT, a.name, ": 'kernelSize' must be [kh, kw]");
  return {conv2d_weight_grad(a.in[0], a.in[1], k[0], k[1], conv2d_params(a.attrs, 1, a.name))};
}
}  // namespace ops

}  // namespace tk
