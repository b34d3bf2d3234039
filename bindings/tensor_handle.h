// The native side of a JS Tensor: one tk::Tensor reference per JS object, held by an External.
// dispose() drops the reference at once; the External's finalizer frees the Handle itself.
#pragma once
#include <napi.h>

#include <cstdint>

#include "tk/tensor.h"

namespace tkjs {

struct EnvState;

struct Handle {
  static constexpr uint64_t kMagic = 0x746b68616e646c65ull;  // "tkhandle"
  uint64_t magic = kMagic;
  tk::Tensor tensor;   // undefined once disposed
  int64_t reported = 0;  // bytes reported to V8 for this handle
};

// Per-environment (main thread or worker) state: the addon is context-aware.
struct EnvState {
  Napi::FunctionReference tensor_error;  // the TS TensorError class
  Napi::Reference<Napi::Float64Array> meta;  // shape/dtype of the last results, read by TS
  double* meta_data = nullptr;
  int64_t live_handles = 0;
  int64_t pending_external = 0;   // bytes not yet reported with AdjustExternalMemory
  int64_t reported_external = 0;  // bytes this environment has reported to V8 so far
};

}  // namespace tkjs
