// The jit graph executor (tk/graph.h): validation and the buffer plan at construction, then a
// straight run over the node list.
#include "tk/graph.h"

#include <algorithm>

#include <cmath>
#include <limits>

#include "backend.h"
#include "kernels/functors.h"
#include "ops/internal.h"
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
    }
    for (const SymPatch& p : n.patches)
      TK_CHECK(p.sym >= 0 && p.sym < num_syms && p.attr >= 0 && size_t(p.attr) < n.attrs.size() && p.elem >= -1,
               INVALID_ARGUMENT, "graph: node ", i, " has a bad symbolic attribute");
    for (int s : n.outputs) write(s, "node output");
  }
  for (int s : outputs_)
    TK_CHECK(s >= 0 && s < num_values && written[size_t(s)], INVALID_ARGUMENT, "graph: output slot ", s,
             " is never written");
  fold_linear_relu();
  plan_fusion();
  // The release plan, over what actually runs (a chain reads its inputs where it ends): the last
  // reader of each slot (-1: none).
  std::vector<int> last(size_t(num_values), -1);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (chain_at_[i] == kMember) continue;
    const std::vector<int>& reads = chain_at_[i] >= 0 ? chains_[size_t(chain_at_[i])].inputs : nodes_[i].inputs;
    for (int s : reads)
      if (s >= 0) last[size_t(s)] = int(i);
  }
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
    if (chain_at_[i] != kMember)
      for (int s : nodes_[i].outputs)
        if (last[size_t(s)] < 0 && std::find(outputs_.begin(), outputs_.end(), s) == outputs_.end())
          release_[i].push_back(s);
}

namespace {
// What fusion needs to know of an op: element-wise, unary or binary, its UnaryOp/BinaryOp, and
// whether its result keeps the operands' dtype (comparisons give bool: never fused).
struct Elementwise {
  bool is = false, binary = false;
  int op = 0;
};
Elementwise elementwise_of(OpId id) {
  switch (id) {
    // Case labels made by macros, kept as written.
    // clang-format off
#define TK_UNARY(name, F, rule, inplace, cost) \
    case OpId::name: return {true, false, int(UnaryOp::name)};
#define TK_BINARY(name, F, rule, inplace, cost) \
    case OpId::name: return {kernels::Rule::rule != kernels::Rule::COMPARE, true, int(BinaryOp::name)};
#include "tk/ops.def"
    // clang-format on
    default: return {};
  }
}
}  // namespace

// A relu whose input is a linear's output read by nothing else (and not a graph output) is folded
// into it: the node becomes linear_relu, writing the relu's slot, so the ReLU is applied as the
// product is stored. The result is the same to the bit.
void Graph::fold_linear_relu() {
  std::vector<int> readers(size_t(num_values_), 0), producer(size_t(num_values_), -1);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    for (int s : nodes_[i].inputs)
      if (s >= 0) readers[size_t(s)]++;
    for (int s : nodes_[i].outputs) producer[size_t(s)] = int(i);
  }
  for (int s : outputs_) readers[size_t(s)]++;
  std::vector<char> drop(nodes_.size(), 0);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    Node& r = nodes_[i];
    if (r.op != OpId::relu || r.inputs.size() != 1 || r.outputs.size() != 1 || r.inputs[0] < 0) continue;
    const int s = r.inputs[0], p = producer[size_t(s)];
    if (p < 0 || readers[size_t(s)] != 1) continue;
    Node& l = nodes_[size_t(p)];
    if (l.op != OpId::linear || l.outputs.size() != 1) continue;
    l.op = OpId::linear_relu;
    l.attrs.set_op(op_name(l.op));
    l.outputs[0] = r.outputs[0];
    producer[size_t(r.outputs[0])] = p;
    drop[i] = 1;
  }
  size_t k = 0;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (!drop[i]) {
      if (k != i) nodes_[k] = std::move(nodes_[i]);
      ++k;
    }
  nodes_.resize(k);
}

