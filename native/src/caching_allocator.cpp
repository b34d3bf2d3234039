#include "caching_allocator.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "tk/error.h"

namespace tk {
namespace {

constexpr size_t kAlign = 64;

int class_index(size_t cls) {
  if (cls <= 256) return int(cls / kAlign) - 1;  // 0..3
  int k = std::bit_width(cls - 1);
  size_t j = cls >> (k - 3);  // 5..8
  return 4 + (k - 9) * 4 + int(j - 5);
}
// The inverse: the size of the blocks in bin i.
size_t class_bytes(size_t i) {
  if (i < 4) return (i + 1) * kAlign;
  const size_t k = (i - 4) / 4 + 9, j = (i - 4) % 4 + 5;
  return j << (k - 3);
}

}  // namespace

size_t size_class(size_t n) {
  if (n <= 256) return n <= kAlign ? kAlign : (n + kAlign - 1) / kAlign * kAlign;
  int k = std::bit_width(n - 1);  // 2^(k-1) < n <= 2^k
  size_t step = size_t(1) << (k - 3);  // classes 5/8, 6/8, 7/8 and 8/8 of 2^k
  return (n + step - 1) / step * step;
}

CachingAllocator::CachingAllocator(Raw raw, const char* name, int64_t cache_limit)
    : raw_(raw), name_(name), cache_limit_(cache_limit) {}

const CachingAllocator::Device& CachingAllocator::dev(int device) const {
  TK_CHECK(device >= 0 && device < kMaxDevices, INVALID_ARGUMENT, name_, ": device index ", device, " out of range");
  return devs_[size_t(device)];
}
CachingAllocator::Device& CachingAllocator::dev(int device) {
  return const_cast<Device&>(std::as_const(*this).dev(device));
}

void* CachingAllocator::alloc(size_t nbytes, int device, const char* op) {
  const size_t cls = size_class(nbytes);
  const int64_t n = int64_t(cls);
  Device& d = dev(device);
  auto served = [&](AllocatorStats& s, void* p) {
    s.alloc_calls++;
    s.allocated_bytes += n;
    s.peak_allocated_bytes = std::max(s.peak_allocated_bytes, s.allocated_bytes);
    s.peak_reserved_bytes = std::max(s.peak_reserved_bytes, s.reserved_bytes);
    return p;
  };
  {
    std::lock_guard<std::mutex> g(mu_);
    auto& bin = d.bins[size_t(class_index(cls))];
    if (!bin.empty()) {
      void* p = bin.back();
      bin.pop_back();
      d.s.cached_bytes -= n;
      d.s.cache_hits++;
      return served(d.s, p);
    }
  }
  // The raw call runs unlocked: cudaMalloc can take milliseconds.
  void* p = raw_.alloc(cls, device);
  bool retried = false;
  if (!p) {
    retried = true;
    empty_cache(device);
    p = raw_.alloc(cls, device);
  }
  std::lock_guard<std::mutex> g(mu_);
  if (retried) d.s.oom_retries++;
  if (!p) {
    d.s.ooms++;
    raise(ErrorCode::OUT_OF_MEMORY, op, ": out of memory allocating ", nbytes, " bytes on ", name_, device ? ":" : "",
          device ? std::to_string(device) : "", " (", d.s.allocated_bytes,
          " bytes already allocated by tensorkit; the cache was emptied and the request retried)");
  }
  d.s.raw_allocs++;
  d.s.reserved_bytes += n;
  return served(d.s, p);
}

void CachingAllocator::free(void* p, size_t nbytes, int device) {
  if (!p) return;
  const size_t cls = size_class(nbytes);
  const int64_t n = int64_t(cls);
  Device& d = devs_[size_t(device)];
  {
    std::lock_guard<std::mutex> g(mu_);
    d.s.allocated_bytes -= n;
    if (d.s.cached_bytes + n <= cache_limit_) {
      d.bins[size_t(class_index(cls))].push_back(p);
      d.s.cached_bytes += n;
      return;
    }
    d.s.reserved_bytes -= n;
    d.s.raw_frees++;
  }
  raw_.free(p, cls, device);
}

void CachingAllocator::release_locked(Device& d, int device) {
  for (size_t i = 0; i < d.bins.size(); ++i) {
    for (void* p : d.bins[i]) {
      raw_.free(p, class_bytes(i), device);
      d.s.raw_frees++;
    }
    d.bins[i].clear();
  }
  d.s.reserved_bytes -= d.s.cached_bytes;
  d.s.cached_bytes = 0;
}

void CachingAllocator::empty_cache(int device) {
  std::lock_guard<std::mutex> g(mu_);
  if (device >= 0)
    release_locked(dev(device), device);
  else
    for (int i = 0; i < kMaxDevices; ++i) release_locked(devs_[size_t(i)], i);
}

AllocatorStats CachingAllocator::stats(int device) const {
  const Device& d = dev(device);
  std::lock_guard<std::mutex> g(mu_);
  return d.s;
}

void CachingAllocator::reset_peaks(int device) {
  std::lock_guard<std::mutex> g(mu_);
  Device& d = dev(device);
  d.s.peak_allocated_bytes = d.s.allocated_bytes;
  d.s.peak_reserved_bytes = d.s.reserved_bytes;
}

}  // namespace tk
