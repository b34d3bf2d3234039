// Image transforms for data loading (data.transforms): crop with padding and horizontal flip move
// elements of any dtype as bytes; normalize, bilinear resize and colour jitter compute on float32
// and float64 (16-bit floats through the half adapter). The arithmetic is written out in one
// order, in double, with contraction off (CMakeLists.txt), so the plain-TS reference
// (src/plain/image.ts) reproduces it.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

// Elements per parallel chunk: image planes are small, so a chunk is many of them.
int64_t plane_grain(int64_t plane_elems) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(plane_elems, 1)); }

void image_crop(const Tensor& out, const Tensor& in, const Tensor& fill, int64_t top, int64_t left) {
  const int64_t H = in.shape()[in.ndim() - 2], W = in.shape()[in.ndim() - 1];
  const int64_t oh = out.shape()[out.ndim() - 2], ow = out.shape()[out.ndim() - 1];
  const int64_t P = oh * ow > 0 ? out.numel() / (oh * ow) : 0;
  const size_t item = itemsize(in.dtype());
  const char* src = static_cast<const char*>(in.data_ptr());
  char* dst = static_cast<char*>(out.data_ptr());
  const char* f = static_cast<const char*>(fill.data_ptr());
  // The columns that come from the image: [x0, x1) of the output row.
  const int64_t x0 = std::clamp<int64_t>(-left, 0, ow), x1 = std::clamp<int64_t>(W - left, x0, ow);
  auto fill_run = [&](char* p, int64_t n) {
    for (int64_t i = 0; i < n; ++i) std::memcpy(p + size_t(i) * item, f, item);
  };
  parallel_for(0, P, plane_grain(oh * ow), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p)
      for (int64_t y = 0; y < oh; ++y) {
        char* row = dst + size_t((p * oh + y) * ow) * item;
        const int64_t sy = top + y;
        if (sy < 0 || sy >= H) {
          fill_run(row, ow);
          continue;
        }
        fill_run(row, x0);
        if (x1 > x0)
          std::memcpy(row + size_t(x0) * item, src + size_t((p * H + sy) * W + left + x0) * item,
                      size_t(x1 - x0) * item);
        fill_run(row + size_t(x1) * item, ow - x1);
      }
  });
}

template <class U> void reverse_rows(U* dst, const U* src, int64_t rows, int64_t W) {
  parallel_for(0, rows, std::max<int64_t>(1, 32768 / std::max<int64_t>(W, 1)), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const U* s = src + r * W;
      U* d = dst + r * W;
      for (int64_t x = 0; x < W; ++x) d[x] = s[W - 1 - x];
    }
  });
}

void image_hflip(const Tensor& out, const Tensor& in) {
  const int64_t W = in.ndim() ? in.shape()[in.ndim() - 1] : 1;
  const int64_t rows = W > 0 ? in.numel() / W : 0;
  const void* s = in.data_ptr();
  void* d = out.data_ptr();
  switch (itemsize(in.dtype())) {
    case 1: return reverse_rows(static_cast<uint8_t*>(d), static_cast<const uint8_t*>(s), rows, W);
    case 2: return reverse_rows(static_cast<uint16_t*>(d), static_cast<const uint16_t*>(s), rows, W);
    case 4: return reverse_rows(static_cast<uint32_t*>(d), static_cast<const uint32_t*>(s), rows, W);
    default: return reverse_rows(static_cast<uint64_t*>(d), static_cast<const uint64_t*>(s), rows, W);
  }
}

void image_normalize(const Tensor& out, const Tensor& in, const Tensor& mean, const Tensor& std) {
  floating(in.dtype(), [&]<class T>() {
    const int64_t N = in.shape()[0], C = in.shape()[1], S = in.shape()[2];
    const double* m = mean.data<double>();
    const double* sd = std.data<double>();
    const T* x = in.data<T>();
    T* y = out.data<T>();
    parallel_for(0, N * C, plane_grain(S), [&](int64_t b, int64_t e) {
      for (int64_t nc = b; nc < e; ++nc) {
        const T mc = T(m[nc % C]), sc = T(sd[nc % C]);
        for (int64_t i = nc * S; i < (nc + 1) * S; ++i) y[i] = (x[i] - mc) / sc;
      }
    });
  });
}

// One output coordinate's two source indices and the weight of the second (align_corners false).
struct Tap {
  int64_t i0, i1;
  double w;
};
std::vector<Tap> taps(int64_t in, int64_t out) {
  std::vector<Tap> t(static_cast<size_t>(out));
  const double scale = double(in) / double(out);
  for (int64_t o = 0; o < out; ++o) {
    double src = (double(o) + 0.5) * scale - 0.5;
    if (src < 0) src = 0;
    const int64_t i0 = std::min<int64_t>(int64_t(src), in - 1);
    t[size_t(o)] = {i0, std::min<int64_t>(i0 + 1, in - 1), src - double(i0)};
  }
  return t;
}

