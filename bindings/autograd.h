// Autograd functions on the addon's exports (backward, grad, requiresGrad, ...).
#pragma once
#include <napi.h>

#include "tensor_handle.h"

namespace tkjs {
void register_autograd(Napi::Env env, Napi::Object exports, EnvState& st);
}
