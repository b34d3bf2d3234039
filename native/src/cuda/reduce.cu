// CUDA reductions over a contiguous input viewed as [O, R, I] (backend.h): sum, max, min,
// argmax/argmin, var, softmax/log_softmax and cumsum. Rows (I == 1) get a block each and a
// shared-memory tree over R; otherwise a thread per output walks R (neighbouring threads read
// neighbouring i, so the loads coalesce). Sums accumulate in double (floats) or int64, as on the
// CPU; max/min propagate NaN; argmax takes the first extreme, NaN counting as one.
#include <cfloat>

#include "cuda/launch.h"
#include "kernels/functors.h"

namespace tk::cuda {
namespace {

template <class T>
using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

template <class T>
__device__ bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v;
  else return false;
}
template <bool IsMax, class T>
__device__ T pick(T best, T v) {
  if (is_nan(best)) return best;
  if (is_nan(v)) return v;
  return IsMax ? (v > best ? v : best) : (v < best ? v : best);
}

enum class Kind { Sum, Max, Min };

template <Kind K, class A, class T>
__device__ A combine(A a, A b) {
  if constexpr (K == Kind::Sum) return a + b;
  else return pick<K == Kind::Max>(a, b);
}

// One block per row of a [rows, R] contiguous input.
template <Kind K, class T, class Out>
__global__ void row_reduce(const T* x, Out* y, int64_t rows, int64_t R) {
  using A = std::conditional_t<K == Kind::Sum, acc_t<T>, T>;
  __shared__ A part[kThreads];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* p = x + row * R;
    A acc = K == Kind::Sum ? A(0) : A(p[0]);
    for (int64_t r = threadIdx.x; r < R; r += blockDim.x) acc = combine<K, A, T>(acc, A(p[r]));
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (int(threadIdx.x) < s) part[threadIdx.x] = combine<K, A, T>(part[threadIdx.x], part[threadIdx.x + s]);
      __syncthreads();
    }
    if (threadIdx.x == 0) y[row] = Out(part[0]);
    __syncthreads();  // part[] is reused by the next row
  }
}

// One thread per (o, i) output.
template <Kind K, class T, class Out>
__global__ void column_reduce(const T* x, Out* y, ORI g) {
  using A = std::conditional_t<K == Kind::Sum, acc_t<T>, T>;
  TK_GRID_STRIDE(k, g.O * g.I) {
    const T* p = x + (k / g.I) * g.R * g.I + k % g.I;
    A acc = K == Kind::Sum ? A(0) : A(p[0]);
    for (int64_t r = 0; r < g.R; ++r) acc = combine<K, A, T>(acc, A(p[r * g.I]));
    y[k] = Out(acc);
  }
}

template <Kind K, class T, class Out>
void launch_reduce(const Tensor& out, const Tensor& in, ORI g) {
  if (out.numel() == 0) return;
  cudaStream_t s = prepare(in, "reduce");
  const T* x = in.data<T>();
  Out* y = out.data<Out>();
  if (g.I == 1) {
    const int64_t rows = g.O;
    row_reduce<K, T, Out><<<unsigned(std::min<int64_t>(rows, 1 << 16)), kThreads, 0, s>>>(x, y, rows, g.R);
  } else {
    column_reduce<K, T, Out><<<blocks_for(g.O * g.I), kThreads, 0, s>>>(x, y, g);
  }
  check_launch("reduce");
}

void reduce(ReduceKernel k, const Tensor& out, const Tensor& in, ORI g) {
  dispatch_dtype(in.dtype(), [&]<class T>() {
    switch (k) {
      case ReduceKernel::Sum:
        dispatch_dtype(out.dtype(), [&]<class Out>() { launch_reduce<Kind::Sum, T, Out>(out, in, g); });
        break;
      case ReduceKernel::Max: launch_reduce<Kind::Max, T, T>(out, in, g); break;
      case ReduceKernel::Min: launch_reduce<Kind::Min, T, T>(out, in, g); break;
    }
  });
}

