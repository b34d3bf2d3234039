// Fused scaled dot-product attention (backend.h's sdpa and sdpa_backward): per head, the scores,
// softmax and weighted sum run on the packed GEMM with the [L, S] weights in a per-thread scratch
// block, so nothing the size of all heads' weights is stored; the backward recomputes each head's
// weights from the saved log-sum-exp. Heads run in parallel, each on one thread, so the result
// does not depend on the thread count.
#include <algorithm>
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

struct Dims {
  int64_t N, L, S, E, Ev;
};

Dims dims_of(const Tensor& q, const Tensor& k, const Tensor& v) {
  return {q.shape()[0], q.shape()[1], k.shape()[1], q.shape()[2], v.shape()[2]};
}

// The keys query row i sees: those at or before it under causal (top-left aligned, as PyTorch's
// is_causal), else all S. Every later score is -inf and its weight exactly 0, so the row sweeps
// stop at this column and the rest of the row is filled with zeros for the GEMMs.
int64_t visible(const Dims& d, int64_t i, bool causal) { return causal ? std::min(i + 1, d.S) : d.S; }

// The row sweeps, on the float32 row kernels (vectorised per SIMD level) or plain loops.
template <class T> T row_max(const T* r, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    return f32_rows().max(r, n);  // NaN if a score is NaN: the row is NaN either way
  } else {
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t j = 0; j < n; ++j) m = r[j] > m ? r[j] : m;
    return m;
  }
}
// r = exp(r - m) with the exp functor (the exp op's values), and the sum in double.
template <class T> double row_exp(T* r, int64_t n, T m) {
  if constexpr (std::is_same_v<T, float>) {
    return f32_rows().exp_sum(r, r, n, m);
  } else {
    double l = 0;
    for (int64_t j = 0; j < n; ++j) l += double(r[j] = kernels::Exp{}(T(r[j] - m), {}));
    return l;
  }
}
template <class T> void row_scale(T* r, int64_t n, T s) {
  if constexpr (std::is_same_v<T, float>)
    f32_rows().scale(r, n, s);
  else
    for (int64_t j = 0; j < n; ++j) r[j] *= s;
}
template <class T> double row_dot(const T* a, const T* b, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    return f32_rows().dot_dev(a, b, n, 0.0);
  } else {
    double s = 0;
    for (int64_t e = 0; e < n; ++e) s += a[e] * b[e];
    return s;
  }
}
// d = p (d - c) s
template <class T> void row_softmax_grad(T* d, const T* p, int64_t n, T c, T s) {
  if constexpr (std::is_same_v<T, float>)
    f32_rows().softmax_grad(d, p, n, c, s);
  else
    for (int64_t j = 0; j < n; ++j) d[j] = p[j] * (d[j] - c) * s;
}

// Under causal, P and dS are zero above the diagonal, and the GEMMs skip that triangle in blocks
// of kBlock: query rows [r0, r1) see keys [0, min(r1, S)), and keys [j0, j1) are seen by query
// rows [j0, L) only. (A 256-position head does 62% of the full products' work in blocks of 64.)
// Without causal: one block of everything.
constexpr int64_t kBlock = 64;
template <class F> void query_blocks(const Dims& d, bool causal, F&& f) {  // f(r0, r1, keys)
  if (!causal) return f(int64_t(0), d.L, d.S);
  for (int64_t r0 = 0; r0 < d.L; r0 += kBlock) {
    const int64_t r1 = std::min(r0 + kBlock, d.L);
    f(r0, r1, std::min(r1, d.S));
  }
}
template <class F> void key_blocks(const Dims& d, bool causal, F&& f) {  // f(j0, j1, first query row)
  if (!causal) return f(int64_t(0), d.S, int64_t(0));
  for (int64_t j0 = 0; j0 < d.S; j0 += kBlock) f(j0, std::min(j0 + kBlock, d.S), j0);
}

