// CUDA 2-D pooling over planes [P, H, W] (backend.h), with the CPU's semantics: max takes the
// first maximum, a NaN wins (the first one), padding never wins, and indices are flat h * W + w in
// the plane; average windows are clipped as on the CPU; adaptive windows span
// [floor(i H / OH), ceil((i + 1) H / OH)). Forward: one thread per output. Backward: one thread
// per plane walking its outputs (no atomics, deterministic sums).
#include "cuda/launch.h"

namespace tk::cuda {
namespace {

__host__ __device__ inline int64_t planes_of(int64_t numel, int64_t hw) { return hw > 0 ? numel / hw : 0; }

template <class T>
__global__ void max_pool_kernel(T* y, int64_t* idx, const T* x, Window2d w, int64_t n) {
  const int64_t OHW = w.OH * w.OW, HW = w.H * w.W;
  TK_GRID_STRIDE(k, n) {
    const int64_t p = k / OHW, oh = (k % OHW) / w.OW, ow = k % w.OW;
    const T* xp = x + p * HW;
    T best = T(0);
    int64_t arg = -1;
    bool nan = false;
    for (int64_t i = 0; i < w.kh && !nan; ++i) {
      const int64_t h = oh * w.sh - w.ph + i * w.dh;
      if (h < 0 || h >= w.H) continue;
      for (int64_t j = 0; j < w.kw; ++j) {
        const int64_t c = ow * w.sw - w.pw + j * w.dw;
        if (c < 0 || c >= w.W) continue;
        const T v = xp[h * w.W + c];
        if (v != v) {
          best = v, arg = h * w.W + c, nan = true;
          break;
        }
        if (arg < 0 || v > best) best = v, arg = h * w.W + c;
      }
    }
    y[k] = best;
    if (idx) idx[k] = arg;
  }
}

template <class T>
__global__ void max_pool_backward_kernel(T* gi, const T* go, const int64_t* idx, int64_t planes, int64_t HW, int64_t OHW) {
  TK_GRID_STRIDE(p, planes) {
    for (int64_t k = 0; k < HW; ++k) gi[p * HW + k] = T(0);
    for (int64_t o = 0; o < OHW; ++o) {
      const int64_t k = idx[p * OHW + o];
      if (k >= 0) gi[p * HW + k] += go[p * OHW + o];
    }
  }
}

struct Box {
  int64_t h0, h1, w0, w1, padded;
};
__device__ inline Box box(const Window2d& w, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * w.sh - w.ph, w0 = ow * w.sw - w.pw;
  const int64_t h1 = min(h0 + w.kh, w.H + w.ph), w1 = min(w0 + w.kw, w.W + w.pw);
  return {max(h0, int64_t(0)), min(h1, w.H), max(w0, int64_t(0)), min(w1, w.W), (h1 - h0) * (w1 - w0)};
}

template <class T>
__global__ void avg_pool_kernel(T* y, const T* x, Window2d w, bool include_pad, int64_t n) {
  const int64_t OHW = w.OH * w.OW, HW = w.H * w.W;
  TK_GRID_STRIDE(k, n) {
    const int64_t p = k / OHW, oh = (k % OHW) / w.OW, ow = k % w.OW;
    const Box b = box(w, oh, ow);
    T s = 0;
    for (int64_t h = b.h0; h < b.h1; ++h)
      for (int64_t c = b.w0; c < b.w1; ++c) s += x[p * HW + h * w.W + c];
    const int64_t cnt = include_pad ? b.padded : (b.h1 - b.h0) * (b.w1 - b.w0);
    y[k] = cnt > 0 ? s / T(cnt) : T(0);
  }
}

template <class T>
__global__ void avg_pool_backward_kernel(T* gi, const T* go, Window2d w, bool include_pad, int64_t planes) {
  const int64_t OHW = w.OH * w.OW, HW = w.H * w.W;
  TK_GRID_STRIDE(p, planes) {
    for (int64_t k = 0; k < HW; ++k) gi[p * HW + k] = T(0);
    for (int64_t oh = 0; oh < w.OH; ++oh)
      for (int64_t ow = 0; ow < w.OW; ++ow) {
        const Box b = box(w, oh, ow);
        const int64_t cnt = include_pad ? b.padded : (b.h1 - b.h0) * (b.w1 - b.w0);
        if (cnt == 0) continue;
        const T g = go[p * OHW + oh * w.OW + ow] / T(cnt);
        for (int64_t h = b.h0; h < b.h1; ++h)
          for (int64_t c = b.w0; c < b.w1; ++c) gi[p * HW + h * w.W + c] += g;
      }
  }
}

__device__ inline int64_t start_of(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
__device__ inline int64_t end_of(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

template <class T>
__global__ void adaptive_kernel(T* s, const T* b, int64_t H, int64_t W, int64_t OH, int64_t OW, int64_t n) {
  TK_GRID_STRIDE(k, n) {
    const int64_t p = k / (OH * OW), oh = (k / OW) % OH, ow = k % OW;
    const int64_t h0 = start_of(oh, H, OH), h1 = end_of(oh, H, OH), w0 = start_of(ow, W, OW), w1 = end_of(ow, W, OW);
    T acc = 0;
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t c = w0; c < w1; ++c) acc += b[p * H * W + h * W + c];
    s[k] = acc / T((h1 - h0) * (w1 - w0));
  }
}

template <class T>
__global__ void adaptive_backward_kernel(T* b, const T* s, int64_t H, int64_t W, int64_t OH, int64_t OW, int64_t planes) {
  TK_GRID_STRIDE(p, planes) {
    for (int64_t k = 0; k < H * W; ++k) b[p * H * W + k] = T(0);
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t h0 = start_of(oh, H, OH), h1 = end_of(oh, H, OH), w0 = start_of(ow, W, OW), w1 = end_of(ow, W, OW);
        const T g = s[p * OH * OW + oh * OW + ow] / T((h1 - h0) * (w1 - w0));
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t c = w0; c < w1; ++c) b[p * H * W + h * W + c] += g;
      }
  }
}

int64_t last2(const Tensor& t) { return t.shape()[t.ndim() - 1] * t.shape()[t.ndim() - 2]; }

void max_pool2d(const Tensor& out, const Tensor& indices, const Tensor& in, const Window2d& w) {
  floating(in.dtype(), [&]<class T>() {
    const int64_t n = out.numel();
    if (n == 0) return;
    cudaStream_t s = prepare(in, "max_pool2d");
    max_pool_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(out.data<T>(), indices.defined() ? indices.data<int64_t>() : nullptr,
                                                          in.data<T>(), w, n);
    check_launch("max_pool2d");
  });
}

void max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices) {
  floating(grad_in.dtype(), [&]<class T>() {
    const int64_t HW = last2(grad_in), OHW = last2(grad_out), planes = planes_of(grad_in.numel(), HW);
    if (planes == 0) return;
    cudaStream_t s = prepare(grad_in, "max_pool2d_backward");
    max_pool_backward_kernel<T><<<blocks_for(planes), kThreads, 0, s>>>(grad_in.data<T>(), grad_out.data<T>(),
                                                                         indices.data<int64_t>(), planes, HW, OHW);
    check_launch("max_pool2d_backward");
  });
}

