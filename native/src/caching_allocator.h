// The caching allocator behind every device's storages: freed blocks are kept in size-class bins
// and handed to the next request of the same class, so steady-state training allocates nothing
// from the system (CPU: no page faults on fresh outputs; CUDA: no cudaMalloc/cudaFree, which
// synchronise the device).
//
// Stream-ordered reuse: each device has one stream and every kernel on it runs in issue order.
// A block freed on the host while kernels that read it are still queued can therefore be handed
// to the next allocation at once: that allocation's kernels are queued after them on the same
// stream. (A second stream would need an event per block; there is none.)
//
// Out of memory: when the raw allocator fails, the cached blocks of that device are returned to
// the system and the request is tried once more; a second failure is OUT_OF_MEMORY with the
// allocator's figures in the message.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "tk/device.h"

namespace tk {

// Size classes: multiples of 64 bytes up to 256, then four per power of two (at most 25% slack).
size_t size_class(size_t n);

class CachingAllocator {
 public:
  // raw_alloc returns nullptr on failure (never throws); raw_free never fails.
  struct Raw {
    void* (*alloc)(size_t nbytes, int device);
    void (*free)(void* p, size_t nbytes, int device);
  };
  // `name` is the device kind in messages ("cpu", "cuda"); the cache holds at most
  // `cache_limit` bytes per device (blocks freed beyond it go straight back to the system).
  CachingAllocator(Raw raw, const char* name, int64_t cache_limit);

  // A block of size_class(nbytes) bytes; OUT_OF_MEMORY naming `op` on failure.
  void* alloc(size_t nbytes, int device, const char* op);
  // `nbytes` is the same request size passed to alloc.
  void free(void* p, size_t nbytes, int device);
  // Returns the cached blocks of `device` (every device if -1) to the system.
  void empty_cache(int device = -1);
  AllocatorStats stats(int device) const;
  void reset_peaks(int device);

  static constexpr int kMaxDevices = 16;

 private:
  static constexpr int kNumBins = 4 + 4 * 40;  // classes up to 2^48 bytes
  struct Device {
    std::array<std::vector<void*>, kNumBins> bins;
    AllocatorStats s;
  };
  void release_locked(Device& d, int device);
  Device& dev(int device);  // INVALID_ARGUMENT outside [0, kMaxDevices)
  const Device& dev(int device) const;

  Raw raw_;
  const char* name_;
  int64_t cache_limit_;
  mutable std::mutex mu_;
  std::array<Device, kMaxDevices> devs_;
};

}  // namespace tk
