#include "gc.h"

#include <algorithm>

#include "convert.h"
#include "tensor_handle.h"

namespace tkjs {
namespace {

// Sweeps start once this many objects are watched (smaller lists cost nothing to keep).
constexpr size_t kMinSweepSize = 1024;
// ... or once this environment's tensors hold twice the bytes they held after the last sweep,
// and at least this many more.
constexpr int64_t kMinSweepBytes = int64_t(64) << 20;

int64_t env_bytes(const EnvState& st) { return st.reported_external + st.pending_external; }

}  // namespace

void WeakWatch::watch(napi_env env, EnvState& st, const Napi::Array& objs, const double* ids, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    napi_value obj;
    if (napi_get_element(env, objs, i, &obj) != napi_ok) continue;
    napi_ref ref;
    // Refcount 0: a weak reference, cleared by the GC when the object dies (no callback, so
    // nothing waits for the event loop).
    if (napi_create_reference(env, obj, 0, &ref) == napi_ok) list_.push_back({ref, ids[i]});
    st.pending_external += st.handles.report(ids[i]);  // now the GC's to free: V8 must know
  }
  st.handles.mark_watched();
  st.meta_data[kUnwatchedFlag] = 0;
  const bool grew = list_.size() >= kMinSweepSize && list_.size() >= 2 * size_after_sweep_;
  const int64_t bytes = env_bytes(st);
  const bool pressure = bytes >= bytes_after_sweep_ + std::max(kMinSweepBytes, bytes_after_sweep_);
  if (grew || pressure) sweep(env, st);
}

size_t WeakWatch::sweep(napi_env env, EnvState& st) {
  size_t freed = 0, kept = 0;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  for (size_t i = 0; i < list_.size(); ++i) {
    Watched w = list_[i];
    napi_value v = nullptr;
    const bool alive = napi_get_reference_value(env, w.ref, &v) == napi_ok && v != nullptr;
    if (alive && st.handles.get(w.id) != nullptr) {
      list_[kept++] = w;
      continue;
    }
    if (!alive && st.handles.get(w.id) != nullptr) {
      free_handle(st, w.id);  // collected without dispose(): the safety net
      ++freed;
    }
    napi_delete_reference(env, w.ref);  // collected, or disposed by the user
  }
  napi_close_handle_scope(env, scope);
  list_.resize(kept);
  size_after_sweep_ = kept;
  bytes_after_sweep_ = env_bytes(st);
  return freed;
}

void register_gc(Napi::Env env, Napi::Object exports, EnvState& st) {
  // watch(objects, ids, n): weak references to the first n tensors of `objects`, whose handle ids
  // are ids[0..n) (a Float64Array, read without a call per element).
  exports.Set("watch", Napi::Function::New(
                           env,
                           [&st](const Napi::CallbackInfo& info) -> Napi::Value {
                             Napi::Env e = info.Env();
                             if (info[0].IsArray() && info[1].IsTypedArray() && info[2].IsNumber()) {
                               auto ids = info[1].As<Napi::Float64Array>();
                               const uint32_t n = std::min<uint32_t>(info[2].As<Napi::Number>().Uint32Value(),
                                                                     uint32_t(ids.ElementLength()));
                               st.watched.watch(e, st, info[0].As<Napi::Array>(), ids.Data(), n);
                             }
                             flush_external(e, st);
                             return e.Undefined();
                           },
                           "watch"));
  // sweep(): frees the handles of collected tensors now; returns how many are still watched.
  exports.Set("sweep", Napi::Function::New(
                           env,
                           [&st](const Napi::CallbackInfo& info) -> Napi::Value {
                             Napi::Env e = info.Env();
                             st.watched.sweep(e, st);
                             flush_external(e, st, true);
                             return Napi::Number::New(e, double(st.watched.size()));
                           },
                           "sweep"));
}

}  // namespace tkjs
