// Recording and the backward engine.
//
// backward() discovers the graph from the roots (counting each node's incoming edges), then runs
// nodes whose gradients are complete, latest-created first, summing each input's gradient into
// the buffer of the node that produced it. Leaves are reached through one shared AccumulateGrad
// node per leaf, so a leaf used twice receives one summed gradient.
#include <algorithm>
#include <cctype>
#include <atomic>
#include <queue>
#include <unordered_set>

#include "autograd/derivatives.h"
#include "autograd/functions.h"
#include "autograd/node.h"

namespace tk::autograd {

namespace {
thread_local bool t_grad_enabled = true;
thread_local AnomalyMode t_anomaly;
// The backwards running on this thread, innermost last. A backward may start inside another (a
// custom function's backward that recomputes its segment and differentiates it, as
// utils.checkpoint does): the inner one stashes the per-task fields of the nodes an outer one is
// using and restores them when it ends.
thread_local std::vector<uint64_t> t_tasks;
std::atomic<uint64_t> g_sequence{0};
std::atomic<uint64_t> g_task{0};

TensorMeta meta_of(const Tensor& t) {
  const bool col_major =
      t.ndim() == 2 && t.shape()[0] > 1 && t.shape()[1] > 1 && t.strides()[0] == 1 && t.strides()[1] == t.shape()[0];
  return {t.shape(), t.dtype(), t.device(), col_major};
}

std::string node_name(const Node& n) {
  if (n.op == Node::kAccumulate) return "AccumulateGrad";
  if (n.op == Node::kCustom) return n.custom_name + "Backward";
  std::string_view op = op_name(OpId(n.op));
  std::string out;
  bool up = true;
  for (char ch : op) {
    if (ch == '_') {
      up = true;
      continue;
    }
    out += up ? char(std::toupper(static_cast<unsigned char>(ch))) : ch;
    up = false;
  }
  return out + "Backward";
}

std::shared_ptr<Node> accumulator(const Tensor& leaf) {
  TensorImpl* impl = leaf.impl();
  std::shared_ptr<Node> n = impl->grad_accumulator.lock();
  if (!n) {
    n = std::make_shared<Node>();
    n->op = Node::kAccumulate;
    n->leaf = leaf.impl_ptr();
    n->outputs.push_back(meta_of(leaf));
    n->sequence = UINT64_MAX;  // run as soon as ready: frees gradient buffers early
    impl->grad_accumulator = n;
  }
  return n;
}

Edge edge_of(const Tensor& t) {
  TensorImpl* impl = t.impl();
  if (impl->grad_fn) return {impl->grad_fn, impl->output_nr};
  if (impl->requires_grad) return {accumulator(t), 0};
  return {};
}

SavedTensor save(const Tensor& t) { return {t, t.storage()->version(), false, 0}; }

// A node for op `id` over `inputs` (for an in-place op, inputs[0] is self as it was before).
std::shared_ptr<Node> make_node(OpId id, const Formula& f, std::span<const Tensor> inputs, const Attrs& attrs) {
  auto node = std::make_shared<Node>();
  node->op = int(id);
  node->attrs = attrs;
  node->sequence = g_sequence.fetch_add(1, std::memory_order_relaxed);
  const size_t n = inputs.size();
  node->next.reserve(n);
  node->inputs.reserve(n);
  int requiring = 0;
  for (const Tensor& t : inputs) {
    node->next.push_back(edge_of(t));
    node->inputs.push_back(meta_of(t));
    requiring += node->next.back().node != nullptr;
  }
  if (f.save_inputs | f.save_cross) {
    node->saved_inputs.resize(n);
    for (size_t i = 0; i < n && i < 32; ++i) {
      bool other = requiring - (node->next[i].node != nullptr) > 0;
      if ((f.save_inputs >> i & 1) || ((f.save_cross >> i & 1) && other)) {
        node->saved_inputs[i] = save(inputs[i]);
        node->has_saved = true;
      }
    }
  }
  return node;
}

// Saves output i's data (not the tensor, whose grad_fn is this node: see SavedTensor).
void save_output(Node& node, size_t i, const Tensor& out) {
  if (node.saved_outputs.size() <= i) node.saved_outputs.resize(i + 1);
  SavedTensor s = save(out.with_layout(out.layout()));
  s.is_output = true;
  s.output_nr = uint32_t(i);
  node.saved_outputs[i] = std::move(s);
  node.has_saved = true;
}

void link_output(const std::shared_ptr<Node>& node, const Tensor& out, uint32_t nr) {
  TensorImpl* impl = out.impl();
  impl->grad_fn = node;
  impl->output_nr = nr;
  impl->requires_grad = false;
}
}  // namespace

// ---- graph lifetime -----------------------------------------------------------------------------
Node::~Node() {
  thread_local std::vector<std::shared_ptr<Node>> graveyard;
  thread_local bool draining = false;
  // Take every reference this node holds to another node (directly, or through a saved tensor
  // or leaf that dies with it), then keep those that were the last one for iterative freeing.
  std::vector<std::shared_ptr<Node>> refs;
  for (Edge& e : next)
    if (e.node) refs.push_back(std::move(e.node));
  auto take = [&](const std::shared_ptr<TensorImpl>& impl) {
    if (impl && impl.use_count() == 1 && impl->grad_fn) refs.push_back(std::move(impl->grad_fn));
  };
  for (SavedTensor& s : saved_inputs)
    if (s.data.defined()) take(s.data.impl_ptr());
  for (SavedTensor& s : saved_outputs)
    if (s.data.defined()) take(s.data.impl_ptr());
  if (leaf && leaf.use_count() == 1) take(leaf->grad);
  for (std::shared_ptr<Node>& r : refs) {
    if (r.use_count() == 1)
      graveyard.push_back(std::move(r));
    else
      r.reset();  // another holder remains (or a later entry of refs is the last one)
  }
  if (draining) return;  // an outer ~Node is draining the list
  draining = true;
  while (!graveyard.empty()) {
    std::shared_ptr<Node> n = std::move(graveyard.back());
    graveyard.pop_back();
    n.reset();  // its own children join the list instead of recursing
  }
  draining = false;
}

bool grad_enabled() { return t_grad_enabled; }
AnomalyMode anomaly_mode() { return t_anomaly; }
void set_anomaly_mode(AnomalyMode mode) { t_anomaly = mode; }

void set_node_trace(const Tensor& t, std::string trace) {
  const std::shared_ptr<Node>& n = t.impl()->grad_fn;
  if (n && !n->trace) n->trace = std::make_shared<const std::string>(std::move(trace));
}
void set_grad_enabled(bool on) { t_grad_enabled = on; }

// ---- recording ----------------------------------------------------------------------------------
void record(OpId id, std::span<const Tensor> inputs, const Attrs& attrs, Outputs& outs) {
  Formula f = formula(id);
  if (!f.fn) return;
  bool any_float = false;
  for (int i = 0; i < outs.size(); ++i) any_float |= is_floating(outs[i].dtype());
  if (!any_float) return;  // integer and bool results carry no gradient
  std::shared_ptr<Node> node = make_node(id, f, inputs, attrs);
  node->outputs.reserve(outs.size());
  for (int i = 0; i < outs.size(); ++i) {
    Tensor& o = outs[i];
    node->outputs.push_back(meta_of(o));
    if (f.save_outputs >> i & 1) save_output(*node, size_t(i), o);  // indices too
    if (!is_floating(o.dtype())) continue;
    // An op may return its input unchanged (contiguous() of a contiguous tensor): the result
    // needs its own impl to carry its own grad_fn.
    for (const Tensor& in : inputs)
      if (in.impl() == o.impl()) o = o.with_layout(o.layout());
    link_output(node, o, uint32_t(i));
  }
}

std::shared_ptr<Node> begin_inplace(OpId id, std::span<const Tensor> inputs, const Attrs& attrs) {
  const char* name = op_name(id).data();
  const Tensor& self = inputs[0];
  TensorImpl* impl = self.impl();
  TK_CHECK(!(impl->requires_grad && !impl->grad_fn), INVALID_ARGUMENT, name,
           ": a leaf tensor that requires grad is used in an in-place operation; run it under "
           "noGrad() (as optimizers do) or use the out-of-place op");
  TK_CHECK(!impl->is_view, NOT_IMPLEMENTED, name,
           ": in-place operation on a view while gradients are recorded (autograd cannot route the "
           "gradient back to the viewed tensor); use the out-of-place op, or clone() the view first");
  Formula f = formula(id);
  TK_CHECK(f.fn, INVALID_ARGUMENT, name,
           ": not differentiable, and an input requires grad; run it "
           "under noGrad()");
  // The node's first input is self as it was before the write: a snapshot impl that keeps the
  // old history, so a saved copy of it never points back at this node.
  std::vector<Tensor> ins(inputs.begin(), inputs.end());
  Tensor old = self.with_layout(self.layout());
  old.impl()->is_view = false;
  old.impl()->grad_fn = impl->grad_fn;
  old.impl()->output_nr = impl->output_nr;
  ins[0] = old;
  std::shared_ptr<Node> node = make_node(id, f, ins, attrs);
  // The formula reads self as it was before the write (x.mul_(w) needs x for w's gradient): keep
  // a copy, with the old history, as PyTorch does.
  if (!node->saved_inputs.empty() && node->saved_inputs[0].defined()) {
    Tensor copy = clone(self);
    copy.impl()->grad_fn = impl->grad_fn;
    copy.impl()->output_nr = impl->output_nr;
    node->saved_inputs[0] = save(copy);
  }
  return node;
}

void finish_inplace(const std::shared_ptr<Node>& node, const Tensor& self) {
  node->outputs.push_back(meta_of(self));
  link_output(node, self, 0);
  if (formula(OpId(node->op)).save_outputs & 1) save_output(*node, 0, self);
  if (self.impl()->retains_grad) node->retained.push_back(self.impl_ptr());
}

std::vector<Tensor> record_custom(CustomCall call, std::shared_ptr<CustomBackward> fn) {
  const std::string& name = call.name;
  std::vector<Tensor>& outs = call.outputs;
  TK_CHECK(call.dirty.size() == call.inputs.size() && call.non_differentiable.size() == outs.size(), INTERNAL, name,
           ": record_custom flags do not match the inputs and outputs");
  auto node = std::make_shared<Node>();
  node->op = Node::kCustom;
  node->custom = std::move(fn);
  node->custom_name = name;
  node->sequence = g_sequence.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < call.inputs.size(); ++i) {
    const Tensor& in = call.inputs[i];
    if (call.dirty[i]) {
      TensorImpl* impl = in.impl();
      TK_CHECK(!(impl->requires_grad && !impl->grad_fn), INVALID_ARGUMENT, name,
               ": a leaf tensor that requires grad was marked dirty (modified in place); clone() it first");
      TK_CHECK(!impl->is_view, NOT_IMPLEMENTED, name,
               ": a view was marked dirty (modified in place); autograd cannot route its gradient back to the "
               "viewed tensor, so clone() it first");
      bool returned = false;
      for (const Tensor& o : outs) returned |= o.defined() && o.impl() == impl;
      TK_CHECK(returned, INVALID_ARGUMENT, name, ": input ", i,
               " was marked dirty but is not among forward's outputs; return it");
    }
    // Edges first: a dirty input's edge is its history before this call.
    node->next.push_back(edge_of(in));
    node->inputs.push_back(meta_of(in));
  }
  for (size_t i = 0; i < outs.size(); ++i) {
    Tensor& o = outs[i];
    node->outputs.push_back(meta_of(o));
    if (call.non_differentiable[i] || !is_floating(o.dtype())) continue;
    bool dirty_input = false, other_input = false;
    for (size_t j = 0; j < call.inputs.size(); ++j)
      if (call.inputs[j].impl() == o.impl()) (call.dirty[j] ? dirty_input : other_input) = true;
    if (other_input && !dirty_input) {  // returned an input unchanged: an alias carries the grad_fn
      o = o.with_layout(o.layout());
      o.impl()->is_view = false;
    }
    if (o.impl()->grad_fn.get() == node.get()) {  // the same tensor returned twice: an alias again
      o = o.with_layout(o.layout());
      o.impl()->is_view = false;
    }
    link_output(node, o, uint32_t(i));
    if (o.impl()->retains_grad) node->retained.push_back(o.impl_ptr());
  }
  node->saved_inputs.reserve(call.saved.size());
  for (const Tensor& t : call.saved) {
    SavedTensor st;
    if (t.defined()) {
      st = save(t);
      for (size_t i = 0; i < outs.size(); ++i)  // an output: saved without its grad_fn (a cycle)
        if (outs[i].impl() == t.impl() && outs[i].impl()->grad_fn == node) {
          st = save(t.with_layout(t.layout()));
          st.data.impl()->grad_fn = nullptr;
          st.is_output = true;
          st.output_nr = uint32_t(i);
          break;
        }
      node->has_saved = true;
    }
    node->saved_inputs.push_back(std::move(st));
  }
  return outs;
}

