// The element rules of arange/linspace, eye and the random fills, written once for the CPU
// kernels (cpu/creation.cpp) and the CUDA ones (cuda/creation.cu): the same seed and offset give
// the same values on either device.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "backend.h"
#include "kernels/functors.h"
#include "kernels/philox.h"

namespace tk::kernels {

// Element i of arange (start + i * step) or, `symmetric`, of linspace: the second half counted
// back from `end`, so both ends are exact; one step is `start` (as torch.linspace).
template <class T>
TK_HD inline T arange_value(int64_t i, int64_t n, double start, double step, double end, bool symmetric) {
  const int64_t half = symmetric && n > 1 ? n / 2 : n;
  return cast<T>(i < half ? start + double(i) * step : end - double(n - 1 - i) * step);
}

// Element k of an [n, m] identity.
template <class T> TK_HD inline T eye_value(int64_t k, int64_t m) { return k / m == k % m ? T(1) : T(0); }

// Elements per Philox counter: 4 for 32-bit values (one word each), 2 for the others. The op
// layer advances the stream offset by ceil(numel / per).
template <class T> inline constexpr int kPerCounter = sizeof(T) == 4 ? 4 : 2;

// Group gi of a random fill: elements gi * per .. of y (n in all) from counter offset + gi.
// Integer: a + (u mod (b - a)); Uniform: a + (b - a) u; Normal: mean a, std b by Box-Muller on
// pairs (1 - u keeps the log's argument in (0, 1]).
template <class T> TK_HD inline void random_group(int64_t gi, T* y, int64_t n, RandomKind kind, double a, double b,
                                                  uint64_t key, uint64_t offset) {
  constexpr int per = kPerCounter<T>;
  const Philox4 r = philox4x32(offset + uint64_t(gi), key);
  T vals[per] = {};
  if (kind == RandomKind::Integer) {
    const uint64_t range = uint64_t(b - a);
    for (int j = 0; j < per; ++j) {
      const uint64_t u = per == 4 ? r.v[j] : (uint64_t(r.v[2 * j]) << 32 | r.v[2 * j + 1]);
      vals[j] = T(int64_t(a) + int64_t(u % range));
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    double u[per];
    for (int j = 0; j < per; ++j) u[j] = per == 4 ? double(u01f(r.v[j])) : u01d(r.v[2 * j], r.v[2 * j + 1]);
    if (kind == RandomKind::Uniform) {
      for (int j = 0; j < per; ++j) vals[j] = T(a + (b - a) * u[j]);
    } else {
      for (int j = 0; j < per; j += 2) {
        const double rad = std::sqrt(-2.0 * std::log(1.0 - u[j])), th = 6.283185307179586 * u[j + 1];
        vals[j] = T(a + b * rad * std::cos(th));
        vals[j + 1] = T(a + b * rad * std::sin(th));
      }
    }
  }
  const int64_t base = gi * per;
  for (int j = 0; j < per && base + j < n; ++j) y[base + j] = vals[j];
}

}  // namespace tk::kernels
