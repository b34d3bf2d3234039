// The second addon, tensorkit_mpi.node: marshals the MPI process group (native/distributed/) to JS.
// Only src/distributed/binding.ts loads it, so the main package loads where MPI is absent.
//
// Tensors cross as addresses: the main addon's dataPtr() gives the address of a contiguous tensor
// (a device address for a CUDA tensor, with its device index passed alongside), and the TS side
// holds a reference to that tensor until the work completes, so the memory outlives the
// communication. Completions reach JS through one thread-safe function.
#include <napi.h>

#include <map>
#include <memory>
#include <string>

#include "nccl.h"
#include "process_group.h"

namespace {

using tk::dist::DistError;
using tk::dist::ProcessGroup;
using tk::dist::Work;

// One process group per process, made on the main thread. Never deleted at exit: MPI_Finalize
// belongs to finalize(), which the TS side calls (or skips for a failing process, so that it does
// not wait in MPI_Finalize for peers that wait for it).
ProcessGroup* g_pg = nullptr;
Napi::FunctionReference g_error_class;
Napi::ThreadSafeFunction g_tsfn;
std::map<uint64_t, std::shared_ptr<Work>> g_works;  // JS thread only

[[noreturn]] void raise(Napi::Env env, const std::string& code, const std::string& message) {
  if (g_error_class.IsEmpty()) throw Napi::Error::New(env, message);
  Napi::Object e = g_error_class.New({Napi::String::New(env, message), Napi::String::New(env, code)});
  throw Napi::Error(env, e);
}

template <class Fn> Napi::Value guarded(const Napi::CallbackInfo& info, Fn&& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const DistError& e) {
    raise(info.Env(), e.code(), e.what());
  } catch (const std::exception& e) {
    raise(info.Env(), "INTERNAL", std::string("distributed: internal error: ") + e.what());
  }
}

ProcessGroup& group(const char* op) {
  if (!g_pg)
    throw DistError("INVALID_ARGUMENT",
                    std::string(op) + ": no process group; call distributed.initProcessGroup() first");
  return *g_pg;
}

void* address(const Napi::Value& v, const char* op) {
  if (v.IsNull() || v.IsUndefined()) return nullptr;
  if (!v.IsBigInt()) throw DistError("INTERNAL", std::string(op) + ": expected a buffer address");
  bool lossless = false;
  uint64_t a = v.As<Napi::BigInt>().Uint64Value(&lossless);
  return reinterpret_cast<void*>(uintptr_t(a));
}

// init(TensorError, onComplete(id)): starts MPI; returns { rank, size, library, sharedMemory }.
Napi::Value Init(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (info[0].IsFunction()) g_error_class = Napi::Persistent(info[0].As<Napi::Function>());
    if (g_pg) throw DistError("INVALID_ARGUMENT", "initProcessGroup: the process group is already initialised");
    if (!info[1].IsFunction()) throw DistError("INTERNAL", "initProcessGroup: expected a completion callback");
    g_tsfn = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "tensorkit-mpi", 0, 1);
    g_tsfn.Unref(env);  // the TS side refs it while works are pending
    auto notify = [](uint64_t id) {
      // Called on the communication thread; the id travels boxed (freed on the JS thread).
      auto* boxed = new uint64_t(id);
      if (g_tsfn.NonBlockingCall(boxed, [](Napi::Env env, Napi::Function cb, uint64_t* p) {
            double id = double(*p);
            delete p;
            if (env != nullptr && cb != nullptr) cb.Call({Napi::Number::New(env, id)});
          }) != napi_ok)
        delete boxed;
    };
    try {
      g_pg = new ProcessGroup(notify);
    } catch (...) {
      g_tsfn.Release();
      throw;
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("rank", g_pg->rank());
    r.Set("size", g_pg->size());
    r.Set("library", g_pg->library());
    r.Set("sharedMemory", g_pg->shared_memory());
    return r;
  });
}

