// Fused scaled dot-product attention (backend.h's sdpa and sdpa_backward): per head, the scores,
// softmax and weighted sum run on the packed GEMM with the [L, S] weights in a per-thread scratch
// block, so nothing the size of all heads' weights is stored; the backward recomputes each head's
// weights from the saved log-sum-exp. Heads run in parallel, each on one thread, so the result
// does not depend on the thread count.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "cpu/gemm/gemm.h"
#include "kernels/functors.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

template <class T> T dot(const T* a, const T* b, int64_t n) {
  T s = 0;
  for (int64_t e = 0; e < n; ++e) s += a[e] * b[e];
  return s;
}

struct Dims {
  int64_t N, L, S, E, Ev;
};

Dims dims_of(const Tensor& q, const Tensor& k, const Tensor& v) {
  return {q.shape()[0], q.shape()[1], k.shape()[1], q.shape()[2], v.shape()[2]};
}

// C[M, N] = alpha * A[M, K] B[K, N] + beta * C, over raw row-major pointers with the given strides.
template <class T> void mm(T* c, const T* a, int64_t a_rs, int64_t a_cs, const T* b, int64_t b_rs, int64_t b_cs,
                           int64_t M, int64_t N, int64_t K, T alpha, T beta) {
  GemmArgs<T> g;
  g.M = M, g.N = N, g.K = K, g.alpha = alpha, g.beta = beta;
  g.a = a, g.a_rs = a_rs, g.a_cs = a_cs;
  g.b = b, g.b_rs = b_rs, g.b_cs = b_cs;
  g.c = c, g.c_rs = N, g.c_cs = 1;
  gemm(g);
}

// The scores of head n into s [L, S]: scale * Q K^T (one GEMM), plus the mask, -inf past the
// causal edge.
template <class T>
void head_scores(T* s, const T* q, const T* k, const T* mask, const Dims& d, int64_t n, T scale, bool causal) {
  mm(s, q + n * d.L * d.E, d.E, 1, k + n * d.S * d.E, 1, d.E, d.L, d.S, d.E, scale, T(0));
  const T inf = std::numeric_limits<T>::infinity();
  for (int64_t i = 0; i < d.L; ++i) {
    T* row = s + i * d.S;
    if (mask) {
      const T* m = mask + (n * d.L + i) * d.S;
      for (int64_t j = 0; j < d.S; ++j) row[j] += m[j];
    }
    if (causal)
      for (int64_t j = i + 1; j < d.S; ++j) row[j] = -inf;
  }
}

// Per head: scores (GEMM), a row-wise softmax in place, then P V (GEMM). The [L, S] weights live
// in a per-thread scratch row block, never in memory the size of all heads.
void sdpa(const Tensor& out, const Tensor& lse, const Tensor& qt, const Tensor& kt, const Tensor& vt,
          const Tensor& maskt, double scale_d, bool causal) {
  floating(out.dtype(), [&]<class T>() {
    const Dims d = dims_of(qt, kt, vt);
    const T *q = qt.data<T>(), *k = kt.data<T>(), *v = vt.data<T>();
    const T* mask = maskt.defined() ? maskt.data<T>() : nullptr;
    T* o = out.data<T>();
    T* ls = lse.data<T>();
    const T inf = std::numeric_limits<T>::infinity();
    parallel_for(0, d.N, 1, [&](int64_t n0, int64_t n1) {
      std::vector<T> p(size_t(d.L * d.S));
      for (int64_t n = n0; n < n1; ++n) {
        head_scores(p.data(), q, k, mask, d, n, T(scale_d), causal);
        for (int64_t i = 0; i < d.L; ++i) {
          T* row = p.data() + i * d.S;
          T m = -inf;
          if constexpr (std::is_same_v<T, float>)
            m = f32_rows().max(row, d.S);  // NaN if a score is NaN: the row is NaN either way
          else
            for (int64_t j = 0; j < d.S; ++j) m = row[j] > m ? row[j] : m;
          if (m == -inf) {  // every key masked: NaN, as the softmax of all -inf
            std::fill(row, row + d.S, std::numeric_limits<T>::quiet_NaN());
            ls[n * d.L + i] = -inf;
            continue;
          }
          // The exp functor (the backward's, and the exp op's), summed in double.
          double l = 0;
          if constexpr (std::is_same_v<T, float>) {
            l = f32_rows().exp_sum(row, row, d.S, m);
          } else {
            for (int64_t j = 0; j < d.S; ++j) row[j] = kernels::Exp{}(T(row[j] - m), {});
            for (int64_t j = 0; j < d.S; ++j) l += double(row[j]);
          }
          const T inv = T(1.0 / l);
          for (int64_t j = 0; j < d.S; ++j) row[j] *= inv;
          ls[n * d.L + i] = T(double(m) + std::log(l));
        }
        mm(o + n * d.L * d.Ev, p.data(), d.S, 1, v + n * d.S * d.Ev, d.Ev, 1, d.L, d.Ev, d.S, T(1), T(0));
      }
    });
  });
}