// Groups element-wise nodes into chains: a node joins the chain of each element-wise producer
// whose value only it reads (and that is not a graph output), merging them. Every value a chain
// absorbs has that one reader, so a chain has one output: its last node's.
void Graph::plan_fusion() {
  const size_t n = nodes_.size();
  chain_at_.assign(n, -1);
  std::vector<int> readers(size_t(num_values_), 0), producer(size_t(num_values_), -1);
  for (size_t i = 0; i < n; ++i) {
    for (int s : nodes_[i].inputs)
      if (s >= 0) readers[size_t(s)]++;
    for (int s : nodes_[i].outputs) producer[size_t(s)] = int(i);
  }
  for (int s : outputs_) readers[size_t(s)] += 2;  // never absorbed
  std::vector<FusedStep> step(n);
  std::vector<char> fusible(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const Node& nd = nodes_[i];
    const Elementwise e = elementwise_of(nd.op);
    if (!e.is || nd.outputs.size() != 1 || !nd.patches.empty() || nd.inputs.size() != (e.binary ? 2u : 1u)) continue;
    if (std::find(nd.inputs.begin(), nd.inputs.end(), -1) != nd.inputs.end()) continue;
    FusedStep st{e.binary, e.op, 0, 0};
    try {  // the kernel parameters from the attrs, as the eager call reads them
      const kernels::UnaryParams p = ops::elementwise_params(nd.op, nd.attrs, op_name(nd.op).data());
      st.p0 = p.p0, st.p1 = p.p1, st.p2 = p.p2;
    } catch (const Error&) {
      continue;  // attrs the eager call refuses: the node runs alone, and raises that error
    }
    step[i] = st;
    fusible[i] = 1;
  }
  // Union of chains, by the index of a chain's representative node. An in-place node ends every
  // open chain: a chain runs at its last node, and its inputs must still hold what its first
  // node would have read (an in-place write, through any view, could change them in between).
  std::vector<int> group(n, -1), epoch_of(n, 0);
  std::vector<std::vector<int>> members(n);
  int epoch = 0;
  for (size_t i = 0; i < n; ++i) {
    if (op_name(nodes_[i].op).back() == '_') ++epoch;
    if (!fusible[i]) continue;
    int g = int(i);
    members[i] = {int(i)};
    group[i] = g;
    epoch_of[i] = epoch;
    for (int s : nodes_[i].inputs) {
      const int p = producer[size_t(s)];
      if (p < 0 || !fusible[size_t(p)] || readers[size_t(s)] != 1 || epoch_of[size_t(p)] != epoch) continue;
      const int h = group[size_t(p)];
      if (h == g) continue;
      for (int m : members[size_t(h)]) group[size_t(m)] = g;
      members[size_t(g)].insert(members[size_t(g)].end(), members[size_t(h)].begin(), members[size_t(h)].end());
      members[size_t(h)].clear();
    }
  }
  for (size_t r = 0; r < n; ++r) {
    std::vector<int>& ms = members[r];
    if (ms.size() < 2) continue;
    std::sort(ms.begin(), ms.end());
    Chain c;
    c.members = ms;
    c.output = nodes_[size_t(ms.back())].outputs[0];
    std::vector<int> reg(size_t(num_values_), -1);  // slot -> register
    for (int m : ms) c.internal.push_back(nodes_[size_t(m)].outputs[0]);
    c.internal.pop_back();
    for (int m : ms)
      for (int s : nodes_[size_t(m)].inputs)
        if (std::find(c.internal.begin(), c.internal.end(), s) == c.internal.end() && reg[size_t(s)] < 0) {
          reg[size_t(s)] = int(c.inputs.size());
          c.inputs.push_back(s);
        }
    for (size_t k = 0; k < ms.size(); ++k) {
      const Node& nd = nodes_[size_t(ms[k])];
      FusedStep st = step[size_t(ms[k])];
      st.a = reg[size_t(nd.inputs[0])];
      if (st.binary) st.b = reg[size_t(nd.inputs[1])];
      c.steps.push_back(st);
      reg[size_t(nd.outputs[0])] = int(c.inputs.size() + k);
    }
    for (size_t k = 0; k + 1 < ms.size(); ++k) chain_at_[size_t(ms[k])] = kMember;
    chain_at_[size_t(ms.back())] = int(chains_.size());
    chains_.push_back(std::move(c));
  }
}

