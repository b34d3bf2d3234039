// One guard turns every C++ exception into a JS TensorError with a code.
#pragma once
#include <napi.h>

#include "tensor_handle.h"
#include "tk/error.h"

namespace tkjs {

[[noreturn]] void throw_tensor_error(Napi::Env env, EnvState& st, std::string_view code, const std::string& message);

// Runs fn(); tk::Error -> TensorError(code), std::bad_alloc -> OUT_OF_MEMORY, anything else ->
// INTERNAL. JS exceptions already pending (Napi::Error) pass through unchanged.
template <class Fn> auto guard(Napi::Env env, EnvState& st, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const tk::Error& e) {
    throw_tensor_error(env, st, tk::error_code_name(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    throw_tensor_error(env, st, "OUT_OF_MEMORY", "out of memory");
  } catch (const std::exception& e) {
    throw_tensor_error(env, st, "INTERNAL", std::string("internal error: ") + e.what());
  }
}

}  // namespace tkjs