Tensor unpack(const SavedTensor& s, Node& node, const char* what) {
  TK_ASSERT(s.defined());
  uint64_t now = s.data.storage()->version();
  if (now != s.version)
    raise(ErrorCode::INVALID_ARGUMENT, node_name(node),
          ": one of the tensors needed for gradient "
          "computation has been modified by an in-place operation: ",
          what, " of shape ", fmt_shape(s.data.shape()), " is at version ", now, "; expected version ", s.version,
          ". Use the out-of-place op, or clone() the tensor before modifying it");
  if (!s.is_output || !grad_enabled()) return s.data;
  // Recording the backward: the output must lead back to this node.
  Tensor t = s.data.with_layout(s.data.layout());
  t.impl()->is_view = false;
  link_output(node.shared_from_this(), t, s.output_nr);
  return t;
}

// ---- tensor-level API ---------------------------------------------------------------------------
bool requires_grad(const Tensor& t) { return t.impl()->requires_grad || t.impl()->grad_fn; }

void set_requires_grad(const Tensor& t, bool on) {
  TensorImpl* impl = t.impl();
  if (impl->grad_fn) {
    TK_CHECK(on, INVALID_ARGUMENT,
             "requiresGrad: you can only change requiresGrad of leaf tensors; "
             "use detach() to get a tensor outside the graph");
    return;
  }
  TK_CHECK(!on || is_floating(t.dtype()), DTYPE_MISMATCH,
           "requiresGrad: only tensors of a floating "
           "dtype can require gradients, got ",
           dtype_name(t.dtype()));
  impl->requires_grad = on;
}

