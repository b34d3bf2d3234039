// The generic op entry point: call(opId, attrs, ...inputs).
//
// Registered as a plain N-API callback rather than through Napi::Addon's InstanceMethod: this is
// the one hot path, and the wrapper's CallbackInfo setup costs about as much as a small op.
#include "call.h"

#include "convert.h"
#include "errors.h"

namespace tkjs {
namespace {

// Inputs held on the stack; more (cat/stack of many tensors) go to the heap. Fetching exactly the
// common argument count matters: napi_get_cb_info fills every unused slot.
constexpr size_t kInlineArgs = 2;

Napi::Value run_call(Napi::Env env, EnvState& st, size_t argc, const napi_value* argv) {
  return guard(env, st, [&]() -> Napi::Value {
    TK_CHECK(argc >= 2, INVALID_ARGUMENT, "call: expected (opId, attrs, ...inputs)");
    int32_t id;
    TK_CHECK(napi_get_value_int32(env, argv[0], &id) == napi_ok && id >= 0 && id < tk::kNumOps, INVALID_ARGUMENT,
             "call: unknown op id");
    const char* name = tk::op_name(tk::OpId(id)).data();
    tk::Attrs attrs = attrs_of(Napi::Value(env, argv[1]), name, &st);
    size_t n = argc - 2;
    tk::Tensor inline_inputs[kInlineArgs];
    std::vector<tk::Tensor> heap_inputs;
    tk::Tensor* inputs = inline_inputs;
    if (n > kInlineArgs) {
      heap_inputs.resize(n);
      inputs = heap_inputs.data();
    }
    for (size_t i = 0; i < n; ++i) inputs[i] = operand_of(st, Napi::Value(env, argv[i + 2]), name);
    tk::Outputs outs = tk::call(tk::OpId(id), {inputs, n}, attrs);
    Napi::Value result;
    if (outs.empty()) {
      result = env.Undefined();
    } else if (outs.size() == 1) {
      result = wrap(env, st, std::move(outs[0]), 0);
    } else {
      static_assert(tk::Outputs::kMaxOutputs <= kMetaSlots);
      Napi::Array arr = Napi::Array::New(env, outs.size());
      for (int i = 0; i < outs.size(); ++i) arr.Set(uint32_t(i), wrap(env, st, std::move(outs[i]), i));
      result = arr;
    }
    flush_external(env, st);
    return result;
  });
}

napi_value call_callback(napi_env env, napi_callback_info info) {
  size_t argc = kInlineArgs + 2;
  napi_value argv[kInlineArgs + 2];
  void* data = nullptr;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, &data) != napi_ok) return nullptr;
  EnvState& st = *static_cast<EnvState*>(data);
  try {
    if (argc <= kInlineArgs + 2) return run_call(Napi::Env(env), st, argc, argv);
    std::vector<napi_value> all(argc);  // cat/stack of many tensors
    napi_get_cb_info(env, info, &argc, all.data(), nullptr, nullptr);
    return run_call(Napi::Env(env), st, argc, all.data());
  } catch (const Napi::Error& e) {
    // Never rethrows (NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS): while the environment is being
    // torn down the throw is dropped, as JS can no longer run.
    e.ThrowAsJavaScriptException();
    return nullptr;
  } catch (...) {  // guard() converts everything else; still, nothing may leave a C callback
    napi_throw_error(env, "INTERNAL", "call: unexpected native exception");
    return nullptr;
  }
}

}  // namespace

Napi::Function make_call_function(Napi::Env env, EnvState& st) {
  napi_value fn;
  NAPI_THROW_IF_FAILED(env, napi_create_function(env, "call", NAPI_AUTO_LENGTH, call_callback, &st, &fn),
                       Napi::Function());
  return Napi::Function(env, fn);
}

}  // namespace tkjs
