// CPU kernels for arange/linspace, eye and the random fills.
#include "backend.h"
#include "cpu/cpu.h"
#include "kernels/creation_rules.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

// The element rules are kernels/creation_rules.h, shared with CUDA (the same values on either).
void arange(const Tensor& out, double start, double step, double end, bool symmetric) {
  dispatch_dtype(out.dtype(), [&]<class T>() {
    T* y = out.data<T>();
    const int64_t n = out.numel();
    parallel_for(0, n, 1 << 15, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) y[i] = kernels::arange_value<T>(i, n, start, step, end, symmetric);
    });
  });
}

void eye(const Tensor& out) {
  dispatch_dtype(out.dtype(), [&]<class T>() {
    T* y = out.data<T>();
    const int64_t m = out.shape()[1];
    for (int64_t k = 0; k < out.numel(); ++k) y[k] = kernels::eye_value<T>(k, m);
  });
}

void random(const Tensor& out, RandomKind kind, double a, double b, uint64_t key, uint64_t offset) {
  dispatch_dtype(out.dtype(), [&]<class T>() {
    T* y = out.data<T>();
    constexpr int per = kernels::kPerCounter<T>;
    const int64_t n = out.numel(), groups = (n + per - 1) / per;
    parallel_for(0, groups, 1 << 12, [&](int64_t gb, int64_t ge) {
      for (int64_t gi = gb; gi < ge; ++gi) kernels::random_group(gi, y, n, kind, a, b, key, offset);
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
