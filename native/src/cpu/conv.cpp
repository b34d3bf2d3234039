// Convolution lowering: im2col / col2im for one image. The GEMM does the arithmetic; these move
// data. Rows of col are (c, i, j) kernel taps, columns the OH*OW output positions, so each row is
// a strided copy of one input row range and vectorises when the stride is 1.
#include <algorithm>
#include <cstring>

#include "backend.h"
#include "cpu/cpu.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

// The output columns [lo, hi) whose input column ow*sw - pw + j*dw lies inside [0, W).
inline void valid_range(int64_t W, int64_t OW, int64_t s, int64_t p, int64_t off, int64_t& lo, int64_t& hi) {
  // ow*s + off - p in [0, W)  <=>  ow in [ceil((p - off) / s), ceil((W + p - off) / s))
  auto ceil_div = [](int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); };
  lo = std::clamp<int64_t>(ceil_div(p - off, s), 0, OW);
  hi = std::clamp<int64_t>(ceil_div(W + p - off, s), lo, OW);
}

template <class T> void im2col_typed(T* col, const T* img, const Window2d& w) {
  const int64_t K = w.C * w.kh * w.kw, P = w.OH * w.OW;
  parallel_for(0, K, std::max<int64_t>(1, 16384 / std::max<int64_t>(P, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t c = r / (w.kh * w.kw), i = (r / w.kw) % w.kh, j = r % w.kw;
      T* dst = col + r * P;
      int64_t lo, hi;
      valid_range(w.W, w.OW, w.sw, w.pw, j * w.dw, lo, hi);
      for (int64_t oh = 0; oh < w.OH; ++oh) {
        T* d = dst + oh * w.OW;
        const int64_t h = oh * w.sh - w.ph + i * w.dh;
        if (h < 0 || h >= w.H) {
          std::fill(d, d + w.OW, T(0));
          continue;
        }
        const T* s = img + (c * w.H + h) * w.W + j * w.dw - w.pw;
        std::fill(d, d + lo, T(0));
        if (w.sw == 1)
          std::memcpy(d + lo, s + lo, sizeof(T) * (hi - lo));
        else
          for (int64_t ow = lo; ow < hi; ++ow) d[ow] = s[ow * w.sw];
        std::fill(d + hi, d + w.OW, T(0));
      }
    }
  });
}

template <class T> void col2im_typed(T* img, const T* col, const Window2d& w) {
  const int64_t P = w.OH * w.OW, taps = w.kh * w.kw;
  // Parallel over channels: every tap of one channel writes only that channel's plane.
  parallel_for(0, w.C, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      for (int64_t t = 0; t < taps; ++t) {
        const int64_t i = t / w.kw, j = t % w.kw;
        const T* src = col + (c * taps + t) * P;
        int64_t lo, hi;
        valid_range(w.W, w.OW, w.sw, w.pw, j * w.dw, lo, hi);
        for (int64_t oh = 0; oh < w.OH; ++oh) {
          const int64_t h = oh * w.sh - w.ph + i * w.dh;
          if (h < 0 || h >= w.H) continue;
          T* d = img + (c * w.H + h) * w.W + j * w.dw - w.pw;
          const T* s = src + oh * w.OW;
          if (w.sw == 1)
            for (int64_t ow = lo; ow < hi; ++ow) d[ow] += s[ow];
          else
            for (int64_t ow = lo; ow < hi; ++ow) d[ow * w.sw] += s[ow];
        }
      }
  });
}

void im2col(const Tensor& col, const Tensor& image, const Window2d& w) {
  floating(col.dtype(), [&]<class T>() { im2col_typed<T>(col.data<T>(), image.data<T>(), w); });
}

void col2im(const Tensor& image, const Tensor& col, const Window2d& w) {
  floating(col.dtype(), [&]<class T>() { col2im_typed<T>(image.data<T>(), col.data<T>(), w); });
}

}  // namespace

void register_conv(Backend& b) {
  b.im2col = im2col;
  b.col2im = col2im;
}

}  // namespace tk::cpu
