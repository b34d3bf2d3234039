// cross_entropy / nll_loss over class indices, fused: one pass per row instead of the ~15 small
// ops (log-softmax, one-hot, gather, weights, reductions) the composite needed, and a backward
// that writes softmax - one-hot in the same pass.
#include "ops/internal.h"

namespace tk {
namespace {

struct Plan {
  int64_t N, C, S;  // x viewed as [N, C, S]; target as [N, S]
};

const char* op_name_of(const CrossEntropyOptions& o) { return o.from_logits ? "crossEntropy" : "nllLoss"; }

Plan plan(const Tensor& x, const Tensor& target, const Tensor& weight, const CrossEntropyOptions& o) {
  const char* op = op_name_of(o);
  TK_CHECK(is_floating(x.dtype()), DTYPE_MISMATCH, op, ": the input must be floating, got ", dtype_name(x.dtype()));
  TK_CHECK(target.dtype() == DType::Int64 || target.dtype() == DType::Int32, DTYPE_MISMATCH, op,
           ": class-index targets must be int64 (or int32), got ", dtype_name(target.dtype()));
  TK_CHECK(x.ndim() >= 1, SHAPE_MISMATCH, op, ": the input must have a class dim, got a 0-dim tensor");
  const bool unbatched = x.ndim() == 1;
  DimVec want;
  Plan p{1, unbatched ? x.shape()[0] : x.shape()[1], 1};
  if (!unbatched) {
    want.push_back(p.N = x.shape()[0]);
    for (int d = 2; d < x.ndim(); ++d) want.push_back(x.shape()[d]), p.S *= x.shape()[d];
  }
  TK_CHECK(target.shape() == want, SHAPE_MISMATCH, op, ": expected target of shape ", fmt_shape(want), " for input ",
           fmt_shape(x.shape()), ", got ", fmt_shape(target.shape()));
  TK_CHECK(!weight.defined() || (weight.ndim() == 1 && weight.shape()[0] == p.C), SHAPE_MISMATCH, op,
           ": weight must be [", p.C, "], got ", fmt_shape(weight.shape()));
  TK_CHECK(!weight.defined() || weight.dtype() == x.dtype(), DTYPE_MISMATCH, op, ": weight must be ",
           dtype_name(x.dtype()), " as the input, got ", dtype_name(weight.dtype()));
  TK_CHECK(o.label_smoothing >= 0 && o.label_smoothing <= 1, INVALID_ARGUMENT, op,
           ": labelSmoothing must be in [0, 1], got ", fmt_number(o.label_smoothing));
  TK_CHECK(int(o.reduction) >= 0 && int(o.reduction) <= 2, INVALID_ARGUMENT, op, ": bad reduction ", int(o.reduction));
  // The targets are checked on the host below, and only the CPU has the kernel for now.
  TK_CHECK(x.device().is_cpu() && target.device().is_cpu() && (!weight.defined() || weight.device().is_cpu()),
           NOT_IMPLEMENTED, op, ": the fused kernel runs on the CPU, got ", device_name(x.device()));
  return p;
}

// The targets as contiguous int64, each checked to be a class or ignore_index (which may lie
// outside [0, C): -100 by default).
Tensor checked_targets(const Tensor& target, const Plan& p, const CrossEntropyOptions& o) {
  Tensor t = contiguous(to_dtype(target, DType::Int64));
  const int64_t* v = t.data<int64_t>();
  for (int64_t i = 0, n = t.numel(); i < n; ++i)
    TK_CHECK(v[i] == o.ignore_index || (v[i] >= 0 && v[i] < p.C), INDEX_OUT_OF_RANGE, op_name_of(o), ": target ", v[i],
             " is out of bounds for ", p.C, " classes");
  return t;
}

DimVec loss_shape(const Tensor& target, const CrossEntropyOptions& o) {
  return o.reduction == LossReduction::None ? target.shape() : DimVec{};
}

}  // namespace

Tensor cross_entropy(const Tensor& x, const Tensor& target, const Tensor& weight, const CrossEntropyOptions& o) {
  const Plan p = plan(x, target, weight, o);
  const char* op = op_name_of(o);
  Tensor t = checked_targets(target, p, o);
  Tensor out = Tensor::empty(loss_shape(target, o), x.dtype(), x.device(), op);
  kernel_for(&Backend::cross_entropy, x.device(), op)(out, contiguous(x), t,
                                                      weight.defined() ? contiguous(weight) : Tensor(), o);
  return out;
}

Tensor cross_entropy_backward(const Tensor& g, const Tensor& x, const Tensor& target, const Tensor& weight,
                              const CrossEntropyOptions& o) {
  const Plan p = plan(x, target, weight, o);
  const char* op = op_name_of(o);
  TK_CHECK(g.shape() == loss_shape(target, o) && g.dtype() == x.dtype(), SHAPE_MISMATCH, op,
           ": the loss gradient must be ", dtype_name(x.dtype()), " ", fmt_shape(loss_shape(target, o)), ", got ",
           dtype_name(g.dtype()), " ", fmt_shape(g.shape()));
  Tensor t = checked_targets(target, p, o);
  Tensor gx = Tensor::empty(x.shape(), x.dtype(), x.device(), op);
  if (gx.numel() > 0)
    kernel_for(&Backend::cross_entropy_backward, x.device(), op)(gx, contiguous(g), contiguous(x), t,
                                                                 weight.defined() ? contiguous(weight) : Tensor(), o);
  return gx;
}

namespace ops {
namespace {
CrossEntropyOptions options_of(const Attrs& at) {
  CrossEntropyOptions o;
  o.ignore_index = at.integer_or(0, "ignoreIndex", -100);
  o.label_smoothing = at.number_or(1, "labelSmoothing", 0);
  const int64_t r = at.integer_or(2, "reduction", 1);
  TK_CHECK(r >= 0 && r <= 2, INVALID_ARGUMENT, "crossEntropy: reduction must be 0 (none), 1 (mean) or 2 (sum), got ",
           r);
  o.reduction = LossReduction(r);
  o.from_logits = at.boolean_or(3, "fromLogits", true);
  return o;
}
}  // namespace

// cross_entropy [ignoreIndex, labelSmoothing, reduction, fromLogits] (inputs x, target, optional
// weight) -> loss; cross_entropy_backward [same] (inputs g, x, target, optional weight) -> gx.
Outputs op_cross_entropy(const Args& a) {
  expect_inputs(a, 2, 3);
  return {cross_entropy(a.in[0], a.in[1], a.in.size() > 2 ? a.in[2] : Tensor(), options_of(a.attrs))};
}
Outputs op_cross_entropy_backward(const Args& a) {
  expect_inputs(a, 3, 4);
  return {cross_entropy_backward(a.in[0], a.in[1], a.in[2], a.in.size() > 3 ? a.in[3] : Tensor(), options_of(a.attrs))};
}
}  // namespace ops

}  // namespace tk
