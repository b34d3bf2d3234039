// CUDA kernels for arange/linspace, eye and the random fills: the CPU's element rules
// (kernels/creation_rules.h), so a seed gives the same values on either device.
#include "cuda/launch.h"
#include "kernels/creation_rules.h"

namespace tk::cuda {
namespace {

template <class T>
__global__ void arange_kernel(T* y, int64_t n, double start, double step, double end, bool symmetric) {
  TK_GRID_STRIDE(i, n) y[i] = kernels::arange_value<T>(i, n, start, step, end, symmetric);
}
template <class T> __global__ void eye_kernel(T* y, int64_t n, int64_t m) {
  TK_GRID_STRIDE(k, n) y[k] = kernels::eye_value<T>(k, m);
}
template <class T> __global__ void random_kernel(T* y, int64_t n, int64_t groups, RandomKind kind, double a, double b,
                                                 uint64_t key, uint64_t offset) {
  TK_GRID_STRIDE(gi, groups) kernels::random_group(gi, y, n, kind, a, b, key, offset);
}

void arange(const Tensor& out, double start, double step, double end, bool symmetric) {
  dispatch_dtype(out.dtype(), [&]<class T>() {
    launch(arange_kernel<T>, out.numel(), out, "arange", out.data<T>(), out.numel(), start, step, end, symmetric);
  });
}

void eye(const Tensor& out) {
  dispatch_dtype(out.dtype(), [&]<class T>() {
    launch(eye_kernel<T>, out.numel(), out, "eye", out.data<T>(), out.numel(), out.shape()[1]);
  });
}

void random(const Tensor& out, RandomKind kind, double a, double b, uint64_t key, uint64_t offset) {
  dispatch_dtype(out.dtype(), [&]<class T>() {
    constexpr int per = kernels::kPerCounter<T>;
    const int64_t n = out.numel(), groups = (n + per - 1) / per;
    launch(random_kernel<T>, groups, out, "random", out.data<T>(), n, groups, kind, a, b, key, offset);
  });
}

}  // namespace

void register_creation(Backend& b) {
  b.arange = arange;
  b.eye = eye;
  b.random = random;
}

}  // namespace tk::cuda