// The scores of head n into s [L, S]: scale * Q K^T plus the mask. Only each row's visible()
// prefix is written.
template <class T>
void head_scores(T* s, const T* q, const T* k, const T* mask, const Dims& d, int64_t n, T scale, bool causal) {
  query_blocks(d, causal, [&](int64_t r0, int64_t r1, int64_t keys) {
    gemm_strided(s + r0 * d.S, d.S, q + (n * d.L + r0) * d.E, d.E, 1, k + n * d.S * d.E, 1, d.E, r1 - r0, keys, d.E,
                 scale, T(0));
  });
  if (mask)
    for (int64_t i = 0; i < d.L; ++i) {
      T* row = s + i * d.S;
      const T* m = mask + (n * d.L + i) * d.S;
      for (int64_t j = 0; j < d.S; ++j) row[j] += m[j];
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
          const int64_t c = visible(d, i, causal);
          const T m = row_max(row, c);
          if (m == -inf) {  // every key masked: NaN, as the softmax of all -inf
            std::fill(row, row + d.S, std::numeric_limits<T>::quiet_NaN());
            ls[n * d.L + i] = -inf;
            continue;
          }
          const double l = row_exp(row, c, m);
          row_scale(row, c, T(1.0 / l));
          std::fill(row + c, row + d.S, T(0));
          ls[n * d.L + i] = T(double(m) + std::log(l));
        }
        query_blocks(d, causal, [&](int64_t r0, int64_t r1, int64_t keys) {
          gemm_strided(o + (n * d.L + r0) * d.Ev, d.Ev, p.data() + r0 * d.S, d.S, 1, v + n * d.S * d.Ev, d.Ev, 1,
                       r1 - r0, d.Ev, keys, T(1), T(0));
        });
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
        // A fully masked row (lse -inf) has no weights, so no gradient flows through it.
        auto seen = [&](int64_t i) { return ls[n * d.L + i] == -inf ? 0 : visible(d, i, causal); };
        head_scores(p.data(), q, k, mask, d, n, scale, causal);
        for (int64_t i = 0; i < d.L; ++i) {
          T* row = p.data() + i * d.S;
          const int64_t c = seen(i);
          row_exp(row, c, ls[n * d.L + i]);
          std::fill(row + c, row + d.S, T(0));
        }
        const T* gn = g + n * d.L * d.Ev;
        query_blocks(d, causal, [&](int64_t r0, int64_t r1, int64_t keys) {
          gemm_strided(dp.data() + r0 * d.S, d.S, gn + r0 * d.Ev, d.Ev, 1, v + n * d.S * d.Ev, 1, d.Ev, r1 - r0, keys,
                       d.Ev, T(1), T(0));
        });
        for (int64_t i = 0; i < d.L; ++i) {
          const T di = T(row_dot(gn + i * d.Ev, o + (n * d.L + i) * d.Ev, d.Ev));
          T* ds = dp.data() + i * d.S;
          const int64_t c = seen(i);
          row_softmax_grad(ds, p.data() + i * d.S, c, di, scale);
          std::fill(ds + c, ds + d.S, T(0));
        }
        query_blocks(d, causal, [&](int64_t r0, int64_t r1, int64_t keys) {
          gemm_strided(dq + (n * d.L + r0) * d.E, d.E, dp.data() + r0 * d.S, d.S, 1, k + n * d.S * d.E, d.E, 1, r1 - r0,
                       d.E, keys, T(1), T(0));
        });
        // dV and dK by key blocks; keys no query row sees (causal, S > L) get zeros.
        key_blocks(d, causal, [&](int64_t j0, int64_t j1, int64_t i0) {
          T* dvb = dv + (n * d.S + j0) * d.Ev;
          T* dkb = dk + (n * d.S + j0) * d.E;
          if (i0 >= d.L) {
            std::fill(dvb, dvb + (j1 - j0) * d.Ev, T(0));
            std::fill(dkb, dkb + (j1 - j0) * d.E, T(0));
            return;
          }
          const int64_t at = i0 * d.S + j0;  // P[i0, j0]
          gemm_strided(dvb, d.Ev, p.data() + at, 1, d.S, gn + i0 * d.Ev, d.Ev, 1, j1 - j0, d.Ev, d.L - i0, T(1), T(0));
          gemm_strided(dkb, d.E, dp.data() + at, 1, d.S, q + (n * d.L + i0) * d.E, d.E, 1, j1 - j0, d.E, d.L - i0, T(1),
                       T(0));
        });
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
