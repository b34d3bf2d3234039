// The MPI process group (process_group.h). Every MPI call below runs on the communication thread,
// except a blocking collective's that submit() hands to run_inline() while that thread is parked.
#include "process_group.h"

#include <mpi.h>
#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "nccl.h"
#include "shared_reduce.h"
#include "tk/half.h"

namespace tk::dist {
namespace {

// ---- 16-bit floats: MPI has no type for them, so they travel as uint16 and reduce through
// user-defined ops that widen each pair to float and round the result once (as one add would). --
using tk::kernels::bf16_to_float;
using tk::kernels::float_to_bf16;
using tk::kernels::float_to_half;
using tk::kernels::half_to_float;

template <float (*Load)(uint16_t), uint16_t (*Store)(float), int R>
void half_op(void* in, void* inout, int* len, MPI_Datatype*) {
  const auto* a = static_cast<const uint16_t*>(in);
  auto* b = static_cast<uint16_t*>(inout);
  for (int i = 0; i < *len; ++i) {
    const float x = Load(a[i]), y = Load(b[i]);
    float r;
    if constexpr (R == int(Reduce::Sum))
      r = x + y;
    else if constexpr (R == int(Reduce::Product))
      r = x * y;
    else if constexpr (R == int(Reduce::Max))
      r = (x != x || y != y) ? x + y : (x > y ? x : y);  // nan wins
    else
      r = (x != x || y != y) ? x + y : (x < y ? x : y);
    b[i] = Store(r);
  }
}

MPI_Op g_half_ops[2][4];  // [float16, bfloat16][Reduce]

void create_half_ops() {
  using Fn = void (*)(void*, void*, int*, MPI_Datatype*);
  static constexpr Fn kFns[2][4] = {
      {&half_op<half_to_float, float_to_half, 0>, &half_op<half_to_float, float_to_half, 1>,
       &half_op<half_to_float, float_to_half, 2>, &half_op<half_to_float, float_to_half, 3>},
      {&half_op<bf16_to_float, float_to_bf16, 0>, &half_op<bf16_to_float, float_to_bf16, 1>,
       &half_op<bf16_to_float, float_to_bf16, 2>, &half_op<bf16_to_float, float_to_bf16, 3>},
  };
  for (int d = 0; d < 2; ++d)
    for (int r = 0; r < 4; ++r) MPI_Op_create(kFns[d][r], 1, &g_half_ops[d][r]);
}
static_assert(int(Reduce::Sum) == 0 && int(Reduce::Max) == 1 && int(Reduce::Min) == 2 && int(Reduce::Product) == 3);

MPI_Datatype mpi_type(DType d) {
  switch (d) {
    case DType::Float32: return MPI_FLOAT;
    case DType::Float64: return MPI_DOUBLE;
    case DType::Int32: return MPI_INT32_T;
    case DType::Int64: return MPI_INT64_T;
    case DType::Bool: return MPI_C_BOOL;
    case DType::Float16:
    case DType::BFloat16: return MPI_UINT16_T;
  }
  return MPI_BYTE;
}

MPI_Op mpi_op(DType d, Reduce r) {
  if (r == Reduce::Avg) r = Reduce::Sum;  // divided afterwards (divide_by)
  if (d == DType::Float16 || d == DType::BFloat16) return g_half_ops[d == DType::BFloat16][int(r)];
  if (d == DType::Bool) return (r == Reduce::Sum || r == Reduce::Max) ? MPI_LOR : MPI_LAND;
  switch (r) {
    case Reduce::Sum:
    case Reduce::Avg: return MPI_SUM;
    case Reduce::Max: return MPI_MAX;
    case Reduce::Min: return MPI_MIN;
    case Reduce::Product: return MPI_PROD;
  }
  return MPI_SUM;
}

// Reduce::Avg's second half: every element of a reduced buffer divided by the world size, with
// div_'s rounding. A power-of-two size multiplies by its reciprocal instead: 1/size is exact then,
// so x * (1/size) is the same correctly rounded value as x / size, and a multiplication costs a
// fraction of a division (a third of a DDP step's all-reduce time on 2 ranks went to dividing).
template <class T> void divide(void* p, int n, int size) {
  auto* x = static_cast<T*>(p);
  if ((size & (size - 1)) == 0) {
    const T r = T(1) / T(size);
    for (int i = 0; i < n; ++i) x[i] *= r;
  } else {
    const T d = T(size);
    for (int i = 0; i < n; ++i) x[i] /= d;
  }
}
template <float (*Load)(uint16_t), uint16_t (*Store)(float)> void divide_half(void* p, int n, int size) {
  auto* x = static_cast<uint16_t*>(p);
  const float d = float(size);
  for (int i = 0; i < n; ++i) x[i] = Store(Load(x[i]) / d);
}

void divide_by(void* p, int n, DType d, int size) {
  switch (d) {
    case DType::Float32: divide<float>(p, n, size); break;
    case DType::Float64: divide<double>(p, n, size); break;
    case DType::Float16: divide_half<half_to_float, float_to_half>(p, n, size); break;
    case DType::BFloat16: divide_half<bf16_to_float, float_to_bf16>(p, n, size); break;
    default: break;  // submit() refuses Avg on the others
  }
}

std::string mpi_error(const char* what, int rc) {
  char buf[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, buf, &len);
  return std::string(what) + " failed: " + std::string(buf, size_t(len));
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::AllReduce: return "allReduce";
    case Kind::Broadcast: return "broadcast";
    case Kind::AllGather: return "allGather";
    case Kind::ReduceScatter: return "reduceScatter";
    case Kind::Gather: return "gather";
    case Kind::Scatter: return "scatter";
    case Kind::Send: return "send";
    case Kind::Recv: return "recv";
    case Kind::Barrier: return "barrier";
  }
  return "?";
}

const char* dtype_name(DType d) {
  switch (d) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
  }
  return "?";
}

