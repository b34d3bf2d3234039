// A process group over MPI: MPI calls run on one communication thread owned by this class, so the
// caller's thread (Node's event loop) never blocks in MPI unless it asks to wait.
//
// Contracts:
// - Collectives run one after another in the order they were submitted (MPI requires every rank to
//   call them in the same order), as blocking MPI calls (Op::blocking says when). Sends and
//   receives start as MPI_Isend/MPI_Irecv and complete as their peers arrive, so a rank may queue a
//   send and then a recv without deadlocking against a peer doing the same.
// - The buffers of a work must stay valid and untouched until it completes: the caller keeps the
//   tensors alive (the TS side holds its own reference until completion).
// - Nothing here throws out of the communication thread: an MPI failure completes the work with
//   an error message, which the caller raises. So does a collective whose ranks disagree on what
//   they called (kind, dtype, op, root, size): every rank learns it at the rendezvous, none runs it.
// - A blocking collective of host memory submitted while the communication thread is idle (nothing
//   queued or in flight) runs on the caller's thread instead, which would only wait for it: handing
//   it over costs two thread wake-ups (a 9 KB all-reduce after a millisecond of compute took 48 us
//   that way in one process and 11-34 us on 2 ranks, 3.4 and 6 us inline), several times the
//   all-reduce itself. The caller polls the rendezvous for at most kInlineMicros; a peer
//   later than that, and the work goes to the communication thread after all (the caller then
//   waits as for any other work). MPI runs MPI_THREAD_SERIALIZED: the two threads never call it at
//   once (the communication thread stays parked while the caller's runs).
// - When every rank runs on one host, all-reduces of host memory go through a shared window
//   (shared_reduce.h) rather than MPI_Allreduce; when every rank's buffer is itself in memory the
//   ranks can map (Op::shm_fd, told to the peers in the rendezvous), in place in those buffers.
// - An op on CUDA memory (Op::device >= 0, backend 'nccl') goes to NCCL (nccl.h): queued on the
//   communicator's stream in submission order, completed when its event fires. The communicator is
//   made on the first such op (its unique id travels by MPI broadcast); one device per process.
// - No Node header: bindings/distributed.cpp marshals.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace tk::dist {

class NcclComm;
class SharedReducer;

// Raised by the calling-thread entry points (init, submit); the binding turns it into a
// TensorError with this code ("INVALID_ARGUMENT", "DISTRIBUTED_ERROR", ...).
class DistError : public std::runtime_error {
 public:
  DistError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

enum class DType { Float32, Float64, Int32, Int64, Bool, Float16, BFloat16 };
// Avg: MPI's sum, then each element divided by the world size on the communication thread (floating
// dtypes only), so the caller needs no pass of its own over the result.
enum class Reduce { Sum, Max, Min, Product, Avg };
enum class Kind { AllReduce, Broadcast, AllGather, ReduceScatter, Gather, Scatter, Send, Recv, Barrier };

DType parse_dtype(const std::string& name);
Reduce parse_reduce(const std::string& name);
Kind parse_kind(const std::string& name);
size_t item_size(DType d);

// One operation. `count` is elements per rank: the size of `send` for all of them (of `recv` for
// recv and broadcast, which have only one buffer, passed as `recv`); allGather's and gather's `recv`
// hold count * size elements, reduceScatter's `send` and scatter's `send` hold count * size.
struct Op {
  Kind kind = Kind::Barrier;
  const void* send = nullptr;
  void* recv = nullptr;
  int64_t count = 0;
  DType dtype = DType::Float32;
  Reduce reduce = Reduce::Sum;
  int peer = 0;  // root (broadcast, gather, scatter), destination (send) or source (recv)
  int tag = 0;
  // The caller waits for it at once: run it as a blocking MPI call straight away. Otherwise the
  // thread first waits for the peers at a nonblocking barrier, polled with sleeps in between (MPI's
  // blocking calls busy-poll, and a rank waiting for a late peer would spin a core its compute
  // threads need), then runs the blocking call with every rank present.
  bool blocking = false;
  // -1: host memory, through MPI. Otherwise the CUDA device the buffers are on, through NCCL.
  int device = -1;
  // An all-reduce's buffer in memory other processes can map (tk::Storage::shareable): the memfd,
  // its inode and the buffer's byte offset in it; shm_fd -1 for other memory. When every rank's
  // buffer is such memory on one host, the ranks reduce straight in each other's buffers.
  int shm_fd = -1;
  uint64_t shm_inode = 0;
  int64_t shm_offset = 0;
};

struct Work {
  uint64_t id = 0;
  Op op;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::string error;  // empty on success
  // An Isend/Irecv in flight (MPI_Request, stored opaquely so this header needs no mpi.h).
  std::vector<char> request;
  // A collective's rendezvous: what each rank called, and where its buffer is shared (kMessage
  // values per rank, in rank order).
  std::vector<int64_t> signatures;
  // A device op's CUDA event (NcclComm::enqueue), polled until it fires.
  void* event = nullptr;
  // The caller's thread posted its rendezvous and handed it on (a late peer): the communication
  // thread polls that rendezvous rather than posting another.
  bool posted = false;
};

struct Rendezvous;  // the rendezvous communicator (process_group.cpp)

class ProcessGroup {
 public:
  // Called on the communication thread after a work completes (success or error).
  using Notify = std::function<void(uint64_t id)>;

