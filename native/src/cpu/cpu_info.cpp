#include "tk/cpu_info.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

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

CpuInfo make() {
  CpuInfo c{};
  c.detected = detect();
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
