// gather and scatter along one dim (backend.h): positions p of the index tensor, with p[dim]
// replaced by index[p], address the gathered or scattered-into tensor.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

// index's shape viewed around dim as [O, J, I] and the target's as [O', R, I']: position
// (o, j, i) of index reads or writes the target at (o split over index's outer dims) ... each
// outer and inner coordinate is mapped through the target's strides, since index may be smaller
// than the target outside dim.
struct Walk {
  int64_t O = 1, J = 1, I = 1;
  std::vector<int64_t> outer_shape, inner_shape;  // index's dims before and after dim
  std::vector<int64_t> outer_stride, inner_stride;  // the target's strides of those dims
  int64_t dim_stride = 1;

  Walk(const DimVec& index_shape, const DimVec& target_shape, int dim) {
    std::vector<int64_t> st(target_shape.size(), 1);
    for (int k = int(target_shape.size()) - 2; k >= 0; --k) st[size_t(k)] = st[size_t(k) + 1] * target_shape[k + 1];
    for (int k = 0; k < int(index_shape.size()); ++k) {
      if (k < dim) {
        outer_shape.push_back(index_shape[k]);
        outer_stride.push_back(st[size_t(k)]);
        O *= index_shape[k];
      } else if (k > dim) {
        inner_shape.push_back(index_shape[k]);
        inner_stride.push_back(st[size_t(k)]);
        I *= index_shape[k];
      }
    }
    J = index_shape.size() ? index_shape[dim] : 1;
    dim_stride = target_shape.size() ? st[size_t(dim)] : 1;
  }
  static int64_t offset(int64_t flat, const std::vector<int64_t>& shape, const std::vector<int64_t>& stride) {
    int64_t off = 0;
    for (int k = int(shape.size()) - 1; k >= 0; --k) {
      off += (flat % shape[size_t(k)]) * stride[size_t(k)];
      flat /= shape[size_t(k)];
    }
    return off;
  }
};

// The target offset of outer position o, o0, o0 + 1, ... in turn: one division per dim to start,
// then an odometer step (offset() per o cost a division per dim per element: along the last dim,
// where J * I is 1 or 2, that was most of a max-pool's backward).
struct OuterCursor {
  const std::vector<int64_t>& shape;
  const std::vector<int64_t>& stride;
  std::vector<int64_t> pos;
  int64_t off = 0;
  OuterCursor(const Walk& w, int64_t o0) : shape(w.outer_shape), stride(w.outer_stride), pos(shape.size()) {
    for (int k = int(shape.size()) - 1; k >= 0; --k) {
      pos[size_t(k)] = o0 % shape[size_t(k)];
      off += pos[size_t(k)] * stride[size_t(k)];
      o0 /= shape[size_t(k)];
    }
  }
  void next() {
    for (int k = int(shape.size()) - 1; k >= 0; --k) {
      off += stride[size_t(k)];
      if (++pos[size_t(k)] < shape[size_t(k)]) return;
      off -= stride[size_t(k)] * shape[size_t(k)];
      pos[size_t(k)] = 0;
    }
  }
};

void gather(const Tensor& out, const Tensor& x, const Tensor& index, int dim) {
  const Walk w(index.shape(), x.shape(), dim);
  const size_t item = itemsize(x.dtype());
  const char* src = static_cast<const char*>(x.data_ptr());
  char* dst = static_cast<char*>(out.data_ptr());
  const int64_t* ix = index.data<int64_t>();
  std::vector<int64_t> inner(size_t(w.I));
  for (int64_t i = 0; i < w.I; ++i) inner[size_t(i)] = Walk::offset(i, w.inner_shape, w.inner_stride);
  parallel_for(0, w.O, std::max<int64_t>(1, 16384 / std::max<int64_t>(w.J * w.I, 1)), [&](int64_t o0, int64_t o1) {
    OuterCursor cur(w, o0);
    for (int64_t o = o0; o < o1; ++o, cur.next()) {
      const int64_t base = cur.off;
      for (int64_t j = 0; j < w.J; ++j)
        for (int64_t i = 0; i < w.I; ++i) {
          const int64_t p = (o * w.J + j) * w.I + i;
          std::memcpy(dst + size_t(p) * item, src + size_t(base + ix[p] * w.dim_stride + inner[size_t(i)]) * item,
                      item);
        }
    }
  });
}

