// The native side of a JS Tensor: one tk::Tensor reference per JS object, kept in a per-
// environment slot table. JS holds a number: slot + generation * 2^26. A freed slot's generation
// moves on, so a stale number (a disposed tensor) is recognised and reported as DISPOSED.
//
// Why numbers and not Externals: on Node 20 every napi External carries a V8 global handle that
// costs more to create and collect than a whole small op (see the tiny-op benchmark).
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gc.h"
#include "tk/tensor.h"

namespace tkjs {

class HandleTable {
 public:
  static constexpr int kSlotBits = 26;
  static constexpr double kSlotSpan = double(int64_t(1) << kSlotBits);

  // A new id owning `t`. Nothing is reported to V8 yet: most tensors are freed (dispose, tidy)
  // within the tick that made them, and reporting those made V8 start a major GC whenever a
  // training step's temporaries passed 64 MB (a fifth of a conv net's epoch).
  double add(tk::Tensor t);
  // Reports a live id's memory to V8, once it is left to the GC (WeakWatch::watch); returns the
  // bytes newly reported: its storage's size when no other reported id holds that storage, else
  // 0. Per storage, not per id, because views share it: counting each view made V8 see hundreds
  // of megabytes that did not exist and run a major GC every few milliseconds. Idempotent.
  int64_t report(double id);
  // The tensor of a live id, or nullptr for a stale or malformed one.
  const tk::Tensor* get(double id) const;
  // Drops the id's reference; returns the bytes to unreport (its storage's, when this was the
  // last reported id holding it; 0 if stale or never reported). Idempotent.
  int64_t remove(double id);
  // Points a live id at another tensor (`param.data = t`); returns the change in reported bytes.
  int64_t replace(double id, tk::Tensor t);
  int64_t live() const { return live_; }
  // Bytes the live ids not yet reported have come to hold since the last mark_watched() (their
  // storages'; a view of memory already reported counts nothing): how much a loop has made and not
  // freed since the GC last heard of it.
  int64_t unwatched_growth() const { return unwatched_ - unwatched_base_; }
  void mark_watched() { unwatched_base_ = unwatched_; }
  // Releases every tensor (environment teardown). Ids handed out before stay stale.
  void clear();

 private:
  struct Slot {
    tk::Tensor tensor;
    uint32_t gen = 0;
    bool reported = false;
    int64_t unwatched = 0;  // bytes counted in unwatched_ while not reported
  };
  // The reported ids holding one storage, and the bytes reported for it when the first came.
  struct StorageRef {
    int64_t ids = 0;
    int64_t reported = 0;
  };
  bool decode(double id, uint32_t& slot, uint32_t& gen) const;
  int64_t hold(const tk::Tensor& t);  // counts t's storage; bytes newly reported
  int64_t release(const tk::Tensor& t);  // uncounts it; bytes no longer reported
  void unwatch(Slot& s);  // takes the slot's bytes out of unwatched_
  std::vector<Slot> slots_;
  std::unordered_map<const tk::Storage*, StorageRef> storages_;
  std::vector<uint32_t> free_;
  int64_t live_ = 0;
  int64_t unwatched_ = 0;
  int64_t unwatched_base_ = 0;
};

// Ids of JS-side records (autograd.Function calls, gradient hooks) whose native owner was freed.
// Locked: the last reference to a graph node may be dropped on a thread other than the JS one
// (a tensor an async op still held).
struct ReleasedIds {
  void push(double id) {
    std::lock_guard<std::mutex> lock(m);
    ids.push_back(id);
  }
  std::vector<double> take() {
    std::lock_guard<std::mutex> lock(m);
    return std::exchange(ids, {});
  }

 private:
  std::mutex m;
  std::vector<double> ids;
};

// Per-environment (main thread or worker) state: the addon is context-aware.
struct EnvState {
  Napi::FunctionReference tensor_error;  // the TS TensorError class
  Napi::Reference<Napi::Float64Array> meta;  // shape/dtype of the last results, read by TS
  double* meta_data = nullptr;
  Napi::Reference<Napi::Float64Array> attr_buf;  // encoded numeric attributes, written by TS
  double* attr_data = nullptr;
  HandleTable handles;
  int64_t pending_external = 0;  // bytes not yet reported with AdjustExternalMemory
  int64_t reported_external = 0;  // bytes this environment has reported to V8 so far
  WeakWatch watched;  // tensors left to the GC safety net (gc.h)
  // autograd.Function: the TS function that runs a recorded call's backward, and the ids of
  // recorded calls whose graph node was freed (TS drops their context). Shared, because a node
  // freed at environment teardown outlives this struct's other members.
  Napi::FunctionReference function_hook;
  // Tensor.registerPostAccumulateGradHook: the TS function called with a hooked leaf's id.
  Napi::FunctionReference post_accumulate_hook;
  std::shared_ptr<ReleasedIds> released_functions = std::make_shared<ReleasedIds>();
  // Tensor.registerHook: the TS function called with (hook id, gradient handle), and the ids of
  // hooks freed with their tensor or node (TS drops their functions).
  Napi::FunctionReference grad_hook;
  std::shared_ptr<ReleasedIds> released_grad_hooks = std::make_shared<ReleasedIds>();
};

}  // namespace tkjs
