// The GC safety net's native half: weak references to the JS Tensor objects that outlived the
// tick that made them, swept for collected ones. Unlike a FinalizationRegistry callback (which
// runs only when the event loop turns), a sweep runs inside the next op that registers tensors,
// so a loop that never yields still gets its forgotten tensors back.
#pragma once
#include <napi.h>

#include <vector>

namespace tkjs {

struct EnvState;

// One watched tensor: a weak reference to its JS object and its handle id.
struct Watched {
  napi_ref ref;
  double id;
};

class WeakWatch {
 public:
  // Adds weak references to objs[0..n) with handle ids ids[0..n), then sweeps when the watch
  // list or this environment's native bytes have doubled since the last sweep (amortised O(1)
  // per tensor).
  void watch(napi_env env, EnvState& st, const Napi::Array& objs, const double* ids, uint32_t n);
  // Frees the handles whose objects were collected, and forgets those already disposed.
  // Returns the number of handles freed.
  size_t sweep(napi_env env, EnvState& st);
  size_t size() const { return list_.size(); }

 private:
  std::vector<Watched> list_;
  size_t size_after_sweep_ = 0;
  int64_t bytes_after_sweep_ = 0;
};

void register_gc(Napi::Env env, Napi::Object exports, EnvState& st);

}  // namespace tkjs
