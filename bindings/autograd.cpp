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

using Method = Napi::Value (*)(const Napi::CallbackInfo&, EnvState&);

void define(Napi::Env env, Napi::Object exports, EnvState& st, const char* name, Method m) {
  exports.Set(name, Napi::Function::New(
                        env,
                        [m, &st](const Napi::CallbackInfo& info) -> Napi::Value {
                          return guard(info.Env(), st, [&] {
                            Napi::Value r = m(info, st);
                            flush_external(info.Env(), st);
                            return r;
                          });
                        },
                        name));
}

bool flag(const Napi::CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }

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
  define(env, exports, st, "grad", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    return handle_or_null(info.Env(), st, ag::grad(tensor_of(st, info[0], "grad")));
  });
  define(env, exports, st, "setGrad", [](const Napi::CallbackInfo& info, EnvState& st) -> Napi::Value {
    const tk::Tensor& t = tensor_of(st, info[0], "grad");
    ag::set_grad(t, info[1].IsNull() ? tk::Tensor() : tensor_of(st, info[1], "grad"));
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
    std::vector<tk::Tensor> r = ag::grad(outputs, inputs, gos, {flag(info, 3), flag(info, 4)}, flag(info, 5));
    Napi::Env env = info.Env();
    auto a = Napi::Array::New(env, r.size());
    for (size_t i = 0; i < r.size(); ++i) a.Set(uint32_t(i), handle_or_null(env, st, std::move(r[i])));
    return a;
  });
}

}  // namespace tkjs