template <class T> T identity_of(ScatterReduce r) {
  switch (r) {
    case ScatterReduce::Prod: return T(1);
    case ScatterReduce::Amax:
      return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                  : std::numeric_limits<T>::lowest();
    case ScatterReduce::Amin:
      return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
    default: return T(0);
  }
}

template <class T> void combine(T& acc, T v, ScatterReduce r) {
  switch (r) {
    case ScatterReduce::None: acc = v; break;
    case ScatterReduce::Sum:
    case ScatterReduce::Mean: acc = T(acc + v); break;
    case ScatterReduce::Prod: acc = T(acc * v); break;
    case ScatterReduce::Amax:
      if (v > acc || v != v) acc = acc != acc ? acc : v;  // NaN wins, as max does
      break;
    case ScatterReduce::Amin:
      if (v < acc || v != v) acc = acc != acc ? acc : v;
      break;
  }
}

void scatter(const Tensor& out, const Tensor& index, const Tensor& src, int dim, ScatterReduce reduce,
             bool include_self) {
  const Walk w(index.shape(), out.shape(), dim);
  const int64_t* ix = index.data<int64_t>();
  std::vector<int64_t> inner(size_t(w.I));
  for (int64_t i = 0; i < w.I; ++i) inner[size_t(i)] = Walk::offset(i, w.inner_shape, w.inner_stride);
  dispatch_dtype(out.dtype(), [&]<class T>() {
    T* y = out.data<T>();
    const T* s = src.data<T>();
    // Mean divides by the number of values combined into each target (self counting one).
    std::vector<int64_t> count(reduce == ScatterReduce::Mean ? size_t(out.numel()) : 0, include_self ? 1 : 0);
    // Different o never share a target (o fixes the outer coordinates), so o runs in parallel and
    // each target's values combine in index order: the result does not depend on threads.
    parallel_for(0, w.O, std::max<int64_t>(1, 16384 / std::max<int64_t>(w.J * w.I, 1)), [&](int64_t o0, int64_t o1) {
      OuterCursor cur(w, o0);
      for (int64_t o = o0; o < o1; ++o, cur.next()) {
        const int64_t base = cur.off;
        auto target = [&](int64_t j, int64_t i) {
          return base + ix[(o * w.J + j) * w.I + i] * w.dim_stride + inner[size_t(i)];
        };
        if (reduce != ScatterReduce::None && !include_self)
          for (int64_t j = 0; j < w.J; ++j)
            for (int64_t i = 0; i < w.I; ++i) y[target(j, i)] = identity_of<T>(reduce);
        for (int64_t j = 0; j < w.J; ++j)
          for (int64_t i = 0; i < w.I; ++i) {
            const int64_t t = target(j, i);
            combine(y[t], s[(o * w.J + j) * w.I + i], reduce);
            if (reduce == ScatterReduce::Mean) ++count[size_t(t)];
          }
        if (reduce == ScatterReduce::Mean)
          for (int64_t j = 0; j < w.J; ++j)
            for (int64_t i = 0; i < w.I; ++i) {
              const int64_t t = target(j, i);
              if (count[size_t(t)] <= 0) continue;
              if constexpr (std::is_floating_point_v<T>)
                y[t] = T(y[t] / T(count[size_t(t)]));
              else  // integers: floor division, as PyTorch
                y[t] = T(std::floor(double(y[t]) / double(count[size_t(t)])));
              count[size_t(t)] = -1;  // divided once
            }
      }
    });
  });
}

}  // namespace

void register_scatter(Backend& b) {
  b.gather = gather;
  b.scatter = scatter;
}

}  // namespace tk::cpu