  // Starts the communication thread and MPI (MPI_Init_thread, SERIALIZED: that thread, or the
  // caller's while that one is parked). Throws DistError when MPI fails to start. One group per process.
  explicit ProcessGroup(Notify notify);
  ~ProcessGroup();  // finalize()
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // The MPI library's version string (MPI_Get_library_version).
  const std::string& library() const { return library_; }
  // Whether host all-reduces go through memory the ranks share (every rank on one host, and
  // TENSORKIT_SHARED_MEMORY is not 0), rather than MPI_Allreduce.
  bool shared_memory() const { return shared_usable_; }
  // All-reduces through the shared memory so far: in place in the ranks' buffers, and through the
  // slots (SharedReducer's counters).
  int64_t shared_in_place_calls() const;
  int64_t shared_slot_calls() const;

  // Checks the op's peer and count, then queues it; returns its work.
  std::shared_ptr<Work> submit(const Op& op);
  // Blocks the calling thread until the work completes; returns its error ("" on success).
  static std::string wait(Work& w);
  // Waits at most `ms` milliseconds; whether the work has completed.
  static bool wait_for(Work& w, int ms);
  // Stops the thread after the queued works and calls MPI_Finalize. Idempotent. With `abort`, it
  // calls MPI_Abort instead (a rank that failed must not wait in MPI_Finalize for its peers).
  void finalize(bool abort = false, int code = 1);
  // Works queued or in flight.
  size_t pending() const;

 private:
  void loop();
  void run(Work& w);  // a blocking collective, or starts a send or recv (communication thread)
  void complete(const std::shared_ptr<Work>& w, std::string error);
  // A blocking host collective on the caller's thread (submit() set inline_): completes it, or,
  // when a peer is late, hands it to the communication thread with its rendezvous posted.
  void run_inline(const std::shared_ptr<Work>& w);
  // Posts a collective's rendezvous; checks it once every peer's message is in (throws DistError).
  void post_rendezvous(Work& w);
  void check_rendezvous(const Work& w) const;
  // Queues a device op on NCCL, making the communicator first (communication thread).
  void start_on_device(const std::shared_ptr<Work>& w);

  Notify notify_;
  int rank_ = 0;
  int size_ = 1;
  std::string library_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Work>> queue_;
  std::vector<std::shared_ptr<Work>> active_;  // sends and receives in flight
  std::vector<std::shared_ptr<Work>> device_active_;  // device ops queued on NCCL, in order
  std::unique_ptr<NcclComm> nccl_;  // communication thread only
  // Host all-reduces when every rank is on this host (shared_reduce.h); communication thread only.
  std::unique_ptr<SharedReducer> shared_;
  bool shared_usable_ = false;  // shared_->usable(), set before the constructor returns
  int nccl_device_ = -1;  // the device of the first device op (mu_)
  std::unique_ptr<Rendezvous> rendezvous_;  // made on the communication thread at start
  bool serialized_ = false;  // MPI provides MPI_THREAD_SERIALIZED: collectives may run inline
  bool idle_ = false;  // (mu_) the communication thread waits for work, with nothing in flight
  bool inline_ = false;  // (mu_) the caller's thread is in MPI (run_inline); the other one waits
  uint64_t next_id_ = 1;
  bool stopping_ = false;
  bool abort_ = false;
  int abort_code_ = 1;
  bool finalized_ = false;
  std::string init_error_;
  bool started_ = false;
  std::condition_variable started_cv_;
  std::thread thread_;
};

}  // namespace tk::dist