void image_resize(const Tensor& out, const Tensor& in) {
  floating(in.dtype(), [&]<class T>() {
    const int64_t H = in.shape()[1], W = in.shape()[2], P = out.shape()[0], oh = out.shape()[1], ow = out.shape()[2];
    const std::vector<Tap> ty = taps(H, oh), tx = taps(W, ow);
    const T* x = in.data<T>();
    T* y = out.data<T>();
    parallel_for(0, P * oh, std::max<int64_t>(1, 16384 / std::max<int64_t>(ow, 1)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t p = r / oh;
        const Tap& v = ty[size_t(r % oh)];
        const T* row0 = x + (p * H + v.i0) * W;
        const T* row1 = x + (p * H + v.i1) * W;
        T* o = y + r * ow;
        for (int64_t c = 0; c < ow; ++c) {
          const Tap& h = tx[size_t(c)];
          const double top = (1 - h.w) * double(row0[h.i0]) + h.w * double(row0[h.i1]);
          const double bot = (1 - h.w) * double(row1[h.i0]) + h.w * double(row1[h.i1]);
          o[c] = T((1 - v.w) * top + v.w * bot);
        }
      }
    });
  });
}

double clamp01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

// torchvision's rgb_to_grayscale weights; the gray value is stored in the image's dtype.
template <class T> T gray(const T* r, const T* g, const T* b, int64_t i) {
  return T(0.2989 * double(r[i]) + 0.587 * double(g[i]) + 0.114 * double(b[i]));
}

// torchvision's _rgb2hsv, hue shift and _hsv2rgb for one pixel, in double.
void shift_hue(double& r, double& g, double& b, double hue) {
  const double maxc = std::max(r, std::max(g, b)), minc = std::min(r, std::min(g, b));
  const bool eq = maxc == minc;
  const double cr = maxc - minc;
  const double s = cr / (eq ? 1.0 : maxc);
  const double d = eq ? 1.0 : cr;
  const double rc = (maxc - r) / d, gc = (maxc - g) / d, bc = (maxc - b) / d;
  double h = (maxc == r ? bc - gc : 0.0) + (maxc == g && maxc != r ? 2.0 + rc - bc : 0.0) +
             (maxc != g && maxc != r ? 4.0 + gc - rc : 0.0);
  h = h / 6.0 + 1.0;  // in [5/6, 2): fmod(h, 1) is h - 1 from 1 on, exactly (and much cheaper)
  if (h >= 1.0) h -= 1.0;
  h = h + hue;  // in [-0.5, 1.5); Python's % 1.0 by comparisons (floor is a libm call here)
  if (h < 0.0)
    h += 1.0;
  else if (h >= 1.0)
    h -= 1.0;
  const double v = maxc;
  const double i = double(int64_t(h * 6.0)), f = h * 6.0 - i;  // h * 6 >= 0: truncation is floor
  const double p = clamp01(v * (1.0 - s)), q = clamp01(v * (1.0 - s * f)), t = clamp01(v * (1.0 - s * (1.0 - f)));
  switch (((int64_t(i) % 6) + 6) % 6) {
    case 0: r = v, g = t, b = p; break;
    case 1: r = q, g = v, b = p; break;
    case 2: r = p, g = v, b = t; break;
    case 3: r = p, g = q, b = v; break;
    case 4: r = t, g = p, b = v; break;
    default: r = v, g = p, b = q; break;
  }
}

void image_adjust(const Tensor& out, const Tensor& in, const ImageAdjust& a) {
  floating(in.dtype(), [&]<class T>() {
    const int64_t N = in.shape()[0], C = in.shape()[1], S = in.shape()[2] * in.shape()[3];
    std::memcpy(out.data_ptr(), in.data_ptr(), size_t(in.numel()) * sizeof(T));
    T* base = out.data<T>();
    parallel_for(0, N, plane_grain(C * S), [&](int64_t b0, int64_t e0) {
      for (int64_t n = b0; n < e0; ++n) {
        T* img = base + n * C * S;
        T *r = img, *g = C == 3 ? img + S : img, *b = C == 3 ? img + 2 * S : img;
        for (int k = 0; k < a.n; ++k) {
          const double f = a.factor[a.order[k]];
          switch (a.order[k]) {
            case 0:
              for (int64_t i = 0; i < C * S; ++i) img[i] = T(clamp01(f * double(img[i])));
              break;
            case 1: {
              double sum = 0;
              for (int64_t i = 0; i < S; ++i) sum += double(C == 3 ? gray(r, g, b, i) : img[i]);
              const double mean = sum / double(S);
              for (int64_t i = 0; i < C * S; ++i) img[i] = T(clamp01(f * double(img[i]) + (1 - f) * mean));
              break;
            }
            case 2:
              if (C != 3) break;
              for (int64_t i = 0; i < S; ++i) {
                const double l = double(gray(r, g, b, i));
                r[i] = T(clamp01(f * double(r[i]) + (1 - f) * l));
                g[i] = T(clamp01(f * double(g[i]) + (1 - f) * l));
                b[i] = T(clamp01(f * double(b[i]) + (1 - f) * l));
              }
              break;
            default:
              if (C != 3) break;
              for (int64_t i = 0; i < S; ++i) {
                double rr = double(r[i]), gg = double(g[i]), bb = double(b[i]);
                shift_hue(rr, gg, bb, f);
                r[i] = T(rr), g[i] = T(gg), b[i] = T(bb);
              }
          }
        }
      }
    });
  });
}

}  // namespace

void register_image(Backend& b) {
  b.image_crop = image_crop;
  b.image_hflip = image_hflip;
  b.image_normalize = image_normalize;
  b.image_resize = image_resize;
  b.image_adjust = image_adjust;
}

}  // namespace tk::cpu
