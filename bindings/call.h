#pragma once
#include <napi.h>

#include "tensor_handle.h"

namespace tkjs {
// call(opId, attrs, ...inputs): one handle id, an array of ids (several outputs), or undefined
// (in-place ops). Result metadata is written to the shared meta array, one slot per output.
Napi::Function make_call_function(Napi::Env env, EnvState& st);
}  // namespace tkjs
