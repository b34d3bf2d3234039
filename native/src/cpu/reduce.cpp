// CPU reductions and scans over the [O, R, I] geometry (see backend.h): sum/max/min, arg max/min,
// var/std, softmax/logSoftmax and cumsum.
//
// Two loop shapes cover every case: I == 1 reduces contiguous runs of R elements (one per
// output), I > 1 accumulates whole rows of I elements at a time, which vectorises along I.
// Work is split over outputs; a full reduction (O == I == 1) is split along R into partials.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "kernels/functors.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

// The element-wise exp functor (vectorisable for float32), shared with the exp op.
template <class T> TK_HD inline T expo(T x) { return kernels::Exp{}(x, {}); }

using kernels::is_nan;
using kernels::pick;
template <class T> using acc_t = kernels::sum_acc_t<T>;

// Sum of a contiguous run in accumulator type A, with four independent chains (latency-bound
// otherwise) combined pairwise.
template <class A, class T> A sum_run(const T* p, int64_t n) {
  A s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t r = 0;
  for (; r + 4 <= n; r += 4) {
    s0 += A(p[r]);
    s1 += A(p[r + 1]);
    s2 += A(p[r + 2]);
    s3 += A(p[r + 3]);
  }
  for (; r < n; ++r) s0 += A(p[r]);
  return (s0 + s1) + (s2 + s3);
}

// sum_run, through the float32 row kernels (rows_impl.h: wide registers, the same bits at every
// SIMD level) for float32 rows of 32 or more. A shorter row takes sum_run inline: the row kernels
// sum it in the same order (four chains), and the call through the table cost 2x on [10000, 10]
// class scores.
template <class A, class T> A run_sum(const T* p, int64_t n) {
  if constexpr (std::is_same_v<T, float>)
    if (n >= 32) return f32_rows().sum(p, n);
  return sum_run<A>(p, n);
}

// Max (min) of a contiguous run, NaN-propagating, without data-dependent branches: four
// independent select chains, and NaN tracked on the side (v != v), so random data costs no
// mispredictions.
template <bool IsMax, class T> T extreme_run(const T* p, int64_t n) {
  T b0 = p[0], b1 = p[0], b2 = p[0], b3 = p[0];
  bool nan = false;
  int64_t r = 0;
  auto sel = [](T best, T v) { return IsMax ? (v > best ? v : best) : (v < best ? v : best); };
  for (; r + 4 <= n; r += 4) {
    b0 = sel(b0, p[r]);
    b1 = sel(b1, p[r + 1]);
    b2 = sel(b2, p[r + 2]);
    b3 = sel(b3, p[r + 3]);
    if constexpr (std::is_floating_point_v<T>)
      nan |= (p[r] != p[r]) | (p[r + 1] != p[r + 1]) | (p[r + 2] != p[r + 2]) | (p[r + 3] != p[r + 3]);
  }
  for (; r < n; ++r) {
    b0 = sel(b0, p[r]);
    if constexpr (std::is_floating_point_v<T>) nan |= p[r] != p[r];
  }
  if (nan) return std::numeric_limits<T>::quiet_NaN();
  return sel(sel(b0, b1), sel(b2, b3));
}

// Runs fn(o_begin, o_end, i_begin, i_end) over the [O, I] outputs in parallel chunks.
template <class Fn> void over_outputs(ORI g, int64_t cost_per_output, Fn&& fn) {
  int64_t grain = std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(cost_per_output, 1));
  if (g.O >= 2 || g.I == 1) {
    parallel_for(0, g.O, grain, [&](int64_t b, int64_t e) { fn(b, e, 0, g.I); });
  } else {
    parallel_for(0, g.I, grain, [&](int64_t b, int64_t e) { fn(0, 1, b, e); });
  }
}

