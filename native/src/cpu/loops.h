// Strided N-operand iteration for the CPU element-wise kernels.
//
// Operand 0 is the output. Dimensions of size 1 are dropped and neighbours that are contiguous in
// every operand are merged, so a contiguous tensor becomes one run and a broadcast scalar one run
// of stride 0. The innermost run is handed to a kernel with its byte strides, which picks a
// vectorisable fast path when the strides allow.
#pragma once
#include <algorithm>
#include <cmath>
#include <memory>
#include <cstdint>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "tk/cpu_info.h"
#include "tk/parallel.h"
#include "tk/tensor.h"

namespace tk::cpu {

template <int N> struct StridedLoop {
  int ndim = 0;
  int64_t shape[kMaxDims];
  int64_t stride[N][kMaxDims];  // bytes
  char* base[N];
  int64_t numel = 1;
  int64_t unit[N];  // element size of each operand

  // All operands must have ops[0]'s shape (broadcast inputs carry 0 strides).
  explicit StridedLoop(const Tensor* const (&ops)[N]) {
    const Tensor& out = *ops[0];
    for (int k = 0; k < N; ++k) {
      base[k] = static_cast<char*>(ops[k]->data_ptr());
      unit[k] = int64_t(itemsize(ops[k]->dtype()));
    }
    int nd = out.ndim();
    // Order dims by the output's strides (outermost first) so that an in-place write into a
    // transposed view still walks memory forwards.
    // (Insertion sort: stable, and free when already ordered, as fresh outputs are.)
    int order[kMaxDims];
    for (int d = 0; d < nd; ++d) {
      int j = d;
      while (j > 0 && out.strides()[order[j - 1]] < out.strides()[d]) {
        order[j] = order[j - 1];
        --j;
      }
      order[j] = d;
    }
    for (int j = 0; j < nd; ++j) {
      int d = order[j];
      int64_t size = out.shape()[d];
      numel *= size;
      if (size == 1) continue;
      int64_t st[N];
      for (int k = 0; k < N; ++k) st[k] = ops[k]->strides()[d] * int64_t(itemsize(ops[k]->dtype()));
      if (ndim > 0) {
        bool merge = true;
        for (int k = 0; k < N; ++k) merge &= stride[k][ndim - 1] == st[k] * size;
        if (merge) {
          shape[ndim - 1] *= size;
          for (int k = 0; k < N; ++k) stride[k][ndim - 1] = st[k];
          continue;
        }
      }
      shape[ndim] = size;
      for (int k = 0; k < N; ++k) stride[k][ndim] = st[k];
      ++ndim;
    }
    if (ndim == 0) {  // a single element
      shape[0] = 1;
      for (int k = 0; k < N; ++k) stride[k][0] = 0;
      ndim = 1;
    }
  }

  // Calls run(ptrs, inner_strides, len) for the runs covering linear elements [begin, end).
  template <class Run> void for_range(int64_t begin, int64_t end, Run&& run) const {
    const int last = ndim - 1;
    int64_t idx[kMaxDims];
    int64_t rem = begin;
    for (int d = last; d >= 0; --d) {
      idx[d] = rem % shape[d];
      rem /= shape[d];
    }
    char* p[N];
    int64_t inner[N];
    for (int k = 0; k < N; ++k) {
      p[k] = base[k];
      for (int d = 0; d <= last; ++d) p[k] += idx[d] * stride[k][d];
      inner[k] = stride[k][last];
    }
    int64_t pos = begin;
    while (pos < end) {
      int64_t len = std::min(shape[last] - idx[last], end - pos);
      char* q[N];
      for (int k = 0; k < N; ++k) q[k] = p[k];
      run(q, inner, len);
      pos += len;
      if (pos >= end) break;
      // The run ended its row: back to column 0 (p still points at the run's start), then carry
      // into the outer dims.
      for (int k = 0; k < N; ++k) p[k] -= idx[last] * inner[k];
      idx[last] = 0;
      for (int d = last - 1; d >= 0; --d) {
        ++idx[d];
        for (int k = 0; k < N; ++k) p[k] += stride[k][d];
        if (idx[d] < shape[d]) break;
        for (int k = 0; k < N; ++k) p[k] -= shape[d] * stride[k][d];
        idx[d] = 0;
      }
    }
  }

  // Runs the loop over all elements, split across the pool when there are at least 2 * grain.
  template <class Run> void run(int64_t grain, Run&& run) const {
    if (numel == 0) return;  // a zero-size dim: for_range would divide by it
    if (needs_tiling()) return run_tiled(grain, run);
    if (numel < 2 * grain) return for_range(0, numel, run);  // small: no pool, no std::function
    parallel_for(0, numel, grain, [&](int64_t b, int64_t e) { for_range(b, e, run); });
  }

  // An operand that walks memory faster along the second-last dim than along the last (a
  // transposed view) would touch a new cache line, often in the same cache set, per element.
  bool transposed(int k) const {
    int64_t inner = stride[k][ndim - 1] < 0 ? -stride[k][ndim - 1] : stride[k][ndim - 1];
    int64_t outer = stride[k][ndim - 2] < 0 ? -stride[k][ndim - 2] : stride[k][ndim - 2];
    return inner > unit[k] && outer < inner;
  }
  bool needs_tiling() const {
    if (ndim < 2 || shape[ndim - 1] < kTile || shape[ndim - 2] < kTile) return false;
    for (int k = 0; k < N; ++k)
      if (transposed(k)) return true;
    return false;
  }

  // The last two dims in kTile x kTile blocks. Each transposed input is first gathered into a
  // small row-major buffer, reading it along its own contiguous direction; the kernel then runs
  // on unit-stride rows (its vectorised path) as for contiguous inputs.
  template <class Run> void run_tiled(int64_t grain, Run& run) const {
    const int a = ndim - 2, b = ndim - 1;
    const int64_t SA = shape[a], SB = shape[b];
    const int64_t outer = numel / (SA * SB), strips = (SA + kTile - 1) / kTile;
    bool gather[N];
    for (int k = 0; k < N; ++k) gather[k] = k > 0 && transposed(k);
    auto body = [&](int64_t t0, int64_t t1) {
      // Per-thread scratch (N x 32 KiB): too big to put on a worker's stack comfortably, and
      // on the heap, made on a thread's first use: as a thread_local array it would sit in the
      // library's TLS block, which glibc allocates and zeroes in full for every thread that
      // touches any thread_local here (12 MB of RSS per JS worker and pool thread, summed over
      // all the instantiations of this template).
      struct alignas(64) Scratch {
        char b[N][kTile * kTile * 8];
      };
      static thread_local std::unique_ptr<Scratch> scratch;
      if (!scratch) scratch = std::make_unique<Scratch>();
      auto& buf = scratch->b;
      for (int64_t t = t0; t < t1; ++t) {
        int64_t o = t / strips, i0 = (t % strips) * kTile, i1 = std::min(SA, i0 + kTile);
        char* p0[N];
        for (int k = 0; k < N; ++k) p0[k] = base[k];
        for (int d = a - 1; d >= 0; --d) {  // decompose the outer index
          int64_t idx = o % shape[d];
          o /= shape[d];
          for (int k = 0; k < N; ++k) p0[k] += idx * stride[k][d];
        }
        int64_t inner[N];
        for (int k = 0; k < N; ++k) inner[k] = gather[k] ? unit[k] : stride[k][b];
        for (int64_t j0 = 0; j0 < SB; j0 += kTile) {
          const int64_t len = std::min(kTile, SB - j0);
          for (int k = 1; k < N; ++k)
            if (gather[k])
              gather_tile(buf[k], p0[k] + i0 * stride[k][a] + j0 * stride[k][b], stride[k][a], stride[k][b], i1 - i0,
                          len, unit[k]);
          for (int64_t i = i0; i < i1; ++i) {
            char* q[N];
            for (int k = 0; k < N; ++k)
              q[k] = gather[k] ? buf[k] + (i - i0) * kTile * unit[k] : p0[k] + i * stride[k][a] + j0 * stride[k][b];
            run(q, inner, len);
          }
        }
      }
    };
    const int64_t tasks = outer * strips;
    const int64_t task_grain = std::max<int64_t>(1, grain / (kTile * SB));
    if (tasks < 2 * task_grain) return body(0, tasks);
    parallel_for(0, tasks, task_grain, body);
  }

  // dst[r][c] = src + r * sr + c * sc, for r < rows and c < cols, row pitch kTile elements;
  // read column by column, since the source is contiguous along r. For 4- and 8-byte elements
  // with a unit row stride, 4x4 / 2x2 blocks are transposed in SSE registers (a scalar gather
  // left transposed views of cheap ops 5x slower than contiguous ones; this makes it ~2x).
  static void gather_tile(char* dst, const char* src, int64_t sr, int64_t sc, int64_t rows, int64_t cols,
                          int64_t unit) {
    int64_t done_r = 0, done_c = 0;  // the block [0, done_r) x [0, done_c) filled by SIMD
#if defined(__SSE2__)
    if (unit == 4 && sr == 4) {
      done_r = rows & ~int64_t(3);
      done_c = cols & ~int64_t(3);
      float* d = reinterpret_cast<float*>(dst);
      for (int64_t c = 0; c < done_c; c += 4)
        for (int64_t r = 0; r < done_r; r += 4) {
          __m128 a0 = _mm_loadu_ps(reinterpret_cast<const float*>(src + (c + 0) * sc) + r);
          __m128 a1 = _mm_loadu_ps(reinterpret_cast<const float*>(src + (c + 1) * sc) + r);
          __m128 a2 = _mm_loadu_ps(reinterpret_cast<const float*>(src + (c + 2) * sc) + r);
          __m128 a3 = _mm_loadu_ps(reinterpret_cast<const float*>(src + (c + 3) * sc) + r);
          _MM_TRANSPOSE4_PS(a0, a1, a2, a3);
          _mm_storeu_ps(d + (r + 0) * kTile + c, a0);
          _mm_storeu_ps(d + (r + 1) * kTile + c, a1);
          _mm_storeu_ps(d + (r + 2) * kTile + c, a2);
          _mm_storeu_ps(d + (r + 3) * kTile + c, a3);
        }
    } else if (unit == 8 && sr == 8) {
      done_r = rows & ~int64_t(1);
      done_c = cols & ~int64_t(1);
      double* d = reinterpret_cast<double*>(dst);
      for (int64_t c = 0; c < done_c; c += 2)
        for (int64_t r = 0; r < done_r; r += 2) {
          __m128d a0 = _mm_loadu_pd(reinterpret_cast<const double*>(src + c * sc) + r);
          __m128d a1 = _mm_loadu_pd(reinterpret_cast<const double*>(src + (c + 1) * sc) + r);
          _mm_storeu_pd(d + r * kTile + c, _mm_unpacklo_pd(a0, a1));
          _mm_storeu_pd(d + (r + 1) * kTile + c, _mm_unpackhi_pd(a0, a1));
        }
    }
#endif
    auto go = [&]<class E>() {
      E* d = reinterpret_cast<E*>(dst);
      for (int64_t c = 0; c < cols; ++c) {
        const char* s = src + c * sc;
        // Rows [0, done_r) of the columns [0, done_c) are already in place.
        for (int64_t r = c < done_c ? done_r : 0; r < rows; ++r)
          d[r * kTile + c] = *reinterpret_cast<const E*>(s + r * sr);
      }
    };
    switch (unit) {
      case 1: go.template operator()<uint8_t>(); break;
      case 2: go.template operator()<uint16_t>(); break;
      case 4: go.template operator()<uint32_t>(); break;
      default: go.template operator()<uint64_t>(); break;
    }
  }

  static constexpr int64_t kTile = 64;
};

// Elements per parallel chunk: cheap ops need big chunks to pay for waking a worker.
inline constexpr int64_t kGrainCheap = 1 << 15;
inline constexpr int64_t kGrainCostly = 1 << 12;

// x ** e for a scalar exponent PyTorch also special-cases: a multiply is ~20x cheaper than
// std::pow. Each gives the value pow gives (x * x and 1 / x round once, as pow does; x * x * x
// and 1 / (x * x) may differ from pow in the last place, as PyTorch's paths for 3 and -2 do).
// False: use pow. (A number exponent of 0.5 or -0.5 is sqrt or rsqrt: the op layer's
// pow_as_unary, and pow_number below for the jit's chains.)
template <class T> bool pow_scalar(T* o, const T* x, int64_t n, T e) {
  if (e == T(1)) {
    for (int64_t i = 0; i < n; ++i) o[i] = x[i];
  } else if (e == T(2)) {
    for (int64_t i = 0; i < n; ++i) o[i] = x[i] * x[i];
  } else if (e == T(3)) {
    for (int64_t i = 0; i < n; ++i) o[i] = x[i] * x[i] * x[i];
  } else if (e == T(-1)) {
    for (int64_t i = 0; i < n; ++i) o[i] = T(1) / x[i];
  } else if (e == T(-2)) {
    for (int64_t i = 0; i < n; ++i) o[i] = T(1) / (x[i] * x[i]);
  } else {
    return false;
  }
  return true;
}

// x ** e for an exponent that was a JS number (x.pow(0.5)): PyTorch computes 0.5 and -0.5 as sqrt
// and rsqrt, whose values differ from pow's at -0 (-0, not +0) and -inf (NaN, not +inf); a tensor
// exponent keeps pow's. Else pow_scalar.
template <class T> bool pow_number(T* o, const T* x, int64_t n, T e) {
  if (e == T(0.5)) {
    for (int64_t i = 0; i < n; ++i) o[i] = std::sqrt(x[i]);
  } else if (e == T(-0.5)) {
    for (int64_t i = 0; i < n; ++i) o[i] = T(1) / std::sqrt(x[i]);
  } else {
    return pow_scalar(o, x, n, e);
  }
  return true;
}

// Outputs larger than the last-level cache are written with non-temporal stores: each line goes
// to memory without first being read for ownership, and without evicting the inputs still being
// streamed in (add of 16M floats moves 12 bytes an element instead of 16).
inline bool stream_output(const Tensor& out) { return int64_t(out.nbytes()) > cpu_info().l3; }

// Writes n results to o: fill(dst, i0, len) computes results i0 .. i0 + len - 1 into dst[0..len).
// With `stream`, through a 1 KiB buffer in L1 and then 16-byte non-temporal stores (float and
// double; other types, and targets without SSE2, store normally).
template <class T, class Fill> void write_run(T* o, int64_t n, bool stream, Fill&& fill) {
#if defined(__SSE2__)
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    if (stream && n >= 1024) {
      constexpr int64_t kBuf = 1024 / sizeof(T), kLane = 16 / sizeof(T);
      alignas(64) T buf[kBuf];
      // The elements before o's first 16-byte boundary are stored normally.
      int64_t i = std::min<int64_t>(n, int64_t((16 - (reinterpret_cast<uintptr_t>(o) & 15)) & 15) / int64_t(sizeof(T)));
      if (i > 0) fill(o, 0, i);
      for (; i + kBuf <= n; i += kBuf) {
        fill(buf, i, kBuf);
        for (int64_t k = 0; k < kBuf; k += kLane) {
          if constexpr (std::is_same_v<T, float>)
            _mm_stream_ps(o + i + k, _mm_load_ps(buf + k));
          else
            _mm_stream_pd(o + i + k, _mm_load_pd(buf + k));
        }
      }
      if (i < n) fill(o + i, i, n - i);
      _mm_sfence();  // the streamed lines are visible before the kernel returns
      return;
    }
  }
#endif
  (void)stream;
  fill(o, 0, n);
}

}  // namespace tk::cpu
