// Text helpers on the addon's exports: scanNumberArrays (the server's JSON fast path).
// Marshalling only; the scanner is native/src/io/number_text.cpp.
#pragma once
#include <napi.h>

#include "tensor_handle.h"

namespace tkjs {
void register_text(Napi::Env env, Napi::Object exports, EnvState& st);
}
