// Reverse-mode automatic differentiation, in the core so every device runs the same formulas.
//
// Recording: tk::call() gives the results of a differentiable op on tensors that require grad a
// graph node (native/src/autograd/node.h) holding the input edges and the tensors its derivative
// needs. Leaves are tensors made by the user; they require grad only when asked to. The
// derivative of every op is one case of native/src/autograd/derivatives.cpp.
//
// Contracts:
// - Grad mode is per thread (each JS environment runs its ops on its own thread).
// - A saved tensor whose storage was written in place after it was saved makes backward throw
//   (PyTorch's version-counter rule); an in-place op on a leaf that requires grad is refused.
// - backward() frees the saved tensors of the nodes it ran unless retain_graph; running them
//   again is an INVALID_ARGUMENT error.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tk/tensor.h"

namespace tk {
enum class OpId : int;
}

namespace tk::autograd {

bool grad_enabled();
void set_grad_enabled(bool on);

// Restores the previous grad mode on scope exit.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool on) : prev_(grad_enabled()) { set_grad_enabled(on); }
  ~GradModeGuard() { set_grad_enabled(prev_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool prev_;
};

// Anomaly detection (torch.autograd.set_detect_anomaly), per thread as grad mode. While enabled,
// a caller may attach to each recorded node where its forward op was called (set_node_trace), and
// an error thrown while backward runs a node is rethrown with that trace appended. With check_nan,
// backward also checks every gradient a node produces and throws INVALID_ARGUMENT at the first
// NaN, naming the node and the input.
struct AnomalyMode {
  bool enabled = false;
  bool check_nan = true;
};
AnomalyMode anomaly_mode();
void set_anomaly_mode(AnomalyMode mode);
// Attaches `trace` to the node that made t, unless it has one (a leaf has no node: a no-op).
void set_node_trace(const Tensor& t, std::string trace);

// A leaf that asked for gradients, or the result of a recorded op.
bool requires_grad(const Tensor& t);
// Leaves only (non-leaves may only be set to true, which they already are); floating dtypes only.
void set_requires_grad(const Tensor& t, bool on);
bool is_leaf(const Tensor& t);
// "MulBackward" for a recorded result, empty for a leaf.
std::string grad_fn_name(const Tensor& t);
// The accumulated gradient, or an undefined tensor.
Tensor grad(const Tensor& t);
// Replaces the gradient (undefined clears it); shape, dtype and device must match t.
void set_grad(const Tensor& t, const Tensor& g);
// Makes backward() fill .grad of a non-leaf too (a no-op on leaves).
void retain_grad(const Tensor& t);
bool retains_grad(const Tensor& t);
// A view of the same storage outside the graph (shares the version counter, like PyTorch).
Tensor detach(const Tensor& t);
// For each of `leaves`, whether a backward from `roots` reaches it, i.e. would accumulate into its
// .grad: a walk of the recorded graph that runs nothing (DistributedDataParallel's
// findUnusedParameters, as torch's reducer searches the graph after forward).
std::vector<bool> reaches(std::span<const Tensor> roots, std::span<const Tensor> leaves);
// The leaves requiring grad that a backward from `roots` would accumulate into, each once, in a
// fixed order (depth first, inputs in order): what utils.checkpoint differentiates a recomputed
// segment with respect to.
std::vector<Tensor> leaves_of(std::span<const Tensor> roots);

struct BackwardOptions {
  bool retain_graph = false;
  bool create_graph = false;
  // autograd::grad: run the hooks of the tensors whose gradients it returns. False when the caller
  // hands those gradients on to the backward that runs them anyway (utils.checkpoint's nested
  // grad), so each hook sees each gradient once.
  bool target_hooks = true;
};
// Accumulates d(roots)/d(leaf) into the .grad of every leaf the roots depend on. grads[i] may be
// undefined only for a root with one element (then 1).
void backward(std::span<const Tensor> roots, std::span<const Tensor> grads, BackwardOptions opt);
// d(outputs)/d(inputs) without touching .grad. An input the outputs do not depend on gives an
// undefined tensor if allow_unused, else an INVALID_ARGUMENT error.
std::vector<Tensor> grad(std::span<const Tensor> outputs, std::span<const Tensor> inputs,
                         std::span<const Tensor> grad_outputs, BackwardOptions opt, bool allow_unused);

// A backward written outside the core (a JS autograd.Function). The engine calls apply() with one
// gradient per output of the recorded call (zeros where none arrived; undefined for a non-floating
// output) and the tensors saved at record time, after their version check. It returns one
// gradient per input (undefined: none); each is checked against its input's shape and device.
class CustomBackward {
 public:
  virtual ~CustomBackward() = default;
  virtual std::vector<Tensor> apply(std::span<const Tensor> grad_outputs, std::span<const Tensor> saved) = 0;
};

// What a custom function's forward produced, to record as one node named `name` + "Backward".
struct CustomCall {
  std::string name;
  std::vector<Tensor> inputs;  // the tensor arguments: the node's edges
  std::vector<Tensor> outputs;
  std::vector<Tensor> saved;  // ctx.saveForBackward (entries may be undefined)
  std::vector<bool> non_differentiable;  // per output: left out of the graph
  std::vector<bool> dirty;  // per input: written in place by forward (its history is rebased)
};

// Links the outputs to a new node running fn. An output that is an input not marked dirty is
// returned as a new alias (it needs its own grad_fn); every other output keeps its tensor.
// Returns the outputs to hand back. INVALID_ARGUMENT for a dirty leaf that requires grad or a
// dirty input that is not returned; NOT_IMPLEMENTED for a dirty view.
std::vector<Tensor> record_custom(CustomCall call, std::shared_ptr<CustomBackward> fn);

// Runs after backward has accumulated a leaf's gradient into its .grad (torch's
// register_post_accumulate_grad_hook): the gradient-ready signal DistributedDataParallel launches
// its all-reduces on while the rest of backward runs. apply() runs on the backward's thread, in
// the engine's order; an exception from it ends the backward.
class PostAccumulateHook {
 public:
  virtual ~PostAccumulateHook() = default;
  virtual void apply(const Tensor& leaf) = 0;
};
// Sets (or, with null, removes) a leaf's hook. INVALID_ARGUMENT for a non-leaf or a leaf that does
// not require grad.
void set_post_accumulate_hook(const Tensor& t, std::shared_ptr<PostAccumulateHook> hook);

// A tensor's gradient hook (torch's Tensor.register_hook): called with the gradient computed for
// the tensor before anything consumes it (accumulation into .grad, retain_grad, autograd.grad's
// capture, the nodes beyond). It returns a replacement of the same shape, dtype and device, or an
// undefined tensor to keep the gradient. apply() runs on the backward's thread; an exception from
// it ends the backward. `key` names the hook to remove_grad_hook.
class GradHook {
 public:
  explicit GradHook(uint64_t key) : key(key) {}
  virtual ~GradHook() = default;
  virtual Tensor apply(const Tensor& grad) = 0;
  const uint64_t key;
};
// Adds a hook to t's list (hooks run in the order added). A leaf keeps its hooks; a non-leaf's are
// kept by the node that made it, so, as in PyTorch, they fire for that result even after t itself
// is freed, and an in-place op on t afterwards leaves them on the old value. INVALID_ARGUMENT where
// t does not require grad.
void add_grad_hook(const Tensor& t, std::shared_ptr<GradHook> hook);
// Removes t's hook with `key` (a no-op where t holds none, e.g. after an in-place op moved t to a
// new node: the old node's hook then lives as long as that node).
void remove_grad_hook(const Tensor& t, uint64_t key);

// Where backward puts a leaf's gradient while its .grad is unset: written into `dest` (a
// contiguous tensor of the leaf's shape, dtype and device that does not require grad), which then
// becomes .grad. Ops whose backward can compute straight into it do (a linear layer's weight and
// bias); for others the gradient is copied in. A recorded backward (create_graph), a .grad that is
// already set, and autograd.grad ignore it. DistributedDataParallel points each parameter's
// gradient into its bucket this way, in memory its peers read. An undefined dest removes it.
// INVALID_ARGUMENT for a non-leaf, a leaf that does not require grad, or a dest that does;
// SHAPE_MISMATCH / DTYPE_MISMATCH / DEVICE_MISMATCH for a dest that does not match the leaf, and
// INVALID_ARGUMENT for one that is not contiguous.
void set_grad_destination(const Tensor& leaf, const Tensor& dest);

// Whether the derivative table has a formula for op (false for ops listed as not differentiable).
bool differentiable(OpId op);

}  // namespace tk::autograd