bool is_leaf(const Tensor& t) { return !t.impl()->grad_fn; }

std::string grad_fn_name(const Tensor& t) { return t.impl()->grad_fn ? node_name(*t.impl()->grad_fn) : std::string(); }

Tensor grad(const Tensor& t) { return t.impl()->grad ? Tensor(t.impl()->grad) : Tensor(); }

std::vector<Tensor> leaves_of(std::span<const Tensor> roots) {
  std::vector<Tensor> out;
  std::unordered_set<const TensorImpl*> found;
  std::unordered_set<const Node*> seen;
  std::vector<const Node*> stack;  // iterative: a graph may be a million ops deep
  auto add = [&](const std::shared_ptr<TensorImpl>& t) {
    if (found.insert(t.get()).second) out.emplace_back(t);
  };
  for (const Tensor& r : roots) {
    if (!r.defined()) continue;
    if (const Node* n = r.impl()->grad_fn.get()) {
      if (seen.insert(n).second) stack.push_back(n);
    } else if (r.impl()->requires_grad) {
      add(r.impl_ptr());
    }
    // Depth-first from each root in turn, inputs in order: the order is the same every run.
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      if (n->op == Node::kAccumulate && n->leaf) add(n->leaf);
      for (size_t i = n->next.size(); i-- > 0;)
        if (const Node* m = n->next[i].node.get(); m && seen.insert(m).second) stack.push_back(m);
    }
  }
  return out;
}

