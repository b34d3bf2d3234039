// Batch normalization (backend.h's contract), one channel per task: the statistics in two passes
// (the mean, then the centred sum of squares, both accumulated in double: no cancellation), the
// output in a third, and the backward in two (the sums of g and g (x - mean), then gx). The
// composite it replaces made ~15 passes over the tensor, each writing a full-size temporary.
#include <cmath>

#include "backend.h"
#include "cpu/cpu.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

struct Geo {
  int64_t N, C, S;
};
Geo geo(const Tensor& x) {
  int64_t S = 1;
  for (int d = 2; d < x.ndim(); ++d) S *= x.shape()[d];
  return {x.shape()[0], x.shape()[1], S};
}
// Channels per task: enough work per task to amortise it, every channel independent.
int64_t grain_of(const Geo& g) { return std::max<int64_t>(1, 65536 / std::max<int64_t>(g.N * g.S, 1)); }

template <class T> void forward(const Tensor& yt, const Tensor& mt, const Tensor& vt, const Tensor& xt,
                                const Tensor& wt, const Tensor& bt, bool training, double eps) {
  const Geo g = geo(xt);
  const T* x = xt.data<T>();
  T* y = yt.data<T>();
  T* mean = mt.data<T>();
  T* var = vt.data<T>();
  const T* w = wt.data<T>();
  const T* b = bt.data<T>();
  const double M = double(g.N * g.S);
  parallel_for(0, g.C, grain_of(g), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double m, is;
      if (training) {
        double s = 0;
        for (int64_t n = 0; n < g.N; ++n) {
          const T* p = x + (n * g.C + c) * g.S;
          for (int64_t k = 0; k < g.S; ++k) s += double(p[k]);
        }
        m = s / M;
        double ss = 0;
        for (int64_t n = 0; n < g.N; ++n) {
          const T* p = x + (n * g.C + c) * g.S;
          for (int64_t k = 0; k < g.S; ++k) {
            const double d = double(p[k]) - m;
            ss += d * d;
          }
        }
        is = 1 / std::sqrt(ss / M + eps);
        mean[c] = T(m);
        var[c] = T(ss / M);
      } else {
        m = double(mean[c]);
        is = 1 / std::sqrt(double(var[c]) + eps);
      }
      // (x - mean) * scale + b: the subtraction first, so a large mean cancels exactly
      const T mc = T(m), scale = T(is * double(w[c])), shift = b[c];
      for (int64_t n = 0; n < g.N; ++n) {
        const T* p = x + (n * g.C + c) * g.S;
        T* q = y + (n * g.C + c) * g.S;
        for (int64_t k = 0; k < g.S; ++k) q[k] = (p[k] - mc) * scale + shift;
      }
    }
  });
}

template <class T> void backward(const Tensor& gxt, const Tensor& gwt, const Tensor& gbt, const Tensor& gt,
                                 const Tensor& xt, const Tensor& wt, const Tensor& mt, const Tensor& vt, bool training,
                                 double eps) {
  const Geo g = geo(xt);
  const T* x = xt.data<T>();
  const T* gy = gt.data<T>();
  T* gx = gxt.data<T>();
  T* gw = gwt.data<T>();
  T* gb = gbt.data<T>();
  const T* w = wt.data<T>();
  const T* mean = mt.data<T>();
  const T* var = vt.data<T>();
  const double M = double(g.N * g.S);
  parallel_for(0, g.C, grain_of(g), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const double m = double(mean[c]), is = 1 / std::sqrt(double(var[c]) + eps);
      double sg = 0, sgx = 0;  // sum(g), sum(g (x - mean))
      for (int64_t n = 0; n < g.N; ++n) {
        const T* p = x + (n * g.C + c) * g.S;
        const T* q = gy + (n * g.C + c) * g.S;
        for (int64_t k = 0; k < g.S; ++k) {
          sg += double(q[k]);
          sgx += double(q[k]) * (double(p[k]) - m);
        }
      }
      gb[c] = T(sg);
      gw[c] = T(sgx * is);
      const double k1 = double(w[c]) * is;
      // training: gx = k1 (g - sg / M) - k1 is^2 sgx / M (x - mean); otherwise gx = k1 g
      const T a = T(k1), sub = training ? T(sg / M) : T(0), bx = training ? T(k1 * is * is * sgx / M) : T(0);
      const T mc = T(m);
      for (int64_t n = 0; n < g.N; ++n) {
        const T* p = x + (n * g.C + c) * g.S;
        const T* q = gy + (n * g.C + c) * g.S;
        T* r = gx + (n * g.C + c) * g.S;
        for (int64_t k = 0; k < g.S; ++k) r[k] = a * (q[k] - sub) - bx * (p[k] - mc);
      }
    }
  });
}

void batch_norm(const Tensor& y, const Tensor& mean, const Tensor& var, const Tensor& x, const Tensor& w,
                const Tensor& b, bool training, double eps) {
  floating(x.dtype(), [&]<class T>() { forward<T>(y, mean, var, x, w, b, training, eps); });
}
void batch_norm_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                         const Tensor& w, const Tensor& mean, const Tensor& var, bool training, double eps) {
  floating(x.dtype(), [&]<class T>() { backward<T>(gx, gw, gb, g, x, w, mean, var, training, eps); });
}

}  // namespace

void register_norm(Backend& b) {
  b.batch_norm = batch_norm;
  b.batch_norm_backward = batch_norm_backward;
}

}  // namespace tk::cpu
