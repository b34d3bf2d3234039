// CUDA runtime glue: device discovery, one stream per device, the device's caching allocator
// (caching_allocator.h) and host<->device copies through pinned staging buffers. Linked against
// the static cudart, so the addon loads on machines without a driver; there cudaGetDeviceCount
// fails and we report zero devices with the reason.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>

#include "caching_allocator.h"
#include "cuda/cuda_api.h"
#include "cuda/launch.h"
#include "tk/device.h"
#include "tk/error.h"

namespace tk::cuda {
namespace {

void check(cudaError_t e, const char* what) {
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear the error
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
      r.count = std::min(r.count, CachingAllocator::kMaxDevices);
      r.status = std::to_string(r.count) + " CUDA device(s)";
    }
    return r;
  }();
  return p;
}

void require(int device, const char* op) {
  TK_CHECK(device >= 0 && device < probe().count, CUDA_ERROR, op, ": cuda device ", device, " is not available (",
           probe().status, ")");
}

// The raw allocator: nullptr on out-of-memory (the caching allocator then empties its cache and
// retries); any other failure is a CUDA_ERROR.
void* raw_alloc(size_t n, int device) {
  check(cudaSetDevice(device), "alloc");
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, n);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    return nullptr;
  }
  check(e, "alloc");
  return p;
}
void raw_free(void* p, size_t, int device) {
  cudaSetDevice(device);
  cudaFree(p);  // synchronises the device: the cache makes this rare
}

CachingAllocator& allocator() {
  // No cache limit: like PyTorch, blocks stay reserved until emptyCache() or an allocation that
  // would otherwise fail. Leaked on purpose (storages may be freed during teardown).
  static CachingAllocator* a = new CachingAllocator({raw_alloc, raw_free}, "cuda", INT64_MAX);
  return *a;
}

// One stream per device; every kernel and copy of that device is queued on it.
struct DeviceState {
  std::once_flag once;
  cudaStream_t stream = nullptr;
  // Two pinned staging buffers, so filling one overlaps the DMA of the other; an event per
  // buffer says when its last copy finished.
  static constexpr size_t kStage = size_t(4) << 20;
  void* stage[2] = {nullptr, nullptr};
  cudaEvent_t done[2] = {nullptr, nullptr};
  std::mutex copy_mu;
};
DeviceState& state(int device) {
  static DeviceState* states = new DeviceState[CachingAllocator::kMaxDevices];
  DeviceState& s = states[device];
  std::call_once(s.once, [&] {
    check(cudaSetDevice(device), "cuda");
    check(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking), "cuda: stream");
    for (int i = 0; i < 2; ++i) {
      check(cudaHostAlloc(&s.stage[i], DeviceState::kStage, cudaHostAllocDefault), "cuda: pinned staging buffer");
      check(cudaEventCreateWithFlags(&s.done[i], cudaEventDisableTiming), "cuda: event");
    }
  });
  return s;
}

}  // namespace

bool compiled() { return true; }
int device_count() { return probe().count; }
std::string status() { return probe().status; }

void* alloc(size_t nbytes, int device, const char* op) {
  require(device, op);
  return allocator().alloc(nbytes, device, op);
}

void free(void* p, size_t nbytes, int device) {
  if (p) allocator().free(p, nbytes, device);
}

void empty_cache() {
  if (device_count() > 0) allocator().empty_cache();
}

int64_t cached_bytes() {
  int64_t n = 0;
  for (int d = 0; d < device_count(); ++d) n += allocator().stats(d).cached_bytes;
  return n;
}

AllocatorStats memory_stats(int device) {
  require(device, "cuda.memory");
  return allocator().stats(device);
}

void reset_peak_memory_stats(int device) {
  require(device, "cuda.resetPeakMemoryStats");
  allocator().reset_peaks(device);
}

void memcpy(void* dst, const void* src, size_t nbytes, CopyKind kind, int device) {
  require(device, "to");
  DeviceState& s = state(device);
  check(cudaSetDevice(device), "to");
  if (kind == CopyKind::DeviceToDevice) {
    check(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, s.stream), "to");
    return;
  }
  std::lock_guard<std::mutex> g(s.copy_mu);
  const char* in = static_cast<const char*>(src);
  char* out = static_cast<char*>(dst);
  if (kind == CopyKind::HostToDevice) {
    // Pageable host -> pinned buffer (CPU memcpy) -> device (DMA), alternating buffers: a buffer
    // is refilled only after its previous DMA completed. The copy into the device is ordered on
    // the stream before any kernel queued later, so the call returns without waiting for the tail.
    for (size_t off = 0, i = 0; off < nbytes; off += DeviceState::kStage, i ^= 1) {
      const size_t n = std::min(DeviceState::kStage, nbytes - off);
      check(cudaEventSynchronize(s.done[i]), "to");
      std::memcpy(s.stage[i], in + off, n);
      check(cudaMemcpyAsync(out + off, s.stage[i], n, cudaMemcpyHostToDevice, s.stream), "to");
      check(cudaEventRecord(s.done[i], s.stream), "to");
    }
  } else {
    // Device -> pinned (DMA on the stream, after every queued kernel) -> pageable host. The next
    // chunk's DMA is queued before this chunk is copied out, so the two overlap.
    const size_t chunks = (nbytes + DeviceState::kStage - 1) / DeviceState::kStage;
    auto issue = [&](size_t c) {
      const size_t off = c * DeviceState::kStage, n = std::min(DeviceState::kStage, nbytes - off);
      check(cudaMemcpyAsync(s.stage[c & 1], in + off, n, cudaMemcpyDeviceToHost, s.stream), "to");
      check(cudaEventRecord(s.done[c & 1], s.stream), "to");
    };
    if (chunks) issue(0);
    for (size_t c = 0; c < chunks; ++c) {
      if (c + 1 < chunks) issue(c + 1);
      check(cudaEventSynchronize(s.done[c & 1]), "to");
      const size_t off = c * DeviceState::kStage, n = std::min(DeviceState::kStage, nbytes - off);
      std::memcpy(out + off, s.stage[c & 1], n);
    }
  }
}

cudaStream_t stream_of(int device) { return state(device).stream; }

void synchronize(int device) {
  require(device, "cuda.synchronize");
  check(cudaSetDevice(device), "cuda.synchronize");
  check(cudaStreamSynchronize(state(device).stream), "cuda.synchronize");
}

}  // namespace tk::cuda
