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
// - Symbolic dims: an input dim may be a symbol (a dynamic axis). Integer attributes that depend on
//   it are patched per run as a * value + b. A symbol's value must agree across inputs.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tk/ops.h"

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
  size_t num_nodes() const { return nodes_.size(); }

 private:
  int num_values_;
  int num_syms_;
  std::vector<std::pair<int, Tensor>> constants_;
  std::vector<InputSpec> inputs_;
  std::vector<Node> nodes_;
  std::vector<std::vector<int>> release_;  // per node: slots whose last use it is
  std::vector<const Tensor*> constant_of_;  // per slot: its constant, read in place (no copy per run)
  std::vector<int> outputs_;
};

}  // namespace tk::graph
