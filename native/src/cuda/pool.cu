// CUDA 2-D pooling over planes [P, H, W] (backend.h), with the CPU's semantics (cuda/bodies.h).
// Forward: one thread per output. Backward: one thread per plane walking its outputs (no atomics,
// deterministic sums).
#include "cuda/bodies.h"
#include "cuda/launch.h"

namespace tk::cuda {
namespace {

template <class T> __global__ void max_pool_kernel(T* y, int64_t* idx, const T* x, Window2d w, int64_t n) {
  TK_GRID_STRIDE(k, n) body::max_pool(k, y, idx, x, w);
}
template <class T> __global__ void max_pool_backward_kernel(T* gi, const T* go, const int64_t* idx, int64_t planes,
                                                            int64_t HW, int64_t OHW) {
  TK_GRID_STRIDE(p, planes) body::max_pool_backward(p, gi, go, idx, HW, OHW);
}
template <class T> __global__ void avg_pool_kernel(T* y, const T* x, Window2d w, bool include_pad, int64_t n) {
  TK_GRID_STRIDE(k, n) body::avg_pool(k, y, x, w, include_pad);
}
template <class T>
__global__ void avg_pool_backward_kernel(T* gi, const T* go, Window2d w, bool include_pad, int64_t planes) {
  TK_GRID_STRIDE(p, planes) body::avg_pool_backward(p, gi, go, w, include_pad);
}
template <class T>
__global__ void adaptive_kernel(T* s, const T* b, int64_t H, int64_t W, int64_t OH, int64_t OW, int64_t n) {
  TK_GRID_STRIDE(k, n) body::adaptive(k, s, b, H, W, OH, OW);
}
template <class T> __global__ void adaptive_backward_kernel(T* b, const T* s, int64_t H, int64_t W, int64_t OH,
                                                            int64_t OW, int64_t planes) {
  TK_GRID_STRIDE(p, planes) body::adaptive_backward(p, b, s, H, W, OH, OW);
}

int64_t rows(const Tensor& t) { return t.shape()[t.ndim() - 2]; }
int64_t cols(const Tensor& t) { return t.shape()[t.ndim() - 1]; }
int64_t planes_of(const Tensor& t) { return rows(t) * cols(t) > 0 ? t.numel() / (rows(t) * cols(t)) : 0; }

void max_pool2d(const Tensor& out, const Tensor& indices, const Tensor& in, const Window2d& w) {
  floating(in.dtype(), [&]<class T>() {
    launch(max_pool_kernel<T>, out.numel(), in, "max_pool2d", out.data<T>(),
           indices.defined() ? indices.data<int64_t>() : nullptr, in.data<T>(), w, out.numel());
  });
}

void max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices) {
  floating(grad_in.dtype(), [&]<class T>() {
    launch(max_pool_backward_kernel<T>, planes_of(grad_in), grad_in, "max_pool2d_backward", grad_in.data<T>(),
           grad_out.data<T>(), indices.data<int64_t>(), planes_of(grad_in), rows(grad_in) * cols(grad_in),
           rows(grad_out) * cols(grad_out));
  });
}

void avg_pool2d(const Tensor& out, const Tensor& in, const Window2d& w, bool include_pad) {
  floating(in.dtype(), [&]<class T>() {
    launch(avg_pool_kernel<T>, out.numel(), in, "avg_pool2d", out.data<T>(), in.data<T>(), w, include_pad, out.numel());
  });
}

void avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Window2d& w, bool include_pad) {
  floating(grad_in.dtype(), [&]<class T>() {
    launch(avg_pool_backward_kernel<T>, planes_of(grad_in), grad_in, "avg_pool2d_backward", grad_in.data<T>(),
           grad_out.data<T>(), w, include_pad, planes_of(grad_in));
  });
}

void adaptive_avg_pool2d(const Tensor& out, const Tensor& in) {
  floating(in.dtype(), [&]<class T>() {
    launch(adaptive_kernel<T>, out.numel(), in, "adaptive_avg_pool2d", out.data<T>(), in.data<T>(), rows(in), cols(in),
           rows(out), cols(out), out.numel());
  });
}

void adaptive_avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out) {
  floating(grad_in.dtype(), [&]<class T>() {
    launch(adaptive_backward_kernel<T>, planes_of(grad_in), grad_in, "adaptive_avg_pool2d_backward", grad_in.data<T>(),
           grad_out.data<T>(), rows(grad_in), cols(grad_in), rows(grad_out), cols(grad_out), planes_of(grad_in));
  });
}

}  // namespace

void register_pool(Backend& b) {
  b.max_pool2d = max_pool2d;
  b.max_pool2d_backward = max_pool2d_backward;
  b.avg_pool2d = avg_pool2d;
  b.avg_pool2d_backward = avg_pool2d_backward;
  b.adaptive_avg_pool2d = adaptive_avg_pool2d;
  b.adaptive_avg_pool2d_backward = adaptive_avg_pool2d_backward;
}

}  // namespace tk::cuda
