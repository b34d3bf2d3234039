#include "text.h"

#include <cstring>

#include "convert.h"
#include "errors.h"
#include "tk/number_text.h"

namespace tkjs {
namespace {

// scanNumberArrays(bytes: Uint8Array, key: string) -> { spans: Float64Array, values: Float64Array }
// spans holds begin, end and count for each array found (offsets into bytes).
Napi::Value scan(const Napi::CallbackInfo& info, EnvState&) {
  Napi::Env env = info.Env();
  TK_CHECK(info.Length() == 2 && info[0].IsTypedArray() && info[1].IsString(), INVALID_ARGUMENT,
           "scanNumberArrays: expected a Uint8Array and a key");
  auto ta = info[0].As<Napi::TypedArray>();
  TK_CHECK(ta.TypedArrayType() == napi_uint8_array, INVALID_ARGUMENT, "scanNumberArrays: expected a Uint8Array");
  auto bytes = ta.As<Napi::Uint8Array>();
  const std::string key = info[1].As<Napi::String>().Utf8Value();
  tk::text::NumberArrays r =
      tk::text::find_number_arrays(reinterpret_cast<const char*>(bytes.Data()), bytes.ElementLength(), key);
  auto spans = Napi::Float64Array::New(env, r.arrays.size() * 3);
  for (size_t i = 0; i < r.arrays.size(); ++i) {
    spans[i * 3] = double(r.arrays[i].begin);
    spans[i * 3 + 1] = double(r.arrays[i].end);
    spans[i * 3 + 2] = double(r.arrays[i].count);
  }
  auto values = Napi::Float64Array::New(env, r.values.size());
  if (!r.values.empty()) std::memcpy(values.Data(), r.values.data(), r.values.size() * sizeof(double));
  auto out = Napi::Object::New(env);
  out.Set("spans", spans);
  out.Set("values", values);
  return out;
}

}  // namespace

void register_text(Napi::Env env, Napi::Object exports, EnvState& st) {
  define(env, exports, st, "scanNumberArrays", scan);
}

}  // namespace tkjs
