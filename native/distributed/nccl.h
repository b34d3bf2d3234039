// The NCCL half of the process group (backend 'nccl'): collectives on CUDA device memory, with MPI
// still carrying host tensors, the barrier and the exchange of NCCL's unique id.
//
// Contracts:
// - libnccl is opened with dlopen on first use, never linked: a CUDA build loads, and its MPI
//   backend runs, where NCCL is not installed. nccl.cpp declares the few entry points of nccl.h's C
//   ABI that it calls; NCCL 2.10 is the oldest accepted (ncclAvg, bfloat16).
// - Built only with CUDA (TK_DIST_NCCL); otherwise every entry point but nccl_compiled() throws
//   NOT_IMPLEMENTED.
// - A communicator's methods run on the process group's communication thread. enqueue() queues an
//   operation on the communicator's own stream and returns an event; finished() polls it. The
//   caller has synchronised tensorkit's stream for the device first, so the inputs are written.
// - Failures throw DistError ("DISTRIBUTED_ERROR", naming the NCCL or CUDA call and its reason).
#pragma once
#include <functional>

namespace tk::dist {

struct Op;

// Whether this build has the NCCL backend (tensorkit built with CUDA).
bool nccl_compiled();
// Loads libnccl (once per process; $TENSORKIT_NCCL_LIBRARY first, then libnccl.so.2) and returns its
// version code (2.18.3 is 21803). Throws a DistError naming the library and how to install it when
// it is missing, lacks an entry point, or is older than 2.10.
int nccl_version();

// One NCCL communicator: this rank on `device`, every rank of the MPI group.
class NcclComm {
 public:
  // Collective: `share_id(bytes, n)` gives every rank rank 0's bytes (an MPI broadcast). Rank 0
  // broadcasts even when it failed to make an id, so that no rank is left waiting for it.
  NcclComm(int device, int rank, int size, const std::function<void(void*, int)>& share_id);
  ~NcclComm();  // ncclCommDestroy, or ncclCommAbort after abort_on_destroy()
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;

  int device() const { return device_; }
  // The process is failing: do not wait for peers when destroyed.
  void abort_on_destroy() { abort_ = true; }
  // Queues `op` (a collective or a send or recv on this device's memory) and returns its event.
  void* enqueue(const Op& op);
  // Whether the work behind `event` has finished (then the event is freed). Throws when it failed,
  // or when NCCL reports an asynchronous error (a peer that died).
  bool finished(void* event);
  // Frees an event whose work will not be waited for.
  static void release(void* event);

 private:
  int device_;
  int rank_;
  int size_;
  void* comm_ = nullptr;
  void* stream_ = nullptr;
  bool abort_ = false;
};

}  // namespace tk::dist
