// jit graph entry points: marshalling only; the executor is native/src/graph/graph.cpp.
//
// A graph lives in a JS External holding a shared_ptr: an async run holds its own reference, so
// disposing (or collecting) the graph while runs are in flight is safe. graphRunAsync runs the
// whole graph as Node-API async work on libuv's pool; the core's own threads work inside it, with
// the calling environment's thread count.
#include "graph.h"

#include <memory>

#include "convert.h"
#include "errors.h"
#include "tk/graph.h"
#include "tk/parallel.h"

namespace tkjs {
namespace {

// The graph's constants are tensors JS also holds (parameters, folded results, loaded weights),
// so their bytes are already reported to V8 through those handles.
struct GraphBox {
  std::shared_ptr<const tk::graph::Graph> graph;
};

Napi::Array array_of(const Napi::Value& v, const char* what) {
  TK_CHECK(v.IsArray(), INVALID_ARGUMENT, "graph: ", what, " must be an array");
  return v.As<Napi::Array>();
}
int int_of(const Napi::Value& v, const char* what) {
  TK_CHECK(v.IsNumber(), INVALID_ARGUMENT, "graph: ", what, " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  TK_CHECK(tk::is_safe_integer(d) && d >= -2147483648.0 && d <= 2147483647.0, INVALID_ARGUMENT, "graph: ", what,
           " must be a 32-bit integer, got ", tk::fmt_number(d));
  return int(d);
}
int64_t int64_of(const Napi::Value& v, const char* what) {
  TK_CHECK(v.IsNumber(), INVALID_ARGUMENT, "graph: ", what, " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  TK_CHECK(tk::is_safe_integer(d), INVALID_ARGUMENT, "graph: ", what, " must be an integer");
  return int64_t(d);
}
std::vector<int> ints_of(const Napi::Value& v, const char* what) {
  Napi::Array a = array_of(v, what);
  std::vector<int> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) out[i] = int_of(a.Get(i), what);
  return out;
}

GraphBox& box_of(const Napi::Value& v) {
  TK_CHECK(v.IsExternal(), INVALID_ARGUMENT, "graph: expected a graph");
  return *v.As<Napi::External<GraphBox>>().Data();
}
std::shared_ptr<const tk::graph::Graph> graph_of(const Napi::Value& v) {
  GraphBox& b = box_of(v);
  TK_CHECK(b.graph != nullptr, DISPOSED, "graph.run: the graph was disposed");
  return b.graph;
}

// graphCreate({ numValues, numSyms, constants: [[slot, operand]], inputs: [[slot, dtype, dims]],
//   nodes: [[opId, attrs, inputs, outputs, patches: [[attr, elem, sym, a, b]]]], outputs })
Napi::Value create(const Napi::CallbackInfo& info, EnvState& st) {
  Napi::Env env = info.Env();
  TK_CHECK(info[0].IsObject(), INVALID_ARGUMENT, "graph: expected a graph description");
  Napi::Object spec = info[0].As<Napi::Object>();
  int num_values = int_of(spec.Get("numValues"), "numValues");
  int num_syms = int_of(spec.Get("numSyms"), "numSyms");
  std::vector<std::pair<int, tk::Tensor>> constants;
  Napi::Array cs = array_of(spec.Get("constants"), "constants");
  for (uint32_t i = 0; i < cs.Length(); ++i) {
    Napi::Array c = array_of(cs.Get(i), "constant");
    constants.emplace_back(int_of(c.Get(0u), "constant slot"), operand_of(st, c.Get(1u), "graph"));
  }
  std::vector<tk::graph::InputSpec> inputs;
  Napi::Array is = array_of(spec.Get("inputs"), "inputs");
  for (uint32_t i = 0; i < is.Length(); ++i) {
    Napi::Array c = array_of(is.Get(i), "input");
    tk::graph::InputSpec in;
    in.slot = int_of(c.Get(0u), "input slot");
    TK_CHECK(c.Get(1u).IsString(), INVALID_ARGUMENT, "graph: input dtype must be a string");
    in.dtype = tk::parse_dtype(c.Get(1u).As<Napi::String>().Utf8Value(), "graph");
    Napi::Array dims = array_of(c.Get(2u), "input dims");
    TK_CHECK(dims.Length() <= uint32_t(tk::kMaxDims), INVALID_ARGUMENT, "graph: an input has ", dims.Length(), " dims");
    for (uint32_t d = 0; d < dims.Length(); ++d) in.dims.push_back(int64_of(dims.Get(d), "input dim"));
    inputs.push_back(std::move(in));
  }
  std::vector<tk::graph::Node> nodes;
  Napi::Array ns = array_of(spec.Get("nodes"), "nodes");
  nodes.reserve(ns.Length());
  for (uint32_t i = 0; i < ns.Length(); ++i) {
    Napi::Array n = array_of(ns.Get(i), "node");
    tk::graph::Node node;
    int id = int_of(n.Get(0u), "op id");
    TK_CHECK(id >= 0 && id < tk::kNumOps, INVALID_ARGUMENT, "graph: node ", i, " has unknown op id ", id);
    node.op = tk::OpId(id);
    node.attrs = attrs_of(n.Get(1u), tk::op_name(node.op).data());
    node.inputs = ints_of(n.Get(2u), "node inputs");
    node.outputs = ints_of(n.Get(3u), "node outputs");
    Napi::Array ps = array_of(n.Get(4u), "patches");
    for (uint32_t k = 0; k < ps.Length(); ++k) {
      Napi::Array p = array_of(ps.Get(k), "patch");
      node.patches.push_back({int_of(p.Get(0u), "patch attr"), int_of(p.Get(1u), "patch elem"),
                              int_of(p.Get(2u), "patch sym"), int64_of(p.Get(3u), "patch a"),
                              int64_of(p.Get(4u), "patch b")});
    }
    nodes.push_back(std::move(node));
  }
  std::vector<int> outputs = ints_of(spec.Get("outputs"), "outputs");
  auto g = std::make_shared<const tk::graph::Graph>(num_values, std::move(constants), std::move(inputs),
                                                    std::move(nodes), std::move(outputs), num_syms);
  auto* box = new GraphBox{g};
  return Napi::External<GraphBox>::New(env, box, [](Napi::Env, GraphBox* b) { delete b; });
}

std::vector<tk::Tensor> inputs_of(const Napi::Value& v, EnvState& st) {
  Napi::Array a = array_of(v, "inputs");
  std::vector<tk::Tensor> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) out[i] = tensor_of(st, a.Get(i), "graph.run");
  return out;
}

Napi::Array wrap_all(Napi::Env env, EnvState& st, std::vector<tk::Tensor>& ts) {
  // Metadata slots hold the first kMetaSlots results; TS describes the rest by id.
  auto a = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); ++i)
    a.Set(uint32_t(i), wrap(env, st, std::move(ts[i]), int(i < size_t(kMetaSlots) ? i : 0)));
  return a;
}

