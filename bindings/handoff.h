// Tensors handed from one JS environment of the process to another (a DataLoader worker thread
// to the main thread) without copying their memory: marshalling only.
#pragma once
#include <napi.h>

#include "tensor_handle.h"

namespace tkjs {
void register_handoff(Napi::Env env, Napi::Object exports, EnvState& st);
}