template <class T, class Out> void sum_kernel(const Tensor& out, const Tensor& in, ORI g) {
  using A = acc_t<T>;
  const T* x = in.data<T>();
  Out* y = out.data<Out>();
  if (g.I == 1 && g.O == 1) {
    // Full reduction: partial sums over fixed 32K-element chunks, combined in chunk order. The
    // chunking depends on the length only, so the result is bit-identical for any thread count.
    constexpr int64_t kChunk = int64_t(1) << 15;
    const int64_t parts = g.R >= 2 * kChunk ? (g.R + kChunk - 1) / kChunk : 1;
    std::vector<A> part(size_t(parts), A(0));
    parallel_for(0, parts, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        const int64_t lo = c * kChunk, hi = parts == 1 ? g.R : std::min(g.R, lo + kChunk);
        part[size_t(c)] = run_sum<A>(x + lo, hi - lo);
      }
    });
    A s = 0;
    for (const A& v : part) s += v;
    y[0] = Out(s);
    return;
  }
  over_outputs(g, g.R, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
    std::vector<A> acc(size_t(i1 - i0));
    for (int64_t o = o0; o < o1; ++o) {
      const T* base = x + o * g.R * g.I;
      if (g.I == 1) {
        y[o] = Out(run_sum<A>(base, g.R));
      } else {
        std::fill(acc.begin(), acc.end(), A(0));
        for (int64_t r = 0; r < g.R; ++r) {
          const T* row = base + r * g.I + i0;
          if constexpr (std::is_same_v<T, float>)
            f32_rows().accumulate(acc.data(), row, i1 - i0);
          else
            for (int64_t i = 0; i < i1 - i0; ++i) acc[i] += A(row[i]);
        }
        for (int64_t i = i0; i < i1; ++i) y[o * g.I + i] = Out(acc[i - i0]);
      }
    }
  });
}

template <bool IsMax, class T> void minmax_kernel(const Tensor& out, const Tensor& in, ORI g) {
  const T* x = in.data<T>();
  T* y = out.data<T>();
  over_outputs(g, g.R, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
    for (int64_t o = o0; o < o1; ++o) {
      const T* base = x + o * g.R * g.I;
      if (g.I == 1) {
        if constexpr (std::is_same_v<T, float>)
          y[o] = IsMax ? f32_rows().max(base, g.R) : f32_rows().min(base, g.R);
        else
          y[o] = extreme_run<IsMax>(base, g.R);
      } else {
        T* dst = y + o * g.I;
        for (int64_t i = i0; i < i1; ++i) dst[i] = base[i];
        for (int64_t r = 1; r < g.R; ++r) {
          const T* row = base + r * g.I;
          for (int64_t i = i0; i < i1; ++i) dst[i] = pick<IsMax>(dst[i], row[i]);
        }
      }
    }
  });
}

void reduce(ReduceKernel k, const Tensor& out, const Tensor& in, ORI g) {
  dispatch_dtype(in.dtype(), [&]<class T>() {
    switch (k) {
      case ReduceKernel::Sum: dispatch_dtype(out.dtype(), [&]<class Out>() { sum_kernel<T, Out>(out, in, g); }); break;
      case ReduceKernel::Max: minmax_kernel<true, T>(out, in, g); break;
      case ReduceKernel::Min: minmax_kernel<false, T>(out, in, g); break;
    }
  });
}

// First index of the max (min); NaN counts as the max and the min, as in PyTorch.
void arg_reduce(const Tensor& values, const Tensor& indices, const Tensor& in, ORI g, bool is_max) {
  dispatch_dtype(in.dtype(), [&]<class T>() {
    const T* x = in.data<T>();
    T* v = values.data<T>();
    int64_t* ix = indices.data<int64_t>();
    over_outputs(g, g.R, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
      // Rows of 16 or more: the extreme in wide registers, then the first index holding it (under
      // 16, the two calls per row cost more than the loop below: [10000, 10] scores took 2x).
      if constexpr (std::is_same_v<T, float>)
        if (g.I == 1 && g.R >= 16) {
          const F32Rows& k = f32_rows();
          for (int64_t o = o0; o < o1; ++o) {
            const float* p = x + o * g.R;
            const int64_t bi = k.find(p, g.R, is_max ? k.max(p, g.R) : k.min(p, g.R));
            v[o] = p[bi];
            ix[o] = bi;
          }
          return;
        }
      for (int64_t o = o0; o < o1; ++o)
        for (int64_t i = i0; i < i1; ++i) {
          const T* p = x + o * g.R * g.I + i;
          T best = p[0];
          int64_t bi = 0;
          for (int64_t r = 1; r < g.R && !is_nan(best); ++r) {
            T c = p[r * g.I];
            if (is_nan(c) || (is_max ? c > best : c < best)) {
              best = c;
              bi = r;
            }
          }
          v[o * g.I + i] = best;
          ix[o * g.I + i] = bi;
        }
    });
  });
}