const char* reduce_name(Reduce r) {
  switch (r) {
    case Reduce::Sum: return "sum";
    case Reduce::Max: return "max";
    case Reduce::Min: return "min";
    case Reduce::Product: return "product";
    case Reduce::Avg: return "avg";
  }
  return "?";
}

// What a rank called, as its rendezvous message carries it: kind, dtype, reduce op, root and
// elements per rank, each 0 where the kind has none. Every rank compares every peer's with its own,
// so a rank that called another collective, or one on another size or dtype, fails the collective
// on every rank (each sees a difference) instead of leaving MPI to hang or to mix the buffers.
constexpr int kSignature = 5;
// The message also carries the all-reduce's shared buffer (Op::shm_*), which may differ by rank:
// kSignature values compared, then fd, inode and offset.
constexpr int kMessage = kSignature + 3;

void signature(const Op& o, int64_t* s) {
  s[kSignature] = o.kind == Kind::AllReduce && o.device < 0 ? o.shm_fd : -1;
  s[kSignature + 1] = int64_t(o.shm_inode);
  s[kSignature + 2] = o.shm_offset;
  const bool reduces = o.kind == Kind::AllReduce || o.kind == Kind::ReduceScatter;
  const bool rooted = o.kind == Kind::Broadcast || o.kind == Kind::Gather || o.kind == Kind::Scatter;
  const bool data = o.kind != Kind::Barrier;
  s[0] = int64_t(o.kind);
  s[1] = data ? int64_t(o.dtype) : 0;
  s[2] = reduces ? int64_t(o.reduce) : 0;
  s[3] = rooted ? o.peer : 0;
  s[4] = data ? o.count : 0;
}

std::string describe(const int64_t* s) {
  const Kind k = Kind(s[0]);
  std::string d = kind_name(k);
  if (k == Kind::AllReduce || k == Kind::ReduceScatter) d += std::string(" (") + reduce_name(Reduce(s[2])) + ")";
  if (k == Kind::Broadcast || k == Kind::Gather || k == Kind::Scatter) d += " (root " + std::to_string(s[3]) + ")";
  if (k != Kind::Barrier) d += " of " + std::to_string(s[4]) + " " + dtype_name(DType(s[1])) + " elements per rank";
  return d;
}

