// CUDA indexing kernels (backend.h): index_select and embedding (row gathers, any dtype, moved
// as bytes), their gradients index_add and embedding_backward and bincount (scatter-adds with
// atomics: the order of additions into one element is not fixed, as in PyTorch's CUDA kernels),
// and a stable argsort (a bottom-up merge sort per line, one thread per line).
#include "cuda/launch.h"

namespace tk::cuda {
namespace {

// Gathers rows of `row` bytes: out row t = src row src_row(t), in 1-byte lanes (rows of any dtype).
__global__ void gather_rows(char* out, const char* src, const int64_t* ix, int64_t rows, int64_t row,
                            int64_t K, int64_t R) {
  TK_GRID_STRIDE(k, rows * row) {
    const int64_t t = k / row, b = k % row;
    const int64_t o = t / K, j = t % K;
    out[k] = src[(o * R + ix[j]) * row + b];
  }
}

void index_select(const Tensor& out, const Tensor& x, const Tensor& idx, ORI g) {
  const int64_t K = idx.numel(), row = g.I * int64_t(itemsize(x.dtype())), rows = g.O * K;
  if (rows * row == 0) return;
  cudaStream_t s = prepare(out, "index_select");
  gather_rows<<<blocks_for(rows * row), kThreads, 0, s>>>(static_cast<char*>(out.data_ptr()),
                                                          static_cast<const char*>(x.data_ptr()),
                                                          idx.data<int64_t>(), rows, row, K, g.R);
  check_launch("index_select");
}

void embedding(const Tensor& out, const Tensor& weight, const Tensor& idx) {
  const int64_t n = idx.numel(), row = weight.shape()[1] * int64_t(itemsize(weight.dtype()));
  if (n * row == 0) return;
  cudaStream_t s = prepare(out, "embedding");
  // An embedding is index_select along dim 0 with O = 1: out row i = weight row idx[i].
  gather_rows<<<blocks_for(n * row), kThreads, 0, s>>>(static_cast<char*>(out.data_ptr()),
                                                       static_cast<const char*>(weight.data_ptr()),
                                                       idx.data<int64_t>(), n, row, n, 0);
  check_launch("embedding");
}

template <class T>
__global__ void index_add_kernel(T* out, const T* grad, const int64_t* ix, ORI g, int64_t K) {
  TK_GRID_STRIDE(k, g.O * K * g.I) {
    const int64_t o = k / (K * g.I), j = (k / g.I) % K, i = k % g.I;
    atomicAdd(out + (o * g.R + ix[j]) * g.I + i, grad[k]);
  }
}

template <class T>
__global__ void embedding_backward_kernel(T* gw, const T* g, const int64_t* ix, int64_t n, int64_t D, int64_t padding) {
  TK_GRID_STRIDE(k, n * D) {
    const int64_t i = k / D;
    if (ix[i] != padding) atomicAdd(gw + ix[i] * D + k % D, g[k]);
  }
}

void zero(const Tensor& t, cudaStream_t s, const char* op) {
  cudaError_t e = cudaMemsetAsync(t.data_ptr(), 0, t.nbytes(), s);
  TK_CHECK(e == cudaSuccess, CUDA_ERROR, op, ": ", cudaGetErrorString(e));
}

void index_add(const Tensor& out, const Tensor& grad, const Tensor& idx, ORI g) {
  floating(out.dtype(), [&]<class T>() {
    cudaStream_t s = prepare(out, "index_select_backward");
    zero(out, s, "index_select_backward");
    const int64_t n = g.O * idx.numel() * g.I;
    if (n == 0) return;
    index_add_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(out.data<T>(), grad.data<T>(), idx.data<int64_t>(), g, idx.numel());
    check_launch("index_select_backward");
  });
}

void embedding_backward(const Tensor& gw, const Tensor& g, const Tensor& idx, int64_t padding) {
  floating(gw.dtype(), [&]<class T>() {
    cudaStream_t s = prepare(gw, "embedding_backward");
    zero(gw, s, "embedding_backward");
    const int64_t n = idx.numel(), D = gw.shape()[1];
    if (n * D == 0) return;
    embedding_backward_kernel<T><<<blocks_for(n * D), kThreads, 0, s>>>(gw.data<T>(), g.data<T>(), idx.data<int64_t>(), n, D, padding);
    check_launch("embedding_backward");
  });
}

__global__ void count_kernel(unsigned long long* out, const int64_t* x, int64_t n) {
  TK_GRID_STRIDE(i, n) atomicAdd(out + x[i], 1ull);  // int64 counts: two's complement, same bits
}
template <class T>
__global__ void weighted_count_kernel(T* out, const int64_t* x, const T* w, int64_t n) {
  TK_GRID_STRIDE(i, n) atomicAdd(out + x[i], w[i]);
}

void bincount(const Tensor& out, const Tensor& x, const Tensor& weights) {
  const int64_t n = x.numel();
  cudaStream_t s = prepare(out, "bincount");
  zero(out, s, "bincount");
  if (n == 0) return;
  if (!weights.defined()) {
    count_kernel<<<blocks_for(n), kThreads, 0, s>>>(reinterpret_cast<unsigned long long*>(out.data<int64_t>()), x.data<int64_t>(), n);
  } else {
    floating(out.dtype(), [&]<class T>() {
      weighted_count_kernel<T><<<blocks_for(n), kThreads, 0, s>>>(out.data<T>(), x.data<int64_t>(), weights.data<T>(), n);
    });
  }
  check_launch("bincount");
}

// NaN compares as the largest value, as in PyTorch's sort.
template <class T>
__device__ bool less(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a != a) return false;
    if (b != b) return true;
  }
  return a < b;
}