std::vector<int> Graph::fused_chains() const {
  std::vector<int> out;
  for (const Chain& c : chains_) out.push_back(int(c.members.size()));
  return out;
}

std::vector<std::string_view> Graph::planned_ops() const {
  std::vector<std::string_view> out;
  for (const Node& n : nodes_) out.push_back(op_name(n.op));
  return out;
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
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (chain_at_[i] == kMember) continue;  // its chain runs it
    if (chain_at_[i] >= 0)
      run_chain(chains_[size_t(chain_at_[i])], v, sym);
    else
      run_node(i, v, sym);
    for (int s : release_[i]) v[size_t(s)] = Tensor();
  }
  std::vector<Tensor> out;
  out.reserve(outputs_.size());
  for (int s : outputs_) out.push_back(at(s));
  return out;
}

void Graph::run_node(size_t i, std::vector<Tensor>& v, const std::vector<int64_t>& sym) const {
  const Node& n = nodes_[i];
  std::vector<Tensor> args;
  args.reserve(n.inputs.size());
  for (int s : n.inputs)
    args.push_back(s < 0 ? Tensor() : constant_of_[size_t(s)] ? *constant_of_[size_t(s)] : v[size_t(s)]);
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
}

// One pass when the inputs allow it: on the CPU, one floating dtype T for every input with more
// than one element, all of one shape and contiguous, and single elements otherwise (a 0-dim one
// of any dtype, as a number operand is, since it does not change the result dtype; one with dims
// only of T, and of no higher rank). Then every step computes in T, as the eager calls do.
// Otherwise the chain's nodes run one by one.
void Graph::run_chain(const Chain& c, std::vector<Tensor>& v, const std::vector<int64_t>& sym) const {
  std::vector<Tensor> ins;
  ins.reserve(c.inputs.size());
  for (int s : c.inputs) ins.push_back(constant_of_[size_t(s)] ? *constant_of_[size_t(s)] : v[size_t(s)]);
  const Tensor* big = nullptr;
  for (const Tensor& t : ins)
    if (t.numel() != 1 && (!big || t.ndim() > big->ndim())) big = &t;
  bool ok = big && big->device().is_cpu() && has_kernel(&Backend::fused_elementwise, big->device()) &&
            (big->dtype() == DType::Float32 || big->dtype() == DType::Float64) && big->is_contiguous();
  // Which registers hold whole tensors: every step must read one, so no step combines single
  // elements alone (the eager call would compute those in their own dtype).
  std::vector<char> whole(ins.size() + c.steps.size(), 0);
  for (size_t i = 0; ok && i < ins.size(); ++i) {
    const Tensor& t = ins[i];
    ok = t.device().is_cpu();
    if (!ok) break;
    if (t.numel() == 1 && &t != big) {
      ok = t.ndim() == 0 || (t.dtype() == big->dtype() && t.ndim() <= big->ndim());
    } else {
      ok = t.dtype() == big->dtype() && t.shape() == big->shape() && t.is_contiguous();
      whole[i] = 1;
    }
  }
  for (size_t k = 0; ok && k < c.steps.size(); ++k) {
    const FusedStep& st = c.steps[k];
    ok = whole[size_t(st.a)] || (st.binary && whole[size_t(st.b)]);
    whole[ins.size() + k] = ok;
  }
  if (!ok) {
    for (int m : c.members) run_node(size_t(m), v, sym);
    for (int s : c.internal) v[size_t(s)] = Tensor();
    return;
  }
  for (Tensor& t : ins)
    if (t.numel() == 1 && t.dtype() != big->dtype()) {
      const bool number = t.is_wrapped_number();  // kept: pow by a number takes its own paths
      t = to_dtype(t, big->dtype());
      if (number) t.impl()->wrapped_number = true;
    }
  Tensor out = Tensor::empty(big->shape(), big->dtype(), big->device(), "graph");
  if (out.numel() > 0) cpu_backend.fused_elementwise(out, ins, c.steps);
  v[size_t(c.output)] = std::move(out);
}

}  // namespace tk::graph
