// What the CPU can do, read once at first use: SIMD level (for kernels chosen at run time) and
// data-cache sizes (for GEMM blocking). TENSORKIT_CPU_CAPABILITY=default|avx2|avx512 lowers the
// level (never raises it past what the CPU has), as MKL_ENABLE_INSTRUCTIONS does for MKL.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace tk::cpu {

// Ordered: a level implies every level below it. AVX2 here means AVX2 + FMA3.
enum class Capability { Default = 0, Avx2 = 1, Avx512 = 2 };

struct CpuInfo {
  Capability detected;  // what the hardware and OS support
  int64_t l1d, l2, l3;  // bytes per core (l3: the part one core can count on), clamped sane
  std::string vendor;  // cpuid's vendor string ("AuthenticAMD", "GenuineIntel"), or "" elsewhere
  int family = 0, model = 0;  // cpuid's display family and model
  std::string microarch;  // the core's name in the kernel table ("zen5", "sapphirerapids"), or ""
};

const CpuInfo& cpu_info();
// What kernels use now: the detected level, lowered by the environment variable.
Capability active_capability();
std::string_view capability_name(Capability c);  // "default", "avx2", "avx512"
// Changes the active level for kernels dispatched from now on, clamped to what was detected;
// returns the level now active. Tests use it to run every kernel the machine can run.
Capability set_capability(Capability c);

// Kernel choice is per microarchitecture, not per instruction set: a core whose 512-bit FMAs are
// full width (Zen 5, Intel's server cores) runs GEMM fastest with the AVX-512 kernel, one that
// splits them over 256-bit units may not. The table (cpu_info.cpp) names the level GEMM uses on
// known cores; unknown ones (and TENSORKIT_GEMM_CALIBRATE=1) time both kernels once, at the
// first product, and keep the faster for the process. Never above active_capability().
struct GemmChoice {
  Capability level;  // the kernel GEMM runs now
  std::string_view source;  // "table", "calibrated", or "lowered" (the active level capped it)
  double avx512_gflops = 0, avx2_gflops = 0;  // the calibration's timings, when it ran
};
GemmChoice gemm_choice();
// The table's entry for this core: the level GEMM should use, or nullopt (calibrate).
bool gemm_level_from_table(const CpuInfo& c, Capability* level);

}  // namespace tk::cpu
