// The derivative table's interface: what a formula sees, and what each op saves for it.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "autograd/node.h"

namespace tk::autograd {

// A formula's view of the node it differentiates.
class Ctx {
 public:
  // destinations: whether dest() may offer a leaf's gradient destination (not when the backward
  // is recorded or captures its results: autograd.grad).
  Ctx(Node& node, std::span<Tensor> grads, std::vector<Tensor>& result, bool destinations = false)
      : node_(node), grads_(grads), result_(result), destinations_(destinations) {}
  // Gradient of output i (zeros stand in for one that never arrived).
  const Tensor& g(int i = 0) const { return grads_[i]; }
  // Whether output i's gradient arrived (false: g(i) is the zeros standing in). A formula whose
  // general form divides by something that may vanish (the SVD's singular value gaps) takes the
  // special form when a gradient is absent, as PyTorch does for an undefined one.
  bool arrived(int i) const { return i >= 32 || ((arrived_ >> i) & 1u) != 0; }
  void set_arrived(uint32_t mask) { arrived_ = mask; }
  // Saved input / output i (the version check runs here).
  Tensor in(int i) const;
  Tensor out(int i) const;
  const TensorMeta& in_meta(int i) const { return node_.inputs[i]; }
  const TensorMeta& out_meta(int i) const { return node_.outputs[i]; }
  int num_inputs() const { return int(node_.inputs.size()); }
  const Attrs& attrs() const { return node_.attrs; }
  // Whether input i's gradient is wanted at all (skip the work otherwise).
  bool needs(int i) const;
  // Gradient for input i; its shape may be a broadcast of the input's (the engine sums it back)
  // and its dtype may differ (the engine casts).
  void set(int i, Tensor grad) { result_[i] = std::move(grad); }
  // Where input i's gradient may be computed in place of a new tensor (undefined when nowhere):
  // the destination of the leaf it goes straight to (set_grad_destination), when that leaf has no
  // .grad yet and this is the only gradient it gets in this backward. A formula that writes the
  // whole gradient there passes the destination itself to set(); shape, dtype and device are the
  // input's.
  Tensor dest(int i) const;

 private:
  Node& node_;
  std::span<Tensor> grads_;
  std::vector<Tensor>& result_;
  bool destinations_;
  uint32_t arrived_ = ~0u;
};

using GradFn = void (*)(Ctx&);

// One row of the derivative table. fn == nullptr: not differentiable (results never require
// grad). The masks say which inputs/outputs the formula reads (bit i: input/output i); inputs in
// save_cross are saved only when another input requires grad (x*y needs y only for x's
// gradient), so x.mul_(2) on a non-leaf does not trip the version check.
struct Formula {
  GradFn fn = nullptr;
  uint32_t save_inputs = 0;
  uint32_t save_outputs = 0;
  uint32_t save_cross = 0;
};

Formula formula(OpId op);

// The dense factorizations' formulas (derivatives_linalg.cpp).
void cholesky_grad(Ctx& c);
void lu_factor_grad(Ctx& c);
void solve_triangular_grad(Ctx& c);
void eigh_grad(Ctx& c);
void svd_grad(Ctx& c);
void qr_grad(Ctx& c);

// The special functions' rows of the table (derivatives_special.cpp).
Formula special_formula(OpId op);
// The activations' rows (derivatives_activations.cpp).
Formula activation_formula(OpId op);

// as_strided's formula and max_pool2d_backward's (derivatives_strided.cpp).
void as_strided_grad(Ctx& c);
void max_pool2d_backward_grad(Ctx& c);
void unfold_grad(Ctx& c);

// The normalization layers' formulas (derivatives_norm.cpp).
void batch_norm_grad(Ctx& c);
void layer_norm_grad(Ctx& c);

}  // namespace tk::autograd
