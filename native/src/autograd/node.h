// The autograd graph: nodes, edges and saved tensors (internal to the core).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "autograd/small_vec.h"
#include "tk/autograd.h"
#include "tk/ops.h"

namespace tk::autograd {

struct Node;

// Where the gradient of one op input goes: output `slot` of `node`, or nowhere (the input does
// not require grad).
struct Edge {
  std::shared_ptr<Node> node;
  uint32_t slot = 0;
};

// A tensor a derivative needs, with the storage version it had when saved. Outputs are stored as
// a data-only alias (no grad_fn), since the output's own grad_fn is this node: a strong reference
// would be a cycle. unpack() rebuilds the link to the node when the backward is itself recorded.
struct SavedTensor {
  Tensor data;
  uint64_t version = 0;
  bool is_output = false;
  uint32_t output_nr = 0;
  bool defined() const { return data.defined(); }
};

// Shape, dtype and device of an input or output: the engine reduces and casts each gradient to
// its input's, and makes zeros for an output whose gradient never arrived.
struct TensorMeta {
  DimVec shape;
  DType dtype = DType::Float32;
  Device device;
  // A 2-D column-major view (the transpose of a contiguous matrix, as W.t() in a linear layer):
  // formulas then produce its gradient in that layout, so the leaf behind the transpose gets a
  // contiguous gradient instead of a copy.
  bool col_major = false;
};

struct Node : std::enable_shared_from_this<Node> {
  Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  // Frees the chain of nodes only this one keeps alive iteratively: a graph a million ops deep
  // would otherwise recurse a million destructor frames and overflow the stack.
  ~Node();

  // The op this node differentiates; kAccumulate marks a leaf's AccumulateGrad node, kCustom a
  // custom function's node (its backward is `custom`, its saved tensors saved_inputs).
  static constexpr int kAccumulate = -1;
  static constexpr int kCustom = -2;
  int op = kAccumulate;
  std::shared_ptr<CustomBackward> custom;
  std::string custom_name;
  Attrs attrs;
  // Inline for the usual 1-3 inputs and 1-2 outputs: a recorded op then costs one allocation
  // for the node (and one for its attributes, when it has any).
  SmallVec<Edge, 3> next;  // one per op input
  SmallVec<TensorMeta, 3> inputs;  // one per op input
  SmallVec<TensorMeta, 2> outputs;
  SmallVec<SavedTensor, 3> saved_inputs;  // indexed by input; undefined when not needed
  SmallVec<SavedTensor, 2> saved_outputs;  // indexed by output; undefined when not needed
  bool has_saved = false;
  bool released = false;
  uint64_t sequence = 0;  // creation order, for ready-queue priority

  // AccumulateGrad only: the leaf whose .grad receives the gradient.
  std::shared_ptr<TensorImpl> leaf;
  // Non-leaf outputs whose .grad backward fills (retain_grad()).
  std::vector<std::weak_ptr<TensorImpl>> retained;
  // Where the forward op was called (set_node_trace, under anomaly detection); null otherwise.
  std::shared_ptr<const std::string> trace;
  // Gradient hooks on this node's outputs (add_grad_hook on a non-leaf): (output_nr, hook).
  std::vector<std::pair<uint32_t, std::shared_ptr<GradHook>>> hooks;

  // Per-backward bookkeeping, valid while task == the running task's id. Nodes are only touched
  // from the thread that owns their tensors; a backward nested in another stashes and restores
  // the fields of the nodes they share (engine.cpp, TaskScope).
  uint64_t task = 0;
  int dependencies = 0;
  bool needed = true;  // autograd.grad: some captured input lies at or beyond this node
  bool visited = false;  // scratch mark for walks within one backward
  std::vector<Tensor> buffer;  // the gradients summed so far, per output
  std::vector<std::pair<uint32_t, int>> captures;  // autograd.grad: (slot, result index) taken here
};

// The tensor saved as `s` for `node`, after the version check; for an output, re-linked to node
// so a recorded backward differentiates through it.
Tensor unpack(const SavedTensor& s, Node& node, const char* what);

// Records op `id` whose results are `outs` (called by tk::call when grad mode is on and an input
// requires grad). In-place ops go through record_inplace instead.
void record(OpId id, std::span<const Tensor> inputs, const Attrs& attrs, Outputs& outs);

// Runs in-place op `id` through `run`, rebasing inputs[0]'s history on a new node.
template <class Run> void record_inplace(OpId id, std::span<const Tensor> inputs, const Attrs& attrs, Run&& run);

// Checks, node creation and history rebase around an in-place op (record_inplace's halves).
std::shared_ptr<Node> begin_inplace(OpId id, std::span<const Tensor> inputs, const Attrs& attrs);
void finish_inplace(const std::shared_ptr<Node>& node, const Tensor& self);

template <class Run> void record_inplace(OpId id, std::span<const Tensor> inputs, const Attrs& attrs, Run&& run) {
  std::shared_ptr<Node> node = begin_inplace(id, inputs, attrs);
  run();
  if (node) finish_inplace(node, inputs[0]);
}

}  // namespace tk::autograd
