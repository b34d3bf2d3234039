// Fused optimizer steps: checks, then one kernel call per parameter. Inputs: the parameter, its
// gradient, then its state tensors (see each op). The parameter and state are written in place.
// The *_foreach_ forms (PyTorch's foreach implementations) take every parameter of a group in
// one call: the single-tensor op's inputs back to back, with its per-parameter attributes as lists.
#include "ops/internal.h"

namespace tk {
namespace ops {
namespace {

// The parameter and its state: contiguous float tensors of one shape, dtype and device (the
// optimizer allocates the state to match). The gradient may be any layout: read via a copy then.
Tensor check_update_of(std::span<const Tensor> in, const char* name) {
  const Tensor& p = in[0];
  TK_CHECK(is_floating(p.dtype()), DTYPE_MISMATCH, name, ": parameters must be floating, got ", dtype_name(p.dtype()));
  for (size_t i = 1; i < in.size(); ++i) {
    const Tensor& t = in[i];
    const char* what = i == 1 ? "gradient" : "optimizer state";
    TK_CHECK(t.shape() == p.shape(), SHAPE_MISMATCH, name, ": ", what, " of shape ", fmt_shape(t.shape()),
             " does not match the parameter's ", fmt_shape(p.shape()));
    TK_CHECK(t.dtype() == p.dtype(), DTYPE_MISMATCH, name, ": ", what, " is ", dtype_name(t.dtype()),
             " but the parameter is ", dtype_name(p.dtype()));
    TK_CHECK(t.device() == p.device(), DEVICE_MISMATCH, name, ": ", what, " is on ", device_name(t.device()),
             " but the parameter is on ", device_name(p.device()));
    TK_CHECK(i == 1 || t.is_contiguous(), INVALID_ARGUMENT, name, ": optimizer state must be contiguous");
  }
  TK_CHECK(p.is_contiguous(), INVALID_ARGUMENT, name,
           ": the parameter must be contiguous (optimizers update it in one pass); got strides of a view");
  return contiguous(in[1]);
}
// What the update writes (all but the gradient) changes version: autograd refuses a saved copy.
void bump_written(std::span<const Tensor> in) {
  for (size_t i = 0; i < in.size(); ++i)
    if (i != 1) in[i].bump_version();
}
Tensor check_update(const Args& a, size_t n_min, size_t n_max) {
  expect_inputs(a, n_min, n_max);
  Tensor g = check_update_of(a.in, a.name);
  bump_written(a.in);
  return g;
}

Tensor state(const Args& a, size_t i) { return i < a.in.size() ? a.in[i] : Tensor(); }

// The options the single-tensor op and its foreach form share (attrs 0-4 of both; `first` and
// `step` are set by the caller, as they are per parameter in the foreach form).
SgdParams sgd_params(const Args& a) {
  return {a.attrs.number(0, "lr"),
          a.attrs.number_or(1, "momentum", 0),
          a.attrs.number_or(2, "dampening", 0),
          a.attrs.number_or(3, "weightDecay", 0),
          a.attrs.boolean_or(4, "nesterov", false),
          false};
}
AdamParams adam_params(const Args& a) {
  return {a.attrs.number(0, "lr"),
          a.attrs.number(1, "beta1"),
          a.attrs.number(2, "beta2"),
          a.attrs.number(3, "eps"),
          a.attrs.number_or(4, "weightDecay", 0),
          1,
          a.attrs.boolean_or(6, "amsgrad", false),
          a.attrs.boolean_or(7, "decoupled", false)};
}
}  // namespace

// inputs: param, grad, [momentum_buffer]; attrs: lr, momentum, dampening, weightDecay, nesterov,
// first (the buffer is initialised from the gradient).
Outputs op_sgd_step_(const Args& a) {
  Tensor g = check_update(a, 2, 3);
  SgdParams o = sgd_params(a);
  o.first = a.attrs.boolean_or(5, "first", false);
  if (a.in[0].numel() > 0) kernel_for(&Backend::sgd_step, a.in[0].device(), a.name)(a.in[0], g, state(a, 2), o);
  return {};
}

// inputs: param, grad, exp_avg, exp_avg_sq, [max_exp_avg_sq]; attrs: lr, beta1, beta2, eps,
// weightDecay, step, amsgrad, decoupled.
Outputs op_adam_step_(const Args& a) {
  Tensor g = check_update(a, 4, 5);
  AdamParams o = adam_params(a);
  o.step = a.attrs.integer(5, "step");
  TK_CHECK(o.step >= 1, INVALID_ARGUMENT, a.name, ": step must be >= 1, got ", o.step);
  TK_CHECK(o.amsgrad == (a.in.size() == 5), INVALID_ARGUMENT, a.name, ": amsgrad needs max_exp_avg_sq, and only then");
  if (a.in[0].numel() > 0)
    kernel_for(&Backend::adam_step, a.in[0].device(), a.name)(a.in[0], g, a.in[2], a.in[3], state(a, 4), o);
  return {};
}

// inputs: param, grad, square_avg, then momentum_buffer if momentum > 0, then grad_avg if
// centered; attrs: lr, alpha, eps, weightDecay, momentum, centered.
Outputs op_rmsprop_step_(const Args& a) {
  Tensor g = check_update(a, 3, 5);
  RmspropParams o{a.attrs.number(0, "lr"),
                  a.attrs.number(1, "alpha"),
                  a.attrs.number(2, "eps"),
                  a.attrs.number_or(3, "weightDecay", 0),
                  a.attrs.number_or(4, "momentum", 0),
                  a.attrs.boolean_or(5, "centered", false)};
  const size_t want = 3 + (o.momentum > 0) + o.centered;
  TK_CHECK(a.in.size() == want, INVALID_ARGUMENT, a.name, ": expected ", want, " tensors for these options, got ",
           a.in.size());
  Tensor buf = o.momentum > 0 ? a.in[3] : Tensor();
  Tensor gavg = o.centered ? a.in[want - 1] : Tensor();
  if (a.in[0].numel() > 0)
    kernel_for(&Backend::rmsprop_step, a.in[0].device(), a.name)(a.in[0], g, a.in[2], buf, gavg, o);
  return {};
}

// inputs: param, grad, state_sum; attrs: lr, lrDecay, weightDecay, eps, step.
Outputs op_adagrad_step_(const Args& a) {
  Tensor g = check_update(a, 3, 3);
  AdagradParams o{a.attrs.number(0, "lr"), a.attrs.number_or(1, "lrDecay", 0), a.attrs.number_or(2, "weightDecay", 0),
                  a.attrs.number_or(3, "eps", 1e-10), a.attrs.integer(4, "step")};
  TK_CHECK(o.step >= 1, INVALID_ARGUMENT, a.name, ": step must be >= 1, got ", o.step);
  if (a.in[0].numel() > 0) kernel_for(&Backend::adagrad_step, a.in[0].device(), a.name)(a.in[0], g, a.in[2], o);
  return {};
}

// inputs: param, grad, square_avg, acc_delta; attrs: lr, rho, eps, weightDecay.
Outputs op_adadelta_step_(const Args& a) {
  Tensor g = check_update(a, 4, 4);
  AdadeltaParams o{a.attrs.number(0, "lr"), a.attrs.number(1, "rho"), a.attrs.number(2, "eps"),
                   a.attrs.number_or(3, "weightDecay", 0)};
  if (a.in[0].numel() > 0)
    kernel_for(&Backend::adadelta_step, a.in[0].device(), a.name)(a.in[0], g, a.in[2], a.in[3], o);
  return {};
}

namespace {
// The groups of a foreach call: `per` tensors per parameter, and one list entry per parameter.
size_t foreach_groups(const Args& a, int64_t per, size_t list_len, const char* list) {
  TK_CHECK(per >= 2 && a.in.size() % size_t(per) == 0, INVALID_ARGUMENT, a.name, ": expected groups of ", per,
           " tensors, got ", a.in.size(), " tensors");
  const size_t n = a.in.size() / size_t(per);
  TK_CHECK(list_len == n, INVALID_ARGUMENT, a.name, ": '", list, "' has ", list_len, " entries for ", n, " parameters");
  return n;
}
}  // namespace

// inputs: (param, grad[, momentum_buffer]) per parameter; attrs: lr, momentum, dampening,
// weightDecay, nesterov, first (a list: one per parameter), perParam (2, or 3 with momentum).
Outputs op_sgd_foreach_(const Args& a) {
  const int64_t per = a.attrs.integer(6, "perParam");
  TK_CHECK(per == 2 || per == 3, INVALID_ARGUMENT, a.name, ": perParam must be 2 or 3, got ", per);
  const std::vector<int64_t> first = a.attrs.ints(5, "first");
  const size_t n = foreach_groups(a, per, first.size(), "first");
  SgdParams o = sgd_params(a);
  TK_CHECK((per == 3) == (o.momentum != 0), INVALID_ARGUMENT, a.name, ": momentum needs a buffer, and only then");
  // Every group is checked before any is written: a bad one leaves all parameters as they were.
  std::vector<Tensor> grads;
  for (size_t i = 0; i < n; ++i) grads.push_back(check_update_of(a.in.subspan(i * size_t(per), size_t(per)), a.name));
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = a.in[i * size_t(per)];
    bump_written(a.in.subspan(i * size_t(per), size_t(per)));
    o.first = first[i] != 0;
    if (p.numel() > 0)
      kernel_for(&Backend::sgd_step, p.device(), a.name)(p, grads[i], per == 3 ? a.in[i * size_t(per) + 2] : Tensor(),
                                                         o);
  }
  return {};
}

// inputs: (param, grad, exp_avg, exp_avg_sq[, max_exp_avg_sq]) per parameter; attrs: lr, beta1,
// beta2, eps, weightDecay, step (a list: one per parameter), amsgrad, decoupled.
Outputs op_adam_foreach_(const Args& a) {
  AdamParams o = adam_params(a);
  const int64_t per = o.amsgrad ? 5 : 4;
  const std::vector<int64_t> steps = a.attrs.ints(5, "step");
  const size_t n = foreach_groups(a, per, steps.size(), "step");
  for (int64_t st : steps) TK_CHECK(st >= 1, INVALID_ARGUMENT, a.name, ": step must be >= 1, got ", st);
  std::vector<Tensor> grads;
  for (size_t i = 0; i < n; ++i) grads.push_back(check_update_of(a.in.subspan(i * size_t(per), size_t(per)), a.name));
  for (size_t i = 0; i < n; ++i) {
    const size_t b = i * size_t(per);
    bump_written(a.in.subspan(b, size_t(per)));
    o.step = steps[i];
    if (a.in[b].numel() > 0)
      kernel_for(&Backend::adam_step, a.in[b].device(), a.name)(a.in[b], grads[i], a.in[b + 2], a.in[b + 3],
                                                                o.amsgrad ? a.in[b + 4] : Tensor(), o);
  }
  return {};
}

}  // namespace ops
}  // namespace tk
