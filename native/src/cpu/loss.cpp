// Fused cross-entropy / NLL over class indices (backend.h's contract): per position one pass for
// the max, one for the exponentials (the vectorised exp of kernels/functors.h) and their sum, and
// in the backward one more that writes softmax - one-hot scaled by the loss's gradient.
#include <cmath>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "kernels/functors.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

struct Geo {
  int64_t N, C, S;
};
Geo geo(const Tensor& x) {
  if (x.ndim() == 1) return {1, x.shape()[0], 1};
  int64_t S = 1;
  for (int d = 2; d < x.ndim(); ++d) S *= x.shape()[d];
  return {x.shape()[0], x.shape()[1], S};
}

// One position's row of C values, read with stride S into `buf` when S > 1.
template <class T> const T* row_of(const T* x, const Geo& g, int64_t pos, std::vector<T>& buf) {
  const int64_t n = pos / g.S, s = pos % g.S;
  const T* base = x + n * g.C * g.S + s;
  if (g.S == 1) return base;
  for (int64_t c = 0; c < g.C; ++c) buf[size_t(c)] = base[c * g.S];
  return buf.data();
}

// e[c] = exp(x[c] - max) over a row (the backward's softmax numerators), their sum in double,
// and the max: log-sum-exp is max + log(sum), softmax e / sum.
template <class T> double exp_sum(const T* r, int64_t C, T* e, T& m) {
  if constexpr (std::is_same_v<T, float>) {  // in wide registers (rows_impl.h)
    const F32Rows& k = f32_rows();
    m = k.max(r, C);
    return k.exp_sum(r, e, C, m);
  }
  m = r[0];
  for (int64_t c = 1; c < C; ++c) m = r[c] > m || r[c] != r[c] ? r[c] : m;  // NaN wins, as max does
  double sum = 0;
  for (int64_t c = 0; c < C; ++c) e[c] = kernels::Exp{}(T(r[c] - m), {});
  for (int64_t c = 0; c < C; ++c) sum += double(e[c]);
  return sum;
}

template <class T>
void forward(const Tensor& out, const Tensor& xt, const Tensor& tt, const Tensor& wt_, const CrossEntropyOptions& o) {
  const Geo g = geo(xt);
  const T* x = xt.data<T>();
  const int64_t* t = tt.data<int64_t>();
  const T* w = wt_.defined() ? wt_.data<T>() : nullptr;
  const int64_t P = g.N * g.S;
  const double eps = o.label_smoothing;
  // Per-position loss and target weight, summed afterwards in position order (deterministic).
  std::vector<double> loss(static_cast<size_t>(P)), tw(static_cast<size_t>(P));
  parallel_for(0, P, std::max<int64_t>(1, 8192 / std::max<int64_t>(g.C, 1)), [&](int64_t p0, int64_t p1) {
    std::vector<T> buf(size_t(g.S > 1 ? g.C : 0)), e(size_t(g.C));
    for (int64_t p = p0; p < p1; ++p) {
      if (t[p] == o.ignore_index) {
        loss[size_t(p)] = tw[size_t(p)] = 0;
        continue;
      }
      const T* r = row_of(x, g, p, buf);
      T m = 0;
      const double lse = o.from_logits ? double(m + T(std::log(exp_sum(r, g.C, e.data(), m)))) : 0.0;
      const double wt = w ? double(w[t[p]]) : 1.0;
      double l = -wt * (double(r[t[p]]) - lse);
      if (eps > 0) {
        double sw = 0;  // sum_c w_c logp_c
        for (int64_t c = 0; c < g.C; ++c) sw += (w ? double(w[c]) : 1.0) * (double(r[c]) - lse);
        l = (1 - eps) * l - eps / double(g.C) * sw;
      }
      loss[size_t(p)] = l;
      tw[size_t(p)] = wt;
    }
  });
  T* y = out.data<T>();
  if (o.reduction == LossReduction::None) {
    for (int64_t p = 0; p < P; ++p) y[p] = T(loss[size_t(p)]);
    return;
  }
  double total = 0, wsum = 0;
  for (int64_t p = 0; p < P; ++p) total += loss[size_t(p)], wsum += tw[size_t(p)];
  y[0] = T(o.reduction == LossReduction::Sum ? total : total / wsum);  // mean of nothing: NaN, as PyTorch
}

