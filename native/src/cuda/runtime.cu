// CUDA runtime glue: device discovery, a caching device allocator and host<->device copies.
// Linked against the static cudart, so the addon loads on machines without a driver; there
// cudaGetDeviceCount fails and we report zero devices with the reason.
#include <cuda_runtime.h>

#include <bit>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cuda/cuda_api.h"
#include "tk/device.h"
#include "tk/error.h"

namespace tk::cuda {
namespace {

void check(cudaError_t e, const char* what) {
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear the sticky error
    raise(ErrorCode::OUT_OF_MEMORY, what, ": CUDA out of memory (", cudaGetErrorString(e), ")");
  }
  TK_CHECK(e == cudaSuccess, CUDA_ERROR, what, ": ", cudaGetErrorString(e));
}

struct Probe {
  int count = 0;
  std::string status;
};

const Probe& probe() {
  static Probe p = [] {
    Probe r;
    cudaError_t e = cudaGetDeviceCount(&r.count);
    if (e != cudaSuccess) {
      cudaGetLastError();
      r.count = 0;
      r.status = std::string("no usable CUDA device: ") + cudaGetErrorString(e);
    } else {
      r.status = std::to_string(r.count) + " CUDA device(s)";
    }
    return r;
  }();
  return p;
}

// Freed device blocks by (device, size class); sizes are already size classes (storage.cpp).
class DeviceCache {
 public:
  void* alloc(size_t n, int dev) {
    {
      std::lock_guard<std::mutex> g(mu_);
      auto& bin = bins_[key(n, dev)];
      if (!bin.empty()) {
        void* p = bin.back();
        bin.pop_back();
        cached_ -= int64_t(n);
        return p;
      }
    }
    check(cudaSetDevice(dev), "alloc");
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, n);
    if (e == cudaErrorMemoryAllocation) {  // free the cache and retry once
      cudaGetLastError();
      release_all();
      e = cudaMalloc(&p, n);
    }
    check(e, "alloc");
    return p;
  }
  void free(void* p, size_t n, int dev) {
    std::lock_guard<std::mutex> g(mu_);
    bins_[key(n, dev)].push_back(p);
    cached_ += int64_t(n);
  }
  void release_all() {
    std::lock_guard<std::mutex> g(mu_);
    for (auto& [k, v] : bins_) {
      cudaSetDevice(int(k & 0xff));
      for (void* p : v) cudaFree(p);
    }
    bins_.clear();
    cached_ = 0;
  }
  int64_t cached() {
    std::lock_guard<std::mutex> g(mu_);
    return cached_;
  }

 private:
  static uint64_t key(size_t n, int dev) { return (uint64_t(n) << 8) | uint64_t(dev & 0xff); }
  std::mutex mu_;
  std::unordered_map<uint64_t, std::vector<void*>> bins_;
  int64_t cached_ = 0;
};

DeviceCache& cache() {
  static DeviceCache* c = new DeviceCache();  // outlives late finalizers at teardown
  return *c;
}

}  // namespace

bool compiled() { return true; }
int device_count() { return probe().count; }
std::string status() { return probe().status; }

void* alloc(size_t nbytes, int device) {
  TK_CHECK(device >= 0 && device < device_count(), CUDA_ERROR, "alloc: cuda device ", device,
           " is not available (", status(), ")");
  return cache().alloc(nbytes, device);
}

void free(void* p, size_t nbytes, int device) {
  if (p) cache().free(p, nbytes, device);
}

void empty_cache() {
  if (device_count() > 0) cache().release_all();
}

int64_t cached_bytes() { return device_count() > 0 ? cache().cached() : 0; }

void memcpy(void* dst, const void* src, size_t nbytes, CopyKind kind, int device) {
  check(cudaSetDevice(device), "to");
  cudaMemcpyKind k = kind == CopyKind::HostToDevice   ? cudaMemcpyHostToDevice
                     : kind == CopyKind::DeviceToHost ? cudaMemcpyDeviceToHost
                                                      : cudaMemcpyDeviceToDevice;
  check(cudaMemcpy(dst, src, nbytes, k), "to");
}

void synchronize(int device) {
  check(cudaSetDevice(device), "synchronize");
  check(cudaDeviceSynchronize(), "synchronize");
}

}  // namespace tk::cuda
