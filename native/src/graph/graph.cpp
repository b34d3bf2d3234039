// The jit graph executor (tk/graph.h): validation and the buffer plan at construction, then a
// straight run over the node list.
#include "tk/graph.h"

#include <algorithm>

#include "tk/autograd.h"

namespace tk::graph {

namespace {
constexpr int kMaxSlots = 1 << 24;  // far above any real graph; bounds what a file can ask for
}

Graph::Graph(int num_values, std::vector<std::pair<int, Tensor>> constants, std::vector<InputSpec> inputs,
             std::vector<Node> nodes, std::vector<int> outputs, int num_syms)
    : num_values_(num_values),
      num_syms_(num_syms),
      constants_(std::move(constants)),
      inputs_(std::move(inputs)),
      nodes_(std::move(nodes)),
      outputs_(std::move(outputs)) {
  TK_CHECK(num_values >= 0 && num_values <= kMaxSlots, INVALID_ARGUMENT, "graph: bad value count ", num_values);
  TK_CHECK(num_syms >= 0 && num_syms <= kMaxSlots, INVALID_ARGUMENT, "graph: bad symbol count ", num_syms);
  // Which slots are written by the time each node runs: every read must follow its write.
  std::vector<char> written(size_t(num_values), 0);
  auto write = [&](int s, const char* what) {
    TK_CHECK(s >= 0 && s < num_values, INVALID_ARGUMENT, "graph: ", what, " slot ", s, " is out of range");
    TK_CHECK(!written[size_t(s)], INVALID_ARGUMENT, "graph: slot ", s, " is written twice (", what, ")");
    written[size_t(s)] = 1;
  };
  for (auto& [s, t] : constants_) {
    write(s, "constant");
    TK_CHECK(t.defined(), INVALID_ARGUMENT, "graph: constant ", s, " is undefined");
    t.storage()->keep_derived();  // weights: products pack their panels once (cpu/matmul.cpp)
  }
  for (const InputSpec& in : inputs_) {
    write(in.slot, "input");
    TK_CHECK(in.dims.size() <= size_t(kMaxDims), INVALID_ARGUMENT, "graph: input has ", in.dims.size(), " dims");
    for (int64_t d : in.dims)
      TK_CHECK(d >= 0 || (-1 - d) < num_syms, INVALID_ARGUMENT, "graph: input dim refers to symbol ", -1 - d, " of ",
               num_syms);
  }
  // Last reader of each slot (-1: none), for the release plan.
  std::vector<int> last(size_t(num_values), -1);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    Node& n = nodes_[i];
    TK_CHECK(int(n.op) >= 0 && int(n.op) < kNumOps, INVALID_ARGUMENT, "graph: node ", i, " has a bad op id");
    n.attrs.set_op(op_name(n.op));
    const bool inplace = op_name(n.op).back() == '_';
    TK_CHECK(!inplace || (n.outputs.empty() && !n.inputs.empty() && n.inputs[0] >= 0), INVALID_ARGUMENT,
             "graph: in-place node ", i, " (", op_name(n.op), ") must write its first input and have no outputs");
    TK_CHECK(n.outputs.size() <= size_t(Outputs::kMaxOutputs), INVALID_ARGUMENT, "graph: node ", i, " has ",
             n.outputs.size(), " outputs");
    for (int s : n.inputs) {
      if (s == -1) continue;
      TK_CHECK(s >= 0 && s < num_values && written[size_t(s)], INVALID_ARGUMENT, "graph: node ", i, " (", op_name(n.op),
               ") reads slot ", s, " before it is written");
      last[size_t(s)] = int(i);
    }
    for (const SymPatch& p : n.patches)
      TK_CHECK(p.sym >= 0 && p.sym < num_syms && p.attr >= 0 && size_t(p.attr) < n.attrs.size() && p.elem >= -1,
               INVALID_ARGUMENT, "graph: node ", i, " has a bad symbolic attribute");
    for (int s : n.outputs) write(s, "node output");
  }
  for (int s : outputs_)
    TK_CHECK(s >= 0 && s < num_values && written[size_t(s)], INVALID_ARGUMENT, "graph: output slot ", s,
             " is never written");
  // Constants and outputs are never released; an input is (the caller keeps its own reference).
  for (auto& [s, t] : constants_) last[size_t(s)] = -1;
  for (int s : outputs_) last[size_t(s)] = -1;
  constant_of_.assign(size_t(num_values), nullptr);
  for (const auto& [s, t] : constants_) constant_of_[size_t(s)] = &t;
  release_.resize(nodes_.size());
  for (int s = 0; s < num_values; ++s)
    if (last[size_t(s)] >= 0) release_[size_t(last[size_t(s)])].push_back(s);
  // A value written but never read (an unused second output) is dropped where it is made.
  for (size_t i = 0; i < nodes_.size(); ++i)
    for (int s : nodes_[i].outputs)
      if (last[size_t(s)] < 0 && std::find(outputs_.begin(), outputs_.end(), s) == outputs_.end())
        release_[i].push_back(s);
}