std::vector<bool> reaches(std::span<const Tensor> roots, std::span<const Tensor> leaves) {
  std::unordered_set<const TensorImpl*> reached;
  for (const Tensor& t : leaves_of(roots)) reached.insert(t.impl());
  std::vector<bool> out(leaves.size());
  for (size_t i = 0; i < leaves.size(); ++i) out[i] = leaves[i].defined() && reached.count(leaves[i].impl()) > 0;
  return out;
}

void set_post_accumulate_hook(const Tensor& t, std::shared_ptr<PostAccumulateHook> hook) {
  TK_CHECK(is_leaf(t) && t.impl()->requires_grad, INVALID_ARGUMENT,
           "registerPostAccumulateGradHook: only a leaf tensor that requires grad has an accumulated gradient");
  t.impl()->post_accumulate = std::move(hook);
}

void add_grad_hook(const Tensor& t, std::shared_ptr<GradHook> hook) {
  TensorImpl* impl = t.impl();
  TK_CHECK(hook, INTERNAL, "registerHook: no hook");
  TK_CHECK(requires_grad(t), INVALID_ARGUMENT,
           "registerHook: cannot register a hook on a tensor that does not require grad");
  if (impl->grad_fn)
    impl->grad_fn->hooks.push_back({impl->output_nr, std::move(hook)});
  else
    impl->grad_hooks.push_back(std::move(hook));
}

void remove_grad_hook(const Tensor& t, uint64_t key) {
  TensorImpl* impl = t.impl();
  std::erase_if(impl->grad_hooks, [&](const std::shared_ptr<GradHook>& h) { return h->key == key; });
  if (impl->grad_fn) std::erase_if(impl->grad_fn->hooks, [&](const auto& e) { return e.second->key == key; });
}

void set_grad_destination(const Tensor& t, const Tensor& dest) {
  const char* op = "setGradDestination";
  TK_CHECK(is_leaf(t) && t.impl()->requires_grad, INVALID_ARGUMENT, op,
           ": only a leaf tensor that requires grad has an accumulated gradient");
  if (!dest.defined()) {
    t.impl()->grad_destination.reset();
    return;
  }
  TK_CHECK(!requires_grad(dest), INVALID_ARGUMENT, op, ": the destination must not require grad");
  TK_CHECK(dest.shape() == t.shape(), SHAPE_MISMATCH, op, ": destination has shape ", fmt_shape(dest.shape()),
           " but the tensor has shape ", fmt_shape(t.shape()));
  TK_CHECK(dest.dtype() == t.dtype(), DTYPE_MISMATCH, op, ": destination has dtype ", dtype_name(dest.dtype()),
           " but the tensor has dtype ", dtype_name(t.dtype()));
  TK_CHECK(dest.device() == t.device(), DEVICE_MISMATCH, op, ": destination is on ", device_name(dest.device()),
           " but the tensor is on ", device_name(t.device()));
  TK_CHECK(dest.is_contiguous(), INVALID_ARGUMENT, op, ": the destination must be contiguous");
  t.impl()->grad_destination = dest.impl_ptr();
}

void set_grad(const Tensor& t, const Tensor& g) {
  if (!g.defined()) {
    t.impl()->grad.reset();
    return;
  }
  TK_CHECK(g.shape() == t.shape(), SHAPE_MISMATCH, "grad: assigned gradient has shape ", fmt_shape(g.shape()),
           " but the tensor has shape ", fmt_shape(t.shape()));
  TK_CHECK(g.dtype() == t.dtype(), DTYPE_MISMATCH, "grad: assigned gradient has dtype ", dtype_name(g.dtype()),
           " but the tensor has dtype ", dtype_name(t.dtype()));
  TK_CHECK(g.device() == t.device(), DEVICE_MISMATCH, "grad: assigned gradient is on ", device_name(g.device()),
           " but the tensor is on ", device_name(t.device()));
  t.impl()->grad = g.impl_ptr();
}