// Per head, with P = exp(scores - lse) recomputed: dV = P^T dO, dP = dO V^T, dS = P (dP - D) scale
// with D_i = dO_i . O_i, dQ = dS K, dK = dS^T Q: five GEMMs and two row sweeps.
void sdpa_backward(const Tensor& dqt, const Tensor& dkt, const Tensor& dvt, const Tensor& gt, const Tensor& qt,
                   const Tensor& kt, const Tensor& vt, const Tensor& outt, const Tensor& lset, const Tensor& maskt,
                   double scale_d, bool causal) {
  floating(dqt.dtype(), [&]<class T>() {
    const Dims d = dims_of(qt, kt, vt);
    const T *q = qt.data<T>(), *k = kt.data<T>(), *v = vt.data<T>(), *g = gt.data<T>(), *o = outt.data<T>(),
            *ls = lset.data<T>();
    const T* mask = maskt.defined() ? maskt.data<T>() : nullptr;
    T *dq = dqt.data<T>(), *dk = dkt.data<T>(), *dv = dvt.data<T>();
    const T scale = T(scale_d), inf = std::numeric_limits<T>::infinity();
    parallel_for(0, d.N, 1, [&](int64_t n0, int64_t n1) {
      std::vector<T> p(size_t(d.L * d.S)), dp(size_t(d.L * d.S));
      for (int64_t n = n0; n < n1; ++n) {
        head_scores(p.data(), q, k, mask, d, n, scale, causal);
        for (int64_t i = 0; i < d.L; ++i) {
          T* row = p.data() + i * d.S;
          const T l = ls[n * d.L + i];
          if (l == -inf)
            std::fill(row, row + d.S, T(0));
          else
            for (int64_t j = 0; j < d.S; ++j) row[j] = kernels::Exp{}(T(row[j] - l), {});
        }
        const T* gn = g + n * d.L * d.Ev;
        mm(dv + n * d.S * d.Ev, p.data(), 1, d.S, gn, d.Ev, 1, d.S, d.Ev, d.L, T(1), T(0));
        mm(dp.data(), gn, d.Ev, 1, v + n * d.S * d.Ev, 1, d.Ev, d.L, d.S, d.Ev, T(1), T(0));
        for (int64_t i = 0; i < d.L; ++i) {
          const T di = dot(gn + i * d.Ev, o + (n * d.L + i) * d.Ev, d.Ev);
          T* ds = dp.data() + i * d.S;
          const T* pr = p.data() + i * d.S;
          for (int64_t j = 0; j < d.S; ++j) ds[j] = pr[j] * (ds[j] - di) * scale;
        }
        mm(dq + n * d.L * d.E, dp.data(), d.S, 1, k + n * d.S * d.E, d.E, 1, d.L, d.E, d.S, T(1), T(0));
        mm(dk + n * d.S * d.E, dp.data(), 1, d.S, q + n * d.L * d.E, d.E, 1, d.S, d.E, d.L, T(1), T(0));
      }
    });
  });
}

}  // namespace

void register_attention(Backend& b) {
  b.sdpa = sdpa;
  b.sdpa_backward = sdpa_backward;
}

}  // namespace tk::cpu