// Two passes (mean, then squared deviations) in double: stable enough for float32 data.
void var(const Tensor& out, const Tensor& in, ORI g, double correction, bool take_sqrt) {
  dispatch_dtype(in.dtype(), [&]<class T>() {
    if constexpr (std::is_floating_point_v<T>) {
      const T* x = in.data<T>();
      T* y = out.data<T>();
      double denom = std::max(0.0, double(g.R) - correction);
      over_outputs(g, 2 * g.R, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
        std::vector<double> mean(size_t(i1 - i0)), ss(size_t(i1 - i0));
        for (int64_t o = o0; o < o1; ++o) {
          const T* base = x + o * g.R * g.I;
          if constexpr (std::is_same_v<T, float>)
            if (g.I == 1) {
              const double m = f32_rows().sum(base, g.R) / double(g.R);
              const double v = f32_rows().sq_dev(base, g.R, m) / denom;
              y[o] = T(take_sqrt ? std::sqrt(v) : v);
              continue;
            }
          if (g.I == 1) {  // a contiguous row: two passes with independent accumulators
            const double m = sum_run<double>(base, g.R) / double(g.R);
            double q0 = 0, q1 = 0, q2 = 0, q3 = 0;
            int64_t r = 0;
            for (; r + 4 <= g.R; r += 4) {
              const double d0 = base[r] - m, d1 = base[r + 1] - m, d2 = base[r + 2] - m, d3 = base[r + 3] - m;
              q0 += d0 * d0;
              q1 += d1 * d1;
              q2 += d2 * d2;
              q3 += d3 * d3;
            }
            for (; r < g.R; ++r) q0 += (base[r] - m) * (base[r] - m);
            const double v = ((q0 + q1) + (q2 + q3)) / denom;
            y[o] = T(take_sqrt ? std::sqrt(v) : v);
            continue;
          }
          std::fill(mean.begin(), mean.end(), 0.0);
          std::fill(ss.begin(), ss.end(), 0.0);
          for (int64_t r = 0; r < g.R; ++r)
            for (int64_t i = i0; i < i1; ++i) mean[i - i0] += double(base[r * g.I + i]);
          for (double& m : mean) m /= double(g.R);
          for (int64_t r = 0; r < g.R; ++r)
            for (int64_t i = i0; i < i1; ++i) {
              double d = double(base[r * g.I + i]) - mean[i - i0];
              ss[i - i0] += d * d;
            }
          for (int64_t i = i0; i < i1; ++i) {
            double v = ss[i - i0] / denom;
            y[o * g.I + i] = T(take_sqrt ? std::sqrt(v) : v);
          }
        }
      });
    } else {
      TK_ASSERT(!"var on an integer dtype");
    }
  });
}

// Numerically stable: subtract the max before exponentiating; sums in double.
void softmax(const Tensor& out, const Tensor& in, ORI g, bool log) {
  dispatch_dtype(in.dtype(), [&]<class T>() {
    if constexpr (std::is_floating_point_v<T>) {
      const T* x = in.data<T>();
      T* y = out.data<T>();
      over_outputs(g, 3 * g.R, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
        std::vector<T> mx(size_t(i1 - i0));
        std::vector<double> sum(size_t(i1 - i0));
        for (int64_t o = o0; o < o1; ++o) {
          const T* base = x + o * g.R * g.I;
          T* dst = y + o * g.R * g.I;
          if constexpr (std::is_same_v<T, float>)
            if (g.I == 1) {
              f32_rows().softmax(base, dst, g.R, log);
              continue;
            }
          if (g.I == 1) {  // a contiguous row: three simple loops the compiler vectorises
            const T m = extreme_run<true>(base, g.R);
            for (int64_t r = 0; r < g.R; ++r) dst[r] = expo(T(base[r] - m));
            const double sum = sum_run<double>(dst, g.R);
            if (log) {
              const T shift = m + T(std::log(sum));
              for (int64_t r = 0; r < g.R; ++r) dst[r] = base[r] - shift;
            } else {
              const T inv = T(1.0 / sum);
              for (int64_t r = 0; r < g.R; ++r) dst[r] *= inv;
            }
            continue;
          }
          for (int64_t i = i0; i < i1; ++i) mx[i - i0] = base[i];
          for (int64_t r = 1; r < g.R; ++r)
            for (int64_t i = i0; i < i1; ++i) mx[i - i0] = pick<true>(mx[i - i0], base[r * g.I + i]);
          std::fill(sum.begin(), sum.end(), 0.0);
          for (int64_t r = 0; r < g.R; ++r)
            for (int64_t i = i0; i < i1; ++i) {
              T e = expo(base[r * g.I + i] - mx[i - i0]);
              if (!log) dst[r * g.I + i] = e;
              sum[i - i0] += double(e);
            }
          for (int64_t i = i0; i < i1; ++i) {
            if (log) {
              T lse = T(std::log(sum[i - i0]));
              for (int64_t r = 0; r < g.R; ++r) dst[r * g.I + i] = base[r * g.I + i] - mx[i - i0] - lse;
            } else {
              T inv = T(1.0 / sum[i - i0]);
              for (int64_t r = 0; r < g.R; ++r) dst[r * g.I + i] *= inv;
            }
          }
        }
      });
    } else {
      TK_ASSERT(!"softmax on an integer dtype");
    }
  });
}