std::vector<Tensor> Graph::run(std::span<const Tensor> inputs) const {
  TK_CHECK(inputs.size() == inputs_.size(), INVALID_ARGUMENT, "graph.run: expected ", inputs_.size(), " input(s), got ",
           inputs.size());
  std::vector<int64_t> sym(static_cast<size_t>(num_syms_), -1);
  std::vector<Tensor> v(static_cast<size_t>(num_values_));
  auto at = [&](int s) -> const Tensor& { return constant_of_[size_t(s)] ? *constant_of_[size_t(s)] : v[size_t(s)]; };
  for (size_t i = 0; i < inputs.size(); ++i) {
    const InputSpec& spec = inputs_[i];
    const Tensor& t = inputs[i];
    TK_CHECK(t.defined(), INVALID_ARGUMENT, "graph.run: input ", i, " is missing");
    TK_CHECK(t.dtype() == spec.dtype, DTYPE_MISMATCH, "graph.run: input ", i, " must be ", dtype_name(spec.dtype),
             ", got ", dtype_name(t.dtype()));
    TK_CHECK(t.ndim() == int(spec.dims.size()), SHAPE_MISMATCH, "graph.run: input ", i, " must have ", spec.dims.size(),
             " dims, got shape ", fmt_shape(t.shape()));
    for (int d = 0; d < t.ndim(); ++d) {
      int64_t want = spec.dims[size_t(d)], got = t.shape()[d];
      if (want >= 0) {
        TK_CHECK(got == want, SHAPE_MISMATCH, "graph.run: input ", i, " dim ", d, " must be ", want, ", got shape ",
                 fmt_shape(t.shape()));
      } else {
        int64_t& s = sym[size_t(-1 - want)];
        TK_CHECK(got >= 1, SHAPE_MISMATCH, "graph.run: input ", i, " dim ", d, " (dynamic) must be at least 1, got ",
                 got);
        TK_CHECK(s < 0 || s == got, SHAPE_MISMATCH, "graph.run: input ", i, " dim ", d, " is ", got,
                 " but the same dynamic axis is ", s, " in an earlier input");
        s = got;
      }
    }
    v[size_t(spec.slot)] = t;
  }
  autograd::GradModeGuard no_grad(false);
  std::vector<Tensor> args;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    args.clear();
    for (int s : n.inputs) args.push_back(s >= 0 ? at(s) : Tensor());
    Outputs outs;
    if (n.patches.empty()) {
      outs = call(n.op, args, const_cast<Attrs&>(n.attrs));  // prepared: set_op never writes (ops.h)
    } else {
      std::vector<Attr> items(n.attrs.size());
      for (size_t k = 0; k < items.size(); ++k) items[k] = n.attrs.item(k);
      for (const SymPatch& p : n.patches) {
        Attr& a = items[size_t(p.attr)];
        int64_t val = p.a * sym[size_t(p.sym)] + p.b;
        if (p.elem < 0) {
          a.kind = Attr::Kind::Number;
          a.number = double(val);
        } else {
          TK_CHECK(a.kind == Attr::Kind::Ints && size_t(p.elem) < a.ints.size(), INVALID_ARGUMENT, "graph: node ", i,
                   " has a bad symbolic attribute");
          a.ints[size_t(p.elem)] = val;
        }
      }
      Attrs attrs(std::move(items));
      outs = call(n.op, args, attrs);
    }
    TK_CHECK(outs.size() == int(n.outputs.size()), INTERNAL, "graph: node ", i, " (", op_name(n.op), ") made ",
             outs.size(), " result(s), the graph expects ", n.outputs.size());
    for (size_t k = 0; k < n.outputs.size(); ++k) v[size_t(n.outputs[k])] = std::move(outs[int(k)]);
    for (int s : release_[i]) v[size_t(s)] = Tensor();
  }
  std::vector<Tensor> out;
  out.reserve(outputs_.size());
  for (int s : outputs_) out.push_back(at(s));
  return out;
}

}  // namespace tk::graph
