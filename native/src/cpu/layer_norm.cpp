// Layer normalization (backend.h's contract) over the rows of x [M, N]: per row, the mean and the
// centred sum of squares in double (two passes, float32 rows through the wide row kernels), then y
// in a third pass. The backward makes two passes per row for gx (the sums of g w and g w xhat,
// then gx) and one pass over column blocks for gw and gb. The composite it replaces (mean, var,
// sub, add, rsqrt, mul, mul, add, and their gradients) wrote a full-size temporary per op.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

// Rows per task: about 64K elements of work each.
int64_t row_grain(int64_t N) { return std::max<int64_t>(1, 65536 / std::max<int64_t>(N, 1)); }

template <class T> void row_stats(const T* r, int64_t N, double& mean, double& ss) {
  if constexpr (std::is_same_v<T, float>) {
    const F32Rows& k = f32_rows();
    mean = k.sum(r, N) / double(N);
    ss = k.sq_dev(r, N, mean);
  } else {
    double s = 0;
    for (int64_t j = 0; j < N; ++j) s += double(r[j]);
    mean = s / double(N);
    ss = 0;
    for (int64_t j = 0; j < N; ++j) ss += (double(r[j]) - mean) * (double(r[j]) - mean);
  }
}

template <class T> void forward(const Tensor& yt, const Tensor& mt, const Tensor& rt, const Tensor& xt,
                                const Tensor& wt, const Tensor& bt, double eps) {
  const int64_t N = xt.shape()[xt.ndim() - 1], M = xt.numel() / N;
  const T* x = xt.data<T>();
  T* y = yt.data<T>();
  T* mean = mt.data<T>();
  T* rstd = rt.data<T>();
  const T* w = wt.defined() ? wt.data<T>() : nullptr;
  const T* b = bt.defined() ? bt.data<T>() : nullptr;
  parallel_for(0, M, row_grain(N), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const T* r = x + i * N;
      T* o = y + i * N;
      double m, ss;
      row_stats(r, N, m, ss);
      const double is = 1 / std::sqrt(ss / double(N) + eps);
      mean[i] = T(m);
      rstd[i] = T(is);
      const T mc = T(m), ic = T(is);
      if constexpr (std::is_same_v<T, float>) {
        f32_rows().normalize(r, o, N, mc, ic, w, b);
        continue;
      }
      if (w && b)
        for (int64_t j = 0; j < N; ++j) o[j] = (r[j] - mc) * ic * w[j] + b[j];
      else if (w)
        for (int64_t j = 0; j < N; ++j) o[j] = (r[j] - mc) * ic * w[j];
      else if (b)
        for (int64_t j = 0; j < N; ++j) o[j] = (r[j] - mc) * ic + b[j];
      else
        for (int64_t j = 0; j < N; ++j) o[j] = (r[j] - mc) * ic;
    }
  });
}

template <class T> void backward(const Tensor& gxt, const Tensor& gwt, const Tensor& gbt, const Tensor& gt,
                                 const Tensor& xt, const Tensor& wt, const Tensor& mt, const Tensor& rt) {
  const int64_t N = xt.shape()[xt.ndim() - 1], M = xt.numel() / N;
  const T* x = xt.data<T>();
  const T* g = gt.data<T>();
  const T* w = wt.defined() ? wt.data<T>() : nullptr;
  const T* mean = mt.data<T>();
  const T* rstd = rt.data<T>();
  if (gxt.defined()) {
    T* gx = gxt.data<T>();
    parallel_for(0, M, row_grain(2 * N), [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const T* r = x + i * N;
        const T* q = g + i * N;
        T* o = gx + i * N;
        const T mc = mean[i], ic = rstd[i];
        // gh = g w; gx = rstd (gh - mean(gh) - xhat mean(gh xhat)), the sums in double
        double s1 = 0, s2 = 0;
        for (int64_t j = 0; j < N; ++j) {
          const double gh = w ? double(q[j]) * double(w[j]) : double(q[j]);
          s1 += gh;
          s2 += gh * double((r[j] - mc) * ic);
        }
        const T a = T(s1 / double(N)), c = T(s2 / double(N));
        if (w)
          for (int64_t j = 0; j < N; ++j) o[j] = ic * (q[j] * w[j] - a - (r[j] - mc) * ic * c);
        else
          for (int64_t j = 0; j < N; ++j) o[j] = ic * (q[j] - a - (r[j] - mc) * ic * c);
      }
    });
  }
  if (!gwt.defined() && !gbt.defined()) return;
  T* gw = gwt.defined() ? gwt.data<T>() : nullptr;
  T* gb = gbt.defined() ? gbt.data<T>() : nullptr;
  // Column blocks: each column's sums run over the rows in order (deterministic for any thread
  // count), a block of columns at a time so the rows are read contiguously.
  constexpr int64_t kBlock = 256;
  parallel_for(0, (N + kBlock - 1) / kBlock, std::max<int64_t>(1, 256 / std::max<int64_t>(M, 1)),
               [&](int64_t c0, int64_t c1) {
                 double sw[kBlock], sb[kBlock];
                 for (int64_t c = c0; c < c1; ++c) {
                   const int64_t j0 = c * kBlock, len = std::min(kBlock, N - j0);
                   std::fill(sw, sw + len, 0.0);
                   std::fill(sb, sb + len, 0.0);
                   for (int64_t i = 0; i < M; ++i) {
                     const T* r = x + i * N + j0;
                     const T* q = g + i * N + j0;
                     const T mc = mean[i], ic = rstd[i];
                     for (int64_t j = 0; j < len; ++j) {
                       sw[j] += double(q[j] * ((r[j] - mc) * ic));
                       sb[j] += double(q[j]);
                     }
                   }
                   if (gw)
                     for (int64_t j = 0; j < len; ++j) gw[j0 + j] = T(sw[j]);
                   if (gb)
                     for (int64_t j = 0; j < len; ++j) gb[j0 + j] = T(sb[j]);
                 }
               });
}

void layer_norm(const Tensor& y, const Tensor& mean, const Tensor& rstd, const Tensor& x, const Tensor& w,
                const Tensor& b, double eps) {
  floating(x.dtype(), [&]<class T>() { forward<T>(y, mean, rstd, x, w, b, eps); });
}
void layer_norm_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g, const Tensor& x,
                         const Tensor& w, const Tensor& mean, const Tensor& rstd) {
  floating(x.dtype(), [&]<class T>() { backward<T>(gx, gw, gb, g, x, w, mean, rstd); });
}

}  // namespace

void register_layer_norm(Backend& b) {
  b.layer_norm = layer_norm;
  b.layer_norm_backward = layer_norm_backward;
}

}  // namespace tk::cpu
