// Batch normalization (backend.h's contract), one channel per task: the statistics in two passes
// (the mean, then the centred sum of squares, both accumulated in double: no cancellation), the
// output in a third, and the backward in two (the sums of g and g (x - mean), then gx). The
// composite it replaces made ~15 passes over the tensor, each writing a full-size temporary.
// The sums run in independent double lanes: float32's in the wide row kernels (f32_rows: sum,
// sq_dev, dot_dev, 32 lanes), other dtypes' in kLanes accumulators (Lanes). One running sum is a
// chain of dependent adds, ~4 cycles an element (1M elements: ~1 ms a pass), where lanes
// vectorise. The order is fixed by the shapes alone, so the results do not depend on the thread
// count.
#include <cmath>
#include <type_traits>

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
// kLanes running double sums, element k of a run added to lane k mod kLanes (a run's tail too).
constexpr int kLanes = 8;
struct Lanes {
  double v[kLanes] = {};
  // v[l] += f(k) for k in [0, n), l = k mod kLanes.
  template <class F> void add(int64_t n, const F& f) {
    int64_t k = 0;
    for (; k + kLanes <= n; k += kLanes)
      for (int l = 0; l < kLanes; ++l) v[l] += f(k + l);
    for (int l = 0; k < n; ++k, ++l) v[l] += f(k);
  }
  // As add, for two sums over the same run in one pass.
  template <class F, class G> static void add2(Lanes& a, Lanes& b, int64_t n, const F& f, const G& g) {
    int64_t k = 0;
    for (; k + kLanes <= n; k += kLanes)
      for (int l = 0; l < kLanes; ++l) {
        a.v[l] += f(k + l);
        b.v[l] += g(k + l);
      }
    for (int l = 0; k < n; ++k, ++l) {
      a.v[l] += f(k);
      b.v[l] += g(k);
    }
  }
  double total() const {  // pairwise, in a fixed order
    double t[kLanes];
    for (int l = 0; l < kLanes; ++l) t[l] = v[l];
    for (int w = kLanes / 2; w > 0; w /= 2)
      for (int l = 0; l < w; ++l) t[l] += t[l + w];
    return t[0];
  }
};

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
        double ss = 0;
        if constexpr (std::is_same_v<T, float>) {  // the wide row kernels (layer_norm's), image by image
          const F32Rows& k = f32_rows();
          double s = 0;
          for (int64_t n = 0; n < g.N; ++n) s += k.sum(x + (n * g.C + c) * g.S, g.S);
          m = s / M;
          for (int64_t n = 0; n < g.N; ++n) ss += k.sq_dev(x + (n * g.C + c) * g.S, g.S, m);
        } else {
          Lanes s;
          for (int64_t n = 0; n < g.N; ++n) {
            const T* p = x + (n * g.C + c) * g.S;
            s.add(g.S, [p](int64_t k) { return double(p[k]); });
          }
          m = s.total() / M;
          Lanes sq;
          for (int64_t n = 0; n < g.N; ++n) {
            const T* p = x + (n * g.C + c) * g.S;
            sq.add(g.S, [p, m](int64_t k) {
              const double d = double(p[k]) - m;
              return d * d;
            });
          }
          ss = sq.total();
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
      if constexpr (std::is_same_v<T, float>) {  // the wide row kernels, image by image
        const F32Rows& k = f32_rows();
        for (int64_t n = 0; n < g.N; ++n) {
          const int64_t at = (n * g.C + c) * g.S;
          sg += k.sum(gy + at, g.S);
          sgx += k.dot_dev(x + at, gy + at, g.S, m);
        }
      } else {
        Lanes lg, lgx;
        for (int64_t n = 0; n < g.N; ++n) {
          const T* p = x + (n * g.C + c) * g.S;
          const T* q = gy + (n * g.C + c) * g.S;
          Lanes::add2(
              lg, lgx, g.S, [q](int64_t k) { return double(q[k]); },
              [p, q, m](int64_t k) { return double(q[k]) * (double(p[k]) - m); });
        }
        sg = lg.total(), sgx = lgx.total();
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