void avg_pool2d(const Tensor& out, const Tensor& in, const Window2d& w, bool include_pad) {
  floating(in.dtype(), [&]<class T>() {
    const int64_t n = out.numel();
    if (n == 0) return;
    cudaStream_t s = prepare(in, "avg_pool2d");
    avg_pool_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(out.data<T>(), in.data<T>(), w, include_pad, n);
    check_launch("avg_pool2d");
  });
}

void avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Window2d& w, bool include_pad) {
  floating(grad_in.dtype(), [&]<class T>() {
    const int64_t planes = planes_of(grad_in.numel(), w.H * w.W);
    if (planes == 0) return;
    cudaStream_t s = prepare(grad_in, "avg_pool2d_backward");
    avg_pool_backward_kernel<T><<<blocks_for(planes), kThreads, 0, s>>>(grad_in.data<T>(), grad_out.data<T>(), w, include_pad, planes);
    check_launch("avg_pool2d_backward");
  });
}

void adaptive_avg_pool2d(const Tensor& out, const Tensor& in) {
  floating(in.dtype(), [&]<class T>() {
    const int64_t n = out.numel();
    if (n == 0) return;
    const int64_t H = in.shape()[in.ndim() - 2], W = in.shape()[in.ndim() - 1];
    const int64_t OH = out.shape()[out.ndim() - 2], OW = out.shape()[out.ndim() - 1];
    cudaStream_t s = prepare(in, "adaptive_avg_pool2d");
    adaptive_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(out.data<T>(), in.data<T>(), H, W, OH, OW, n);
    check_launch("adaptive_avg_pool2d");
  });
}

void adaptive_avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out) {
  floating(grad_in.dtype(), [&]<class T>() {
    const int64_t H = grad_in.shape()[grad_in.ndim() - 2], W = grad_in.shape()[grad_in.ndim() - 1];
    const int64_t OH = grad_out.shape()[grad_out.ndim() - 2], OW = grad_out.shape()[grad_out.ndim() - 1];
    const int64_t planes = planes_of(grad_in.numel(), H * W);
    if (planes == 0) return;
    cudaStream_t s = prepare(grad_in, "adaptive_avg_pool2d_backward");
    adaptive_backward_kernel<T><<<blocks_for(planes), kThreads, 0, s>>>(grad_in.data<T>(), grad_out.data<T>(), H, W, OH, OW, planes);
    check_launch("adaptive_avg_pool2d_backward");
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
