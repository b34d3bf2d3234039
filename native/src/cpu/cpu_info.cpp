#include "tk/cpu_info.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#endif

namespace tk::cpu {
namespace {

Capability detect() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  // avx512f/avx2 imply the OS saves the wide registers (the builtin checks XCR0 via cpuid).
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) return Capability::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Capability::Avx2;
#endif
  return Capability::Default;
}

#if defined(_SC_LEVEL1_DCACHE_SIZE)
int64_t cache_size(int name, int64_t fallback, int64_t lo, int64_t hi) {
  const int64_t v = sysconf(name);
  return std::clamp(v > 0 ? v : fallback, lo, hi);
}
#endif

Capability from_env(Capability detected) {
  const char* s = std::getenv("TENSORKIT_CPU_CAPABILITY");
  if (!s) return detected;
  Capability want = detected;
  if (!std::strcmp(s, "default"))
    want = Capability::Default;
  else if (!std::strcmp(s, "avx2"))
    want = Capability::Avx2;
  else if (!std::strcmp(s, "avx512"))
    want = Capability::Avx512;
  return std::min(want, detected);
}

// cpuid leaf 0's vendor and leaf 1's display family and model.
void identify(CpuInfo& c) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  unsigned a = 0, b = 0, cx = 0, d = 0;
  if (!__get_cpuid(0, &a, &b, &cx, &d)) return;
  char v[13] = {};
  std::memcpy(v, &b, 4), std::memcpy(v + 4, &d, 4), std::memcpy(v + 8, &cx, 4);
  c.vendor = v;
  if (!__get_cpuid(1, &a, &b, &cx, &d)) return;
  const int base_family = int((a >> 8) & 0xF), base_model = int((a >> 4) & 0xF);
  c.family = base_family == 0xF ? base_family + int((a >> 20) & 0xFF) : base_family;
  c.model = (base_family == 0x6 || base_family == 0xF) ? (int((a >> 16) & 0xF) << 4) | base_model : base_model;
#endif
}

// Known cores: name, and the level GEMM runs fastest at (Default: no entry, calibrate).
struct Core {
  const char* vendor;
  int family, model_lo, model_hi;
  const char* name;
  Capability gemm;
};
// Full-width 512-bit FMA: Zen 5 server and desktop and Intel's server cores (two FMA ports). Zen 4 runs AVX-512 on
// 256-bit units, and Intel's AVX-512 client cores have one 512-bit FMA port: for those the
// faster kernel depends on the blocking, so they calibrate. Cores without AVX-512 need no entry
// (the instruction set decides), but are named for the report.
constexpr Core kCores[] = {
    // Zen 5 server (Turin) and desktop (Granite Ridge) cores; the mobile ones run AVX-512 over
    // 256-bit units, as Zen 4 does, so they calibrate.
    {"AuthenticAMD", 0x1A, 0x00, 0x1F, "zen5", Capability::Avx512},
    {"AuthenticAMD", 0x1A, 0x40, 0x4F, "zen5", Capability::Avx512},
    {"AuthenticAMD", 0x1A, 0x20, 0x2F, "zen5-mobile", Capability::Default},
    {"AuthenticAMD", 0x1A, 0x60, 0x7F, "zen5-mobile", Capability::Default},
    {"AuthenticAMD", 0x19, 0x10, 0x1F, "zen4", Capability::Default},
    {"AuthenticAMD", 0x19, 0x60, 0x7F, "zen4", Capability::Default},
    {"AuthenticAMD", 0x19, 0xA0, 0xAF, "zen4", Capability::Default},
    {"AuthenticAMD", 0x19, 0x00, 0x0F, "zen3", Capability::Avx2},
    {"AuthenticAMD", 0x19, 0x20, 0x2F, "zen3", Capability::Avx2},
    {"AuthenticAMD", 0x19, 0x40, 0x5F, "zen3", Capability::Avx2},
    {"AuthenticAMD", 0x17, 0x00, 0xFF, "zen2", Capability::Avx2},
    {"GenuineIntel", 6, 0x55, 0x55, "skylake-x", Capability::Avx512},
    {"GenuineIntel", 6, 0x6A, 0x6A, "icelake-server", Capability::Avx512},
    {"GenuineIntel", 6, 0x6C, 0x6C, "icelake-server", Capability::Avx512},
    {"GenuineIntel", 6, 0x8F, 0x8F, "sapphirerapids", Capability::Avx512},
    {"GenuineIntel", 6, 0xCF, 0xCF, "emeraldrapids", Capability::Avx512},
    {"GenuineIntel", 6, 0xAD, 0xAE, "graniterapids", Capability::Avx512},
    {"GenuineIntel", 6, 0x7D, 0x7E, "icelake-client", Capability::Default},
    {"GenuineIntel", 6, 0x8C, 0x8D, "tigerlake", Capability::Default},
    {"GenuineIntel", 6, 0xA7, 0xA7, "rocketlake", Capability::Default},
    {"GenuineIntel", 6, 0x97, 0x97, "alderlake", Capability::Avx2},
    {"GenuineIntel", 6, 0x9A, 0x9A, "alderlake", Capability::Avx2},
    {"GenuineIntel", 6, 0xB7, 0xB7, "raptorlake", Capability::Avx2},
    {"GenuineIntel", 6, 0xBA, 0xBA, "raptorlake", Capability::Avx2},
    {"GenuineIntel", 6, 0xBF, 0xBF, "raptorlake", Capability::Avx2},
    {"GenuineIntel", 6, 0x3C, 0x3C, "haswell", Capability::Avx2},
    {"GenuineIntel", 6, 0x3F, 0x3F, "haswell", Capability::Avx2},
    {"GenuineIntel", 6, 0x45, 0x46, "haswell", Capability::Avx2},
    {"GenuineIntel", 6, 0x3D, 0x3D, "broadwell", Capability::Avx2},
    {"GenuineIntel", 6, 0x47, 0x47, "broadwell", Capability::Avx2},
    {"GenuineIntel", 6, 0x4F, 0x4F, "broadwell", Capability::Avx2},
    {"GenuineIntel", 6, 0x56, 0x56, "broadwell", Capability::Avx2},
    {"GenuineIntel", 6, 0x4E, 0x4E, "skylake", Capability::Avx2},
    {"GenuineIntel", 6, 0x5E, 0x5E, "skylake", Capability::Avx2},
    {"GenuineIntel", 6, 0x8E, 0x8E, "kabylake", Capability::Avx2},
    {"GenuineIntel", 6, 0x9E, 0x9E, "kabylake", Capability::Avx2},
    {"GenuineIntel", 6, 0xA5, 0xA6, "cometlake", Capability::Avx2},
};

