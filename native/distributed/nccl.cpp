// The NCCL backend; see nccl.h for the contracts.
#include "nccl.h"

#include "process_group.h"

#ifdef TK_DIST_NCCL
#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#endif

namespace tk::dist {

#ifndef TK_DIST_NCCL

namespace {
[[noreturn]] void no_nccl() {
  throw DistError("NOT_IMPLEMENTED",
                  "distributed: backend 'nccl' needs tensorkit built with CUDA (nvcc found at build time); this "
                  "build has no CUDA; use backend 'mpi' with CPU tensors");
}
}  // namespace

bool nccl_compiled() { return false; }
int nccl_version() { no_nccl(); }
NcclComm::NcclComm(int device, int rank, int size, const std::function<void(void*, int)>&)
    : device_(device), rank_(rank), size_(size) {
  no_nccl();
}
NcclComm::~NcclComm() = default;
void* NcclComm::enqueue(const Op&) { no_nccl(); }
bool NcclComm::finished(void*) { no_nccl(); }
void NcclComm::release(void*) {}

#else

namespace {

// nccl.h's C ABI, by value: results, data types and reduction ops are C enums (int); a unique id is
// 128 opaque bytes passed by value; a communicator is a pointer.
using Result = int;
using Comm = void*;
struct UniqueId {
  char bytes[128];
};
enum NcclType : int { kUint8 = 1, kInt32 = 2, kInt64 = 4, kFloat16 = 6, kFloat32 = 7, kFloat64 = 8, kBFloat16 = 9 };
enum NcclOp : int { kSum = 0, kProd = 1, kMax = 2, kMin = 3, kAvg = 4 };
constexpr Result kSuccess = 0;
constexpr Result kInProgress = 7;
constexpr int kOldest = 21000;  // 2.10.0: ncclAvg and ncclBfloat16

constexpr const char* kInstall =
    "install NCCL (apt-get install libnccl2, from NVIDIA's CUDA repository) or set TENSORKIT_NCCL_LIBRARY to "
    "libnccl.so.2's path";

struct Lib {
  std::string error;  // why it could not be used; empty when loaded
  int version = 0;
  Result (*GetVersion)(int*) = nullptr;
  const char* (*GetErrorString)(Result) = nullptr;
  Result (*GetUniqueId)(UniqueId*) = nullptr;
  Result (*CommInitRank)(Comm*, int, UniqueId, int) = nullptr;
  Result (*CommDestroy)(Comm) = nullptr;
  Result (*CommAbort)(Comm) = nullptr;
  Result (*CommGetAsyncError)(Comm, Result*) = nullptr;
  Result (*AllReduce)(const void*, void*, size_t, int, int, Comm, cudaStream_t) = nullptr;
  Result (*Broadcast)(const void*, void*, size_t, int, int, Comm, cudaStream_t) = nullptr;
  Result (*AllGather)(const void*, void*, size_t, int, Comm, cudaStream_t) = nullptr;
  Result (*ReduceScatter)(const void*, void*, size_t, int, int, Comm, cudaStream_t) = nullptr;
  Result (*Send)(const void*, size_t, int, int, Comm, cudaStream_t) = nullptr;
  Result (*Recv)(void*, size_t, int, int, Comm, cudaStream_t) = nullptr;
  Result (*GroupStart)() = nullptr;
  Result (*GroupEnd)() = nullptr;
};

template <class F> bool bind(void* h, const char* name, F& fn) {
  fn = reinterpret_cast<F>(dlsym(h, name));
  return fn != nullptr;
}

Lib load() {
  Lib l;
  std::string tried;
  void* h = nullptr;
  const char* env = std::getenv("TENSORKIT_NCCL_LIBRARY");
  for (const char* name : {env, "libnccl.so.2", "libnccl.so"}) {
    if (!name || !*name) continue;
    h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (h) break;
    const char* why = dlerror();
    tried += std::string(tried.empty() ? "" : "; ") + (why ? why : name);
  }
  if (!h) {
    l.error = "distributed: backend 'nccl' could not load NCCL (" + tried + "); " + kInstall;
    return l;
  }
  // Never dlclose()d: its threads and the communicators outlive any caller.
  const char* missing = nullptr;
  const auto need = [&](const char* name, auto& fn) {
    if (!missing && !bind(h, name, fn)) missing = name;
  };
  need("ncclGetVersion", l.GetVersion);
  need("ncclGetErrorString", l.GetErrorString);
  need("ncclGetUniqueId", l.GetUniqueId);
  need("ncclCommInitRank", l.CommInitRank);
  need("ncclCommDestroy", l.CommDestroy);
  need("ncclCommAbort", l.CommAbort);
  need("ncclCommGetAsyncError", l.CommGetAsyncError);
  need("ncclAllReduce", l.AllReduce);
  need("ncclBroadcast", l.Broadcast);
  need("ncclAllGather", l.AllGather);
  need("ncclReduceScatter", l.ReduceScatter);
  need("ncclSend", l.Send);
  need("ncclRecv", l.Recv);
  need("ncclGroupStart", l.GroupStart);
  need("ncclGroupEnd", l.GroupEnd);
  if (missing) {
    l.error =
        std::string("distributed: the NCCL library has no ") + missing + "; NCCL 2.10 or newer is needed; " + kInstall;
    return l;
  }
  if (l.GetVersion(&l.version) != kSuccess || l.version < kOldest)
    l.error =
        "distributed: NCCL " + std::to_string(l.version) + " is too old; 2.10 (21000) or newer is needed; " + kInstall;
  return l;
}

Lib& loaded() {
  static Lib l = load();  // thread-safe, once
  return l;
}

Lib& lib() {
  Lib& l = loaded();
  if (!l.error.empty()) throw DistError("DISTRIBUTED_ERROR", l.error);
  return l;
}

[[noreturn]] void fail_nccl(Result r, const char* what) {
  const char* why = lib().GetErrorString(r);
  throw DistError("DISTRIBUTED_ERROR",
                  std::string(what) + " failed: " + (why ? std::string(why) : "NCCL error " + std::to_string(r)));
}

// ncclInProgress is success for the calls made here (blocking communicators: enqueued).
void check(Result r, const char* what) {
  if (r != kSuccess && r != kInProgress) fail_nccl(r, what);
}

void check_cuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw DistError("DISTRIBUTED_ERROR", std::string(what) + " failed: " + cudaGetErrorString(e));
}

int nccl_type(DType d) {
  switch (d) {
    case DType::Float32: return kFloat32;
    case DType::Float64: return kFloat64;
    case DType::Int32: return kInt32;
    case DType::Int64: return kInt64;
    case DType::Bool: return kUint8;  // 0 or 1: or is max, and is min
    case DType::Float16: return kFloat16;
    case DType::BFloat16: return kBFloat16;
  }
  return kUint8;
}

// As the MPI side: bool combines with or ('sum', 'max') or and ('min', 'product').
int nccl_op(DType d, Reduce r) {
  if (d == DType::Bool) return (r == Reduce::Sum || r == Reduce::Max) ? kMax : kMin;
  switch (r) {
    case Reduce::Sum: return kSum;
    case Reduce::Avg: return kAvg;
    case Reduce::Max: return kMax;
    case Reduce::Min: return kMin;
    case Reduce::Product: return kProd;
  }
  return kSum;
}

}  // namespace

