// The per-thread work of the CUDA kernels, as plain host-and-device functions of the thread's
// index. Each __global__ kernel in cuda/*.cu is a grid-stride loop calling one of these; the
// Node-free C++ test (native/test/core_test.cpp) calls the same functions in a serial loop on the
// CPU and compares the results with the CPU backend's kernels, so the index arithmetic, masking
// and accumulation are checked without a GPU. (Launch configuration, shared-memory tiling and
// atomics are what only a GPU run can check.) No CUDA headers here.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "backend.h"
#include "kernels/functors.h"

namespace tk::cuda::body {

using kernels::is_nan;
using kernels::pick;
TK_HD inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
TK_HD inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

// ---- element-wise -------------------------------------------------------------------------------

// Byte offset of element i (row-major over `sizes`) in an operand with byte `strides`.
TK_HD inline int64_t strided_offset(int64_t i, int nd, const int64_t* sizes, const int64_t* strides) {
  int64_t off = 0;
  for (int d = nd - 1; d >= 0; --d) {
    off += (i % sizes[d]) * strides[d];
    i /= sizes[d];
  }
  return off;
}

// N operands viewed over the first one's shape (others broadcast: 0 strides), byte strides.
// When every operand is contiguous with that shape, offsets are i * itemsize (no division).
template <int N> struct Geometry {
  int nd = 0;
  bool flat = true;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[N][kMaxDims] = {};  // bytes
  int64_t item[N] = {};
  char* base[N] = {};

  explicit Geometry(const Tensor* const (&ops)[N]) {
    const Tensor& out = *ops[0];
    nd = out.ndim();
    for (int d = 0; d < nd; ++d) sizes[d] = out.shape()[d];
    for (int k = 0; k < N; ++k) {
      const Tensor& t = *ops[k];
      item[k] = int64_t(itemsize(t.dtype()));
      base[k] = static_cast<char*>(t.data_ptr());
      int64_t expect = item[k];
      for (int d = nd - 1; d >= 0; --d) {
        strides[k][d] = t.strides()[d] * item[k];
        if (sizes[d] != 1 && strides[k][d] != expect) flat = false;
        expect *= sizes[d];
      }
    }
  }

  TK_HD void offsets(int64_t i, int64_t (&off)[N]) const {
    if (flat) {
      for (int k = 0; k < N; ++k) off[k] = i * item[k];
      return;
    }
    for (int k = 0; k < N; ++k) off[k] = strided_offset(i, nd, sizes, strides[k]);
  }
};

// ---- conv lowering -----------------------------------------------------------------------------

// Column element k of [C * kh * kw, OH * OW].
template <class T> TK_HD inline void im2col(int64_t k, T* col, const T* img, const Window2d& w) {
  const int64_t P = w.OH * w.OW;
  const int64_t r = k / P, pos = k % P;
  const int64_t c = r / (w.kh * w.kw), i = (r / w.kw) % w.kh, j = r % w.kw;
  const int64_t h = (pos / w.OW) * w.sh - w.ph + i * w.dh, x = (pos % w.OW) * w.sw - w.pw + j * w.dw;
  col[k] = h >= 0 && h < w.H && x >= 0 && x < w.W ? img[(c * w.H + h) * w.W + x] : T(0);
}

// Image element k of [C, H, W]: adds every column entry that im2col would have read from it.
template <class T> TK_HD inline void col2im(int64_t k, T* img, const T* col, const Window2d& w) {
  const int64_t P = w.OH * w.OW;
  const int64_t c = k / (w.H * w.W), h = (k / w.W) % w.H, x = k % w.W;
  T acc = 0;
  for (int64_t i = 0; i < w.kh; ++i) {
    const int64_t hh = h + w.ph - i * w.dh;  // = oh * sh for the output row that read it
    if (hh < 0 || hh % w.sh != 0 || hh / w.sh >= w.OH) continue;
    for (int64_t j = 0; j < w.kw; ++j) {
      const int64_t xx = x + w.pw - j * w.dw;
      if (xx < 0 || xx % w.sw != 0 || xx / w.sw >= w.OW) continue;
      acc += col[((c * w.kh + i) * w.kw + j) * P + (hh / w.sh) * w.OW + xx / w.sw];
    }
  }
  img[k] += acc;
}

// ---- pooling over planes [P, H, W] -----------------------------------------------------------

// Output k of [P, OH, OW]: the first maximum, the first NaN winning, padding never; index -1 for
// a window entirely in padding.
template <class T> TK_HD inline void max_pool(int64_t k, T* y, int64_t* idx, const T* x, const Window2d& w) {
  const int64_t OHW = w.OH * w.OW;
  const int64_t p = k / OHW, oh = (k % OHW) / w.OW, ow = k % w.OW;
  const T* xp = x + p * w.H * w.W;
  T best = T(0);
  int64_t arg = -1;
  bool nan = false;
  for (int64_t i = 0; i < w.kh && !nan; ++i) {
    const int64_t h = oh * w.sh - w.ph + i * w.dh;
    if (h < 0 || h >= w.H) continue;
    for (int64_t j = 0; j < w.kw; ++j) {
      const int64_t c = ow * w.sw - w.pw + j * w.dw;
      if (c < 0 || c >= w.W) continue;
      const T v = xp[h * w.W + c];
      if (v != v) {
        best = v, arg = h * w.W + c, nan = true;
        break;
      }
      if (arg < 0 || v > best) best = v, arg = h * w.W + c;
    }
  }
  y[k] = best;
  if (idx) idx[k] = arg;
}

// Plane p of the input gradient: zeroed, then each output's gradient added at its index.
template <class T>
TK_HD inline void max_pool_backward(int64_t p, T* gi, const T* go, const int64_t* idx, int64_t HW, int64_t OHW) {
  for (int64_t k = 0; k < HW; ++k) gi[p * HW + k] = T(0);
  for (int64_t o = 0; o < OHW; ++o) {
    const int64_t k = idx[p * OHW + o];
    if (k >= 0) gi[p * HW + k] += go[p * OHW + o];
  }
}

// The window of output (oh, ow) clipped to the padded input (padded: its size there, for
// count_include_pad) and to the real input.
struct Box {
  int64_t h0, h1, w0, w1, padded;
};
TK_HD inline Box box(const Window2d& w, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * w.sh - w.ph, w0 = ow * w.sw - w.pw;
  const int64_t h1 = imin(h0 + w.kh, w.H + w.ph), w1 = imin(w0 + w.kw, w.W + w.pw);
  return {imax(h0, 0), imin(h1, w.H), imax(w0, 0), imin(w1, w.W), (h1 - h0) * (w1 - w0)};
}
TK_HD inline int64_t box_count(const Box& b, bool include_pad) {
  return include_pad ? b.padded : (b.h1 - b.h0) * (b.w1 - b.w0);
}

template <class T> TK_HD inline void avg_pool(int64_t k, T* y, const T* x, const Window2d& w, bool include_pad) {
  const int64_t OHW = w.OH * w.OW;
  const int64_t p = k / OHW, oh = (k % OHW) / w.OW, ow = k % w.OW;
  const Box b = box(w, oh, ow);
  T s = 0;
  for (int64_t h = b.h0; h < b.h1; ++h)
    for (int64_t c = b.w0; c < b.w1; ++c) s += x[p * w.H * w.W + h * w.W + c];
  const int64_t n = box_count(b, include_pad);
  y[k] = n > 0 ? s / T(n) : T(0);
}

template <class T>
TK_HD inline void avg_pool_backward(int64_t p, T* gi, const T* go, const Window2d& w, bool include_pad) {
  const int64_t HW = w.H * w.W, OHW = w.OH * w.OW;
  for (int64_t k = 0; k < HW; ++k) gi[p * HW + k] = T(0);
  for (int64_t oh = 0; oh < w.OH; ++oh)
    for (int64_t ow = 0; ow < w.OW; ++ow) {
      const Box b = box(w, oh, ow);
      const int64_t n = box_count(b, include_pad);
      if (n == 0) continue;
      const T g = go[p * OHW + oh * w.OW + ow] / T(n);
      for (int64_t h = b.h0; h < b.h1; ++h)
        for (int64_t c = b.w0; c < b.w1; ++c) gi[p * HW + h * w.W + c] += g;
    }
}

TK_HD inline int64_t start_of(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
TK_HD inline int64_t end_of(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

// Output k of [P, OH, OW] from big [P, H, W].
template <class T>
TK_HD inline void adaptive(int64_t k, T* s, const T* b, int64_t H, int64_t W, int64_t OH, int64_t OW) {
  const int64_t p = k / (OH * OW), oh = (k / OW) % OH, ow = k % OW;
  const int64_t h0 = start_of(oh, H, OH), h1 = end_of(oh, H, OH), w0 = start_of(ow, W, OW), w1 = end_of(ow, W, OW);
  T acc = 0;
  for (int64_t h = h0; h < h1; ++h)
    for (int64_t c = w0; c < w1; ++c) acc += b[p * H * W + h * W + c];
  s[k] = acc / T((h1 - h0) * (w1 - w0));
}

template <class T>
TK_HD inline void adaptive_backward(int64_t p, T* b, const T* s, int64_t H, int64_t W, int64_t OH, int64_t OW) {
  for (int64_t k = 0; k < H * W; ++k) b[p * H * W + k] = T(0);
  for (int64_t oh = 0; oh < OH; ++oh)
    for (int64_t ow = 0; ow < OW; ++ow) {
      const int64_t h0 = start_of(oh, H, OH), h1 = end_of(oh, H, OH), w0 = start_of(ow, W, OW), w1 = end_of(ow, W, OW);
      const T g = s[p * OH * OW + oh * OW + ow] / T((h1 - h0) * (w1 - w0));
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t c = w0; c < w1; ++c) b[p * H * W + h * W + c] += g;
    }
}

// ---- reductions over [O, R, I]: one call per (o, i) output k ----------------------------------

enum class Kind { Sum, Max, Min };

template <Kind K, class A> TK_HD inline A combine(A a, A b) {
  if constexpr (K == Kind::Sum)
    return a + b;
  else
    return pick<K == Kind::Max>(a, b);
}

// Row reductions (I == 1) by a block of `threads`: thread t first combines elements t, t + threads,
// ... of the row; then a shared-memory tree halves the partials, step s combining part[t] with
// part[t + s] for t < s (threads is a power of two).
template <Kind K, class T> using part_t = std::conditional_t<K == Kind::Sum, kernels::sum_acc_t<T>, T>;
template <Kind K, class T> TK_HD inline part_t<K, T> row_partial(int t, int threads, const T* row, int64_t R) {
  using A = part_t<K, T>;
  A acc = K == Kind::Sum ? A(0) : A(row[0]);
  for (int64_t r = t; r < R; r += threads) acc = combine<K, A>(acc, A(row[r]));
  return acc;
}
template <Kind K, class A> TK_HD inline void tree_step(A* part, int t, int s) {
  if (t < s) part[t] = combine<K, A>(part[t], part[t + s]);
}

template <Kind K, class T, class Out> TK_HD inline void column_reduce(int64_t k, const T* x, Out* y, const ORI& g) {
  using A = part_t<K, T>;
  const T* p = x + (k / g.I) * g.R * g.I + k % g.I;
  A acc = K == Kind::Sum ? A(0) : A(p[0]);
  for (int64_t r = 0; r < g.R; ++r) acc = combine<K, A>(acc, A(p[r * g.I]));
  y[k] = Out(acc);
}

// First index of the max (min); NaN counts as the max and the min.
template <class T> TK_HD inline void arg_reduce(int64_t k, const T* x, T* v, int64_t* ix, const ORI& g, bool is_max) {
  const T* p = x + (k / g.I) * g.R * g.I + k % g.I;
  T best = p[0];
  int64_t bi = 0;
  for (int64_t r = 1; r < g.R && !is_nan(best); ++r) {
    const T c = p[r * g.I];
    if (is_nan(c) || (is_max ? c > best : c < best)) best = c, bi = r;
  }
  v[k] = best;
  ix[k] = bi;
}

// Two passes in double, as on the CPU.
template <class T> TK_HD inline void var(int64_t k, const T* x, T* y, const ORI& g, double denom, bool take_sqrt) {
  const T* p = x + (k / g.I) * g.R * g.I + k % g.I;
  double m = 0, ss = 0;
  for (int64_t r = 0; r < g.R; ++r) m += double(p[r * g.I]);
  m /= double(g.R);
  for (int64_t r = 0; r < g.R; ++r) {
    const double d = double(p[r * g.I]) - m;
    ss += d * d;
  }
  const double v = ss / denom;
  y[k] = T(take_sqrt ? std::sqrt(v) : v);
}

// Max first, then exponentials summed in double (numerically stable), as on the CPU.
template <class T> TK_HD inline void softmax(int64_t k, const T* x, T* y, const ORI& g, bool log) {
  const int64_t off = (k / g.I) * g.R * g.I + k % g.I;
  const T* p = x + off;
  T* q = y + off;
  T m = p[0];
  for (int64_t r = 1; r < g.R; ++r) m = pick<true>(m, p[r * g.I]);
  double sum = 0;
  for (int64_t r = 0; r < g.R; ++r) {
    const T e = kernels::Exp{}(T(p[r * g.I] - m), {});
    if (!log) q[r * g.I] = e;
    sum += double(e);
  }
  if (log) {
    const T shift = m + T(std::log(sum));
    for (int64_t r = 0; r < g.R; ++r) q[r * g.I] = p[r * g.I] - shift;
  } else {
    const T inv = T(1.0 / sum);
    for (int64_t r = 0; r < g.R; ++r) q[r * g.I] *= inv;
  }
}

template <class T, class Out> TK_HD inline void cumsum(int64_t k, const T* x, Out* y, const ORI& g) {
  using A = std::conditional_t<std::is_floating_point_v<Out>, Out, int64_t>;
  const int64_t off = (k / g.I) * g.R * g.I + k % g.I;
  A acc = 0;
  for (int64_t r = 0; r < g.R; ++r) {
    acc += A(x[off + r * g.I]);
    y[off + r * g.I] = Out(acc);
  }
}

// ---- gemm: one 16x16 output tile per block, K in steps of 16 through shared memory ------------

constexpr int kTile = 16;

template <class T> struct View3 {
  const T* p;
  int64_t bs, rs, cs;  // element strides: batch, row, column
  TK_HD T at(int64_t b, int64_t r, int64_t c) const { return p[b * bs + r * rs + c * cs]; }
};

// A block's shared tiles; +1 column so threads of a warp reading a column hit distinct banks.
template <class T> struct GemmTiles {
  T a[kTile][kTile + 1], b[kTile][kTile + 1];
};

// Phase 1 of a K step, thread (tx, ty) of the block at output tile (row0, col0): stage one
// element of a and of b (zero outside the matrices).
template <class T> TK_HD inline void gemm_stage(GemmTiles<T>& s, int tx, int ty, int64_t bi, int64_t row0, int64_t col0,
                                                int64_t k0, const View3<T>& a, const View3<T>& b, int64_t M, int64_t N,
                                                int64_t K) {
  const int64_t row = row0 + ty, col = col0 + tx;
  s.a[ty][tx] = row < M && k0 + tx < K ? a.at(bi, row, k0 + tx) : T(0);
  s.b[ty][tx] = k0 + ty < K && col < N ? b.at(bi, k0 + ty, col) : T(0);
}

// Phase 2: the thread's output accumulates the staged step.
template <class T, class A> TK_HD inline void gemm_accumulate(const GemmTiles<T>& s, int tx, int ty, A& acc) {
  for (int kk = 0; kk < kTile; ++kk) acc += A(s.a[ty][kk]) * A(s.b[kk][tx]);
}

// After the last step: out = alpha * acc + beta * out (beta 0: out is not read, NaN there ignored).
template <class T, class A> TK_HD inline void gemm_store(T* c, int64_t c_bs, int64_t c_rs, int64_t c_cs, int64_t bi,
                                                         int64_t row, int64_t col, int64_t M, int64_t N, A acc, A alpha,
                                                         A beta) {
  if (row >= M || col >= N) return;
  T* out = c + bi * c_bs + row * c_rs + col * c_cs;
  *out = beta == A(0) ? T(alpha * acc) : T(alpha * acc + beta * A(*out));
}

// ---- indexing -----------------------------------------------------------------------------------

// Byte k of the gathered rows: out row t = src row (t / K) * R + ix[t % K], rows of `row` bytes.
TK_HD inline void gather_row_byte(int64_t k, char* out, const char* src, const int64_t* ix, int64_t row, int64_t K,
                                  int64_t R) {
  const int64_t t = k / row, b = k % row;
  out[k] = src[((t / K) * R + ix[t % K]) * row + b];
}

// Where grad element k of [O, K, I] is added in out [O, R, I].
TK_HD inline int64_t index_add_target(int64_t k, const int64_t* ix, const ORI& g, int64_t K) {
  const int64_t o = k / (K * g.I), j = (k / g.I) % K, i = k % g.I;
  return (o * g.R + ix[j]) * g.I + i;
}

// Line `line` of [O, I] lines of length R: its sorted positions into sorted[line * R ...], by a
// bottom-up merge sort between that row and scratch[line * R ...] (stable: on ties the left
// run's element goes first; descending swaps the comparison, not the result).
template <class T> TK_HD inline void argsort_line(int64_t line, int64_t* sorted, int64_t* scratch, const T* x,
                                                  const ORI& g, bool descending) {
  const int64_t base = (line / g.I) * g.R * g.I + line % g.I;
  int64_t* a = sorted + line * g.R;
  int64_t* b = scratch + line * g.R;
  for (int64_t r = 0; r < g.R; ++r) a[r] = r;
  for (int64_t width = 1; width < g.R; width *= 2) {
    for (int64_t lo = 0; lo < g.R; lo += 2 * width) {
      const int64_t mid = imin(lo + width, g.R), hi = imin(lo + 2 * width, g.R);
      int64_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        const T vi = x[base + a[i] * g.I], vj = x[base + a[j] * g.I];
        const bool right_first = descending ? kernels::nan_last_less(vi, vj) : kernels::nan_last_less(vj, vi);
        b[k++] = right_first ? a[j++] : a[i++];
      }
      while (i < mid) b[k++] = a[i++];
      while (j < hi) b[k++] = a[j++];
    }
    int64_t* t = a;
    a = b;
    b = t;
  }
  if (a != sorted + line * g.R)
    for (int64_t r = 0; r < g.R; ++r) sorted[line * g.R + r] = a[r];
}

// Output k of [O, R, I] from the per-line sorted positions [O * I, R].
TK_HD inline void scatter_sorted(int64_t k, int64_t* out, const int64_t* sorted, const ORI& g) {
  const int64_t o = k / (g.R * g.I), r = (k / g.I) % g.R, i = k % g.I;
  out[k] = sorted[(o * g.I + i) * g.R + r];
}

}  // namespace tk::cuda::body
