// Strided N-operand iteration for the CPU element-wise kernels.
//
// Operand 0 is the output. Dimensions of size 1 are dropped and neighbours that are contiguous in
// every operand are merged, so a contiguous tensor becomes one run and a broadcast scalar one run
// of stride 0. The innermost run is handed to a kernel with its byte strides, which picks a
// vectorisable fast path when the strides allow.
#pragma once
#include <algorithm>
#include <cstdint>

#include "tk/parallel.h"
#include "tk/tensor.h"

namespace tk::cpu {

template <int N>
struct StridedLoop {
  int ndim = 0;
  int64_t shape[kMaxDims];
  int64_t stride[N][kMaxDims];  // bytes
  char* base[N];
  int64_t numel = 1;

  // All operands must have ops[0]'s shape (broadcast inputs carry 0 strides).
  explicit StridedLoop(const Tensor* const (&ops)[N]) {
    const Tensor& out = *ops[0];
    for (int k = 0; k < N; ++k) base[k] = static_cast<char*>(ops[k]->data_ptr());
    int nd = out.ndim();
    // Order dims by the output's strides (outermost first) so that an in-place write into a
    // transposed view still walks memory forwards.
    int order[kMaxDims];
    for (int d = 0; d < nd; ++d) order[d] = d;
    std::stable_sort(order, order + nd, [&](int x, int y) {
      return out.strides()[x] > out.strides()[y];
    });
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
  template <class Run>
  void for_range(int64_t begin, int64_t end, Run&& run) const {
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
  template <class Run>
  void run(int64_t grain, Run&& run) const {
    parallel_for(0, numel, grain, [&](int64_t b, int64_t e) { for_range(b, e, run); });
  }
};

// Elements per parallel chunk: cheap ops need big chunks to pay for waking a worker.
inline constexpr int64_t kGrainCheap = 1 << 15;
inline constexpr int64_t kGrainCostly = 1 << 12;

}  // namespace tk::cpu
