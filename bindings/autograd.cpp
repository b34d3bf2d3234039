// Autograd entry points: marshalling only; the engine is native/src/autograd/.
#include "autograd.h"

#include "convert.h"
#include "errors.h"
#include "tk/autograd.h"

namespace tkjs {
namespace {

namespace ag = tk::autograd;

std::vector<tk::Tensor> tensors_of(EnvState& st, const Napi::Value& v, const char* op, bool nullable) {
  TK_CHECK(v.IsArray(), INVALID_ARGUMENT, op, ": expected an array of tensors");
  auto a = v.As<Napi::Array>();
  std::vector<tk::Tensor> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value x = a.Get(i);
    if (nullable && (x.IsNull() || x.IsUndefined())) continue;
    out[i] = tensor_of(st, x, op);
  }
  return out;
}

Napi::Value handle_or_null(Napi::Env env, EnvState& st, tk::Tensor t) {
  return t.defined() ? wrap(env, st, std::move(t), 0) : env.Null();
}

bool flag(const Napi::CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }

std::vector<bool> flags_of(const Napi::Value& v, size_t n, const char* op) {
  TK_CHECK(v.IsArray() && v.As<Napi::Array>().Length() == n, INVALID_ARGUMENT, op, ": expected ", n, " flags");
  auto a = v.As<Napi::Array>();
  std::vector<bool> out(n);
  for (uint32_t i = 0; i < n; ++i) out[i] = a.Get(i).ToBoolean().Value();
  return out;
}

Napi::Array numbers(Napi::Env env, const std::vector<double>& v) {
  auto a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a.Set(uint32_t(i), Napi::Number::New(env, v[i]));
  return a;
}

Napi::Array handles_of(Napi::Env env, EnvState& st, std::span<const tk::Tensor> ts) {
  auto a = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); ++i) a.Set(uint32_t(i), handle_or_null(env, st, ts[i]));
  return a;
}

// A recorded autograd.Function call: backward calls the TS hook with (id, gradient handles, saved
// handles); the hook returns one handle (or null) per tensor input, each a new handle this side
// frees once it holds the tensor. The hook owns (and disposes) the handles it is given.
class JsBackward final : public ag::CustomBackward {
 public:
  JsBackward(Napi::Env env, EnvState& st, double id) : env_(env), st_(&st), id_(id), released_(st.released_functions) {}
  ~JsBackward() override { released_->push(id_); }

  std::vector<tk::Tensor> apply(std::span<const tk::Tensor> grads, std::span<const tk::Tensor> saved) override {
    Napi::HandleScope scope(env_);
    TK_CHECK(!st_->function_hook.IsEmpty(), INTERNAL, "autograd.Function: no backward hook is registered");
    Napi::Array g = handles_of(env_, *st_, grads);
    Napi::Array s = handles_of(env_, *st_, saved);
    // A JS exception thrown by the hook comes out as Napi::Error and unwinds the engine to the
    // backward() call, which rethrows it to JS unchanged.
    Napi::Value r = st_->function_hook.Call({Napi::Number::New(env_, id_), g, s});
    TK_CHECK(r.IsArray(), INTERNAL, "autograd.Function: the backward hook returned no array");
    auto a = r.As<Napi::Array>();
    std::vector<tk::Tensor> out(a.Length());
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value v = a.Get(i);
      if (v.IsNull() || v.IsUndefined()) continue;
      out[i] = tensor_of(*st_, v, "autograd.Function");
      free_handle(*st_, v.As<Napi::Number>().DoubleValue());
    }
    return out;
  }

 private:
  Napi::Env env_;
  EnvState* st_;
  double id_;
  std::shared_ptr<ReleasedIds> released_;
};

// A tensor's gradient hook: calls the TS dispatcher with (id, a new handle to the gradient), which
// returns a new handle to the replacement (freed here once held) or null to keep the gradient. The
// dispatcher owns the handle it is given.
class JsGradHook final : public ag::GradHook {
 public:
  JsGradHook(Napi::Env env, EnvState& st, double id)
      : ag::GradHook(uint64_t(id)), env_(env), st_(&st), id_(id), released_(st.released_grad_hooks) {}
  ~JsGradHook() override { released_->push(id_); }

  tk::Tensor apply(const tk::Tensor& grad) override {
    Napi::HandleScope scope(env_);
    if (st_->grad_hook.IsEmpty()) return {};
    Napi::Value r = st_->grad_hook.Call({Napi::Number::New(env_, id_), wrap(env_, *st_, grad, 0)});
    if (r.IsNull() || r.IsUndefined()) return {};
    tk::Tensor out = tensor_of(*st_, r, "registerHook");
    free_handle(*st_, r.As<Napi::Number>().DoubleValue());
    return out;
  }

