#pragma once
#include <napi.h>

#include "tensor_handle.h"

namespace tkjs {
// call(opId, attrs, ...inputs): one handle, an array of handles (several outputs), or undefined
// (in-place ops). Result metadata is written to the shared meta array, one slot per output.
Napi::Value call(const Napi::CallbackInfo& info, EnvState& st);
}  // namespace tkjs