// How long the thread sleeps between polls of the works in flight.
constexpr int kPollMicros = 20;
// How long the caller's thread polls an inline collective's rendezvous before it hands the work to
// the communication thread (which sleeps between polls): a peer a millisecond late is ordinary
// (ranks' steps differ by noise), one later is waited for without spinning a core.
constexpr int kInlineMicros = 1000;

bool is_p2p(Kind k) { return k == Kind::Send || k == Kind::Recv; }
// A send or receive of host memory: MPI_Isend/Irecv, started out of turn (see the loop).
bool host_p2p(const Work& w) { return w.op.device < 0 && is_p2p(w.op.kind); }

}  // namespace

struct Rendezvous {
  MPI_Comm comm = MPI_COMM_NULL;
};

DType parse_dtype(const std::string& n) {
  for (DType d :
       {DType::Float32, DType::Float64, DType::Int32, DType::Int64, DType::Bool, DType::Float16, DType::BFloat16})
    if (n == dtype_name(d)) return d;
  throw DistError("DTYPE_MISMATCH", "distributed: unsupported dtype, got '" + n + "'");
}

Reduce parse_reduce(const std::string& n) {
  for (Reduce r : {Reduce::Sum, Reduce::Max, Reduce::Min, Reduce::Product, Reduce::Avg})
    if (n == reduce_name(r)) return r;
  throw DistError("INVALID_ARGUMENT", "distributed: unknown reduce op, got '" + n + "'");
}

Kind parse_kind(const std::string& n) {
  for (Kind k : {Kind::AllReduce, Kind::Broadcast, Kind::AllGather, Kind::ReduceScatter, Kind::Gather, Kind::Scatter,
                 Kind::Send, Kind::Recv, Kind::Barrier})
    if (n == kind_name(k)) return k;
  throw DistError("INVALID_ARGUMENT", "distributed: unknown operation, got '" + n + "'");
}

size_t item_size(DType d) {
  switch (d) {
    case DType::Float32:
    case DType::Int32: return 4;
    case DType::Float64:
    case DType::Int64: return 8;
    case DType::Bool: return 1;
    case DType::Float16:
    case DType::BFloat16: return 2;
  }
  return 1;
}

ProcessGroup::ProcessGroup(Notify notify) : notify_(std::move(notify)) {
  thread_ = std::thread([this] { loop(); });
  std::unique_lock lock(mu_);
  started_cv_.wait(lock, [this] { return started_; });
  if (!init_error_.empty()) {
    lock.unlock();
    thread_.join();
    throw DistError("DISTRIBUTED_ERROR", init_error_);
  }
}

ProcessGroup::~ProcessGroup() { finalize(); }

std::shared_ptr<Work> ProcessGroup::submit(const Op& op) {
  const char* name = kind_name(op.kind);
  if (op.count < 0 || op.count > INT_MAX)
    throw DistError("INVALID_ARGUMENT",
                    std::string(name) + ": at most 2147483647 elements per rank, got " + std::to_string(op.count));
  if (op.kind == Kind::ReduceScatter || op.kind == Kind::AllGather || op.kind == Kind::Gather ||
      op.kind == Kind::Scatter) {
    if (op.count * int64_t(size_) > INT_MAX)
      throw DistError("INVALID_ARGUMENT", std::string(name) + ": at most 2147483647 elements in all, got " +
                                              std::to_string(op.count * size_));
  }
  const bool rooted = op.kind == Kind::Broadcast || op.kind == Kind::Gather || op.kind == Kind::Scatter ||
                      op.kind == Kind::Send || op.kind == Kind::Recv;
  if (rooted && (op.peer < 0 || op.peer >= size_))
    throw DistError("INVALID_ARGUMENT", std::string(name) + ": rank " + std::to_string(op.peer) +
                                            " is outside the group of " + std::to_string(size_));
  if ((op.kind == Kind::Send || op.kind == Kind::Recv) && op.peer == rank_)
    throw DistError("INVALID_ARGUMENT",
                    std::string(name) + ": a rank cannot " + name + " to itself (rank " + std::to_string(rank_) + ")");
  if (op.reduce == Reduce::Avg && op.dtype != DType::Float32 && op.dtype != DType::Float64 &&
      op.dtype != DType::Float16 && op.dtype != DType::BFloat16)
    throw DistError("DTYPE_MISMATCH", std::string(name) + ": op 'avg' needs a floating dtype");
  if (op.device >= 0 && !nccl_compiled()) nccl_version();  // throws: no NCCL in this build
  if (op.device >= 0 && op.kind == Kind::Barrier)
    throw DistError("INTERNAL", "barrier: runs on MPI, never on a device");
  auto w = std::make_shared<Work>();
  w->op = op;
  bool run_here = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || finalized_)
      throw DistError("DISTRIBUTED_ERROR", std::string(name) + ": the process group was destroyed");
    if (op.device >= 0) {
      // One NCCL communicator per process, on the device of its first op (as torch's one device
      // per rank); an op on another device would need another communicator on every rank.
      if (nccl_device_ < 0) nccl_device_ = op.device;
      if (op.device != nccl_device_)
        throw DistError("DEVICE_MISMATCH",
                        std::string(name) + ": this rank communicates on cuda:" + std::to_string(nccl_device_) +
                            " (its first NCCL operation), got a tensor on cuda:" + std::to_string(op.device));
    }
    w->id = next_id_++;
    run_here = op.blocking && op.device < 0 && !is_p2p(op.kind) && serialized_ && idle_ && !inline_ && queue_.empty();
    if (run_here)
      inline_ = true;
    else
      queue_.push_back(w);
  }
  if (run_here)
    run_inline(w);
  else
    cv_.notify_one();
  return w;
}