template <class T>
__global__ void arg_reduce_kernel(const T* x, T* v, int64_t* ix, ORI g, bool is_max) {
  TK_GRID_STRIDE(k, g.O * g.I) {
    const T* p = x + (k / g.I) * g.R * g.I + k % g.I;
    T best = p[0];
    int64_t bi = 0;
    for (int64_t r = 1; r < g.R && !is_nan(best); ++r) {
      T c = p[r * g.I];
      if (is_nan(c) || (is_max ? c > best : c < best)) {
        best = c;
        bi = r;
      }
    }
    v[k] = best;
    ix[k] = bi;
  }
}

void arg_reduce(const Tensor& values, const Tensor& indices, const Tensor& in, ORI g, bool is_max) {
  dispatch_dtype(in.dtype(), [&]<class T>() {
    cudaStream_t s = prepare(in, "argmax");
    arg_reduce_kernel<T><<<blocks_for(g.O * g.I), kThreads, 0, s>>>(in.data<T>(), values.data<T>(),
                                                                     indices.data<int64_t>(), g, is_max);
    check_launch("argmax");
  });
}

// Two passes in double, as on the CPU.
template <class T>
__global__ void var_kernel(const T* x, T* y, ORI g, double denom, bool take_sqrt) {
  TK_GRID_STRIDE(k, g.O * g.I) {
    const T* p = x + (k / g.I) * g.R * g.I + k % g.I;
    double m = 0, ss = 0;
    for (int64_t r = 0; r < g.R; ++r) m += double(p[r * g.I]);
    m /= double(g.R);
    for (int64_t r = 0; r < g.R; ++r) {
      const double d = double(p[r * g.I]) - m;
      ss += d * d;
    }
    const double v = ss / denom;
    y[k] = T(take_sqrt ? sqrt(v) : v);
  }
}

void var(const Tensor& out, const Tensor& in, ORI g, double correction, bool take_sqrt) {
  floating(in.dtype(), [&]<class T>() {
    cudaStream_t s = prepare(in, "var");
    var_kernel<T><<<blocks_for(g.O * g.I), kThreads, 0, s>>>(in.data<T>(), out.data<T>(), g,
                                                              std::max(0.0, double(g.R) - correction), take_sqrt);
    check_launch("var");
  });
}

// Max first, then exponentials summed in double (numerically stable), as on the CPU.
template <class T>
__global__ void softmax_kernel(const T* x, T* y, ORI g, bool log) {
  TK_GRID_STRIDE(k, g.O * g.I) {
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
      const T shift = m + T(::log(sum));
      for (int64_t r = 0; r < g.R; ++r) q[r * g.I] = p[r * g.I] - shift;
    } else {
      const T inv = T(1.0 / sum);
      for (int64_t r = 0; r < g.R; ++r) q[r * g.I] *= inv;
    }
  }
}

void softmax(const Tensor& out, const Tensor& in, ORI g, bool log) {
  floating(in.dtype(), [&]<class T>() {
    cudaStream_t s = prepare(in, "softmax");
    softmax_kernel<T><<<blocks_for(g.O * g.I), kThreads, 0, s>>>(in.data<T>(), out.data<T>(), g, log);
    check_launch("softmax");
  });
}

template <class T, class Out>
__global__ void cumsum_kernel(const T* x, Out* y, ORI g) {
  using A = std::conditional_t<std::is_floating_point_v<Out>, Out, int64_t>;
  TK_GRID_STRIDE(k, g.O * g.I) {
    const int64_t off = (k / g.I) * g.R * g.I + k % g.I;
    A acc = 0;
    for (int64_t r = 0; r < g.R; ++r) {
      acc += A(x[off + r * g.I]);
      y[off + r * g.I] = Out(acc);
    }
  }
}

void cumsum(const Tensor& out, const Tensor& in, ORI g) {
  dispatch_dtype(in.dtype(), [&]<class T>() {
    dispatch_dtype(out.dtype(), [&]<class Out>() {
      cudaStream_t s = prepare(in, "cumsum");
      cumsum_kernel<T, Out><<<blocks_for(g.O * g.I), kThreads, 0, s>>>(in.data<T>(), out.data<Out>(), g);
      check_launch("cumsum");
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
}

}  // namespace tk::cuda
