// ctc_loss: connectionist temporal classification (backend.h's ctc_loss kernels). The checks and
// the targets' layout live here: lengths and labels are read on the host, so a bad one is a
// TensorError naming it rather than a read outside the tensor, and concatenated (1-D) targets are
// padded to [N, S] so that the kernel sees one layout.
#include <algorithm>

#include "ops/internal.h"

namespace tk {
namespace {

constexpr const char* kOp = "ctcLoss";

DType alpha_dtype(DType x) { return x == DType::Float64 ? DType::Float64 : DType::Float32; }

// A checked [N] integer tensor as contiguous int64 on the host.
Tensor lengths(const Tensor& t, const char* name, int64_t N) {
  TK_CHECK(is_integral(t.dtype(), false), DTYPE_MISMATCH, kOp, ": ", name, " must be an integer tensor, got ",
           dtype_name(t.dtype()));
  TK_CHECK(t.ndim() == 1 && t.shape()[0] == N, SHAPE_MISMATCH, kOp, ": ", name, " must be [", N,
           "] (one per sample), got ", fmt_shape(t.shape()));
  TK_CHECK(t.device().is_cpu(), DEVICE_MISMATCH, kOp, ": ", name, " must be on the cpu, got ", device_name(t.device()));
  return contiguous(to_dtype(t, DType::Int64));
}

struct Checked {
  Tensor targets, il, tl;  // targets [N, S] int64; lengths [N] int64
};

Checked check(const Tensor& lp, const Tensor& targets, const Tensor& input_lengths, const Tensor& target_lengths,
              int64_t blank) {
  TK_CHECK(is_floating(lp.dtype()), DTYPE_MISMATCH, kOp, ": log_probs must be floating, got ", dtype_name(lp.dtype()));
  TK_CHECK(lp.ndim() == 3, SHAPE_MISMATCH, kOp, ": log_probs must be [T, N, C], got ", fmt_shape(lp.shape()));
  TK_CHECK(lp.device().is_cpu(), NOT_IMPLEMENTED, kOp, ": the kernel runs on the cpu, got ", device_name(lp.device()));
  const int64_t T = lp.shape()[0], N = lp.shape()[1], C = lp.shape()[2];
  TK_CHECK(C >= 1, SHAPE_MISMATCH, kOp, ": log_probs has no classes: ", fmt_shape(lp.shape()));
  TK_CHECK(blank >= 0 && blank < C, INDEX_OUT_OF_RANGE, kOp, ": blank ", blank, " is out of range for ", C, " classes");
  TK_CHECK(is_integral(targets.dtype(), false), DTYPE_MISMATCH, kOp, ": targets must be an integer tensor, got ",
           dtype_name(targets.dtype()));
  TK_CHECK(targets.device().is_cpu(), DEVICE_MISMATCH, kOp, ": targets must be on the cpu, got ",
           device_name(targets.device()));
  TK_CHECK(targets.ndim() == 1 || (targets.ndim() == 2 && targets.shape()[0] == N), SHAPE_MISMATCH, kOp,
           ": targets must be [", N, ", S] (padded) or 1-D (concatenated), got ", fmt_shape(targets.shape()));
  Checked r{Tensor(), lengths(input_lengths, "input_lengths", N), lengths(target_lengths, "target_lengths", N)};
  const int64_t *il = r.il.data<int64_t>(), *tl = r.tl.data<int64_t>();
  int64_t total = 0, longest = 0;
  for (int64_t n = 0; n < N; ++n) {
    TK_CHECK(il[n] >= 0 && il[n] <= T, INDEX_OUT_OF_RANGE, kOp, ": input_lengths[", n, "] = ", il[n],
             " is out of range [0, ", T, "]");
    TK_CHECK(tl[n] >= 0, INDEX_OUT_OF_RANGE, kOp, ": target_lengths[", n, "] = ", tl[n], " is negative");
    total += tl[n];
    longest = std::max(longest, tl[n]);
  }
  const Tensor given = contiguous(to_dtype(targets, DType::Int64));
  const int64_t* src = given.data<int64_t>();
  const bool padded = targets.ndim() == 2;
  const int64_t S = padded ? targets.shape()[1] : longest;
  if (padded)
    for (int64_t n = 0; n < N; ++n)
      TK_CHECK(tl[n] <= S, INDEX_OUT_OF_RANGE, kOp, ": target_lengths[", n, "] = ", tl[n],
               " exceeds the padded targets' length ", S);
  else
    TK_CHECK(total <= targets.numel(), SHAPE_MISMATCH, kOp, ": the target lengths sum to ", total, " but targets has ",
             targets.numel(), " elements");
  r.targets = Tensor::empty({N, S}, DType::Int64, Device{}, kOp);
  int64_t* dst = r.targets.data<int64_t>();
  for (int64_t n = 0, at = 0; n < N; ++n) {
    const int64_t* row = padded ? src + n * S : src + at;
    for (int64_t k = 0; k < S; ++k) {
      if (k >= tl[n]) {
        dst[n * S + k] = blank;  // padding: never read
        continue;
      }
      const int64_t v = row[k];
      TK_CHECK(v >= 0 && v < C && v != blank, INDEX_OUT_OF_RANGE, kOp, ": target ", v, " (sample ", n, ", position ", k,
               ") must be a class in [0, ", C, ") other than blank ", blank);
      dst[n * S + k] = v;
    }
    at += tl[n];
  }
  return r;
}

}  // namespace

std::vector<Tensor> ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                             const Tensor& target_lengths, int64_t blank, bool zero_infinity) {
  const Checked k = check(log_probs, targets, input_lengths, target_lengths, blank);
  const int64_t T = log_probs.shape()[0], N = log_probs.shape()[1], W = 2 * k.targets.shape()[1] + 1;
  Tensor nll = Tensor::empty({N}, log_probs.dtype(), log_probs.device(), kOp);
  Tensor alpha = Tensor::empty({N, T, W}, alpha_dtype(log_probs.dtype()), log_probs.device(), kOp);
  if (N > 0)
    kernel_for(&Backend::ctc_loss, log_probs.device(), kOp)(nll, alpha, contiguous(log_probs), k.targets, k.il, k.tl,
                                                            blank, zero_infinity);
  return {nll, alpha};
}