bool nccl_compiled() { return true; }

int nccl_version() { return lib().version; }

NcclComm::NcclComm(int device, int rank, int size, const std::function<void(void*, int)>& share_id)
    : device_(device), rank_(rank), size_(size) {
  // byte 0: whether rank 0 made an id; then the id
  char msg[1 + sizeof(UniqueId)] = {};
  std::string why;
  if (rank == 0) {
    try {
      UniqueId id{};
      check(lib().GetUniqueId(&id), "ncclGetUniqueId");
      msg[0] = 1;
      std::memcpy(msg + 1, &id, sizeof id);
    } catch (const DistError& e) {
      why = e.what();
    }
  }
  share_id(msg, int(sizeof msg));
  if (!msg[0]) throw DistError("DISTRIBUTED_ERROR", why.empty() ? "ncclGetUniqueId failed on rank 0" : why);
  UniqueId id;
  std::memcpy(&id, msg + 1, sizeof id);
  Lib& l = lib();
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
  cudaStream_t s = nullptr;
  check_cuda(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate");
  Comm c = nullptr;
  const Result r = l.CommInitRank(&c, size, id, rank);
  if (r != kSuccess) {
    cudaStreamDestroy(s);
    fail_nccl(r, "ncclCommInitRank");
  }
  comm_ = c;
  stream_ = s;
}

NcclComm::~NcclComm() {
  Lib& l = loaded();  // usable: the constructor succeeded
  if (abort_)
    l.CommAbort(comm_);
  else
    l.CommDestroy(comm_);
  cudaStreamDestroy(static_cast<cudaStream_t>(stream_));
}

void* NcclComm::enqueue(const Op& o) {
  Lib& l = lib();
  check_cuda(cudaSetDevice(device_), "cudaSetDevice");
  const auto s = static_cast<cudaStream_t>(stream_);
  const size_t n = size_t(o.count);
  const size_t bytes = n * item_size(o.dtype);
  const int t = nccl_type(o.dtype);
  const int r = nccl_op(o.dtype, o.reduce);
  auto* send = static_cast<const char*>(o.send);
  auto* recv = static_cast<char*>(o.recv);
  switch (o.kind) {
    case Kind::AllReduce: check(l.AllReduce(recv, recv, n, t, r, comm_, s), "ncclAllReduce"); break;
    case Kind::Broadcast: check(l.Broadcast(recv, recv, n, t, o.peer, comm_, s), "ncclBroadcast"); break;
    case Kind::AllGather: check(l.AllGather(send, recv, n, t, comm_, s), "ncclAllGather"); break;
    case Kind::ReduceScatter: check(l.ReduceScatter(send, recv, n, t, r, comm_, s), "ncclReduceScatter"); break;
    case Kind::Send: check(l.Send(send, n, t, o.peer, comm_, s), "ncclSend"); break;
    case Kind::Recv: check(l.Recv(recv, n, t, o.peer, comm_, s), "ncclRecv"); break;
    case Kind::Gather:
    case Kind::Scatter: {
      // The root's own part is a device copy; the others are sends and receives in one group, which
      // NCCL runs together (separately, the root's first receive would wait on the second sender).
      const bool gather = o.kind == Kind::Gather;
      if (rank_ == o.peer)
        check_cuda(cudaMemcpyAsync(gather ? recv + size_t(rank_) * bytes : recv,
                                   gather ? send : send + size_t(rank_) * bytes, bytes, cudaMemcpyDeviceToDevice, s),
                   gather ? "gather" : "scatter");
      check(l.GroupStart(), "ncclGroupStart");
      Result g = kSuccess;
      if (rank_ == o.peer) {
        for (int p = 0; p < size_ && g == kSuccess; ++p)
          if (p != rank_)
            g = gather ? l.Recv(recv + size_t(p) * bytes, n, t, p, comm_, s)
                       : l.Send(send + size_t(p) * bytes, n, t, p, comm_, s);
      } else {
        g = gather ? l.Send(send, n, t, o.peer, comm_, s) : l.Recv(recv, n, t, o.peer, comm_, s);
      }
      const Result end = l.GroupEnd();
      check(g, gather ? "gather (ncclRecv/ncclSend)" : "scatter (ncclSend/ncclRecv)");
      check(end, "ncclGroupEnd");
      break;
    }
    case Kind::Barrier: throw DistError("INTERNAL", "barrier: runs on MPI, never on a device");
  }
  cudaEvent_t e = nullptr;
  check_cuda(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreate");
  const cudaError_t rec = cudaEventRecord(e, s);
  if (rec != cudaSuccess) {
    cudaEventDestroy(e);
    check_cuda(rec, "cudaEventRecord");
  }
  return e;
}

bool NcclComm::finished(void* event) {
  const auto e = static_cast<cudaEvent_t>(event);
  const cudaError_t q = cudaEventQuery(e);
  if (q == cudaErrorNotReady) {
    Result async = kSuccess;
    if (lib().CommGetAsyncError(comm_, &async) == kSuccess && async != kSuccess && async != kInProgress) {
      cudaEventDestroy(e);
      check(async, "NCCL (asynchronous error; a peer may have failed)");
    }
    return false;
  }
  cudaEventDestroy(e);
  check_cuda(q, "NCCL work");
  return true;
}

void NcclComm::release(void* event) {
  if (event) cudaEventDestroy(static_cast<cudaEvent_t>(event));
}

#endif

}  // namespace tk::dist