// A running sum (Prod false) or product along R; integers accumulate in int64.
template <bool Prod> void scan(const Tensor& out, const Tensor& in, ORI g) {
  dispatch_dtype(in.dtype(), [&]<class T>() {
    dispatch_dtype(out.dtype(), [&]<class Out>() {
      const T* x = in.data<T>();
      Out* y = out.data<Out>();
      using A = std::conditional_t<std::is_floating_point_v<Out>, Out, int64_t>;
      over_outputs(g, g.R, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
        if (g.I == 1) {  // a running value in a register (through acc's memory it was 4x slower)
          for (int64_t o = o0; o < o1; ++o) {
            A a = A(Prod ? 1 : 0);
            for (int64_t r = 0; r < g.R; ++r) {
              if constexpr (Prod)
                a *= A(x[o * g.R + r]);
              else
                a += A(x[o * g.R + r]);
              y[o * g.R + r] = Out(a);
            }
          }
          return;
        }
        std::vector<A> acc(size_t(i1 - i0));
        for (int64_t o = o0; o < o1; ++o) {
          std::fill(acc.begin(), acc.end(), A(Prod ? 1 : 0));
          for (int64_t r = 0; r < g.R; ++r) {
            int64_t off = (o * g.R + r) * g.I;
            for (int64_t i = i0; i < i1; ++i) {
              if constexpr (Prod)
                acc[i - i0] *= A(x[off + i]);
              else
                acc[i - i0] += A(x[off + i]);
              y[off + i] = Out(acc[i - i0]);
            }
          }
        }
      });
    });
  });
}

void cumsum(const Tensor& out, const Tensor& in, ORI g) { scan<false>(out, in, g); }
void cumprod(const Tensor& out, const Tensor& in, ORI g) { scan<true>(out, in, g); }

// y_j = prod_{k<=j} x_k, so dL/dx_i = E_i * S_i with E_i = prod_{k<i} x_k (the exclusive product)
// and S_i = sum_{j>=i} g_j prod_{i<k<=j} x_k, which runs backwards as S_i = g_i + x_{i+1} S_{i+1}.
// No division, so zeros in x are exact (x / x would be NaN there).
void cumprod_backward(const Tensor& gx, const Tensor& grad, const Tensor& xt, ORI g) {
  floating(gx.dtype(), [&]<class T>() {
    const T* x = xt.data<T>();
    const T* gy = grad.data<T>();
    T* out = gx.data<T>();
    over_outputs(g, 2 * g.R, [&](int64_t o0, int64_t o1, int64_t i0, int64_t i1) {
      for (int64_t o = o0; o < o1; ++o)
        for (int64_t i = i0; i < i1; ++i) {
          auto at = [&](int64_t r) { return (o * g.R + r) * g.I + i; };
          T s = 0;
          for (int64_t r = g.R - 1; r >= 0; --r) {  // out holds S_r for now
            s = r == g.R - 1 ? gy[at(r)] : gy[at(r)] + x[at(r + 1)] * s;
            out[at(r)] = s;
          }
          T e = 1;
          for (int64_t r = 0; r < g.R; ++r) {
            out[at(r)] *= e;
            e *= x[at(r)];
          }
        }
    });
  });
}

}  // namespace

void register_reduce(Backend& b) {
  b.reduce = reduce;
  b.arg_reduce = arg_reduce;
  b.var = var;
  b.softmax = softmax;
  b.cumsum = cumsum;
  b.cumprod = cumprod;
  b.cumprod_backward = cumprod_backward;
}

}  // namespace tk::cpu
