// Devices: where a tensor's storage lives.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace tk {

enum class DeviceType : uint8_t { CPU = 0, CUDA = 1 };
inline constexpr int kNumDeviceTypes = 2;

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;
  bool operator==(const Device&) const = default;
  bool is_cpu() const { return type == DeviceType::CPU; }
};

// "cpu", "cuda", "cuda:1". Throws INVALID_ARGUMENT naming `op` otherwise.
Device parse_device(std::string_view s, std::string_view op);
std::string device_name(Device d);

// One device's caching-allocator figures, in bytes and counts (PyTorch's memory_stats names in
// comments).
struct AllocatorStats {
  int64_t allocated_bytes = 0;  // in live blocks ("allocated_bytes.all.current")
  int64_t reserved_bytes = 0;  // live blocks plus the cache ("reserved_bytes.all.current")
  int64_t peak_allocated_bytes = 0;  // high-water mark of allocated_bytes
  int64_t peak_reserved_bytes = 0;
  int64_t cached_bytes = 0;  // reserved - allocated: free blocks kept for reuse
  int64_t alloc_calls = 0;  // requests served
  int64_t cache_hits = 0;  // requests served from the cache
  int64_t raw_allocs = 0;  // blocks obtained from the system (malloc, cudaMalloc)
  int64_t raw_frees = 0;  // blocks returned to the system
  int64_t oom_retries = 0;  // raw failures followed by emptying the cache and retrying
  int64_t ooms = 0;  // requests that failed after the retry ("num_ooms")
};

// CUDA runtime facts. Without a CUDA build or driver, device_count() is 0 and status() says
// why; the calls that need a device throw CUDA_ERROR with that reason.
namespace cuda {
bool compiled();
int device_count();
std::string status();
AllocatorStats memory_stats(int device);
void reset_peak_memory_stats(int device);
// Returns every device's cached blocks to the driver (a no-op without CUDA).
void empty_cache();
// Waits for everything queued on the device's stream.
void synchronize(int device);
}  // namespace cuda

}  // namespace tk