// graphRun(graph, ...inputHandles): one handle, or an array of handles for several outputs. A
// plain N-API callback with the handles as arguments (as call() is): for a small graph the
// wrapper's CallbackInfo and an input array cost more than running the ops.
constexpr size_t kInlineRunArgs = 4;
napi_value run_callback(napi_env env, napi_callback_info info) {
  size_t argc = kInlineRunArgs;
  napi_value inline_argv[kInlineRunArgs];
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &argc, inline_argv, nullptr, &data) != napi_ok) return nullptr;
  EnvState& st = *static_cast<EnvState*>(data);
  std::vector<napi_value> heap_argv;
  napi_value* argv = inline_argv;
  if (argc > kInlineRunArgs) {
    heap_argv.resize(argc);
    napi_get_cb_info(env, info, &argc, heap_argv.data(), nullptr, nullptr);
    argv = heap_argv.data();
  }
  Napi::Env e(env);
  try {
    return guard(e, st, [&]() -> napi_value {
      TK_CHECK(argc >= 1, INVALID_ARGUMENT, "graph.run: expected a graph");
      void* ext = nullptr;
      TK_CHECK(napi_get_value_external(env, argv[0], &ext) == napi_ok && ext, INVALID_ARGUMENT,
               "graph.run: expected a graph");
      GraphBox& box = *static_cast<GraphBox*>(ext);
      TK_CHECK(box.graph != nullptr, DISPOSED, "graph.run: the graph was disposed");
      tk::Tensor inline_in[kInlineRunArgs];
      std::vector<tk::Tensor> heap_in;
      tk::Tensor* in = inline_in;
      const size_t n = argc - 1;
      if (n > kInlineRunArgs) {
        heap_in.resize(n);
        in = heap_in.data();
      }
      for (size_t i = 0; i < n; ++i) in[i] = tensor_of(st, Napi::Value(env, argv[i + 1]), "graph.run");
      std::vector<tk::Tensor> out = box.graph->run({in, n});
      napi_value r = out.size() == 1 ? napi_value(wrap(e, st, std::move(out[0]), 0)) : napi_value(wrap_all(e, st, out));
      flush_external(e, st);
      return r;
    });
  } catch (const Napi::Error& err) {
    err.ThrowAsJavaScriptException();
    return nullptr;
  } catch (...) {
    napi_throw_error(env, "INTERNAL", "graph.run: unexpected native exception");
    return nullptr;
  }
}

