// Keeps the addon loadable on glibc 2.34 and later (README, "Install"): the static libstdc++ of
// GCC 12 calls arc4random (glibc 2.36) from std::random_device, which nothing in tensorkit uses but
// which comes in with the string code. Defining it here, hidden, resolves that reference inside the
// addon instead of importing the 2.36 symbol. The other late symbol, _dl_find_object (2.35), came
// from a static libgcc's unwinder; the addon links the system's libgcc_s instead (CMakeLists.txt).
#include <sys/random.h>

#include <cstdint>

extern "C" __attribute__((visibility("hidden"))) uint32_t arc4random(void) {
  uint32_t v = 0;
  // getrandom (glibc 2.25) blocks only before the kernel's pool is first seeded; retry on EINTR.
  while (getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
  }
  return v;
}
