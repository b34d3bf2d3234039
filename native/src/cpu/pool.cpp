// 2-D pooling over planes [P, H, W] (P = N * C), parallel over planes.
#include <algorithm>

#include "backend.h"
#include "cpu/cpu.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

int64_t planes(const Tensor& t) {
  return t.numel() / std::max<int64_t>(1, t.shape()[t.ndim() - 1] * t.shape()[t.ndim() - 2]);
}

// The maximum of one window. Random data makes a compare-and-branch mispredict about half the
// time, so the scan keeps the running index with integer arithmetic on the comparison result;
// a NaN anywhere (seen through a running sum) takes a slow pass: the first NaN wins, as in
// PyTorch. Ties keep the first position.
template <class T, bool Checked>
inline void window_max(const T* xp, const Window2d& w, int64_t oh, int64_t ow, T& out, int64_t& idx) {
  T best = T(0), sum = T(0);
  int64_t arg = -1;
  for (int64_t i = 0; i < w.kh; ++i) {
    const int64_t h = oh * w.sh - w.ph + i * w.dh;
    if (Checked && (h < 0 || h >= w.H)) continue;
    for (int64_t j = 0; j < w.kw; ++j) {
      const int64_t c = ow * w.sw - w.pw + j * w.dw;
      if (Checked && (c < 0 || c >= w.W)) continue;
      const int64_t k = h * w.W + c;
      const T v = xp[k];
      sum += v;
      if (arg < 0) {  // first element: predictable (once per window)
        best = v, arg = k;
        continue;
      }
      const int64_t gt = v > best;
      arg += (k - arg) & -gt;
      best = std::max(best, v);
    }
  }
  if (sum != sum) {  // a NaN (or infinities of both signs): find the first NaN, if any
    for (int64_t i = 0; i < w.kh; ++i)
      for (int64_t j = 0; j < w.kw; ++j) {
        const int64_t h = oh * w.sh - w.ph + i * w.dh, c = ow * w.sw - w.pw + j * w.dw;
        if (h < 0 || h >= w.H || c < 0 || c >= w.W) continue;
        if (xp[h * w.W + c] != xp[h * w.W + c]) {
          out = xp[h * w.W + c];
          idx = h * w.W + c;
          return;
        }
      }
  }
  out = best;
  idx = arg;
}

// The common 2x2 / stride 2 / no padding case as a comparison tree (two short chains instead
// of one long one); windows holding a NaN go to window_max.
template <class T> void max_pool_2x2(const T* xp, T* yp, int64_t* ip, const Window2d& w) {
  const int64_t W = w.W, OW = w.OW;
  for (int64_t oh = 0; oh < w.OH; ++oh) {
    const T* r0 = xp + 2 * oh * W;
    const T* r1 = r0 + W;
    const int64_t base = 2 * oh * W;
    for (int64_t ow = 0; ow < OW; ++ow) {
      const T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
      if ((a != a) | (b != b) | (c != c) | (d != d)) {
        window_max<T, false>(xp, w, oh, ow, yp[oh * OW + ow], ip[oh * OW + ow]);
        continue;
      }
      // Comparison results feed arithmetic, never a branch: on random data a branch here
      // mispredicts half the time (that made this loop 10x slower).
      const int64_t top = b > a, bottom = d > c;
      const T m1 = std::max(a, b), m2 = std::max(c, d);
      const int64_t i1 = base + 2 * ow + top, i2 = base + W + 2 * ow + bottom;
      const int64_t second = m2 > m1;
      yp[oh * OW + ow] = std::max(m1, m2);
      ip[oh * OW + ow] = i1 + ((i2 - i1) & -second);
    }
  }
}

// Values only (inference: nobody needs the indices): the max of four, NaN propagating.
template <class T> void max_pool_2x2_values(const T* xp, T* yp, const Window2d& w) {
  const int64_t W = w.W, OW = w.OW;
  for (int64_t oh = 0; oh < w.OH; ++oh) {
    const T* r0 = xp + 2 * oh * W;
    const T* r1 = r0 + W;
    T* dst = yp + oh * OW;
    for (int64_t ow = 0; ow < OW; ++ow) {
      const T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
      const T m = std::max(std::max(a, b), std::max(c, d));
      const bool nan = (a != a) | (b != b) | (c != c) | (d != d);
      dst[ow] = nan ? a + b + c + d : m;  // the sum is NaN when any input is
    }
  }
}

