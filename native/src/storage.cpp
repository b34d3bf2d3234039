// Storage and the CPU caching allocator.
//
// Why a cache: a fresh malloc per op result costs page faults on every large output (measured by
// the core issue: ~24 GB/s with fresh outputs vs ~105 GB/s into a reused buffer). Freed blocks are
// kept in size classes (four per power of two) and handed to the next request of that class.
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <mutex>
#include <array>
#include <vector>

#include "cuda/cuda_api.h"
#include "tk/error.h"
#include "tk/storage.h"

namespace tk {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kMaxRequest = size_t(1) << 46;        // 64 TiB: beyond any machine we run on
                                                       // (and within class_index's range)
constexpr size_t kCacheLimit = size_t(2) << 30;        // keep at most 2 GiB of freed blocks

std::atomic<int64_t> g_live_bytes{0}, g_live_storages{0}, g_peak_bytes{0};

// Size classes: multiples of 64 up to 256 bytes, then four classes per power of two (at most
// 25% slack). class_index() numbers them densely so the bins are a plain array.
size_t size_class(size_t n) {
  if (n <= 256) return n <= kAlign ? kAlign : (n + kAlign - 1) / kAlign * kAlign;
  int k = std::bit_width(n - 1);           // 2^(k-1) < n <= 2^k
  size_t step = size_t(1) << (k - 3);      // classes 5/8, 6/8, 7/8 and 8/8 of 2^k
  return (n + step - 1) / step * step;
}
int class_index(size_t cls) {
  if (cls <= 256) return int(cls / kAlign) - 1;  // 0..3
  int k = std::bit_width(cls - 1);
  size_t j = cls >> (k - 3);                      // 5..8
  return 4 + (k - 9) * 4 + int(j - 5);
}
constexpr int kNumBins = 4 + 4 * 40;  // classes up to 2^48 bytes

class CpuCache {
 public:
  void* alloc(size_t cls) {
    {
      std::lock_guard<std::mutex> g(mu_);
      auto& bin = bins_[class_index(cls)];
      if (!bin.empty()) {
        void* p = bin.back();
        bin.pop_back();
        cached_ -= cls;
        return p;
      }
    }
    void* p = std::aligned_alloc(kAlign, cls);
    if (!p) {
      release_all();
      p = std::aligned_alloc(kAlign, cls);
    }
    return p;
  }
  void free(void* p, size_t cls) {
    {
      std::lock_guard<std::mutex> g(mu_);
      if (cached_ + cls <= kCacheLimit) {
        bins_[class_index(cls)].push_back(p);
        cached_ += cls;
        return;
      }
    }
    std::free(p);
  }
  void release_all() {
    std::lock_guard<std::mutex> g(mu_);
    for (auto& bin : bins_) {
      for (void* p : bin) std::free(p);
      bin.clear();
    }
    cached_ = 0;
  }
  int64_t cached() {
    std::lock_guard<std::mutex> g(mu_);
    return int64_t(cached_);
  }

 private:
  std::mutex mu_;
  std::array<std::vector<void*>, kNumBins> bins_;
  size_t cached_ = 0;
};

// Leaked on purpose: storages may be freed by finalizers during process teardown, after static
// destructors would have run.
CpuCache& cpu_cache() {
  static CpuCache* c = new CpuCache();
  return *c;
}

}  // namespace

Storage::Storage(size_t nbytes, Device device, const char* op) : nbytes_(nbytes), device_(device) {
  TK_CHECK(nbytes <= kMaxRequest, OUT_OF_MEMORY, op, ": cannot allocate ", nbytes, " bytes on ",
           device_name(device));
  block_ = size_class(nbytes);
  if (device.is_cpu()) {
    data_ = cpu_cache().alloc(block_);
    TK_CHECK(data_ != nullptr, OUT_OF_MEMORY, op, ": out of memory allocating ", nbytes,
             " bytes on cpu");
  } else {
    data_ = cuda::alloc(block_, device.index);
  }
  int64_t live = g_live_bytes.fetch_add(int64_t(nbytes)) + int64_t(nbytes);
  g_live_storages.fetch_add(1);
  int64_t peak = g_peak_bytes.load();
  while (live > peak && !g_peak_bytes.compare_exchange_weak(peak, live)) {
  }
}

Storage::~Storage() {
  if (device_.is_cpu()) {
    cpu_cache().free(data_, block_);
  } else {
    try {
      cuda::free(data_, block_, device_.index);
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
  s.cached_bytes = cpu_cache().cached();
  try {
    s.cached_bytes += cuda::cached_bytes();
  } catch (...) {
  }
  return s;
}

void empty_cache() {
  cpu_cache().release_all();
  try {
    cuda::empty_cache();
  } catch (...) {
  }
}

}  // namespace tk