void retain_grad(const Tensor& t) {
  TensorImpl* impl = t.impl();
  if (!impl->grad_fn || impl->retains_grad) return;
  TK_CHECK(requires_grad(t), INVALID_ARGUMENT, "retainGrad: the tensor does not require grad");
  impl->retains_grad = true;
  impl->grad_fn->retained.push_back(t.impl_ptr());
}

bool retains_grad(const Tensor& t) { return t.impl()->retains_grad; }

Tensor detach(const Tensor& t) {
  Tensor d = t.with_layout(t.layout());
  d.impl()->is_view = false;
  return d;
}

// ---- the engine ---------------------------------------------------------------------------------
namespace {

// Sums g into a gradient slot (out of place: the slot's tensor may be shared, e.g. by add's
// formula handing one gradient to both inputs).
void add_into(Tensor& slot, Tensor g) { slot = slot.defined() ? fn::add(slot, g) : std::move(g); }

// Fits a formula's gradient for input i to the input: sums broadcast dims, casts dtype.
Tensor conform(Tensor g, const Node& n, size_t i) {
  const TensorMeta& m = n.inputs[i];
  if (!(g.shape() == m.shape)) {
    DimVec b;
    bool ok = g.ndim() >= m.shape.size();
    if (ok) {
      try {
        b = broadcast_shapes(g.shape(), m.shape, "backward");
      } catch (const Error&) {
        ok = false;
      }
    }
    TK_CHECK(ok && b == g.shape(), INTERNAL, node_name(n), ": gradient for input ", i, " has shape ",
             fmt_shape(g.shape()), ", which does not reduce to the input's shape ", fmt_shape(m.shape));
    g = fn::sum_to(g, m.shape);
  }
  if (g.dtype() != m.dtype) g = fn::to_dtype(g, m.dtype);
  TK_CHECK(g.device() == m.device, INTERNAL, node_name(n), ": gradient for input ", i, " is on ",
           device_name(g.device()), ", expected ", device_name(m.device));
  return g;
}

// .grad += g for a leaf (or a retained non-leaf). The first gradient is adopted when nothing else
// references it, else copied; later ones add in place, unless the backward is recorded (then
// the sum is a recorded op, so .grad keeps its graph).
void accumulate(TensorImpl* target, Tensor g, bool create_graph) {
  if (!target->grad && target->grad_destination && !create_graph) {
    Tensor dest(target->grad_destination);
    // (a formula that wrote into the destination, Ctx::dest, hands back the destination itself)
    if (g.impl() != dest.impl()) copy_(dest, g);
    target->grad = dest.impl_ptr();
    return;
  }
  if (!target->grad) {
    if (!create_graph && g.impl_ptr().use_count() == 1 && g.storage().use_count() == 1 && g.is_contiguous() &&
        !g.impl()->grad_fn) {
      g.impl()->is_view = false;
      target->grad = g.impl_ptr();
    } else if (create_graph) {
      target->grad = fn::op(OpId::clone, {g}).impl_ptr();
    } else {
      target->grad = clone(g).impl_ptr();
    }
    return;
  }
  Tensor cur(target->grad);
  if (!create_graph && !requires_grad(cur)) {
    binary_(BinaryOp::add, cur, g);
  } else {
    target->grad = fn::add(cur, g).impl_ptr();
  }
}

// Runs the gradient hooks of n's outputs (a leaf's, for its AccumulateGrad node) on the gradients
// that arrived, in registration order, each on the previous one's result; with skip_captured, not
// those of the outputs autograd::grad captures here. The lists are copied first: a hook may remove
// itself.
void run_grad_hooks(Node& n, bool skip_captured) {
  auto captured = [&](uint32_t slot) {
    if (!skip_captured) return false;
    for (auto [s, index] : n.captures)
      if (s == slot) return true;
    return false;
  };
  auto run = [&](GradHook& h, Tensor& g) {
    Tensor r = h.apply(g);
    if (!r.defined()) return;
    TK_CHECK(r.shape() == g.shape(), SHAPE_MISMATCH, "registerHook: the hook returned a gradient of shape ",
             fmt_shape(r.shape()), " for a gradient of shape ", fmt_shape(g.shape()));
    TK_CHECK(r.dtype() == g.dtype(), DTYPE_MISMATCH, "registerHook: the hook returned a ", dtype_name(r.dtype()),
             " gradient for a ", dtype_name(g.dtype()), " one");
    TK_CHECK(r.device() == g.device(), DEVICE_MISMATCH, "registerHook: the hook returned a gradient on ",
             device_name(r.device()), " for one on ", device_name(g.device()));
    g = std::move(r);
  };
  if (n.op == Node::kAccumulate) {
    if (n.leaf->grad_hooks.empty() || !n.buffer[0].defined() || captured(0)) return;
    const std::vector<std::shared_ptr<GradHook>> hooks = n.leaf->grad_hooks;
    for (const auto& h : hooks) run(*h, n.buffer[0]);
    return;
  }
  if (n.hooks.empty()) return;
  const auto hooks = n.hooks;
  for (const auto& [slot, h] : hooks)
    if (slot < n.buffer.size() && n.buffer[slot].defined() && !captured(slot)) run(*h, n.buffer[slot]);
}

// Calls a custom function's backward and checks what it returned against the node's inputs.
void run_custom(Node& n, std::vector<Tensor>& grads_in) {
  const std::string name = node_name(n);
  std::vector<Tensor> saved;
  saved.reserve(n.saved_inputs.size());
  for (size_t i = 0; i < n.saved_inputs.size(); ++i)
    saved.push_back(n.saved_inputs[i].defined() ? unpack(n.saved_inputs[i], n, "a saved tensor") : Tensor());
  std::vector<Tensor> r;
  {
    // A copy: a backward started inside apply may stash this node's buffer.
    const std::vector<Tensor> grads(n.buffer.begin(), n.buffer.end());
    r = n.custom->apply(grads, saved);
  }
  TK_CHECK(r.size() == n.next.size(), INVALID_ARGUMENT, name, ": backward returned ", r.size(), " gradients, expected ",
           n.next.size(), " (one per tensor input of forward)");
  for (size_t i = 0; i < r.size(); ++i) {
    if (!r[i].defined() || !n.next[i].node) continue;
    const TensorMeta& m = n.inputs[i];
    bool ok = r[i].ndim() >= m.shape.size();
    if (ok) {
      try {
        ok = broadcast_shapes(r[i].shape(), m.shape, "backward") == r[i].shape();
      } catch (const Error&) {
        ok = false;
      }
    }
    TK_CHECK(ok, SHAPE_MISMATCH, name, ": backward returned a gradient of shape ", fmt_shape(r[i].shape()),
             " for input ", i, " of shape ", fmt_shape(m.shape));
    TK_CHECK(is_floating(r[i].dtype()), DTYPE_MISMATCH, name, ": backward returned a ", dtype_name(r[i].dtype()),
             " gradient for input ", i, "; gradients are floating");
    TK_CHECK(r[i].device() == m.device, DEVICE_MISMATCH, name, ": backward returned a gradient on ",
             device_name(r[i].device()), " for input ", i, " on ", device_name(m.device));
    grads_in[i] = std::move(r[i]);
  }
}

// Whether g holds a NaN (read back to the host: anomaly detection only).
bool has_nan(const Tensor& g) {
  GradModeGuard off(false);
  Tensor nan = to_dtype(binary(BinaryOp::ne, g, g), DType::Int32);
  Tensor any = reduce(ReduceOp::Max, nan, std::nullopt, false, "anomaly detection");
  return to_device(any, Device{}).data<int32_t>()[0] != 0;
}

// Runs node n under anomaly detection: an error from it comes back with the node's forward trace
// appended, and with check_nan a NaN in a gradient it produced is an error.
template <class Run> void run_anomalous(Node& n, std::vector<Tensor>& grads_in, Run&& run) {
  auto where = [&] {
    return n.trace ? "\nThe forward op of " + node_name(n) + " was called at:\n" + *n.trace
                   : std::string("\n(no forward trace: the op ran before anomaly detection was enabled)");
  };
  try {
    run();
  } catch (const Error& e) {
    throw Error(e.code(), e.what() + where());
  }
  if (!t_anomaly.check_nan) return;
  for (size_t i = 0; i < grads_in.size(); ++i)
    if (grads_in[i].defined() && is_floating(grads_in[i].dtype()) && grads_in[i].numel() > 0 && has_nan(grads_in[i]))
      throw Error(ErrorCode::INVALID_ARGUMENT, "backward (anomaly detection): " + node_name(n) +
                                                   " returned NaN values in its gradient for input " +
                                                   std::to_string(i) + where());
}

struct ByPriority {
  bool operator()(const Node* a, const Node* b) const { return a->sequence < b->sequence; }
};

// The per-task fields of a node an outer backward is using, set aside while an inner one runs.
struct Stashed {
  Node* node;
  uint64_t task;
  int dependencies;
  bool needed, visited;
  std::vector<Tensor> buffer;
  std::vector<std::pair<uint32_t, int>> captures;
};

bool live(uint64_t task) { return std::find(t_tasks.begin(), t_tasks.end(), task) != t_tasks.end(); }

// Registers the backward on this thread and, however it ends, clears the per-task state of every
// node it discovered and gives back what it stashed from outer backwards.
struct TaskScope {
  std::vector<Node*> nodes;
  std::vector<Stashed> stashed;
  explicit TaskScope(uint64_t task) { t_tasks.push_back(task); }
  TaskScope(const TaskScope&) = delete;
  TaskScope& operator=(const TaskScope&) = delete;
  ~TaskScope() {
    for (Node* n : nodes) {
      n->buffer.clear();
      n->captures.clear();
    }
    for (auto it = stashed.rbegin(); it != stashed.rend(); ++it) {
      Node& n = *it->node;
      n.task = it->task;
      n.dependencies = it->dependencies;
      n.needed = it->needed;
      n.visited = it->visited;
      n.buffer = std::move(it->buffer);
      n.captures = std::move(it->captures);
    }
    t_tasks.pop_back();
  }
};

// Runs the graph from the roots. Without `capture_edges`, gradients accumulate into .grad;
// with them, the gradient reaching each edge is returned instead and .grad is untouched.
std::vector<Tensor> execute(const std::vector<Edge>& roots, std::vector<Tensor> root_grads,
                            const std::vector<Edge>* capture_edges, BackwardOptions opt) {
  const uint64_t task = g_task.fetch_add(1, std::memory_order_relaxed) + 1;
  const bool capturing = capture_edges != nullptr;
  TaskScope scope(task);
  std::vector<Node*>& nodes = scope.nodes;

  // Discovery: every reachable node once, counting incoming edges.
  std::vector<Node*> stack;
  auto visit = [&](Node* n) {
    if (n->task == task) return;
    if (n->task != 0 && live(n->task)) {
      scope.stashed.push_back(
          {n, n->task, n->dependencies, n->needed, n->visited, std::move(n->buffer), std::move(n->captures)});
      n->captures.clear();
    }
    n->task = task;
    n->dependencies = 0;
    n->needed = !capturing;
    n->visited = false;
    n->buffer.assign(n->outputs.size(), Tensor());
    nodes.push_back(n);
    stack.push_back(n);
  };
  for (const Edge& e : roots) visit(e.node.get());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next)
      if (e.node) {
        visit(e.node.get());
        e.node->dependencies++;
      }
  }

  std::vector<Tensor> results;
  if (capturing) {
    results.resize(capture_edges->size());
    for (size_t k = 0; k < capture_edges->size(); ++k) {
      Node* n = (*capture_edges)[k].node.get();
      if (n->task != task) continue;  // not reachable: the outputs do not depend on this input
      n->captures.push_back({(*capture_edges)[k].slot, int(k)});
    }
    // needed = captured here or at a node beyond (a post-order walk of the DAG).
    std::vector<std::pair<Node*, size_t>> dfs;
    for (const Edge& e : roots)
      if (!e.node->visited) {
        e.node->visited = true;
        dfs.push_back({e.node.get(), 0});
      }
    while (!dfs.empty()) {
      auto& [n, i] = dfs.back();
      if (i < n->next.size()) {
        Node* m = n->next[i++].node.get();
        if (m && !m->visited) {
          m->visited = true;
          dfs.push_back({m, 0});
        }
        continue;
      }
      bool need = !n->captures.empty();
      if (n->op != Node::kAccumulate)
        for (const Edge& e : n->next) need |= e.node && e.node->needed;
      n->needed = need;
      dfs.pop_back();
    }
    for (Node* n : nodes) n->visited = false;
  }

  GradModeGuard mode(opt.create_graph);
  std::priority_queue<Node*, std::vector<Node*>, ByPriority> ready;
  for (size_t i = 0; i < roots.size(); ++i) add_into(roots[i].node->buffer[roots[i].slot], std::move(root_grads[i]));
  for (const Edge& e : roots)
    if (e.node->dependencies == 0 && !e.node->visited) {  // a root listed twice is queued once
      e.node->visited = true;
      ready.push(e.node.get());
    }

  std::vector<Tensor> grads_in;
  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    if (n->needed) run_grad_hooks(*n, capturing && !opt.target_hooks);
    for (auto [slot, index] : n->captures)
      if (n->buffer[slot].defined()) add_into(results[index], n->buffer[slot]);
    bool run = n->needed;
    if (capturing && run) {  // captured here only: no need to run the formula
      run = false;
      if (n->op != Node::kAccumulate)
        for (const Edge& e : n->next) run |= e.node && e.node->needed;
    }
    if (n->op == Node::kAccumulate) {
      if (!capturing && n->buffer[0].defined()) {
        accumulate(n->leaf.get(), std::move(n->buffer[0]), opt.create_graph);
        if (auto hook = n->leaf->post_accumulate) hook->apply(Tensor(n->leaf));  // a copy: apply may remove it
      }
      n->buffer.clear();
      continue;
    }
    grads_in.assign(n->next.size(), Tensor());
    if (run) {
      if (!capturing)
        for (auto& w : n->retained)
          if (auto t = w.lock(); t && t->grad_fn.get() == n && n->buffer[t->output_nr].defined())
            accumulate(t.get(), n->buffer[t->output_nr], opt.create_graph);
      bool any = false;
      for (const Tensor& b : n->buffer) any |= b.defined();
      if (any) {
        uint32_t arrived = ~0u;
        for (size_t i = 0; i < n->buffer.size(); ++i)
          if (!n->buffer[i].defined() && is_floating(n->outputs[i].dtype)) {
            if (i < 32) arrived &= ~(1u << i);
            n->buffer[i] = fn::zeros(n->outputs[i].shape, n->outputs[i].dtype, n->outputs[i].device);
          }
        TK_CHECK(!(n->released && n->has_saved), INVALID_ARGUMENT, node_name(*n),
                 ": trying to backward through the graph a second time (its saved tensors were "
                 "freed by the first backward); pass { retainGraph: true } to the first backward() "
                 "if you need to backward twice");
        auto run_node = [&] {
          if (n->op == Node::kCustom) {
            run_custom(*n, grads_in);
          } else {
            Formula f = formula(OpId(n->op));
            Ctx ctx(*n, n->buffer, grads_in, !capturing && !opt.create_graph);
            ctx.set_arrived(arrived);
            f.fn(ctx);
          }
        };
        if (t_anomaly.enabled)
          run_anomalous(*n, grads_in, run_node);
        else
          run_node();
      }
    }
    n->buffer.clear();
    if (!opt.retain_graph) {
      n->saved_inputs.clear();
      n->saved_outputs.clear();
      n->released = true;
    }
    for (size_t i = 0; i < n->next.size(); ++i) {
      const Edge& e = n->next[i];
      if (!e.node) continue;
      if (grads_in[i].defined() && e.node->needed)
        add_into(e.node->buffer[e.slot], conform(std::move(grads_in[i]), *n, i));
      if (--e.node->dependencies == 0) ready.push(e.node.get());
    }
  }
  return results;
}

