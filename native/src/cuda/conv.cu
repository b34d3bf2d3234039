// CUDA convolution lowering (backend.h): im2col writes the column matrix of one image, col2im
// adds it back. conv2d runs on these and the gemm, as on the CPU when no direct or Winograd path
// applies (CUDA has neither: implicit GEMM is not written yet). One thread per column element
// (im2col) or per image element gathering its taps (col2im: no atomics, deterministic).
#include "cuda/launch.h"

namespace tk::cuda {
namespace {

template <class T>
__global__ void im2col_kernel(T* col, const T* img, Window2d w) {
  const int64_t P = w.OH * w.OW, n = w.C * w.kh * w.kw * P;
  TK_GRID_STRIDE(k, n) {
    const int64_t r = k / P, pos = k % P;
    const int64_t c = r / (w.kh * w.kw), i = (r / w.kw) % w.kh, j = r % w.kw;
    const int64_t h = (pos / w.OW) * w.sh - w.ph + i * w.dh, x = (pos % w.OW) * w.sw - w.pw + j * w.dw;
    col[k] = h >= 0 && h < w.H && x >= 0 && x < w.W ? img[(c * w.H + h) * w.W + x] : T(0);
  }
}

template <class T>
__global__ void col2im_kernel(T* img, const T* col, Window2d w) {
  const int64_t P = w.OH * w.OW, n = w.C * w.H * w.W;
  TK_GRID_STRIDE(k, n) {
    const int64_t c = k / (w.H * w.W), h = (k / w.W) % w.H, x = k % w.W;
    T acc = 0;
    for (int64_t i = 0; i < w.kh; ++i) {
      const int64_t hh = h + w.ph - i * w.dh;  // = oh * sh
      if (hh < 0 || hh % w.sh != 0 || hh / w.sh >= w.OH) continue;
      for (int64_t j = 0; j < w.kw; ++j) {
        const int64_t xx = x + w.pw - j * w.dw;  // = ow * sw
        if (xx < 0 || xx % w.sw != 0 || xx / w.sw >= w.OW) continue;
        acc += col[((c * w.kh + i) * w.kw + j) * P + (hh / w.sh) * w.OW + xx / w.sw];
      }
    }
    img[k] += acc;
  }
}

void im2col(const Tensor& col, const Tensor& image, const Window2d& w) {
  floating(col.dtype(), [&]<class T>() {
    cudaStream_t s = prepare(col, "conv2d");
    im2col_kernel<T><<<blocks_for(col.numel()), kThreads, 0, s>>>(col.data<T>(), image.data<T>(), w);
    check_launch("conv2d");
  });
}

void col2im(const Tensor& image, const Tensor& col, const Window2d& w) {
  floating(col.dtype(), [&]<class T>() {
    cudaStream_t s = prepare(col, "conv2d");
    col2im_kernel<T><<<blocks_for(w.C * w.H * w.W), kThreads, 0, s>>>(image.data<T>(), col.data<T>(), w);
    check_launch("conv2d");
  });
}

}  // namespace

void register_conv(Backend& b) {
  b.im2col = im2col;
  b.col2im = col2im;
}

}  // namespace tk::cuda
