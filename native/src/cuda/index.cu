// CUDA indexing kernels (backend.h): index_select and embedding (row gathers, any dtype, moved
// as bytes), their gradients index_add and embedding_backward and bincount (scatter-adds with
// atomics: the order of additions into one element is not fixed, as in PyTorch's CUDA kernels),
// and a stable argsort (a bottom-up merge sort per line, one thread per line). The per-thread work
// is in cuda/bodies.h.
#include "cuda/bodies.h"
#include "cuda/launch.h"

namespace tk::cuda {
namespace {

__global__ void gather_kernel(char* out, const char* src, const int64_t* ix, int64_t n, int64_t row, int64_t K,
                              int64_t R) {
  TK_GRID_STRIDE(k, n) body::gather_row_byte(k, out, src, ix, row, K, R);
}

void index_select(const Tensor& out, const Tensor& x, const Tensor& idx, ORI g) {
  const int64_t K = idx.numel(), row = g.I * int64_t(itemsize(x.dtype())), n = g.O * K * row;
  launch(gather_kernel, n, out, "index_select", static_cast<char*>(out.data_ptr()),
         static_cast<const char*>(x.data_ptr()), idx.data<int64_t>(), n, row, K, g.R);
}

// An embedding is index_select along dim 0 of weight [V, D] with O = 1.
void embedding(const Tensor& out, const Tensor& weight, const Tensor& idx) {
  const int64_t K = idx.numel(), row = weight.shape()[1] * int64_t(itemsize(weight.dtype())), n = K * row;
  launch(gather_kernel, n, out, "embedding", static_cast<char*>(out.data_ptr()),
         static_cast<const char*>(weight.data_ptr()), idx.data<int64_t>(), n, row, K, weight.shape()[0]);
}

template <class T> __global__ void index_add_kernel(T* out, const T* grad, const int64_t* ix, ORI g, int64_t K) {
  TK_GRID_STRIDE(k, g.O * K * g.I) atomicAdd(out + body::index_add_target(k, ix, g, K), grad[k]);
}

template <class T>
__global__ void embedding_backward_kernel(T* gw, const T* g, const int64_t* ix, int64_t n, int64_t D, int64_t padding) {
  TK_GRID_STRIDE(k, n * D) {
    const int64_t i = k / D;
    if (ix[i] != padding) atomicAdd(gw + ix[i] * D + k % D, g[k]);
  }
}

void zero(const Tensor& t, const char* op) {
  cudaError_t e = cudaMemsetAsync(t.data_ptr(), 0, t.nbytes(), prepare(t, op));
  TK_CHECK(e == cudaSuccess, CUDA_ERROR, op, ": ", cudaGetErrorString(e));
}

void index_add(const Tensor& out, const Tensor& grad, const Tensor& idx, ORI g) {
  floating(out.dtype(), [&]<class T>() {
    zero(out, "index_select_backward");
    launch(index_add_kernel<T>, g.O * idx.numel() * g.I, out, "index_select_backward", out.data<T>(), grad.data<T>(),
           idx.data<int64_t>(), g, idx.numel());
  });
}

void embedding_backward(const Tensor& gw, const Tensor& g, const Tensor& idx, int64_t padding) {
  floating(gw.dtype(), [&]<class T>() {
    zero(gw, "embedding_backward");
    const int64_t n = idx.numel(), D = gw.shape()[1];
    launch(embedding_backward_kernel<T>, n * D, gw, "embedding_backward", gw.data<T>(), g.data<T>(),
           idx.data<int64_t>(), n, D, padding);
  });
}

__global__ void count_kernel(unsigned long long* out, const int64_t* x, int64_t n) {
  TK_GRID_STRIDE(i, n) atomicAdd(out + x[i], 1ull);  // int64 counts: two's complement, same bits
}
template <class T> __global__ void weighted_count_kernel(T* out, const int64_t* x, const T* w, int64_t n) {
  TK_GRID_STRIDE(i, n) atomicAdd(out + x[i], w[i]);
}

void bincount(const Tensor& out, const Tensor& x, const Tensor& weights) {
  const int64_t n = x.numel();
  zero(out, "bincount");
  if (!weights.defined()) {
    launch(count_kernel, n, out, "bincount", reinterpret_cast<unsigned long long*>(out.data<int64_t>()),
           x.data<int64_t>(), n);
    return;
  }
  floating(out.dtype(), [&]<class T>() {
    launch(weighted_count_kernel<T>, n, out, "bincount", out.data<T>(), x.data<int64_t>(), weights.data<T>(), n);
  });
}

template <class T>
__global__ void argsort_kernel(int64_t* sorted, int64_t* scratch, const T* x, ORI g, bool descending) {
  TK_GRID_STRIDE(line, g.O * g.I) body::argsort_line(line, sorted, scratch, x, g, descending);
}
__global__ void scatter_sorted_kernel(int64_t* out, const int64_t* sorted, ORI g) {
  TK_GRID_STRIDE(k, g.O * g.R * g.I) body::scatter_sorted(k, out, sorted, g);
}

void argsort(const Tensor& out, const Tensor& x, ORI g, bool descending) {
  dispatch_dtype(x.dtype(), [&]<class T>() {
    const int64_t lines = g.O * g.I;
    if (lines * g.R == 0) return;
    // Freed when this returns, while the kernels may still be queued: safe, the allocator's
    // reuse is ordered on the same stream (caching_allocator.h).
    Tensor sorted = Tensor::empty({lines, g.R}, DType::Int64, out.device(), "argsort");
    Tensor scratch = Tensor::empty({lines, g.R}, DType::Int64, out.device(), "argsort");
    launch(argsort_kernel<T>, lines, out, "argsort", sorted.data<int64_t>(), scratch.data<int64_t>(), x.data<T>(), g,
           descending);
    launch(scatter_sorted_kernel, lines * g.R, out, "argsort", out.data<int64_t>(), sorted.data<int64_t>(), g);
  });
}

}  // namespace

void register_index(Backend& b) {
  b.index_select = index_select;
  b.index_add = index_add;
  b.argsort = argsort;
  b.bincount = bincount;
  b.embedding = embedding;
  b.embedding_backward = embedding_backward;
}

}  // namespace tk::cuda
