// All-reduce through memory the ranks share, for a group whose ranks all run on one host.
//
// Open MPI's all-reduce between processes on one host moves every byte through its shared-memory
// message queues: the sender copies into a queue, the receiver copies out and then reduces, so
// an all-reduce of n bytes costs each rank several passes over n. Here MPI allocates a window of
// memory every rank maps (MPI_Win_allocate_shared; Open MPI's osc/sm) and synchronises it
// (MPI_Barrier on the host's communicator, with MPI_Win_sync fences); the ranks then reduce
// straight out of each other's slots:
//   per chunk: each rank copies its chunk into its own slot; barrier; rank r reduces the r-th
//   segment of the chunk across every slot (ranks in order 0, 1, ..., so every rank's result is
//   bitwise the same) and writes it into its own slot; barrier; each rank copies every segment
//   out of its reducer's slot.
// (Reducing a rank's own segment straight out of its buffer, and copying only the peers' segments
// in and out, moves a third fewer bytes, and took 25 MiB in 1.7-1.9 ms against 2.2 ms this way on
// some runs of one VM, yet 4.2 ms against 2.9 on others: the kernel's reads of the caller's memory,
// mixed with the peers' slots, slowed threefold there, where memcpy's did not. Kept as it is.)
// Two sets of slots alternate between chunks (and across calls), so a rank's copy into the next
// chunk's slot never overwrites a segment a slower peer is still copying out of the last one: that
// peer reaches the next chunk's first barrier only after its copies. Two barriers per chunk.
//
// A buffer in memory every rank can map (an all-reduce of a tensor made by tk::Storage::shareable,
// as DistributedDataParallel's buckets are, on every rank) needs no slots: each rank maps its peers'
// memfds (/proc/<pid>/fd/<fd>, once, then cached), reduces its segment straight out of every rank's
// buffer and writes the result into every rank's buffer; one barrier ends the call (the rendezvous
// before it is the start). Nothing is copied: the least an all-reduce on one host can do.
//
// Contracts:
// - Every call is collective over the group and runs on the communication thread, with every rank
//   present (after the process group's rendezvous); the buffer is contiguous host memory.
// - Avg's division is part of the reduction (no second pass): by multiplying with 1/size when the
//   size is a power of two (then exact, as a division), by dividing otherwise. 16-bit floats reduce
//   in float32 and round once. Max and min let NaN win, as torch's.
// - usable() is the same on every rank: the ranks agree on it when the window is made.
// - No Node header.
#pragma once
#include <mpi.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "process_group.h"

namespace tk::dist {

class SharedReducer {
 public:
  // Collective over MPI_COMM_WORLD (after MPI_Init): makes the window when every rank runs on one
  // host and the group has more than one rank, unless `enabled` is false. Never throws: where the
  // window cannot be made, usable() is false and all-reduces go through MPI_Allreduce.
  void init(bool enabled);
  // Collective: frees the window (before MPI_Finalize).
  void free();
  bool usable() const { return usable_; }
  // Whether an all-reduce of this many bytes goes through the window (tiny ones: MPI's own, which
  // needs one exchange where this needs two barriers and the copies).
  bool worth(int64_t bytes) const { return usable_ && bytes >= kMinBytes; }
  // The all-reduce of `count` elements at `buf`, in place, on every rank. Returns an error message
  // ("" on success).
  std::string all_reduce(void* buf, int64_t count, DType dtype, Reduce op);

  // Where a rank's buffer lies in shareable memory: its memfd (a number in that rank's process),
  // the memfd's inode, and the buffer's byte offset in it.
  struct Place {
    int fd = -1;
    uint64_t inode = 0;
    int64_t offset = 0;
  };
  // The all-reduce of `count` elements at `buf` (this rank's), every rank's buffer at places[r]:
  // in place, through the ranks' mappings of each other's memory. The ranks agree (one small
  // MPI_Allreduce) that each could map every peer's buffer; where one could not, the call falls
  // back to all_reduce(). Returns an error message ("" on success).
  std::string all_reduce_in_place(void* buf, const std::vector<Place>& places, int64_t count, DType dtype, Reduce op);

  // How many all-reduces went in place (all_reduce_in_place, every rank's buffer mapped) and how
  // many through the slots (all_reduce), for tests; read from any thread.
  int64_t in_place_calls() const { return in_place_calls_.load(std::memory_order_relaxed); }
  int64_t slot_calls() const { return slot_calls_.load(std::memory_order_relaxed); }

  static constexpr int64_t kMinBytes = 4096;
  // One slot's bytes: a chunk of the reduction. Small enough that a rank's slot, its peers' and
  // its own buffer's chunk stay in the core's cache between the copy in and the reduction.
  static constexpr int64_t kSlotBytes = 256 * 1024;

 private:
  bool sync();  // fence, barrier, fence: every rank's writes before it are visible after it

  bool usable_ = false;
  int rank_ = 0;
  int size_ = 1;
  MPI_Comm comm_ = MPI_COMM_NULL;  // the host's ranks (all of them, when usable)
  MPI_Win win_ = MPI_WIN_NULL;
  // slots_[set * size_ + r]: rank r's slot of set `set` (two sets), each kSlotBytes
  std::vector<char*> slots_;
  int set_ = 0;  // the set the next chunk uses

  // The base of rank r's memfd `fd` (inode `inode`) mapped here, at least `bytes` long; nullptr
  // where it cannot be mapped. Mappings are kept (the peer's buckets live as long as its model);
  // whenever r shows a buffer not mapped yet (a new model's buckets), the mappings of memfds r has
  // closed since go (drop_closed), so that at most those r freed after its last new buffer stay.
  char* peer_base(int r, const Place& p, int64_t bytes);
  // Unmaps this rank's mappings of rank r's memfds that r no longer holds open under the same
  // number (/proc/<pid>/fd/<fd> gone, or another file's).
  void drop_closed(int r);
  std::string fd_path(int r, int fd) const;  // /proc/<pid of r>/fd/<fd>
  struct Mapping {
    int rank = 0;
    int fd = -1;
    uint64_t inode = 0;
    char* base = nullptr;
    size_t bytes = 0;
  };
  std::vector<Mapping> maps_;
  std::atomic<int64_t> in_place_calls_{0}, slot_calls_{0};
  std::vector<int> pids_;  // every rank's process id
};

}  // namespace tk::dist
