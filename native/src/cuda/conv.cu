// CUDA convolution lowering (backend.h): im2col writes the column matrix of one image, col2im
// adds it back. conv2d runs on these and the gemm, as on the CPU when no direct or Winograd path
// applies (CUDA has neither; implicit GEMM is not written yet). One thread per column element
// (im2col) or per image element gathering its taps (col2im: no atomics, deterministic). The
// per-thread work is in cuda/bodies.h.
#include "cuda/bodies.h"
#include "cuda/launch.h"

namespace tk::cuda {
namespace {

template <class T> __global__ void im2col_kernel(T* col, const T* img, Window2d w, int64_t n) {
  TK_GRID_STRIDE(k, n) body::im2col(k, col, img, w);
}

template <class T> __global__ void col2im_kernel(T* img, const T* col, Window2d w, int64_t n) {
  TK_GRID_STRIDE(k, n) body::col2im(k, img, col, w);
}

void im2col(const Tensor& col, const Tensor& image, const Window2d& w) {
  floating(col.dtype(), [&]<class T>() {
    launch(im2col_kernel<T>, col.numel(), col, "conv2d", col.data<T>(), image.data<T>(), w, col.numel());
  });
}

void col2im(const Tensor& image, const Tensor& col, const Window2d& w) {
  floating(col.dtype(), [&]<class T>() {
    const int64_t n = w.C * w.H * w.W;
    launch(col2im_kernel<T>, n, col, "conv2d", image.data<T>(), col.data<T>(), w, n);
  });
}

}  // namespace

void register_conv(Backend& b) {
  b.im2col = im2col;
  b.col2im = col2im;
}

}  // namespace tk::cuda
