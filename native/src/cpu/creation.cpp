// CPU kernels for arange/linspace, eye and the random fills.
#include <cmath>

#include "backend.h"
#include "cpu/cpu.h"
#include "kernels/functors.h"
#include "kernels/philox.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

void arange(const Tensor& out, double start, double step, double end, bool symmetric) {
  dispatch_dtype(out.dtype(), [&]<class T>() {
    T* y = out.data<T>();
    const int64_t n = out.numel(), half = symmetric ? n / 2 : n;
    parallel_for(0, n, 1 << 15, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        y[i] = kernels::cast<T>(i < half ? start + double(i) * step
                                         : end - double(n - 1 - i) * step);
    });
  });
}

void eye(const Tensor& out) {
  dispatch_dtype(out.dtype(), [&]<class T>() {
    T* y = out.data<T>();
    int64_t n = out.shape()[0], m = out.shape()[1];
    for (int64_t i = 0; i < n * m; ++i) y[i] = T(0);
    for (int64_t i = 0; i < std::min(n, m); ++i) y[i * m + i] = T(1);
  });
}

// Elements per Philox counter: 4 for float32 (one 32-bit word each), 2 for 64-bit values.
// The op layer advances the stream offset by ceil(numel / per_counter(dtype)).
void random(const Tensor& out, RandomKind kind, double a, double b, uint64_t key, uint64_t offset) {
  dispatch_dtype(out.dtype(), [&]<class T>() {
    T* y = out.data<T>();
    constexpr int per = sizeof(T) == 4 ? 4 : 2;
    int64_t n = out.numel(), groups = (n + per - 1) / per;
    parallel_for(0, groups, 1 << 12, [&](int64_t gb, int64_t ge) {
      for (int64_t gi = gb; gi < ge; ++gi) {
        kernels::Philox4 r = kernels::philox4x32(offset + uint64_t(gi), key);
        T vals[per] = {};
        if (kind == RandomKind::Integer) {
          // low + (u mod range), with 32 random bits for int32 and 64 otherwise.
          uint64_t range = uint64_t(b - a);
          for (int j = 0; j < per; ++j) {
            uint64_t u = per == 4 ? r.v[j] : (uint64_t(r.v[2 * j]) << 32 | r.v[2 * j + 1]);
            vals[j] = T(int64_t(a) + int64_t(u % range));
          }
        } else if constexpr (std::is_floating_point_v<T>) {
          double u[per];
          for (int j = 0; j < per; ++j)
            u[j] = per == 4 ? double(kernels::u01f(r.v[j])) : kernels::u01d(r.v[2 * j], r.v[2 * j + 1]);
          if (kind == RandomKind::Uniform) {
            for (int j = 0; j < per; ++j) vals[j] = T(a + (b - a) * u[j]);
          } else {  // Box-Muller on pairs; 1 - u keeps the log argument in (0, 1]
            for (int j = 0; j < per; j += 2) {
              double rad = std::sqrt(-2.0 * std::log(1.0 - u[j])), th = 6.283185307179586 * u[j + 1];
              vals[j] = T(a + b * rad * std::cos(th));
              vals[j + 1] = T(a + b * rad * std::sin(th));
            }
          }
        }
        int64_t base = gi * per;
        for (int j = 0; j < per && base + j < n; ++j) y[base + j] = vals[j];
      }
    });
  });
}

}  // namespace

void register_creation(Backend& b) {
  b.arange = arange;
  b.eye = eye;
  b.random = random;
}

}  // namespace tk::cpu
