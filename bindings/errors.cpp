#include "errors.h"

namespace tkjs {

void throw_tensor_error(Napi::Env env, EnvState& st, std::string_view code, const std::string& message) {
  if (st.tensor_error.IsEmpty()) {  // init() not called yet: still a JS error, never an abort
    throw Napi::Error::New(env, std::string(code) + ": " + message);
  }
  Napi::Object err = st.tensor_error.New({Napi::String::New(env, message), Napi::String::New(env, std::string(code))});
  throw Napi::Error(env, err);
}

}  // namespace tkjs
