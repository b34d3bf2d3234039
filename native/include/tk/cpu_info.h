// What the CPU can do, read once at first use: SIMD level (for kernels chosen at run time) and
// data-cache sizes (for GEMM blocking). TENSORKIT_CPU_CAPABILITY=default|avx2|avx512 lowers the
// level (never raises it past what the CPU has), as MKL_ENABLE_INSTRUCTIONS does for MKL.
#pragma once
#include <cstdint>
#include <string_view>

namespace tk::cpu {

// Ordered: a level implies every level below it. AVX2 here means AVX2 + FMA3.
enum class Capability { Default = 0, Avx2 = 1, Avx512 = 2 };

struct CpuInfo {
  Capability detected;  // what the hardware and OS support
  int64_t l1d, l2, l3;  // bytes per core (l3: the part one core can count on), clamped sane
};

const CpuInfo& cpu_info();
// What kernels use now: the detected level, lowered by the environment variable.
Capability active_capability();
std::string_view capability_name(Capability c);  // "default", "avx2", "avx512"
// Changes the active level for kernels dispatched from now on, clamped to what was detected;
// returns the level now active. Tests use it to run every kernel the machine can run.
Capability set_capability(Capability c);

}  // namespace tk::cpu