Tensor ctc_loss_backward(const Tensor& g, const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                         const Tensor& target_lengths, const Tensor& log_alpha, int64_t blank, bool zero_infinity) {
  const Checked k = check(log_probs, targets, input_lengths, target_lengths, blank);
  const int64_t T = log_probs.shape()[0], N = log_probs.shape()[1], W = 2 * k.targets.shape()[1] + 1;
  TK_CHECK(g.shape() == DimVec{N} && g.dtype() == log_probs.dtype() && g.device() == log_probs.device(), SHAPE_MISMATCH,
           kOp, ": the loss gradient must be ", dtype_name(log_probs.dtype()), " [", N, "], got ",
           dtype_name(g.dtype()), " ", fmt_shape(g.shape()));
  const DType ad = alpha_dtype(log_probs.dtype());
  TK_CHECK(log_alpha.shape() == (DimVec{N, T, W}) && log_alpha.dtype() == ad && log_alpha.device().is_cpu(),
           SHAPE_MISMATCH, kOp, ": log_alpha must be the forward's ", dtype_name(ad), " [", N, ", ", T, ", ", W,
           "], got ", dtype_name(log_alpha.dtype()), " ", fmt_shape(log_alpha.shape()));
  Tensor gx = Tensor::empty(log_probs.shape(), log_probs.dtype(), log_probs.device(), kOp);
  if (gx.numel() > 0)
    kernel_for(&Backend::ctc_loss_backward, log_probs.device(), kOp)(
        gx, contiguous(g), contiguous(log_probs), k.targets, k.il, k.tl, contiguous(log_alpha), blank, zero_infinity);
  return gx;
}

namespace ops {
// ctc_loss [blank, zeroInfinity] (inputs log_probs, targets, input_lengths, target_lengths) ->
// nll, log_alpha; ctc_loss_backward [same] (inputs g, log_probs, targets, input_lengths,
// target_lengths, log_alpha) -> gx.
Outputs op_ctc_loss(const Args& a) {
  expect_inputs(a, 4);
  auto r = ctc_loss(a.in[0], a.in[1], a.in[2], a.in[3], a.attrs.integer_or(0, "blank", 0),
                    a.attrs.boolean_or(1, "zeroInfinity", false));
  return {r[0], r[1]};
}
Outputs op_ctc_loss_backward(const Args& a) {
  expect_inputs(a, 6);
  return {ctc_loss_backward(a.in[0], a.in[1], a.in[2], a.in[3], a.in[4], a.in[5], a.attrs.integer_or(0, "blank", 0),
                            a.attrs.boolean_or(1, "zeroInfinity", false))};
}
}  // namespace ops

}  // namespace tk