class RunWork : public Napi::AsyncWorker {
 public:
  RunWork(Napi::Env env, EnvState& st, std::shared_ptr<const tk::graph::Graph> g, std::vector<tk::Tensor> in)
      : Napi::AsyncWorker(env, "tensorkit.graph.runAsync"),
        st_(st),
        deferred_(Napi::Promise::Deferred::New(env)),
        graph_(std::move(g)),
        in_(std::move(in)),
        threads_(tk::get_num_threads()) {}
  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      tk::set_num_threads(threads_);  // the caller's setting, not the pool thread's default
      out_ = graph_->run(in_);
    } catch (const tk::Error& e) {
      code_ = std::string(tk::error_code_name(e.code()));
      message_ = e.what();
    } catch (const std::bad_alloc&) {
      code_ = "OUT_OF_MEMORY";
      message_ = "graph.runAsync: out of memory";
    } catch (const std::exception& e) {
      code_ = "INTERNAL";
      message_ = std::string("graph.runAsync: internal error: ") + e.what();
    }
    in_.clear();
  }
  void OnOK() override {
    Napi::Env env = Env();
    if (!code_.empty()) return reject(env);
    try {
      Napi::Array a = guard(env, st_, [&] { return wrap_all(env, st_, out_); });
      flush_external(env, st_);
      deferred_.Resolve(a);
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  void reject(Napi::Env env) {
    try {
      throw_tensor_error(env, st_, code_, message_);
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  EnvState& st_;
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<const tk::graph::Graph> graph_;
  std::vector<tk::Tensor> in_, out_;
  int threads_;
  std::string code_, message_;
};

Napi::Value run_async(const Napi::CallbackInfo& info, EnvState& st) {
  auto g = graph_of(info[0]);
  auto* w = new RunWork(info.Env(), st, std::move(g), inputs_of(info[1], st));
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

Napi::Value fused_chains(const Napi::CallbackInfo& info, EnvState& st) {
  const std::vector<int> chains = graph_of(info[0])->fused_chains();
  Napi::Array out = Napi::Array::New(info.Env(), chains.size());
  for (size_t i = 0; i < chains.size(); ++i) out.Set(uint32_t(i), Napi::Number::New(info.Env(), chains[i]));
  return out;
}

Napi::Value planned_ops(const Napi::CallbackInfo& info, EnvState& st) {
  const std::vector<std::string_view> ops = graph_of(info[0])->planned_ops();
  Napi::Array out = Napi::Array::New(info.Env(), ops.size());
  for (size_t i = 0; i < ops.size(); ++i)
    out.Set(uint32_t(i), Napi::String::New(info.Env(), ops[i].data(), ops[i].size()));
  return out;
}

Napi::Value dispose(const Napi::CallbackInfo& info, EnvState& st) {
  box_of(info[0]).graph.reset();
  return info.Env().Undefined();
}

}  // namespace

void register_graph(Napi::Env env, Napi::Object exports, EnvState& st) {
  define(env, exports, st, "graphCreate", create);
  napi_value run_fn;
  NAPI_THROW_IF_FAILED_VOID(env, napi_create_function(env, "graphRun", NAPI_AUTO_LENGTH, run_callback, &st, &run_fn));
  exports.Set("graphRun", Napi::Value(env, run_fn));
  define(env, exports, st, "graphRunAsync", run_async);
  define(env, exports, st, "graphDispose", dispose);
  define(env, exports, st, "graphFusedChains", fused_chains);
  define(env, exports, st, "graphPlannedOps", planned_ops);
}

}  // namespace tkjs
