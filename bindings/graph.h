// jit graph entry points on the addon's exports: graphCreate, graphRun, graphRunAsync,
// graphDispose. Marshalling only; the executor is native/src/graph/.
#pragma once
#include <napi.h>

#include "tensor_handle.h"

namespace tkjs {
void register_graph(Napi::Env env, Napi::Object exports, EnvState& st);
}
