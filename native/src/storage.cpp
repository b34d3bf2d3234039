// Storage, and the CPU instance of the caching allocator (caching_allocator.h).
//
// Why a cache on the CPU: a fresh malloc per op result costs page faults on every large output
// (measured by the core issue: ~24 GB/s with fresh outputs vs ~105 GB/s into a reused buffer).
#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(__linux__)
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include "caching_allocator.h"
#include "cuda/cuda_api.h"
#include "tk/error.h"
#include "tk/storage.h"

namespace tk {
namespace {

constexpr size_t kMaxRequest = size_t(1) << 46;  // 64 TiB: beyond any machine we run on
                                                 // (and within the size classes' range)
constexpr int64_t kCpuCacheLimit = int64_t(2) << 30;  // keep at most 2 GiB of freed blocks

std::atomic<int64_t> g_live_bytes{0}, g_live_storages{0}, g_peak_bytes{0};

void* cpu_raw_alloc(size_t n, int) { return std::aligned_alloc(64, n); }
void cpu_raw_free(void* p, size_t, int) { std::free(p); }

// Leaked on purpose: storages may be freed by finalizers during process teardown, after static
// destructors would have run.
CachingAllocator& cpu_allocator() {
  static CachingAllocator* a = new CachingAllocator({cpu_raw_alloc, cpu_raw_free}, "cpu", kCpuCacheLimit);
  return *a;
}

}  // namespace

Storage::Storage(size_t nbytes, Device device, const char* op) : nbytes_(nbytes), device_(device) {
  TK_CHECK(nbytes <= kMaxRequest, OUT_OF_MEMORY, op, ": cannot allocate ", nbytes, " bytes on ", device_name(device));
  data_ = device.is_cpu() ? cpu_allocator().alloc(nbytes, 0, op) : cuda::alloc(nbytes, device.index, op);
  count_live();
}

void Storage::count_live() {
  int64_t live = g_live_bytes.fetch_add(int64_t(nbytes_)) + int64_t(nbytes_);
  g_live_storages.fetch_add(1);
  int64_t peak = g_peak_bytes.load();
  while (live > peak && !g_peak_bytes.compare_exchange_weak(peak, live)) {
  }
}

StoragePtr Storage::shareable(size_t nbytes, const char* op) {
  StoragePtr s(new Storage(nbytes, SharedTag{}, op));
  if (s->shm_fd_ < 0) std::memset(s->data(), 0, nbytes);  // the fallback: zero-filled as a memfd is
  return s;
}

Storage::Storage(size_t nbytes, SharedTag, const char* op) : nbytes_(nbytes), device_(Device{}) {
  TK_CHECK(nbytes <= kMaxRequest, OUT_OF_MEMORY, op, ": cannot allocate ", nbytes, " bytes on cpu");
#if defined(__linux__) && defined(MFD_CLOEXEC)
  // (mmap of 0 bytes fails: an empty storage stays ordinary)
  const int fd = nbytes ? memfd_create("tensorkit-shared", MFD_CLOEXEC) : -1;
  struct stat st {};
  if (fd >= 0 && ftruncate(fd, off_t(nbytes)) == 0 && fstat(fd, &st) == 0) {
    void* p = mmap(nullptr, nbytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) {
      data_ = p;
      shm_fd_ = fd;
      shm_inode_ = uint64_t(st.st_ino);
    }
  }
  if (fd >= 0 && shm_fd_ < 0) close(fd);
#endif
  if (shm_fd_ < 0) data_ = cpu_allocator().alloc(nbytes, 0, op);
  count_live();
}

void Storage::keep_derived() {
  if (derived()) return;
  auto* d = new Derived();
  Derived* expected = nullptr;
  if (!derived_.compare_exchange_strong(expected, d, std::memory_order_acq_rel)) delete d;  // another thread won
}

Storage::~Storage() {
  delete derived_.load(std::memory_order_acquire);
  if (shm_fd_ >= 0) {
#if defined(__linux__)
    munmap(data_, nbytes_);
    close(shm_fd_);
#endif
  } else if (device_.is_cpu()) {
    cpu_allocator().free(data_, nbytes_, 0);
  } else {
    try {
      cuda::free(data_, nbytes_, device_.index);
    } catch (...) {  // a destructor must not throw; a failed device free only leaks
    }
  }
  g_live_bytes.fetch_sub(int64_t(nbytes_));
  g_live_storages.fetch_sub(1);
}

MemoryStats memory_stats() {
  MemoryStats s;
  s.live_bytes = g_live_bytes.load();
  s.live_storages = g_live_storages.load();
  s.peak_bytes = g_peak_bytes.load();
  s.cached_bytes = cpu_allocator().stats(0).cached_bytes;
  try {
    s.cached_bytes += cuda::cached_bytes();
  } catch (...) {
  }
  return s;
}

void empty_cache() {
  cpu_allocator().empty_cache();
  try {
    cuda::empty_cache();
  } catch (...) {
  }
}

}  // namespace tk
