// Side-by-side check of the core against a bare C++ loop: add of two 1M float32 vectors, the
// element-wise bandwidth figure of the core issue. Interleaved in one process, so machine noise
// hits both alike. Build with -DTK_TESTS=ON; run build-test/tk_bandwidth.
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <vector>
#include "tk/ops.h"
#include "tk/parallel.h"
int main() {
  tk::Tensor x = tk::full({1 << 20}, 1.0, tk::DType::Float32, {}), y = tk::full({1 << 20}, 2.0, tk::DType::Float32, {});
  std::vector<float> a(1 << 20, 1), b(1 << 20, 2), c(1 << 20);
  for (int th : {1, 2}) {
    tk::set_num_threads(th);
    double mt = 1e9, mb = 1e9;
    for (int rep = 0; rep < 300; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      { tk::Tensor z = tk::binary(tk::BinaryOp::add, x, y); }
      auto t1 = std::chrono::steady_clock::now();
      for (int i = 0; i < (1 << 20); ++i) c[i] = a[i] + b[i];
      auto t2 = std::chrono::steady_clock::now();
      mt = std::min(mt, std::chrono::duration<double, std::micro>(t1 - t0).count());
      mb = std::min(mb, std::chrono::duration<double, std::micro>(t2 - t1).count());
    }
    printf("%d threads: tk add min %.1f us (%.1f GB/s), bare loop 1 thread min %.1f us (%.1f GB/s)\n", th, mt,
           12.0 * (1 << 20) / mt / 1e3, mb, 12.0 * (1 << 20) / mb / 1e3);
  }
}
