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

// CUDA runtime facts. Without a CUDA build or driver, device_count() is 0 and
// cuda_status() says why.
namespace cuda {
bool compiled();
int device_count();
std::string status();
}  // namespace cuda

}  // namespace tk