// submit(kind, send, recv, count, dtype, reduce, peer, tag, blocking, device, shared): queues one
// operation; returns its id. device -1: host memory (MPI); N: memory on cuda:N (NCCL). shared: the
// main addon's sharedMemoryOf() for recv ([fd, inode, byteOffset]), or null.
Napi::Value Submit(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const std::string kind = info[0].As<Napi::String>().Utf8Value();
    ProcessGroup& pg = group(kind.c_str());
    tk::dist::Op op;
    op.kind = tk::dist::parse_kind(kind);
    op.send = address(info[1], kind.c_str());
    op.recv = address(info[2], kind.c_str());
    op.count = int64_t(info[3].As<Napi::Number>().DoubleValue());
    op.dtype = tk::dist::parse_dtype(info[4].As<Napi::String>().Utf8Value());
    op.reduce = tk::dist::parse_reduce(info[5].As<Napi::String>().Utf8Value());
    op.peer = info[6].As<Napi::Number>().Int32Value();
    op.tag = info[7].As<Napi::Number>().Int32Value();
    op.blocking = info[8].ToBoolean().Value();
    op.device = info[9].IsNumber() ? info[9].As<Napi::Number>().Int32Value() : -1;
    if (info[10].IsArray()) {
      Napi::Array a = info[10].As<Napi::Array>();
      bool lossless = false;
      op.shm_fd = a.Get(0u).As<Napi::Number>().Int32Value();
      op.shm_inode = a.Get(1u).As<Napi::BigInt>().Uint64Value(&lossless);
      op.shm_offset = a.Get(2u).As<Napi::Number>().Int64Value();
    }
    std::shared_ptr<Work> w = pg.submit(op);
    g_works[w->id] = w;
    return Napi::Number::New(info.Env(), double(w->id));
  });
}

// wait(id, ms?): blocks until the work completes, or at most ms milliseconds; throws its error.
// Returns whether it completed; a completed work is forgotten.
Napi::Value Wait(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    auto it = g_works.find(uint64_t(info[0].As<Napi::Number>().DoubleValue()));
    if (it == g_works.end()) return Napi::Boolean::New(env, true);  // already taken
    std::shared_ptr<Work> w = it->second;
    if (info[1].IsNumber() && !ProcessGroup::wait_for(*w, info[1].As<Napi::Number>().Int32Value()))
      return Napi::Boolean::New(env, false);
    g_works.erase(it);
    std::string err = ProcessGroup::wait(*w);
    if (!err.empty()) throw DistError("DISTRIBUTED_ERROR", err);
    return Napi::Boolean::New(env, true);
  });
}

// sharedCalls(): [in place, through the slots]: the host all-reduces through shared memory so far.
Napi::Value SharedCalls(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    ProcessGroup& pg = group("sharedCalls");
    Napi::Array a = Napi::Array::New(info.Env(), 2);
    a.Set(0u, double(pg.shared_in_place_calls()));
    a.Set(1u, double(pg.shared_slot_calls()));
    return a;
  });
}

// ncclVersion(TensorError): loads libnccl and returns its version code; throws why it cannot be
// used. Called before init(), so it takes the error class too.
Napi::Value NcclVersion(const Napi::CallbackInfo& info) {
  if (info[0].IsFunction() && g_error_class.IsEmpty()) g_error_class = Napi::Persistent(info[0].As<Napi::Function>());
  return guarded(info, [&]() -> Napi::Value { return Napi::Number::New(info.Env(), tk::dist::nccl_version()); });
}

// take(id): a completed work's error message, or null; forgets it. undefined when unknown.
Napi::Value Take(const Napi::CallbackInfo& info) {
  auto it = g_works.find(uint64_t(info[0].As<Napi::Number>().DoubleValue()));
  if (it == g_works.end()) return info.Env().Undefined();
  std::shared_ptr<Work> w = it->second;
  g_works.erase(it);
  std::string err = ProcessGroup::wait(*w);  // complete already: returns at once
  return err.empty() ? info.Env().Null() : Napi::String::New(info.Env(), err);
}

Napi::Value Ref(const Napi::CallbackInfo& info) {
  if (g_pg) {
    if (info[0].ToBoolean().Value())
      g_tsfn.Ref(info.Env());
    else
      g_tsfn.Unref(info.Env());
  }
  return info.Env().Undefined();
}

// finalize(abort, code): stops the communication thread; MPI_Finalize, or MPI_Abort(code).
Napi::Value Finalize(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (!g_pg) return info.Env().Undefined();
    g_pg->finalize(info[0].ToBoolean().Value(), info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 1);
    g_tsfn.Release();
    g_works.clear();
    // The group object stays (its thread has ended): rank and size remain readable, and a later
    // submit reports that the group was destroyed. MPI cannot be initialised twice in a process.
    return info.Env().Undefined();
  });
}

Napi::Object Init_(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("submit", Napi::Function::New(env, Submit, "submit"));
  exports.Set("wait", Napi::Function::New(env, Wait, "wait"));
  exports.Set("take", Napi::Function::New(env, Take, "take"));
  exports.Set("ref", Napi::Function::New(env, Ref, "ref"));
  exports.Set("finalize", Napi::Function::New(env, Finalize, "finalize"));
  exports.Set("sharedCalls", Napi::Function::New(env, SharedCalls, "sharedCalls"));
  exports.Set("ncclCompiled", Napi::Boolean::New(env, tk::dist::nccl_compiled()));
  exports.Set("ncclVersion", Napi::Function::New(env, NcclVersion, "ncclVersion"));
  return exports;
}

}  // namespace

NODE_API_MODULE(tensorkit_mpi, Init_)