Tensor root_grad(const Tensor& root, const Tensor& g, size_t i, const char* op) {
  if (!g.defined()) {
    TK_CHECK(root.numel() == 1, INVALID_ARGUMENT, op,
             ": grad can be implicitly created only for "
             "one-element outputs, got shape ",
             fmt_shape(root.shape()), " (output ", i, "); pass a gradient of that shape");
    return full(root.shape(), 1, root.dtype(), root.device());
  }
  TK_CHECK(g.shape() == root.shape(), SHAPE_MISMATCH, op, ": gradient ", i, " has shape ", fmt_shape(g.shape()),
           " but the output has shape ", fmt_shape(root.shape()));
  TK_CHECK(is_floating(g.dtype()), DTYPE_MISMATCH, op, ": gradient ", i, " must be a floating tensor, got ",
           dtype_name(g.dtype()));
  TK_CHECK(g.device() == root.device(), DEVICE_MISMATCH, op, ": gradient ", i, " is on ", device_name(g.device()),
           " but the output is on ", device_name(root.device()));
  return g.dtype() == root.dtype() ? g : to_dtype(g, root.dtype());
}

void collect_roots(std::span<const Tensor> roots, std::span<const Tensor> grads, const char* op,
                   std::vector<Edge>& edges, std::vector<Tensor>& gs) {
  TK_CHECK(!roots.empty(), INVALID_ARGUMENT, op, ": expected at least one output");
  TK_CHECK(grads.empty() || grads.size() == roots.size(), INVALID_ARGUMENT, op, ": got ", grads.size(),
           " gradients for ", roots.size(), " outputs");
  for (size_t i = 0; i < roots.size(); ++i) {
    TK_CHECK(requires_grad(roots[i]), INVALID_ARGUMENT, op, ": output ", i,
             " does not require grad and has no grad_fn (was it computed from tensors with "
             "requiresGrad, outside noGrad()?)");
    edges.push_back(edge_of(roots[i]));
    gs.push_back(root_grad(roots[i], grads.empty() ? Tensor() : grads[i], i, op));
  }
}
}  // namespace

