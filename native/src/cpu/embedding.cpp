// Embedding lookup and its gradient: row copies and row sums, any dtype for the lookup.
#include <cstring>

#include "backend.h"
#include "cpu/cpu.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

void embedding(const Tensor& out, const Tensor& weight, const Tensor& idx) {
  const int64_t n = idx.numel(), D = weight.shape()[1];
  const size_t row = size_t(D) * itemsize(weight.dtype());
  const char* w = static_cast<const char*>(weight.data_ptr());
  char* o = static_cast<char*>(out.data_ptr());
  const int64_t* ix = idx.data<int64_t>();
  parallel_for(0, n, std::max<int64_t>(1, 16384 / std::max<int64_t>(D, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) std::memcpy(o + i * row, w + ix[i] * row, row);
  });
}

// Sequential over indices: several may name one row (a parallel version would need atomics or
// per-thread copies of the gradient).
void embedding_backward(const Tensor& gw, const Tensor& g, const Tensor& idx, int64_t padding) {
  floating(gw.dtype(), [&]<class T>() {
    const int64_t n = idx.numel(), D = gw.shape()[1];
    T* out = gw.data<T>();
    const T* gp = g.data<T>();
    const int64_t* ix = idx.data<int64_t>();
    std::memset(static_cast<void*>(out), 0, size_t(gw.numel()) * sizeof(T));
    for (int64_t i = 0; i < n; ++i) {
      if (ix[i] == padding) continue;
      T* dst = out + ix[i] * D;
      const T* src = gp + i * D;
      for (int64_t d = 0; d < D; ++d) dst[d] += src[d];
    }
  });
}

}  // namespace

void register_embedding(Backend& b) {
  b.embedding = embedding;
  b.embedding_backward = embedding_backward;
}

}  // namespace tk::cpu