// One line per thread: positions 0..R-1 merged in runs of 1, 2, 4, ... between `out` and `tmp`
// (both [lines, R]); stable because ties take the left run's element first.
template <class T>
__global__ void argsort_kernel(int64_t* out, int64_t* tmp, const T* x, ORI g, bool descending) {
  TK_GRID_STRIDE(line, g.O * g.I) {
    const int64_t base = (line / g.I) * g.R * g.I + line % g.I;
    int64_t* a = tmp + line * g.R;
    int64_t* b = out + line * g.R;  // scratch row of the output's storage, rewritten below
    for (int64_t r = 0; r < g.R; ++r) a[r] = r;
    auto before = [&](int64_t p, int64_t q) {  // q strictly before p?
      const T vp = x[base + p * g.I], vq = x[base + q * g.I];
      return descending ? less(vp, vq) : less(vq, vp);
    };
    for (int64_t width = 1; width < g.R; width *= 2) {
      for (int64_t lo = 0; lo < g.R; lo += 2 * width) {
        const int64_t mid = min(lo + width, g.R), hi = min(lo + 2 * width, g.R);
        int64_t i = lo, j = mid, k = lo;
        while (i < mid && j < hi) b[k++] = before(a[i], a[j]) ? a[j++] : a[i++];
        while (i < mid) b[k++] = a[i++];
        while (j < hi) b[k++] = a[j++];
      }
      int64_t* t = a;
      a = b;
      b = t;
    }
    // The sorted positions are in `a`; write them strided into the output line.
    for (int64_t r = 0; r < g.R; ++r) tmp[line * g.R + r] = a[r];
  }
}

template <class T>
__global__ void scatter_lines(int64_t* out, const int64_t* sorted, ORI g) {
  TK_GRID_STRIDE(k, g.O * g.R * g.I) {
    const int64_t o = k / (g.R * g.I), r = (k / g.I) % g.R, i = k % g.I;
    out[k] = sorted[(o * g.I + i) * g.R + r];
  }
}

void argsort(const Tensor& out, const Tensor& x, ORI g, bool descending) {
  dispatch_dtype(x.dtype(), [&]<class T>() {
    const int64_t lines = g.O * g.I;
    if (lines * g.R == 0) return;
    // Two [lines, R] scratch rows per line: the merge alternates between them.
    Tensor a = Tensor::empty({lines, g.R}, DType::Int64, out.device(), "argsort");
    Tensor b = Tensor::empty({lines, g.R}, DType::Int64, out.device(), "argsort");
    cudaStream_t s = prepare(out, "argsort");
    argsort_kernel<T><<<blocks_for(lines), kThreads, 0, s>>>(b.data<int64_t>(), a.data<int64_t>(), x.data<T>(), g, descending);
    check_launch("argsort");
    scatter_lines<T><<<blocks_for(lines * g.R), kThreads, 0, s>>>(out.data<int64_t>(), a.data<int64_t>(), g);
    check_launch("argsort");
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