void ProcessGroup::run_inline(const std::shared_ptr<Work>& w) {
  bool handed_on = false;
  try {
    post_rendezvous(*w);
    auto* reqs = reinterpret_cast<MPI_Request*>(w->request.data());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(kInlineMicros);
    for (;;) {
      int flag = 0;
      const int rc = MPI_Testall(2 * (size_ - 1), reqs, &flag, MPI_STATUSES_IGNORE);
      if (rc != MPI_SUCCESS) throw DistError("DISTRIBUTED_ERROR", mpi_error(kind_name(w->op.kind), rc));
      if (flag) break;
      if (std::chrono::steady_clock::now() > deadline) {
        handed_on = true;
        break;
      }
    }
    if (!handed_on) {
      check_rendezvous(*w);
      run(*w);
      complete(w, "");
    }
  } catch (const DistError& e) {
    complete(w, e.what());
  }
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    inline_ = false;
    if (handed_on) {
      w->posted = true;
      queue_.push_front(w);  // before anything queued meanwhile: collectives keep their order
    }
    // Only for work: a spurious wake-up of the parked thread costs a context switch.
    wake = !queue_.empty() || stopping_;
  }
  if (wake) cv_.notify_one();
}

int64_t ProcessGroup::shared_in_place_calls() const { return shared_ ? shared_->in_place_calls() : 0; }
int64_t ProcessGroup::shared_slot_calls() const { return shared_ ? shared_->slot_calls() : 0; }

void ProcessGroup::post_rendezvous(Work& w) {
  const int peers = size_ - 1;
  w.request.resize(sizeof(MPI_Request) * size_t(std::max(1, 2 * peers)));
  w.signatures.assign(size_t(kMessage * size_), 0);
  int64_t* mine = &w.signatures[size_t(kMessage * rank_)];
  signature(w.op, mine);
  auto* reqs = reinterpret_cast<MPI_Request*>(w.request.data());
  int rc = MPI_SUCCESS;
  for (int p = 0, i = 0; p < size_ && rc == MPI_SUCCESS; ++p) {
    if (p == rank_) continue;
    rc = MPI_Isend(mine, kMessage, MPI_INT64_T, p, 0, rendezvous_->comm, &reqs[i++]);
    if (rc == MPI_SUCCESS)
      rc = MPI_Irecv(&w.signatures[size_t(kMessage * p)], kMessage, MPI_INT64_T, p, 0, rendezvous_->comm, &reqs[i++]);
  }
  if (rc != MPI_SUCCESS) throw DistError("DISTRIBUTED_ERROR", mpi_error(kind_name(w.op.kind), rc));
}