void backward(std::span<const Tensor> roots, std::span<const Tensor> grads, BackwardOptions opt) {
  std::vector<Edge> edges;
  std::vector<Tensor> gs;
  collect_roots(roots, grads, "backward", edges, gs);
  execute(edges, std::move(gs), nullptr, opt);
}

std::vector<Tensor> grad(std::span<const Tensor> outputs, std::span<const Tensor> inputs,
                         std::span<const Tensor> grad_outputs, BackwardOptions opt, bool allow_unused) {
  std::vector<Edge> edges;
  std::vector<Tensor> gs;
  collect_roots(outputs, grad_outputs, "grad", edges, gs);
  TK_CHECK(!inputs.empty(), INVALID_ARGUMENT, "grad: expected at least one input");
  std::vector<Edge> targets;
  for (size_t i = 0; i < inputs.size(); ++i) {
    TK_CHECK(requires_grad(inputs[i]), INVALID_ARGUMENT, "grad: input ", i, " does not require grad");
    targets.push_back(edge_of(inputs[i]));
  }
  std::vector<Tensor> r = execute(edges, std::move(gs), &targets, opt);
  for (size_t i = 0; i < r.size(); ++i) {
    TK_CHECK(r[i].defined() || allow_unused, INVALID_ARGUMENT, "grad: input ", i,
             " was not used to compute the outputs; pass { allowUnused: true } to get null for it");
    if (r[i].defined() && !(r[i].shape() == inputs[i].shape())) r[i] = fn::sum_to(r[i], inputs[i].shape());
  }
  return r;
}

}  // namespace tk::autograd
