// The kernel table's device dimension: one Backend per device type, each a table of kernel
// families. The op layer checks, computes shapes and dtypes, allocates outputs, then calls the
// kernel of the tensor's device. A null entry means "not implemented on this device yet" and is
// reported as NOT_IMPLEMENTED by kernel_for().
#pragma once
#include <cstdint>
#include <span>

#include "kernels/functors.h"
#include "tk/graph.h"
#include "tk/ops.h"

namespace tk {

enum class RandomKind { Uniform, Normal, Integer };
enum class ReduceKernel { Sum, Max, Min };

// Geometry of a reduction or scan over a contiguous input viewed as [O, R, I]: the op works along
// R, for each of the O x I outputs (laid out [O, I]).
struct ORI {
  int64_t O, R, I;
};

// A 2-D convolution or pooling window over one image: input [C, H, W] (contiguous), output
// [OH, OW] positions, kernel [kh, kw] with stride, dilation and padding before (top/left; the
// bottom/right padding only shows in OH/OW).
struct Window2d {
  int64_t C, H, W;
  int64_t OH, OW;
  int64_t kh, kw;
  int64_t sh, sw;
  int64_t ph, pw;
  int64_t dh, dw;
};

// The steps of a colour jitter (torchvision.transforms.ColorJitter), applied in `order[0..n)`:
// 0 brightness (x * f), 1 contrast (blend with the mean of the grayscale image), 2 saturation
// (blend with the grayscale image; none for one channel), 3 hue (shift in HSV; none for one
// channel). Each step's result is stored in the image's dtype before the next; brightness, contrast
// and saturation clamp to [0, 1], hue clamps as torchvision's _hsv2rgb does (all but the value).
struct ImageAdjust {
  double factor[4];  // brightness, contrast, saturation factors (>= 0); hue shift in [-0.5, 0.5]
  int order[4];
  int n;
};

struct SgdParams {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, first;  // first: the momentum buffer starts as the gradient
};
struct AdamParams {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step;  // 1 on the first update
  bool amsgrad, decoupled;  // decoupled: AdamW's weight decay
};
struct RmspropParams {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered;
};
struct AdagradParams {
  double lr, lr_decay, weight_decay, eps;
  int64_t step;
};
struct AdadeltaParams {
  double lr, rho, eps, weight_decay;
};

struct Backend {
  // dst and src have the same shape (src may carry broadcast 0 strides); converts dtypes.
  void (*copy)(const Tensor& dst, const Tensor& src);
  void (*fill)(const Tensor& dst, double value);
  // `in` is of the compute dtype and broadcast to out's shape.
  void (*unary)(UnaryOp op, const Tensor& out, const Tensor& in, const kernels::UnaryParams& p);
  // a and b are of the compute dtype and broadcast (0 strides) to out's shape.
  void (*binary)(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, const kernels::UnaryParams& p);
  void (*where)(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
  // out[i] = start + i * step (contiguous out). With `symmetric`, the second half is computed
  // from `end` backwards (end - (n - 1 - i) * step), as linspace does so both ends are exact.
  void (*arange)(const Tensor& out, double start, double step, double end, bool symmetric);
  void (*eye)(const Tensor& out);
  void (*random)(const Tensor& out, RandomKind kind, double a, double b, uint64_t key, uint64_t offset);
  // Contiguous in, contiguous out of out.dtype(); Sum accumulates in double/int64.
  void (*reduce)(ReduceKernel k, const Tensor& out, const Tensor& in, ORI g);
  void (*arg_reduce)(const Tensor& values, const Tensor& indices, const Tensor& in, ORI g, bool is_max);
  void (*var)(const Tensor& out, const Tensor& in, ORI g, double correction, bool take_sqrt);
  void (*softmax)(const Tensor& out, const Tensor& in, ORI g, bool log);
  void (*cumsum)(const Tensor& out, const Tensor& in, ORI g);
  // Running product along R (out int64 for integer in); cumprod_backward: gx from g and x, all
  // three contiguous of one floating dtype.
  void (*cumprod)(const Tensor& out, const Tensor& in, ORI g);
  void (*cumprod_backward)(const Tensor& gx, const Tensor& grad, const Tensor& x, ORI g);
  // out = alpha * a @ b + beta * out, batched: a [B, M, K], b [B, K, N], out [B, M, N], views of
  // one numeric dtype with any strides; out does not overlap a or b. beta == 0 ignores out's
  // contents (NaN there does not propagate).
  void (*gemm)(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta);
  // The fused linear layer on gemm's contract: out = a @ b + bias, then max(., 0) (NaN kept) where
  // relu, applied to each tile as it is stored. bias: undefined or 1-D [N], added along every row
  // (out starts from it, so it rounds as gemm with beta 1 onto a copy of the bias); a_mask:
  // undefined or a view of a's shape, and a's elements count only where a_mask > 0 (the ReLU mask
  // of the layer's output, applied inside the backward products). Null where a device has none:
  // the linear ops compose gemm and element-wise ops there.
  void (*gemm_fused)(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& a_mask,
                     bool relu);

  // Convolution lowering (float32/float64, contiguous): im2col writes col [C*kh*kw, OH*OW] from
  // one image [C, H, W] (zeros for padding); col2im adds col back into a zeroed image.
  void (*im2col)(const Tensor& col, const Tensor& image, const Window2d& w);
  void (*col2im)(const Tensor& image, const Tensor& col, const Window2d& w);
  // 3x3, stride 1, dilation 1, one group, float32 by Winograd F(4x4, 3x3): out [N, O, OH, OW]
  // (overwritten, plus bias[o] if defined) from x [N, C, H, W] and w [O, C, 3, 3], all
  // contiguous; output (i, j) reads input rows i - ph .. i - ph + 2 (zeros outside). Returns
  // false (doing nothing) where it cannot run, e.g. a CPU without AVX2; null where a device has
  // none. conv2d then uses im2col.
  bool (*conv3x3_winograd)(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& bias, int64_t ph,
                           int64_t pw);
  // The weight gradient of that convolution: gw [O, C, 3, 3] (overwritten) from x [N, C, H, W]
  // and grad_out [N, O, OH, OW], contiguous float32.
  bool (*conv3x3_winograd_weight_grad)(const Tensor& gw, const Tensor& x, const Tensor& grad_out, int64_t ph,
                                       int64_t pw);
  // Direct convolution, same contract as conv3x3_winograd but any kernel size: for few input
  // channels, where im2col's GEMM has too short a reduction.
  bool (*conv_direct)(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& bias, int64_t ph, int64_t pw);
  // Its weight gradient, as conv3x3_winograd_weight_grad's contract but any kernel height and a
  // width up to 5 (false, doing nothing, beyond).
  bool (*conv_direct_weight_grad)(const Tensor& gw, const Tensor& x, const Tensor& grad_out, int64_t ph, int64_t pw);
  // Pooling over planes: in [P, H, W] contiguous, out [P, OH, OW] (w.C is unused). max_pool2d's
  // indices (int64) are flat positions h * W + w in the plane; padding never wins. Undefined
  // indices: values only (inference).
  void (*max_pool2d)(const Tensor& out, const Tensor& indices, const Tensor& in, const Window2d& w);
  void (*max_pool2d_backward)(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices);
  // count_include_pad: divide by the full window (clipped to the padded input) instead of the
  // number of real elements.
  void (*avg_pool2d)(const Tensor& out, const Tensor& in, const Window2d& w, bool count_include_pad);
  void (*avg_pool2d_backward)(const Tensor& grad_in, const Tensor& grad_out, const Window2d& w, bool count_include_pad);
  // Adaptive: output cell (i, j) averages rows [floor(i H / OH), ceil((i+1) H / OH)) and the same
  // for columns.
  void (*adaptive_avg_pool2d)(const Tensor& out, const Tensor& in);
  void (*adaptive_avg_pool2d_backward)(const Tensor& grad_in, const Tensor& grad_out);

  // out[i, :] = weight[idx[i], :] for contiguous weight [V, D], idx (int64, checked in range) and
  // out [n, D]; embedding_backward: gw[idx[i], :] += g[i, :] (gw zeroed; rows == padding skipped).
  void (*embedding)(const Tensor& out, const Tensor& weight, const Tensor& idx);
  void (*embedding_backward)(const Tensor& gw, const Tensor& g, const Tensor& idx, int64_t padding);
  // Over a contiguous source viewed as [O, R, I] (g) and int64 indices idx[k] in [0, R):
  // index_select: out[o, j, i] = x[o, idx[j], i] (any dtype); index_add: out[o, idx[j], i] +=
  // g[o, j, i] into a zeroed float out [O, R, I].
  void (*index_select)(const Tensor& out, const Tensor& x, const Tensor& idx, ORI g);
  void (*index_add)(const Tensor& out, const Tensor& grad, const Tensor& idx, ORI g);
  // Over index's positions p (index int64, contiguous, values checked in [0, size of dim)):
  // gather: out[p] = x[p with p[dim] = index[p]] (out contiguous of index's shape, x contiguous,
  // any dtype); scatter: out[p with p[dim] = index[p]] (reduce)= src[p] (out contiguous holding
  // self on entry; src contiguous of index's shape and out's dtype). Serial within each target
  // slice, so repeated indices combine in index order.
  void (*gather)(const Tensor& out, const Tensor& x, const Tensor& index, int dim);
  void (*scatter)(const Tensor& out, const Tensor& index, const Tensor& src, int dim, ScatterReduce reduce,
                  bool include_self);
  // Fused attention over N independent heads (backend.h's contract of ops.h's
  // scaled_dot_product_attention): q [N, L, E], k [N, S, E], v [N, S, Ev], out [N, L, Ev], lse
  // [N, L], mask undefined or float [N, L, S] (added; -inf masks out), all contiguous, one
  // floating dtype. The backward writes dq, dk, dv (zeroed here) from g [N, L, Ev].
  void (*sdpa)(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k, const Tensor& v,
               const Tensor& mask, double scale, bool causal);
  void (*sdpa_backward)(const Tensor& dq, const Tensor& dk, const Tensor& dv, const Tensor& g, const Tensor& q,
                        const Tensor& k, const Tensor& v, const Tensor& out, const Tensor& lse, const Tensor& mask,
                        double scale, bool causal);
  // Dense factorizations of B matrices (kernels/linalg.h), all float64 and contiguous, one matrix
  // per task, results in place. cholesky: a [B, n, n] -> L, info [B] int32 (0, or the order of
  // the first minor that is not positive-definite). lu_factor: a [B, m, n] -> packed LU, piv
  // [B, min(m, n)] int32 (1-based), info [B] int32 (0, or the first zero pivot, 1-based).
  // solve_triangular: a [B, n, n], b [B, n, r] -> X of A X = B over b. eigh: a [B, n, n] (its
  // lower or upper triangle; destroyed), w [B, n] ascending, v [B, n, n] (columns). svd: wt
  // [B, n, m] = A^T with m >= n (destroyed), s [B, n] descending, u [B, m, ucols], vt [B, n, n];
  // sign_u: u's columns (else vt's rows) get a positive largest entry.
  // qr: r [B, m, n] (A -> R), q [B, m, qcols] or undefined (R only); tau [B, min(m, n)] or
  // undefined: when defined, r gets geqrf's packed form (reflectors below the diagonal).
  void (*cholesky)(const Tensor& a, const Tensor& info);
  void (*lu_factor)(const Tensor& a, const Tensor& piv, const Tensor& info);
  void (*solve_triangular)(const Tensor& a, const Tensor& b, bool upper, bool unit);
  void (*eigh)(const Tensor& a, bool lower, const Tensor& w, const Tensor& v);
  void (*svd)(const Tensor& wt, const Tensor& s, const Tensor& u, const Tensor& vt, bool sign_u);
  void (*qr)(const Tensor& r, const Tensor& q, const Tensor& tau);
  // Stable sort positions along R for each of the O x I lines of x (NaN sorts as largest).
  void (*argsort)(const Tensor& out, const Tensor& x, ORI g, bool descending);
  // out[v] += weights[i] (or 1) for v = x[i]; x int64, contiguous, checked in [0, out.numel());
  // out zeroed here. weights undefined or floating, of x's length.
  void (*bincount)(const Tensor& out, const Tensor& x, const Tensor& weights);
  // A chain of element-wise ops in one pass (the jit graph's fusion): registers 0..n-1 are
  // `inputs` (contiguous, of out's dtype, each of out's element count or a single element that is
  // broadcast), register n + k is step k's result; the last step's result is written to out.
  // float32 and float64 only (the graph checks before calling).
  void (*fused_elementwise)(const Tensor& out, std::span<const Tensor> inputs, std::span<const FusedStep> steps);
  // Cross-entropy / NLL over x [N, C, S] (contiguous; class stride S), target [N, S] (int64,
  // contiguous, each in [0, C) or o.ignore_index), weight undefined or [C] contiguous. Forward:
  // out [N, S] of per-position losses (reduction None) or one element (Mean, Sum). Backward: gx
  // (x's shape) from g, [N, S] (None) or one element.
  void (*cross_entropy)(const Tensor& out, const Tensor& x, const Tensor& target, const Tensor& weight,
                        const CrossEntropyOptions& o);
  void (*cross_entropy_backward)(const Tensor& gx, const Tensor& g, const Tensor& x, const Tensor& target,
                                 const Tensor& weight, const CrossEntropyOptions& o);
  // Batch normalization over x [N, C, S] (contiguous, floating), weight and bias [C] of x's dtype,
  // mean and var [C] of the compute dtype (float64 for float64 x, else float32). Training: the
  // kernel writes each channel's batch mean and biased variance into mean and var; otherwise it
  // reads them (the running statistics). Then y = (x - mean) invstd w + b, invstd = 1 / sqrt(var +
  // eps). Backward: from g [N, C, S], gx = w invstd (g - mean(g) - xhat mean(g xhat)) in training
  // (w invstd g otherwise), gw = sum(g xhat), gb = sum(g), with xhat = (x - mean) invstd.
  void (*batch_norm)(const Tensor& y, const Tensor& mean, const Tensor& var, const Tensor& x, const Tensor& w,
                     const Tensor& b, bool training, double eps);
  void (*batch_norm_backward)(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                              const Tensor& w, const Tensor& mean, const Tensor& var, bool training, double eps);
  // Layer normalization over the rows of x [M, N] (contiguous, floating): mean and rstd [M] of
  // x's dtype get each row's mean and 1 / sqrt(biased variance + eps), and y = (x - mean) rstd w +
  // b, w and b [N] or undefined (1 and 0). Backward from g [M, N], with xhat = (x - mean) rstd and
  // gh = g w: gx = rstd (gh - mean(gh) - xhat mean(gh xhat)), gw = the column sums of g xhat, gb =
  // those of g; an undefined gx, gw or gb is not computed.
  void (*layer_norm)(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& x, const Tensor& w,
                     const Tensor& b, double eps);
  void (*layer_norm_backward)(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                              const Tensor& w, const Tensor& mean, const Tensor& rstd);
  // CTC over lp [T, N, C] (contiguous, floating), targets [N, S] (int64, contiguous, each used one
  // in [0, C) and not blank), il and tl [N] (int64, il[n] <= T, tl[n] <= S), alpha [N, T, 2S + 1]
  // of lp's dtype. Forward: alpha[n, t, s] = log of the probability of the first t + 1 frames
  // emitting the first s + 1 symbols of the blank-interleaved target (-inf where no alignment of
  // the whole target passes, in rows t >= il[n] and in columns s > 2 tl[n]), nll[n] = -log p(target | lp), 0 where
  // infinite and zero_infinity. Backward: gx[t, n, c] = g[n] d nll[n] / d lp[t, n, c] = -g[n] exp(lcab + nll - lp) with
  // lcab the log of sum over s labelled c of alpha beta; 0 for t >= il[n], and for a sample whose nll is infinite when
  // zero_infinity.
  void (*ctc_loss)(const Tensor& nll, const Tensor& alpha, const Tensor& lp, const Tensor& targets, const Tensor& il,
                   const Tensor& tl, int64_t blank, bool zero_infinity);
  void (*ctc_loss_backward)(const Tensor& gx, const Tensor& g, const Tensor& lp, const Tensor& targets,
                            const Tensor& il, const Tensor& tl, const Tensor& alpha, int64_t blank, bool zero_infinity);
  // Image transforms over contiguous images, each viewed as P planes [H, W] (P = all leading dims)
  // or N images [C, H, W]. image_crop: out [P, oh, ow], out[p, y, x] = in[p, top + y, left + x]
  // where that lies inside [H, W], else fill (a one-element tensor of in's dtype); any dtype (it
  // moves bytes). image_hflip: each row of width W reversed; any dtype.
  void (*image_crop)(const Tensor& out, const Tensor& in, const Tensor& fill, int64_t top, int64_t left);
  void (*image_hflip)(const Tensor& out, const Tensor& in);
  // image_normalize: in [N, C, H*W] floating; out = (in - mean[c]) / std[c] with mean and std
  // float64 [C] contiguous on the CPU (the arithmetic in in's dtype, as torchvision's sub_/div_).
  void (*image_normalize)(const Tensor& out, const Tensor& in, const Tensor& mean, const Tensor& std);
  // image_resize: bilinear over planes, out [P, oh, ow] from in [P, H, W], floating, with
  // align_corners false (F.interpolate's source index: (dst + 0.5) * in / out - 0.5, clamped at 0).
  void (*image_resize)(const Tensor& out, const Tensor& in);
  // image_adjust: torchvision's colour jitter on in [N, C, H, W] (C 1 or 3, floating, values in
  // [0, 1]): the steps of `a` in order, each on the previous step's result; see ImageAdjust.
  void (*image_adjust)(const Tensor& out, const Tensor& in, const ImageAdjust& a);
  // Fused optimizer steps over contiguous float tensors of one shape and dtype (PyTorch's update
  // rules; see native/src/ops/optim.cpp). Absent state tensors are undefined.
  void (*sgd_step)(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdParams& o);
  void (*adam_step)(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const Tensor& vmax,
                    const AdamParams& o);
  void (*rmsprop_step)(const Tensor& p, const Tensor& g, const Tensor& sq, const Tensor& buf, const Tensor& gavg,
                       const RmspropParams& o);
  void (*adagrad_step)(const Tensor& p, const Tensor& g, const Tensor& sum, const AdagradParams& o);
  void (*adadelta_step)(const Tensor& p, const Tensor& g, const Tensor& sq, const Tensor& acc, const AdadeltaParams& o);
};

// Runs f.operator()<T>() for a float32 or float64 dtype (the kernels that only take floats).
template <class F> void floating(DType d, F&& f) {
  if (d == DType::Float32)
    f.template operator()<float>();
  else if (d == DType::Float64)
    f.template operator()<double>();
  else
    TK_ASSERT(!"this kernel takes float32 or float64");
}

// `raw` with every kernel but copy and fill wrapped to run float16/bfloat16 tensors in float32
// (half_adapter.cpp); `tag` (0: cpu, 1: cuda) keeps the two backends' wrappers apart. `raw` must
// outlive the result.
Backend with_half_adapter(const Backend& raw, int tag);

extern const Backend cpu_backend;
extern const Backend cuda_backend;

// Whether the device's backend has the kernel `member` (unlike kernel_for, no error).
template <class F> bool has_kernel(F Backend::*member, Device device) {
  return (device.is_cpu() ? cpu_backend : cuda_backend).*member != nullptr;
}

// The kernel `member` for `device`, or NOT_IMPLEMENTED naming `op` and the device.
template <class F> F kernel_for(F Backend::*member, Device device, const char* op) {
  const Backend& b = device.is_cpu() ? cpu_backend : cuda_backend;
  F f = b.*member;
  TK_CHECK(f != nullptr, NOT_IMPLEMENTED, op, ": not implemented on ", device_name(device), " yet");
  return f;
}

}  // namespace tk
