// Marshalling between JS values and the core: handles, operands, attributes, metadata.
#pragma once
#include <napi.h>

#include "tensor_handle.h"
#include "tk/ops.h"

namespace tkjs {

// The tensor behind a handle id; DISPOSED if it was freed, INVALID_ARGUMENT if v is no id.
const tk::Tensor& tensor_of(EnvState& st, const Napi::Value& v, const char* op);
// A tensor operand: a handle id, or a boxed scalar [number|boolean|bigint] (a wrapped number).
tk::Tensor operand_of(EnvState& st, const Napi::Value& v, const char* op);
// Positional attributes: undefined (none), a JS array, or the number of items TS encoded into
// the shared attribute buffer (see kAttrBufSize).
tk::Attrs attrs_of(const Napi::Value& v, const char* op, const EnvState* st = nullptr);
// Writes t's dtype, device and shape to meta slot `slot` (read by TS to build the Tensor).
void write_meta(EnvState& st, const tk::Tensor& t, int slot);
// A new handle id owning `t`, with its metadata written to meta slot `slot`.
Napi::Value wrap(Napi::Env env, EnvState& st, tk::Tensor t, int slot);
// Drops the handle's reference (dispose(), or the GC safety net). Stale ids are ignored.
void free_handle(EnvState& st, double id);
// Reports accumulated byte deltas to V8 once they are large enough to matter.
void flush_external(Napi::Env env, EnvState& st, bool force = false);

// An exported function running m(info, st) under guard(), then reporting memory to V8.
using Method = Napi::Value (*)(const Napi::CallbackInfo&, EnvState&);
void define(Napi::Env env, Napi::Object exports, EnvState& st, const char* name, Method m);

// Layout of one metadata slot in the shared Float64Array.
inline constexpr int kMetaSlot = 4 + tk::kMaxDims;  // dtype, device type, device index, ndim, shape
inline constexpr int kMetaSlots = 4;
// After the slots, one flag: 1 when live tensors not yet handed to the GC safety net hold this many
// more bytes than at the last hand-over (cleared by watch()).
inline constexpr int kUnwatchedFlag = kMetaSlot * kMetaSlots;
inline constexpr int64_t kUnwatchedFlushBytes = int64_t(256) << 20;
// The shared attribute buffer: per item a kind (0 none, 1 number, 2 boolean, 3 integer list),
// then the value (a list: its length, then the values). Attributes that do not fit, or hold
// strings, come as a JS array instead. Reading numbers from a typed array skips one N-API call
// per element, which made view ops (reshape, transpose) 3-4x slower than a small add.
inline constexpr int kAttrBufSize = 128;

}  // namespace tkjs