const Core* core_of(const CpuInfo& c) {
  for (const Core& k : kCores)
    if (c.vendor == k.vendor && c.family == k.family && c.model >= k.model_lo && c.model <= k.model_hi) return &k;
  return nullptr;
}

CpuInfo make() {
  CpuInfo c{};
  c.detected = detect();
  identify(c);
  if (const Core* k = core_of(c)) c.microarch = k->name;
#if defined(_SC_LEVEL1_DCACHE_SIZE)
  // glibc reads these from cpuid; virtual machines sometimes report the whole socket's L3, so
  // each value is clamped to what one core of a real part has.
  c.l1d = cache_size(_SC_LEVEL1_DCACHE_SIZE, 32 << 10, 16 << 10, 64 << 10);
  c.l2 = cache_size(_SC_LEVEL2_CACHE_SIZE, 512 << 10, 128 << 10, 2 << 20);
  c.l3 = cache_size(_SC_LEVEL3_CACHE_SIZE, 8 << 20, 1 << 20, 32 << 20);
#else
  c.l1d = 32 << 10;
  c.l2 = 512 << 10;
  c.l3 = 8 << 20;
#endif
  return c;
}

std::atomic<int>& active() {
  static std::atomic<int> a{int(from_env(cpu_info().detected))};
  return a;
}

}  // namespace

bool gemm_level_from_table(const CpuInfo& c, Capability* level) {
  const Core* k = core_of(c);
  if (!k || k->gemm == Capability::Default) return false;
  *level = std::min(k->gemm, c.detected);
  return true;
}

const CpuInfo& cpu_info() {
  static const CpuInfo c = make();
  return c;
}

Capability active_capability() { return Capability(active().load(std::memory_order_relaxed)); }

Capability set_capability(Capability c) {
  Capability v = std::min(c, cpu_info().detected);
  active().store(int(v), std::memory_order_relaxed);
  return v;
}

std::string_view capability_name(Capability c) {
  switch (c) {
    case Capability::Default: return "default";
    case Capability::Avx2: return "avx2";
    case Capability::Avx512: return "avx512";
  }
  return "default";
}

}  // namespace tk::cpu
