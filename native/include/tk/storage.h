// Storage: a refcounted block of bytes on one device, from a caching allocator.
#pragma once
#include <cstddef>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "tk/device.h"

namespace tk {

// Byte accounting for memory(): live storage bytes and what the caches hold for reuse.
struct MemoryStats {
  int64_t live_bytes = 0;  // bytes of storages alive now (all devices)
  int64_t live_storages = 0;  // count of storages alive now
  int64_t cached_bytes = 0;  // freed blocks kept for reuse
  int64_t peak_bytes = 0;
};
MemoryStats memory_stats();
// Returns cached blocks of every device to the system.
void empty_cache();

class Storage {
 public:
  // 64-byte aligned; zero bytes is allowed. OUT_OF_MEMORY naming `op` (after emptying the cache
  // once) on failure, never a crash.
  Storage(size_t nbytes, Device device, const char* op = "alloc");
  ~Storage();
  // A CPU storage in memory another process on this host can map (an anonymous memfd, mapped
  // MAP_SHARED, zero-filled), so that a collective can read and write it in place from a peer
  // process (the distributed addon does: /proc/<pid>/fd/<shm_fd()>). Where the system cannot make
  // one, ordinary memory (shm_fd() is then -1). Outside the caching allocator: made and freed
  // whole, for long-lived buffers (DDP's gradient buckets).
  static std::shared_ptr<Storage> shareable(size_t nbytes, const char* op = "alloc");
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  // Bumped by every in-place write to any view of this storage; autograd compares it to detect
  // saved tensors modified after they were saved (PyTorch's rule).
  uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  // shareable(): the memfd backing the bytes and its inode (which tells a reused fd number from
  // the file it named before); -1 and 0 for any other storage.
  int shm_fd() const { return shm_fd_; }
  uint64_t shm_inode() const { return shm_inode_; }

  // Data derived from the contents (a GEMM's packed weight panels), kept while the version it
  // was made at is current. Only storages marked with keep_derived() have one (a jit graph's
  // constants), so an eager training step, whose weights change every step, never pays for it.
  struct Derived {
    std::mutex mu;
    uint64_t version = ~uint64_t(0);
    std::array<int64_t, 8> key{};
    std::shared_ptr<const void> data;
  };
  void keep_derived();
  Derived* derived() const { return derived_.load(std::memory_order_acquire); }

 private:
  std::atomic<Derived*> derived_{nullptr};
  struct SharedTag {};
  Storage(size_t nbytes, SharedTag, const char* op);
  void count_live();

  void* data_ = nullptr;
  size_t nbytes_ = 0;
  int shm_fd_ = -1;
  uint64_t shm_inode_ = 0;
  Device device_;
  std::atomic<uint64_t> version_{0};
};

using StoragePtr = std::shared_ptr<Storage>;

}  // namespace tk
