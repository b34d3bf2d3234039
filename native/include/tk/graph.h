// The jit graph executor: a straight-line list of op calls over numbered value slots, run in one
// native call with no JavaScript between ops. Built by jit.trace and onnx.load (through the
// binding), or by C++ tests.
//
// Contracts:
// - Values are single-assignment: a slot is written once, by a constant, an input or one node's
//   output, and read only after it is written. In-place nodes (op names ending in '_') write their
//   first input and have no outputs. The constructor checks all of this, so a graph built from a
//   hostile file fails there with INVALID_ARGUMENT and never reads an unset slot.
// - run() is const and reentrant: constants (the weights) are shared; every run has its own
//   activations, so many threads may run one graph at once. Each activation is dropped right after
//   its last use (the buffer plan), so its memory returns to the allocator's cache for the next op.
// - Grad mode is off inside run(); results are exactly those of the same calls made eagerly.
// - Element-wise fusion: a chain of element-wise nodes whose intermediate values have no other
//   reader (e.g. relu(x * y + 1)) runs as one pass with no intermediate tensors, where its inputs
//   allow (float32/float64 on the CPU, contiguous, all of one shape or single elements); otherwise
//   its nodes run one by one. Either way the numbers are those of the eager calls.
// - Symbolic dims: an input dim may be a symbol (a dynamic axis). Integer attributes that depend on
//   it are patched per run as a * value + b. A symbol's value must agree across inputs.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tk/ops.h"

namespace tk {
// One step of a fused element-wise chain (the backend's fused_elementwise): register n + k =
// op(register a[, register b]), where registers 0..n-1 are the chain's inputs.
struct FusedStep {
  bool binary = false;
  int op = 0;  // a UnaryOp or BinaryOp
  int a = 0, b = 0;
  double p0 = 0, p1 = 0, p2 = 0;  // the op's kernel parameters (ops::elementwise_params)
};
}  // namespace tk

namespace tk::graph {

// One integer attribute element (elem >= 0 in a list, -1 for a number attribute) set per run to
// a * value(sym) + b.
struct SymPatch {
  int attr = 0;
  int elem = -1;
  int sym = 0;
  int64_t a = 1, b = 0;
};

struct Node {
  OpId op{};
  Attrs attrs;
  std::vector<int> inputs;  // slots; -1 for an absent optional input
  std::vector<int> outputs;  // slots
  std::vector<SymPatch> patches;
};

// A graph input: its slot, dtype, and dims (>= 0 fixed; -1 - k: symbol k).
struct InputSpec {
  int slot = 0;
  DType dtype = DType::Float32;
  std::vector<int64_t> dims;
};

class Graph {
 public:
  Graph(int num_values, std::vector<std::pair<int, Tensor>> constants, std::vector<InputSpec> inputs,
        std::vector<Node> nodes, std::vector<int> outputs, int num_syms);
  // Checks inputs against the specs (count, dtype, device, shape), then runs every node.
  std::vector<Tensor> run(std::span<const Tensor> inputs) const;
  size_t num_inputs() const { return inputs_.size(); }
  // Nodes that run (after folding: a relu of a linear's output joins it as one linear_relu).
  size_t num_nodes() const { return nodes_.size(); }
  // The fused chains: each one's node count (for tests and the bench).
  std::vector<int> fused_chains() const;
  // The op of each node that runs, in order (after folding).
  std::vector<std::string_view> planned_ops() const;

 private:
  int num_values_;
  int num_syms_;
  std::vector<std::pair<int, Tensor>> constants_;
  std::vector<InputSpec> inputs_;
  std::vector<Node> nodes_;
  std::vector<std::vector<int>> release_;  // per node: slots whose last use it is
  std::vector<const Tensor*> constant_of_;  // per slot: its constant, read in place (no copy per run)
  std::vector<int> outputs_;
  // A chain of element-wise nodes run as one pass at its last node.
  struct Chain {
    std::vector<int> members;  // node indices, ascending; the last writes the chain's output
    std::vector<int> inputs;  // slots read from outside the chain (the kernel's first registers)
    std::vector<FusedStep> steps;  // one per member
    std::vector<int> internal;  // slots made and consumed inside the chain
    int output = 0;
  };
  std::vector<Chain> chains_;
  std::vector<int> chain_at_;  // per node: the chain it ends, kMember (run by its chain), or -1
  static constexpr int kMember = -2;
  void run_node(size_t i, std::vector<Tensor>& v, const std::vector<int64_t>& sym) const;
  void run_chain(const Chain& c, std::vector<Tensor>& v, const std::vector<int64_t>& sym) const;
  void plan_fusion();
  void fold_linear_relu();
};

}  // namespace tk::graph
