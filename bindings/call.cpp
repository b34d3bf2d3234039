// The generic op entry point: call(opId, attrs, ...inputs).
#include "call.h"

#include "convert.h"
#include "errors.h"

namespace tkjs {

Napi::Value call(const Napi::CallbackInfo& info, EnvState& st) {
  Napi::Env env = info.Env();
  return guard(env, st, [&]() -> Napi::Value {
    TK_CHECK(info.Length() >= 2 && info[0].IsNumber(), INVALID_ARGUMENT,
             "call: expected (opId, attrs, ...inputs)");
    int id = info[0].As<Napi::Number>().Int32Value();
    TK_CHECK(id >= 0 && id < tk::kNumOps, INVALID_ARGUMENT, "call: unknown op id ", id);
    const char* name = tk::op_name(tk::OpId(id)).data();
    tk::Attrs attrs = attrs_of(info[1], name);
    constexpr size_t kInline = 4;
    size_t n = info.Length() - 2;
    tk::Tensor inline_inputs[kInline];
    std::vector<tk::Tensor> heap_inputs;
    tk::Tensor* inputs = inline_inputs;
    if (n > kInline) {
      heap_inputs.resize(n);
      inputs = heap_inputs.data();
    }
    for (size_t i = 0; i < n; ++i) inputs[i] = operand_of(info[i + 2], name);
    std::vector<tk::Tensor> outs = tk::call(tk::OpId(id), {inputs, n}, attrs);
    Napi::Value result;
    if (outs.empty()) {
      result = env.Undefined();
    } else if (outs.size() == 1) {
      result = wrap(env, st, std::move(outs[0]), 0);
    } else {
      TK_CHECK(outs.size() <= size_t(kMetaSlots), INTERNAL, name, ": too many outputs");
      Napi::Array arr = Napi::Array::New(env, outs.size());
      for (size_t i = 0; i < outs.size(); ++i) arr.Set(uint32_t(i), wrap(env, st, std::move(outs[i]), int(i)));
      result = arr;
    }
    flush_external(env, st);
    return result;
  });
}

}  // namespace tkjs