template <class T> void backward(const Tensor& gxt, const Tensor& gt, const Tensor& xt, const Tensor& tt,
                                 const Tensor& wt_, const CrossEntropyOptions& o) {
  const Geo g = geo(xt);
  const T* x = xt.data<T>();
  const T* gy = gt.data<T>();
  T* gx = gxt.data<T>();
  const int64_t* t = tt.data<int64_t>();
  const T* w = wt_.defined() ? wt_.data<T>() : nullptr;
  const int64_t P = g.N * g.S;
  const double eps = o.label_smoothing;
  double W = double(g.C);  // sum of the class weights
  if (w) {
    W = 0;
    for (int64_t c = 0; c < g.C; ++c) W += double(w[c]);
  }
  double scale = o.reduction == LossReduction::None ? 0.0 : double(gy[0]);
  if (o.reduction == LossReduction::Mean) {
    double wsum = 0;
    for (int64_t p = 0; p < P; ++p)
      if (t[p] != o.ignore_index) wsum += w ? double(w[t[p]]) : 1.0;
    scale /= wsum;
  }
  parallel_for(0, P, std::max<int64_t>(1, 8192 / std::max<int64_t>(g.C, 1)), [&](int64_t p0, int64_t p1) {
    std::vector<T> buf(size_t(g.S > 1 ? g.C : 0)), e(size_t(g.C)), d(size_t(g.C));
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n = p / g.S, s = p % g.S;
      T* dst = gx + n * g.C * g.S + s;
      const bool strided = g.S > 1;
      T* out = strided ? d.data() : dst;
      if (t[p] == o.ignore_index) {
        for (int64_t c = 0; c < g.C; ++c) out[c] = T(0);
      } else {
        const T* r = row_of(x, g, p, buf);
        const double sc = o.reduction == LossReduction::None ? double(gy[p]) : scale;
        const double wt = w ? double(w[t[p]]) : 1.0;
        const T a = T(sc * (1 - eps) * wt), b = T(sc * eps / double(g.C));
        if (o.from_logits) {
          // (1 - eps) wt (p_c - [c == t]) + eps / C (W p_c - w_c), p = softmax(row)
          T m;
          const T inv = T(1.0 / exp_sum(r, g.C, e.data(), m));  // p_c = e_c * inv
          const T pa = a + b * T(W);
          if (w)
            for (int64_t c = 0; c < g.C; ++c) out[c] = pa * e[c] * inv - b * w[c];
          else
            for (int64_t c = 0; c < g.C; ++c) out[c] = pa * e[c] * inv - b;
        } else {
          // d/dlogp_c: -(1 - eps) wt [c == t] - eps / C w_c
          if (w)
            for (int64_t c = 0; c < g.C; ++c) out[c] = -b * w[c];
          else
            for (int64_t c = 0; c < g.C; ++c) out[c] = -b;
        }
        out[t[p]] -= a;
      }
      if (strided)
        for (int64_t c = 0; c < g.C; ++c) dst[c * g.S] = out[c];
    }
  });
}

void cross_entropy(const Tensor& out, const Tensor& x, const Tensor& target, const Tensor& weight,
                   const CrossEntropyOptions& o) {
  floating(x.dtype(), [&]<class T>() { forward<T>(out, x, target, weight, o); });
}
void cross_entropy_backward(const Tensor& gx, const Tensor& g, const Tensor& x, const Tensor& target,
                            const Tensor& weight, const CrossEntropyOptions& o) {
  floating(x.dtype(), [&]<class T>() { backward<T>(gx, g, x, target, weight, o); });
}

}  // namespace

void register_loss(Backend& b) {
  b.cross_entropy = cross_entropy;
  b.cross_entropy_backward = cross_entropy_backward;
}

}  // namespace tk::cpu
