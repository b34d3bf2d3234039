// Connectionist temporal classification (backend.h's contract; Graves et al., 2006), one sample
// per task, in log space: the forward (alpha) recursion over the blank-interleaved target
// l' = (blank, l1, blank, l2, ..., blank), and a backward that runs the beta recursion a row at a
// time and turns each frame's alpha beta into that frame's gradient, so only alpha is stored.
// PyTorch's kernel does the same; its gradient adds exp(lp), which a log_softmax before it cancels.
#include <cmath>
#include <limits>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

template <class T> constexpr T kNegInf = -std::numeric_limits<T>::infinity();

// log(e^a + e^b) and log(e^a + e^b + e^c): one log and an exp per term besides the largest; exact
// at -inf (all -inf gives -inf, not NaN), and NaN propagates.
template <class T> T lse(T a, T b) {
  const T m = std::max(a, b);
  if (m == kNegInf<T>) return m;
  return m + std::log1p(std::exp(std::min(a, b) - m));
}
template <class T> T lse(T a, T b, T c) {
  const T m = std::max(a, std::max(b, c));
  if (m == kNegInf<T>) return m;
  return m + std::log(std::exp(a - m) + std::exp(b - m) + std::exp(c - m));
}

struct Geo {
  int64_t T, N, C, S, W;  // lp [T, N, C], targets [N, S], alpha [N, T, W = 2S + 1]
};
Geo geo(const Tensor& lp, const Tensor& targets) {
  const int64_t S = targets.shape()[1];
  return {lp.shape()[0], lp.shape()[1], lp.shape()[2], S, 2 * S + 1};
}

// One sample's view: its frames of lp (stride N C between frames), its target, its alpha slab.
template <class T> struct Sample {
  const T* lp;  // frame t at lp + t * frame
  int64_t frame, Tn, L, blank;
  const int64_t* tgt;
  T* alpha;  // [T, W]
  int64_t W;
  int64_t label(int64_t s) const { return s % 2 == 0 ? blank : tgt[s / 2]; }
  // Whether state s may be entered from s - 2 (skipping a blank): a label unlike the one before.
  bool skip(int64_t s) const { return s % 2 == 1 && s > 1 && tgt[s / 2] != tgt[s / 2 - 1]; }
  // The states [lo, hi) an alignment can occupy at frame t: reached from the start (s <= 2t + 1)
  // and able to reach the end in the frames left (s >= 2L - 1 - 2 (Tn - 1 - t)). The rest are
  // left at -inf: they carry no probability of the target.
  int64_t lo(int64_t t) const { return std::max<int64_t>(0, 2 * L + 1 - 2 * (Tn - t)); }
  int64_t hi(int64_t t) const { return std::min<int64_t>(2 * L + 1, 2 * t + 2); }
  // -log p(target): the paths that end on the last label or the blank after it.
  T nll() const {
    if (Tn == 0) return L == 0 ? T(0) : std::numeric_limits<T>::infinity();
    const T* last = alpha + (Tn - 1) * W;
    return -(L > 0 ? lse(last[2 * L], last[2 * L - 1]) : last[0]);
  }
};

template <class T> Sample<T> sample(const Geo& g, int64_t n, const T* lp, const int64_t* tg, const int64_t* il,
                                    const int64_t* tl, T* alpha, int64_t blank) {
  return {lp + n * g.C, g.N * g.C, il[n], tl[n], blank, tg + n * g.S, alpha + n * g.T * g.W, g.W};
}

template <class T> void forward(const Tensor& nll_t, const Tensor& alpha_t, const Tensor& lp_t, const Tensor& tg_t,
                                const Tensor& il_t, const Tensor& tl_t, int64_t blank, bool zero_infinity) {
  const Geo g = geo(lp_t, tg_t);
  T* nll = nll_t.data<T>();
  T* alpha = alpha_t.data<T>();
  const T* lp = lp_t.data<T>();
  const int64_t *tg = tg_t.data<int64_t>(), *il = il_t.data<int64_t>(), *tl = tl_t.data<int64_t>();
  parallel_for(0, g.N, 1, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const Sample<T> x = sample(g, n, lp, tg, il, tl, alpha, blank);
      T* a = x.alpha;
      for (int64_t i = 0; i < g.T * g.W; ++i) a[i] = kNegInf<T>;  // unreachable states, unused rows
      if (x.Tn > 0) {
        if (x.lo(0) == 0) a[0] = x.lp[blank];  // (not when the target needs every frame)
        if (x.L > 0 && x.lo(0) <= 1) a[1] = x.lp[x.tgt[0]];
        for (int64_t t = 1; t < x.Tn; ++t) {
          const T* prev = a + (t - 1) * g.W;
          T* cur = a + t * g.W;
          const T* f = x.lp + t * x.frame;
          for (int64_t s = x.lo(t), e = x.hi(t); s < e; ++s) {
            const T v = s == 0      ? prev[0]
                        : x.skip(s) ? lse(prev[s], prev[s - 1], prev[s - 2])
                                    : lse(prev[s], prev[s - 1]);
            cur[s] = v + f[x.label(s)];
          }
        }
      }
      const T r = x.nll();
      nll[n] = zero_infinity && std::isinf(r) ? T(0) : r;
    }
  });
}