 private:
  Napi::Env env_;
  EnvState* st_;
  double id_;
  std::shared_ptr<ReleasedIds> released_;
};

// A leaf's post-accumulate hook: calls the TS dispatcher with the id TS registered it under.
class JsPostAccumulate final : public ag::PostAccumulateHook {
 public:
  JsPostAccumulate(Napi::Env env, EnvState& st, double id) : env_(env), st_(&st), id_(id) {}
  void apply(const tk::Tensor&) override {
    Napi::HandleScope scope(env_);
    if (st_->post_accumulate_hook.IsEmpty()) return;
    st_->post_accumulate_hook.Call({Napi::Number::New(env_, id_)});  // a JS exception unwinds backward
  }

 private:
  Napi::Env env_;
  EnvState* st_;
  double id_;
};

}  // namespace

void register_autograd(Napi::Env env, Napi::Object exports, EnvState& st) {
  define(env, exports, st, "requiresGrad", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    return Napi::Boolean::New(info.Env(), ag::requires_grad(tensor_of(st, info[0], "requiresGrad")));
  });
  define(env, exports, st, "setRequiresGrad", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    ag::set_requires_grad(tensor_of(st, info[0], "requiresGrad"), flag(info, 1));
    return info.Env().Undefined();
  });
  define(env, exports, st, "isLeaf", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    return Napi::Boolean::New(info.Env(), ag::is_leaf(tensor_of(st, info[0], "isLeaf")));
  });
  define(env, exports, st, "gradFn", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    std::string n = ag::grad_fn_name(tensor_of(st, info[0], "gradFn"));
    return n.empty() ? info.Env().Null() : Napi::String::New(info.Env(), n);
  });
  define(env, exports, st, "reaches", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    std::vector<bool> r =
        ag::reaches(tensors_of(st, info[0], "reaches", false), tensors_of(st, info[1], "reaches", false));
    auto a = Napi::Array::New(info.Env(), r.size());
    for (size_t i = 0; i < r.size(); ++i) a.Set(uint32_t(i), Napi::Boolean::New(info.Env(), r[i]));
    return a;
  });
  define(env, exports, st, "leavesOf", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    return handles_of(info.Env(), st, ag::leaves_of(tensors_of(st, info[0], "leavesOf", false)));
  });
  define(env, exports, st, "grad", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    return handle_or_null(info.Env(), st, ag::grad(tensor_of(st, info[0], "grad")));
  });
  // gradDataPtr(h): the address of element 0 of h's .grad where that is a contiguous tensor (a
  // device address on a GPU), else null. DistributedDataParallel tells with it, at the end of
  // backward, whether a gradient is its bucket's view, without making a handle per parameter.
  define(env, exports, st, "gradDataPtr", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    const tk::Tensor g = ag::grad(tensor_of(st, info[0], "gradDataPtr"));
    if (!g.defined() || !g.is_contiguous()) return info.Env().Null();
    return Napi::BigInt::New(info.Env(), uint64_t(reinterpret_cast<uintptr_t>(g.data_ptr())));
  });
  define(env, exports, st, "setGrad", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    const tk::Tensor& t = tensor_of(st, info[0], "grad");
    ag::set_grad(t, info[1].IsNull() ? tk::Tensor() : tensor_of(st, info[1], "grad"));
    return info.Env().Undefined();
  });
  // setGradDestination(leaf, dest | null): tk::autograd::set_grad_destination
  define(env, exports, st, "setGradDestination", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    const tk::Tensor& t = tensor_of(st, info[0], "setGradDestination");
    ag::set_grad_destination(t, info[1].IsNull() ? tk::Tensor() : tensor_of(st, info[1], "setGradDestination"));
    return info.Env().Undefined();
  });
  define(env, exports, st, "retainGrad", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    ag::retain_grad(tensor_of(st, info[0], "retainGrad"));
    return info.Env().Undefined();
  });
  define(env, exports, st, "retainsGrad", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    return Napi::Boolean::New(info.Env(), ag::retains_grad(tensor_of(st, info[0], "retainsGrad")));
  });
  define(env, exports, st, "detach", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    return wrap(info.Env(), st, ag::detach(tensor_of(st, info[0], "detach")), 0);
  });
  // setData(h, src): `param.data = src` for a leaf: the handle now shares src's storage, dtype,
  // device and shape (outside any graph) and keeps its requiresGrad flag; its gradient is dropped
  // (the caller converts it). Writes the new metadata to meta slot 0.
  define(env, exports, st, "setData", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    const tk::Tensor& dst = tensor_of(st, info[0], "setData");
    const tk::Tensor& src = tensor_of(st, info[1], "setData");
    TK_CHECK(ag::is_leaf(dst), INVALID_ARGUMENT,
             "setData: only a leaf tensor's data can be replaced (this one has a grad_fn)");
    const bool rg = ag::requires_grad(dst);
    tk::Tensor t = ag::detach(src);
    if (rg) ag::set_requires_grad(t, true);
    st.pending_external += st.handles.replace(info[0].As<Napi::Number>().DoubleValue(), t);
    write_meta(st, t, 0);
    flush_external(info.Env(), st);
    return info.Env().Undefined();
  });
  // describe(h): writes an existing handle's metadata to meta slot 0.
  define(env, exports, st, "describe", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    write_meta(st, tensor_of(st, info[0], "describe"), 0);
    return info.Env().Undefined();
  });
  define(env, exports, st, "setGradEnabled", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    bool prev = ag::grad_enabled();
    ag::set_grad_enabled(flag(info, 0));
    return Napi::Boolean::New(info.Env(), prev);
  });
  define(env, exports, st, "isGradEnabled", [](const Napi::CallbackInfo& info, EnvState&) -> Napi::Value {
    return Napi::Boolean::New(info.Env(), ag::grad_enabled());
  });
  define(env, exports, st, "differentiable", [](const Napi::CallbackInfo& info, EnvState&) -> Napi::Value {
    tk::OpId id;
    TK_CHECK(info[0].IsString() && tk::find_op(info[0].As<Napi::String>().Utf8Value(), id), INVALID_ARGUMENT,
             "differentiable: unknown op");
    return Napi::Boolean::New(info.Env(), ag::differentiable(id));
  });
  // setPostAccumulateHook(h, id | null): hooks (or unhooks) a leaf; the dispatcher gets `id`.
  define(env, exports, st, "setPostAccumulateHook", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    const tk::Tensor& t = tensor_of(st, info[0], "registerPostAccumulateGradHook");
    std::shared_ptr<ag::PostAccumulateHook> hook;
    if (info[1].IsNumber())
      hook = std::make_shared<JsPostAccumulate>(info.Env(), st, info[1].As<Napi::Number>().DoubleValue());
    ag::set_post_accumulate_hook(t, std::move(hook));
    return info.Env().Undefined();
  });
  // setPostAccumulateDispatcher(fn): the TS function that runs a hooked leaf's hooks, given its id.
  define(env, exports, st, "setPostAccumulateDispatcher",
         [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
           TK_CHECK(info[0].IsFunction(), INVALID_ARGUMENT, "setPostAccumulateDispatcher: expected a function");
           st.post_accumulate_hook = Napi::Persistent(info[0].As<Napi::Function>());
           return info.Env().Undefined();
         });
  // addGradHook(h, id): hooks h's gradient (Tensor.registerHook); the dispatcher gets `id`.
  define(env, exports, st, "addGradHook", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    const tk::Tensor& t = tensor_of(st, info[0], "registerHook");
    TK_CHECK(info[1].IsNumber(), INVALID_ARGUMENT, "registerHook: expected a hook id");
    ag::add_grad_hook(t, std::make_shared<JsGradHook>(info.Env(), st, info[1].As<Napi::Number>().DoubleValue()));
    return info.Env().Undefined();
  });
  // removeGradHook(h, id): unhooks the hook registered under `id` from h (if h still holds it).
  define(env, exports, st, "removeGradHook", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    const tk::Tensor& t = tensor_of(st, info[0], "registerHook");
    TK_CHECK(info[1].IsNumber(), INVALID_ARGUMENT, "registerHook: expected a hook id");
    ag::remove_grad_hook(t, uint64_t(info[1].As<Napi::Number>().DoubleValue()));
    return info.Env().Undefined();
  });
  // setGradHookDispatcher(fn): the TS function that runs a gradient hook (see JsGradHook).
  define(env, exports, st, "setGradHookDispatcher", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    TK_CHECK(info[0].IsFunction(), INVALID_ARGUMENT, "setGradHookDispatcher: expected a function");
    st.grad_hook = Napi::Persistent(info[0].As<Napi::Function>());
    return info.Env().Undefined();
  });
  // takeReleasedGradHooks(): ids of gradient hooks freed (with their tensor or node) since the last call.
  define(env, exports, st, "takeReleasedGradHooks", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    return numbers(info.Env(), st.released_grad_hooks->take());
  });
  // setAnomalyMode(enabled, checkNan): anomaly detection on this thread (autograd.setDetectAnomaly).
  define(env, exports, st, "setAnomalyMode", [](const Napi::CallbackInfo& info, EnvState&) -> Napi::Value {
    ag::set_anomaly_mode({flag(info, 0), flag(info, 1)});
    return info.Env().Undefined();
  });
  // setNodeTrace(h, trace): where the op that made h was called, for anomaly detection's errors.
  define(env, exports, st, "setNodeTrace", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    const tk::Tensor& t = tensor_of(st, info[0], "setNodeTrace");
    TK_CHECK(info[1].IsString(), INVALID_ARGUMENT, "setNodeTrace: expected a string");
    ag::set_node_trace(t, info[1].As<Napi::String>().Utf8Value());
    return info.Env().Undefined();
  });
  // setFunctionHook(fn): the TS function that runs autograd.Function backwards (see JsBackward).
  define(env, exports, st, "setFunctionHook", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    TK_CHECK(info[0].IsFunction(), INVALID_ARGUMENT, "setFunctionHook: expected a function");
    st.function_hook = Napi::Persistent(info[0].As<Napi::Function>());
    return info.Env().Undefined();
  });
  // recordFunction(id, name, inputs, outputs, saved (entries may be null), nonDifferentiable[],
  // dirty[]): links the outputs to one node; returns the outputs' handles (a new handle where an
  // output became an alias, else the one given).
  define(env, exports, st, "recordFunction", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    const char* op = "autograd.Function";
    TK_CHECK(info[0].IsNumber() && info[1].IsString(), INVALID_ARGUMENT, op, ": expected an id and a name");
    ag::CustomCall call;
    call.name = info[1].As<Napi::String>().Utf8Value();
    call.inputs = tensors_of(st, info[2], op, false);
    call.outputs = tensors_of(st, info[3], op, false);
    call.saved = tensors_of(st, info[4], op, true);
    call.non_differentiable = flags_of(info[5], call.outputs.size(), op);
    call.dirty = flags_of(info[6], call.inputs.size(), op);
    std::vector<const tk::TensorImpl*> given;
    for (const tk::Tensor& o : call.outputs) given.push_back(o.impl());
    Napi::Env env = info.Env();
    auto fn = std::make_shared<JsBackward>(env, st, info[0].As<Napi::Number>().DoubleValue());
    std::vector<tk::Tensor> outs = ag::record_custom(std::move(call), std::move(fn));
    auto given_handles = info[3].As<Napi::Array>();
    auto a = Napi::Array::New(env, outs.size());
    for (size_t i = 0; i < outs.size(); ++i)
      a.Set(uint32_t(i), outs[i].impl() == given[i] ? given_handles.Get(uint32_t(i)) : wrap(env, st, outs[i], 0));
    return a;
  });
  // takeReleasedFunctions(): ids of recorded calls whose node was freed since the last call.
  define(env, exports, st, "takeReleasedFunctions", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    return numbers(info.Env(), st.released_functions->take());
  });
  // share(h): a new handle to the same tensor (same autograd identity), for a caller that frees it.
  define(env, exports, st, "share", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    return wrap(info.Env(), st, tensor_of(st, info[0], "share"), 0);
  });
  // backward(roots, grads (entries may be null), retainGraph, createGraph)
  define(env, exports, st, "backward", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    auto roots = tensors_of(st, info[0], "backward", false);
    auto grads = tensors_of(st, info[1], "backward", true);
    ag::backward(roots, grads, {flag(info, 2), flag(info, 3)});
    return info.Env().Undefined();
  });
  // autogradGrad(outputs, inputs, gradOutputs, retainGraph, createGraph, allowUnused): handles or
  // null; their metadata comes from describe().
  define(env, exports, st, "autogradGrad", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    auto outputs = tensors_of(st, info[0], "grad", false);
    auto inputs = tensors_of(st, info[1], "grad", false);
    auto gos = tensors_of(st, info[2], "grad", true);
    std::vector<tk::Tensor> r =
        ag::grad(outputs, inputs, gos, {flag(info, 3), flag(info, 4), !flag(info, 6)}, flag(info, 5));
    Napi::Env env = info.Env();
    auto a = Napi::Array::New(env, r.size());
    for (size_t i = 0; i < r.size(); ++i) a.Set(uint32_t(i), handle_or_null(env, st, std::move(r[i])));
    return a;
  });
}

}  // namespace tkjs