void max_pool2d(const Tensor& out, const Tensor& indices, const Tensor& in, const Window2d& w) {
  floating(in.dtype(), [&]<class T>() {
    const T* x = in.data<T>();
    T* y = out.data<T>();
    int64_t* idx = indices.defined() ? indices.data<int64_t>() : nullptr;
    const int64_t HW = w.H * w.W, OHW = w.OH * w.OW;
    // Output rows/columns whose windows lie inside the input need no bounds checks.
    auto first_inside = [](int64_t s, int64_t p) { return (p + s - 1) / s; };
    auto last_inside = [](int64_t n, int64_t s, int64_t p, int64_t span) {
      return n + p - span < 0 ? -1 : (n + p - span) / s;
    };
    const int64_t h0 = first_inside(w.sh, w.ph), h1 = last_inside(w.H, w.sh, w.ph, w.dh * (w.kh - 1) + 1);
    const int64_t w0 = first_inside(w.sw, w.pw), w1 = last_inside(w.W, w.sw, w.pw, w.dw * (w.kw - 1) + 1);
    const bool pair2x2 = w.kh == 2 && w.kw == 2 && w.sh == 2 && w.sw == 2 && w.ph == 0 && w.pw == 0 && w.dh == 1 &&
                         w.dw == 1 && 2 * w.OH <= w.H && 2 * w.OW <= w.W;
    parallel_for(0, planes(out), std::max<int64_t>(1, 4096 / std::max<int64_t>(OHW, 1)), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const T* xp = x + p * HW;
        T* yp = y + p * OHW;
        if (pair2x2 && !idx) {
          max_pool_2x2_values(xp, yp, w);
          continue;
        }
        int64_t* ip = idx ? idx + p * OHW : nullptr;
        if (pair2x2) {
          max_pool_2x2(xp, yp, ip, w);
          continue;
        }
        int64_t unused;
        for (int64_t oh = 0; oh < w.OH; ++oh)
          for (int64_t ow = 0; ow < w.OW; ++ow) {
            const int64_t o = oh * w.OW + ow;
            int64_t& slot = ip ? ip[o] : unused;
            if (oh >= h0 && oh <= h1 && ow >= w0 && ow <= w1)
              window_max<T, false>(xp, w, oh, ow, yp[o], slot);
            else
              window_max<T, true>(xp, w, oh, ow, yp[o], slot);
          }
      }
    });
  });
}

void max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices) {
  floating(grad_in.dtype(), [&]<class T>() {
    T* gi = grad_in.data<T>();
    const T* go = grad_out.data<T>();
    const int64_t* idx = indices.data<int64_t>();
    const int64_t HW = grad_in.shape()[grad_in.ndim() - 1] * grad_in.shape()[grad_in.ndim() - 2];
    const int64_t OHW = grad_out.shape()[grad_out.ndim() - 1] * grad_out.shape()[grad_out.ndim() - 2];
    parallel_for(0, planes(grad_out), std::max<int64_t>(1, 4096 / std::max<int64_t>(OHW, 1)),
                 [&](int64_t p0, int64_t p1) {
                   for (int64_t p = p0; p < p1; ++p) {
                     std::fill(gi + p * HW, gi + (p + 1) * HW, T(0));
                     for (int64_t o = 0; o < OHW; ++o) {
                       const int64_t k = idx[p * OHW + o];
                       if (k >= 0) gi[p * HW + k] += go[p * OHW + o];
                     }
                   }
                 });
  });
}

// The window of output (oh, ow) clipped to the padded input (for count_include_pad) and to the
// real input.
struct Box {
  int64_t h0, h1, w0, w1;
  int64_t padded_count;
};
inline Box box(const Window2d& w, int64_t oh, int64_t ow) {
  int64_t h0 = oh * w.sh - w.ph, w0 = ow * w.sw - w.pw;
  int64_t h1 = std::min(h0 + w.kh, w.H + w.ph), w1 = std::min(w0 + w.kw, w.W + w.pw);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  return {std::max<int64_t>(h0, 0), std::min(h1, w.H), std::max<int64_t>(w0, 0), std::min(w1, w.W), padded};
}