// After the rendezvous: every peer called what this rank did, or an error naming the first that did not.
void ProcessGroup::check_rendezvous(const Work& w) const {
  const int64_t* mine = &w.signatures[size_t(kMessage * rank_)];
  for (int p = 0; p < size_; ++p) {
    const int64_t* theirs = &w.signatures[size_t(kMessage * p)];
    if (std::equal(mine, mine + kSignature, theirs)) continue;
    throw DistError("DISTRIBUTED_ERROR",
                    std::string(kind_name(w.op.kind)) + ": rank " + std::to_string(p) + " called " + describe(theirs) +
                        " where rank " + std::to_string(rank_) + " called " + describe(mine) +
                        "; every rank must call the same collectives in the same order, with the same sizes");
  }
}

std::string ProcessGroup::wait(Work& w) {
  std::unique_lock lock(w.mu);
  w.cv.wait(lock, [&] { return w.done; });
  return w.error;
}

bool ProcessGroup::wait_for(Work& w, int ms) {
  std::unique_lock lock(w.mu);
  return w.cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return w.done; });
}

size_t ProcessGroup::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size() + active_.size() + device_active_.size();
}

void ProcessGroup::finalize(bool abort, int code) {
  {
    std::lock_guard lock(mu_);
    if (finalized_) return;
    finalized_ = true;
    stopping_ = true;
    abort_ = abort;
    abort_code_ = code;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ProcessGroup::complete(const std::shared_ptr<Work>& w, std::string error) {
  {
    std::lock_guard lock(w->mu);
    w->done = true;
    w->error = std::move(error);
  }
  w->cv.notify_all();
  // A blocking work's caller waits for it there; only the others are reported to the event loop.
  if (notify_ && !w->op.blocking) notify_(w->id);
}

void ProcessGroup::start_on_device(const std::shared_ptr<Work>& w) {
  if (!nccl_)
    nccl_ = std::make_unique<NcclComm>(w->op.device, rank_, size_, [](void* bytes, int n) {
      const int rc = MPI_Bcast(bytes, n, MPI_BYTE, 0, MPI_COMM_WORLD);
      if (rc != MPI_SUCCESS)
        throw DistError("DISTRIBUTED_ERROR", mpi_error("ncclCommInitRank (the id's broadcast)", rc));
    });
  w->event = nccl_->enqueue(w->op);
  std::lock_guard lock(mu_);
  device_active_.push_back(w);
}

// Runs a collective as a blocking MPI call, or starts a send or receive.
void ProcessGroup::run(Work& w) {
  const Op& o = w.op;
  const MPI_Datatype t = mpi_type(o.dtype);
  const int n = int(o.count);
  const MPI_Comm c = MPI_COMM_WORLD;
  auto* req = reinterpret_cast<MPI_Request*>(w.request.data());
  int rc = MPI_SUCCESS;
  switch (o.kind) {
    case Kind::AllReduce:
      if (shared_->worth(o.count * int64_t(item_size(o.dtype)))) {
        std::vector<SharedReducer::Place> places;  // every rank's buffer, when all are shareable
        for (int p = 0; p < size_ && !w.signatures.empty(); ++p) {
          const int64_t* m = &w.signatures[size_t(kMessage * p + kSignature)];
          if (m[0] < 0) break;
          places.push_back({int(m[0]), uint64_t(m[1]), m[2]});
        }
        const std::string error = int(places.size()) == size_
                                      ? shared_->all_reduce_in_place(o.recv, places, o.count, o.dtype, o.reduce)
                                      : shared_->all_reduce(o.recv, o.count, o.dtype, o.reduce);  // Avg divided
        if (!error.empty()) throw DistError("DISTRIBUTED_ERROR", error);
        return;
      }
      rc = MPI_Allreduce(MPI_IN_PLACE, o.recv, n, t, mpi_op(o.dtype, o.reduce), c);
      break;
    case Kind::Broadcast: rc = MPI_Bcast(o.recv, n, t, o.peer, c); break;
    case Kind::AllGather: rc = MPI_Allgather(o.send, n, t, o.recv, n, t, c); break;
    case Kind::ReduceScatter: rc = MPI_Reduce_scatter_block(o.send, o.recv, n, t, mpi_op(o.dtype, o.reduce), c); break;
    case Kind::Gather: rc = MPI_Gather(o.send, n, t, o.recv, n, t, o.peer, c); break;
    case Kind::Scatter: rc = MPI_Scatter(o.send, n, t, o.recv, n, t, o.peer, c); break;
    case Kind::Barrier: rc = MPI_Barrier(c); break;
    case Kind::Send: rc = MPI_Isend(o.send, n, t, o.peer, o.tag, c, req); break;
    case Kind::Recv: rc = MPI_Irecv(o.recv, n, t, o.peer, o.tag, c, req); break;
  }
  if (rc != MPI_SUCCESS) throw DistError("DISTRIBUTED_ERROR", mpi_error(kind_name(o.kind), rc));
  if (o.reduce == Reduce::Avg && (o.kind == Kind::AllReduce || o.kind == Kind::ReduceScatter))
    divide_by(o.recv, n, o.dtype, size_);
}

void ProcessGroup::loop() {
  // Linux lets a sleeping thread oversleep by its timer slack (50 us by default); the polls below
  // sleep 20 us at a time, and each oversleep would delay a collective.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  {
    int provided = 0;
    int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    serialized_ = provided >= MPI_THREAD_SERIALIZED;
    std::lock_guard lock(mu_);
    if (rc != MPI_SUCCESS) {
      init_error_ = "initProcessGroup: MPI_Init_thread failed (code " + std::to_string(rc) + ")";
    } else {
      // Errors come back as codes (turned into TensorErrors), never as MPI's default abort.
      MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
      MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
      MPI_Comm_size(MPI_COMM_WORLD, &size_);
      char lib[MPI_MAX_LIBRARY_VERSION_STRING];
      int len = 0;
      MPI_Get_library_version(lib, &len);
      library_.assign(lib, size_t(len));
      while (!library_.empty() && (library_.back() == '\n' || library_.back() == '\0')) library_.pop_back();
      create_half_ops();
      shared_ = std::make_unique<SharedReducer>();
      const char* env = std::getenv("TENSORKIT_SHARED_MEMORY");
      shared_->init(!(env && std::strcmp(env, "0") == 0));
      shared_usable_ = shared_->usable();
    }
    started_ = true;
  }
  started_cv_.notify_all();
  if (!init_error_.empty()) return;

  // Every host collective starts with a rendezvous: a message to and from every other rank on a
  // communicator of its own, carrying what the rank called (signature(); far cheaper than
  // MPI_Ibarrier's schedule; the order of messages between two ranks is MPI's, so one tag serves
  // every rendezvous). `head`, an async collective, polls its rendezvous, so that a late peer
  // never blocks this thread; a blocking one waits for it. Both forms exchange the same messages, so a rank may call a
  // collective with `async` while its peers call it without. Collectives start strictly one after another, so every
  // rank calls them in the same order.
  rendezvous_ = std::make_unique<Rendezvous>();
  MPI_Comm_dup(MPI_COMM_WORLD, &rendezvous_->comm);
  const int peers = size_ - 1;
  std::shared_ptr<Work> head;
  for (;;) {
    std::shared_ptr<Work> w;
    {
      std::unique_lock lock(mu_);
      const bool busy = head || !active_.empty() || !device_active_.empty();
      const auto can_take = [&] { return !queue_.empty() && (!head || host_p2p(*queue_.front())); };
      if (!busy) {
        // parked: a blocking collective may run on the caller's thread meanwhile (run_inline)
        idle_ = true;
        cv_.wait(lock, [&] { return !inline_ && (stopping_ || !queue_.empty()); });
        idle_ = false;
      } else if (!can_take()) {
        // Works in flight wait for their peers: poll them often, but sleep in between, so that a
        // rank waiting for its peers does not spin a core its compute threads need.
        cv_.wait_for(lock, std::chrono::microseconds(kPollMicros), [&] { return stopping_ || can_take(); });
      }
      if (can_take()) {
        w = std::move(queue_.front());
        queue_.pop_front();
      } else if (stopping_ && (abort_ || (!head && active_.empty() && device_active_.empty()))) {
        break;
      }
    }
    if (w) {
      try {
        const Kind k = w->op.kind;
        if (w->posted) {
          head = w;  // handed on by run_inline: its rendezvous is in flight
        } else if (w->op.device >= 0) {
          start_on_device(w);  // NCCL orders its ops on the stream: no rendezvous needed
        } else if (is_p2p(k)) {
          w->request.resize(sizeof(MPI_Request));
          run(*w);
          std::lock_guard lock(mu_);
          active_.push_back(w);
        } else if (w->op.blocking) {
          // the caller is waiting: wait for the peers here, then MPI's blocking call is the fastest
          post_rendezvous(*w);
          const int rc = MPI_Waitall(2 * peers, reinterpret_cast<MPI_Request*>(w->request.data()), MPI_STATUSES_IGNORE);
          if (rc != MPI_SUCCESS) throw DistError("DISTRIBUTED_ERROR", mpi_error(kind_name(k), rc));
          check_rendezvous(*w);
          run(*w);
          complete(w, "");
        } else {
          post_rendezvous(*w);
          head = w;
        }
      } catch (const DistError& e) {
        complete(w, e.what());
      }
    }
    if (head) {  // every rank has reached it: run it as a blocking call, all present
      int flag = 0;
      int rc = MPI_Testall(2 * peers, reinterpret_cast<MPI_Request*>(head->request.data()), &flag, MPI_STATUSES_IGNORE);
      if (rc != MPI_SUCCESS || flag) {
        std::shared_ptr<Work> h = std::move(head);
        head.reset();
        try {
          if (rc != MPI_SUCCESS) throw DistError("DISTRIBUTED_ERROR", mpi_error(kind_name(h->op.kind), rc));
          check_rendezvous(*h);
          run(*h);
          complete(h, "");
        } catch (const DistError& e) {
          complete(h, e.what());
        }
      }
    }
    std::vector<std::shared_ptr<Work>> finished;
    {
      std::lock_guard lock(mu_);
      for (size_t i = 0; i < active_.size();) {
        int flag = 0;
        auto* req = reinterpret_cast<MPI_Request*>(active_[i]->request.data());
        int rc = MPI_Test(req, &flag, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS || flag) {
          if (rc != MPI_SUCCESS) active_[i]->error = mpi_error(kind_name(active_[i]->op.kind), rc);
          finished.push_back(std::move(active_[i]));
          active_.erase(active_.begin() + long(i));
        } else {
          ++i;
        }
      }
    }
    // Device ops complete in queue order (one stream): poll from the front.
    while (true) {
      std::shared_ptr<Work> d;
      {
        std::lock_guard lock(mu_);
        if (device_active_.empty()) break;
        d = device_active_.front();
      }
      std::string error;
      try {
        if (!nccl_->finished(d->event)) break;
      } catch (const DistError& e) {
        error = e.what();
      }
      d->event = nullptr;
      {
        std::lock_guard lock(mu_);
        device_active_.erase(device_active_.begin());
      }
      finished.push_back(d);
      d->error = std::move(error);
    }
    for (auto& f : finished) complete(f, f->error);
  }
  if (head) {
    std::lock_guard lock(mu_);
    queue_.push_front(head);
  }
  if (!abort_) {
    MPI_Comm_free(&rendezvous_->comm);
    shared_->free();
  }
  // Whatever is left fails: its peers will never run it.
  std::deque<std::shared_ptr<Work>> left;
  {
    std::lock_guard lock(mu_);
    left.swap(queue_);
    for (auto& a : active_) left.push_back(a);
    active_.clear();
    for (auto& d : device_active_) {
      NcclComm::release(d->event);
      d->event = nullptr;
      left.push_back(d);
    }
    device_active_.clear();
  }
  if (nccl_) {
    if (abort_) nccl_->abort_on_destroy();
    nccl_.reset();  // before MPI goes: NCCL may still talk to its peers while it is destroyed
  }
  for (auto& l : left) complete(l, std::string(kind_name(l->op.kind)) + ": the process group was destroyed");
  if (abort_) {
    MPI_Abort(MPI_COMM_WORLD, abort_code_);
  } else {
    MPI_Finalize();
  }
}

}  // namespace tk::dist