template <class T> void backward(const Tensor& gx_t, const Tensor& g_t, const Tensor& lp_t, const Tensor& tg_t,
                                 const Tensor& il_t, const Tensor& tl_t, const Tensor& alpha_t, int64_t blank,
                                 bool zero_infinity) {
  const Geo g = geo(lp_t, tg_t);
  T* gx = gx_t.data<T>();
  const T* gn = g_t.data<T>();
  T* alpha = alpha_t.data<T>();  // read only
  const T* lp = lp_t.data<T>();
  const int64_t *tg = tg_t.data<int64_t>(), *il = il_t.data<int64_t>(), *tl = tl_t.data<int64_t>();
  parallel_for(0, g.N, 1, [&](int64_t n0, int64_t n1) {
    std::vector<T> beta(2 * g.W);
    for (int64_t n = n0; n < n1; ++n) {
      const Sample<T> x = sample(g, n, lp, tg, il, tl, alpha, blank);
      T* out = gx + n * g.C;  // frame t at out + t * x.frame
      for (int64_t t = x.Tn; t < g.T; ++t)
        for (int64_t c = 0; c < g.C; ++c) out[t * x.frame + c] = 0;
      if (x.Tn == 0) continue;
      const T nll = x.nll();
      if (std::isinf(nll)) {  // no alignment fits: 0 with zero_infinity, else undefined (NaN, as PyTorch)
        const T v = zero_infinity ? T(0) : std::numeric_limits<T>::quiet_NaN();
        for (int64_t t = 0; t < x.Tn; ++t)
          for (int64_t c = 0; c < g.C; ++c) out[t * x.frame + c] = v;
        continue;
      }
      const int64_t Sx = 2 * x.L + 1;
      const T scale = gn[n];
      T* next = beta.data() + g.W;  // beta at t + 1
      T* cur = beta.data();
      for (int64_t t = x.Tn - 1; t >= 0; --t) {
        const T* f = x.lp + t * x.frame;
        const int64_t lo = x.lo(t), hi = x.hi(t);
        for (int64_t s = 0; s < Sx; ++s) {
          T v;
          if (s < lo || s >= hi) {
            v = kNegInf<T>;
          } else if (t == x.Tn - 1) {
            v = s >= Sx - 2 ? T(0) : kNegInf<T>;  // the two final states (one when L = 0)
          } else if (s + 2 < Sx && x.skip(s + 2)) {
            v = lse(next[s], next[s + 1], next[s + 2]);
          } else {
            v = s + 1 < Sx ? lse(next[s], next[s + 1]) : next[s];
          }
          cur[s] = v + f[x.label(s)];
        }
        // alpha and beta both include frame t's emission, so alpha beta / y over the states labelled
        // c, divided by p, is d log p / d log y: each state's share, exp(alpha + beta - lp + nll),
        // is a probability (at most 1), summed without logs.
        T* o = out + t * x.frame;
        for (int64_t c = 0; c < g.C; ++c) o[c] = 0;
        const T* a = x.alpha + t * g.W;
        for (int64_t s = lo; s < hi; ++s) {
          const int64_t c = x.label(s);
          const T ab = a[s] + cur[s];
          if (ab != kNegInf<T>) o[c] -= scale * std::exp(ab + nll - f[c]);
        }
        std::swap(cur, next);
      }
    }
  });
}

void ctc_loss(const Tensor& nll, const Tensor& alpha, const Tensor& lp, const Tensor& targets, const Tensor& il,
              const Tensor& tl, int64_t blank, bool zero_infinity) {
  floating(lp.dtype(), [&]<class T>() { forward<T>(nll, alpha, lp, targets, il, tl, blank, zero_infinity); });
}
void ctc_loss_backward(const Tensor& gx, const Tensor& g, const Tensor& lp, const Tensor& targets, const Tensor& il,
                       const Tensor& tl, const Tensor& alpha, int64_t blank, bool zero_infinity) {
  floating(lp.dtype(), [&]<class T>() { backward<T>(gx, g, lp, targets, il, tl, alpha, blank, zero_infinity); });
}

}  // namespace

void register_ctc(Backend& b) {
  b.ctc_loss = ctc_loss;
  b.ctc_loss_backward = ctc_loss_backward;
}

}  // namespace tk::cpu
