// Indexing and counting kernels: index_select and its gradient, a stable argsort, bincount.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

// Row copies of I elements: any dtype, so the bytes are moved without looking at them.
void index_select(const Tensor& out, const Tensor& x, const Tensor& idx, ORI g) {
  const int64_t K = idx.numel();
  const size_t row = size_t(g.I) * itemsize(x.dtype());
  const char* src = static_cast<const char*>(x.data_ptr());
  char* dst = static_cast<char*>(out.data_ptr());
  const int64_t* ix = idx.data<int64_t>();
  parallel_for(0, g.O * K, std::max<int64_t>(1, 16384 / std::max<int64_t>(g.I, 1)), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / K, j = t % K;
      std::memcpy(dst + t * row, src + (o * g.R + ix[j]) * row, row);
    }
  });
}

// Parallel over O only: within one o, several j may name one destination row.
void index_add(const Tensor& out, const Tensor& grad, const Tensor& idx, ORI g) {
  floating(out.dtype(), [&]<class T>() {
    const int64_t K = idx.numel();
    T* o_ = out.data<T>();
    const T* gp = grad.data<T>();
    const int64_t* ix = idx.data<int64_t>();
    std::memset(static_cast<void*>(o_), 0, size_t(out.numel()) * sizeof(T));
    parallel_for(0, g.O, std::max<int64_t>(1, 16384 / std::max<int64_t>(K * g.I, 1)), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o)
        for (int64_t j = 0; j < K; ++j) {
          T* d = o_ + (o * g.R + ix[j]) * g.I;
          const T* s = gp + (o * K + j) * g.I;
          for (int64_t i = 0; i < g.I; ++i) d[i] += s[i];
        }
    });
  });
}

void argsort(const Tensor& out, const Tensor& x, ORI g, bool descending) {
  dispatch_dtype(x.dtype(), [&]<class T>() {
    const T* xp = x.data<T>();
    int64_t* op = out.data<int64_t>();
    parallel_for(0, g.O * g.I, std::max<int64_t>(1, 4096 / std::max<int64_t>(g.R, 1)), [&](int64_t b, int64_t e) {
      std::vector<int64_t> pos(size_t(g.R));
      std::vector<T> vals(size_t(g.R));
      for (int64_t line = b; line < e; ++line) {
        const int64_t o = line / g.I, i = line % g.I, base = o * g.R * g.I + i;
        for (int64_t r = 0; r < g.R; ++r) vals[size_t(r)] = xp[base + r * g.I];
        std::iota(pos.begin(), pos.end(), int64_t(0));
        // Stable in both directions: descending swaps the comparison, not the result, so equal
        // values keep their original order.
        if (descending)
          std::stable_sort(pos.begin(), pos.end(), [&](int64_t p, int64_t q) {
            return kernels::nan_last_less(vals[size_t(q)], vals[size_t(p)]);
          });
        else
          std::stable_sort(pos.begin(), pos.end(), [&](int64_t p, int64_t q) {
            return kernels::nan_last_less(vals[size_t(p)], vals[size_t(q)]);
          });
        for (int64_t r = 0; r < g.R; ++r) op[base + r * g.I] = pos[size_t(r)];
      }
    });
  });
}

void bincount(const Tensor& out, const Tensor& x, const Tensor& weights) {
  const int64_t n = x.numel();
  const int64_t* xp = x.data<int64_t>();
  if (!weights.defined()) {
    int64_t* o = out.data<int64_t>();
    std::memset(static_cast<void*>(o), 0, size_t(out.numel()) * sizeof(int64_t));
    for (int64_t i = 0; i < n; ++i) ++o[xp[i]];
    return;
  }
  floating(out.dtype(), [&]<class T>() {
    T* o = out.data<T>();
    const T* w = weights.data<T>();
    std::memset(static_cast<void*>(o), 0, size_t(out.numel()) * sizeof(T));
    for (int64_t i = 0; i < n; ++i) o[xp[i]] += w[i];
  });
}

}  // namespace

void register_index(Backend& b) {
  b.index_select = index_select;
  b.index_add = index_add;
  b.argsort = argsort;
  b.bincount = bincount;
}
}  // namespace tk::cpu