void avg_pool2d(const Tensor& out, const Tensor& in, const Window2d& w, bool count_include_pad) {
  floating(in.dtype(), [&]<class T>() {
    const T* x = in.data<T>();
    T* y = out.data<T>();
    const int64_t HW = w.H * w.W, OHW = w.OH * w.OW;
    parallel_for(0, planes(out), std::max<int64_t>(1, 4096 / std::max<int64_t>(OHW, 1)), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p)
        for (int64_t oh = 0; oh < w.OH; ++oh)
          for (int64_t ow = 0; ow < w.OW; ++ow) {
            Box b = box(w, oh, ow);
            T s = 0;
            for (int64_t h = b.h0; h < b.h1; ++h)
              for (int64_t c = b.w0; c < b.w1; ++c) s += x[p * HW + h * w.W + c];
            const int64_t n = count_include_pad ? b.padded_count : (b.h1 - b.h0) * (b.w1 - b.w0);
            y[p * OHW + oh * w.OW + ow] = n > 0 ? s / T(n) : T(0);
          }
    });
  });
}

void avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Window2d& w, bool count_include_pad) {
  floating(grad_in.dtype(), [&]<class T>() {
    T* gi = grad_in.data<T>();
    const T* go = grad_out.data<T>();
    const int64_t HW = w.H * w.W, OHW = w.OH * w.OW;
    parallel_for(0, planes(grad_out), std::max<int64_t>(1, 4096 / std::max<int64_t>(OHW, 1)),
                 [&](int64_t p0, int64_t p1) {
                   for (int64_t p = p0; p < p1; ++p) {
                     std::fill(gi + p * HW, gi + (p + 1) * HW, T(0));
                     for (int64_t oh = 0; oh < w.OH; ++oh)
                       for (int64_t ow = 0; ow < w.OW; ++ow) {
                         Box b = box(w, oh, ow);
                         const int64_t n = count_include_pad ? b.padded_count : (b.h1 - b.h0) * (b.w1 - b.w0);
                         if (n == 0) continue;
                         const T g = go[p * OHW + oh * w.OW + ow] / T(n);
                         for (int64_t h = b.h0; h < b.h1; ++h)
                           for (int64_t c = b.w0; c < b.w1; ++c) gi[p * HW + h * w.W + c] += g;
                       }
                   }
                 });
  });
}

inline int64_t start_of(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
inline int64_t end_of(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

template <bool Backward> void adaptive(const Tensor& big, const Tensor& small) {
  floating(big.dtype(), [&]<class T>() {
    T* bp = big.data<T>();
    T* sp = small.data<T>();
    const int64_t H = big.shape()[big.ndim() - 2], W = big.shape()[big.ndim() - 1];
    const int64_t OH = small.shape()[small.ndim() - 2], OW = small.shape()[small.ndim() - 1];
    parallel_for(0, planes(small), std::max<int64_t>(1, 4096 / std::max<int64_t>(H * W, 1)),
                 [&](int64_t p0, int64_t p1) {
                   for (int64_t p = p0; p < p1; ++p) {
                     T* b = bp + p * H * W;
                     T* s = sp + p * OH * OW;
                     if constexpr (Backward) std::fill(b, b + H * W, T(0));
                     for (int64_t oh = 0; oh < OH; ++oh)
                       for (int64_t ow = 0; ow < OW; ++ow) {
                         const int64_t h0 = start_of(oh, H, OH), h1 = end_of(oh, H, OH);
                         const int64_t w0 = start_of(ow, W, OW), w1 = end_of(ow, W, OW);
                         const T n = T((h1 - h0) * (w1 - w0));
                         if constexpr (Backward) {
                           const T g = s[oh * OW + ow] / n;
                           for (int64_t h = h0; h < h1; ++h)
                             for (int64_t c = w0; c < w1; ++c) b[h * W + c] += g;
                         } else {
                           T acc = 0;
                           for (int64_t h = h0; h < h1; ++h)
                             for (int64_t c = w0; c < w1; ++c) acc += b[h * W + c];
                           s[oh * OW + ow] = acc / n;
                         }
                       }
                   }
                 });
  });
}

void adaptive_avg_pool2d(const Tensor& out, const Tensor& in) { adaptive<false>(in, out); }
void adaptive_avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out) { adaptive<true>(grad_in, grad_out); }

}  // namespace

void register_pool(Backend& b) {
  b.max_pool2d = max_pool2d;
  b.max_pool2d_backward = max_pool2d_backward;
  b.avg_pool2d = avg_pool2d;
  b.avg_pool2d_backward = avg_pool2d_backward;
  b.adaptive_avg_pool2d = adaptive_avg_pool2d;
  b.adaptive_avg_pool2d_backward = adaptive_avg_pool2d_backward;
}

}  // namespace tk::cpu
