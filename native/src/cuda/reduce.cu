// CUDA reductions over a contiguous input viewed as [O, R, I] (backend.h): sum, max, min,
// argmax/argmin, var, softmax/log_softmax and cumsum, with the CPU's semantics (cuda/bodies.h).
// Rows (I == 1) of sum/max/min get a block each and a shared-memory tree over R; everything else
// is a thread per output walking R (neighbouring threads read neighbouring i: coalesced).
#include "cuda/bodies.h"
#include "cuda/launch.h"

namespace tk::cuda {
namespace {
using body::Kind;

// One block per row of a [rows, R] contiguous input (the phases: cuda/bodies.h).
template <Kind K, class T, class Out> __global__ void row_reduce(const T* x, Out* y, int64_t rows, int64_t R) {
  using A = body::part_t<K, T>;
  __shared__ A part[kThreads];
  const int t = threadIdx.x;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    part[t] = body::row_partial<K, T>(t, kThreads, x + row * R, R);
    __syncthreads();
    for (int s = kThreads / 2; s > 0; s >>= 1) {
      body::tree_step<K, A>(part, t, s);
      __syncthreads();
    }
    if (t == 0) y[row] = Out(part[0]);
    __syncthreads();  // part[] is reused by the next row
  }
}

template <Kind K, class T, class Out> __global__ void column_reduce(const T* x, Out* y, ORI g) {
  TK_GRID_STRIDE(k, g.O * g.I) body::column_reduce<K, T, Out>(k, x, y, g);
}

template <Kind K, class T, class Out> void reduce_as(const Tensor& out, const Tensor& in, ORI g) {
  if (out.numel() == 0) return;
  if (g.I == 1) {
    cudaStream_t s = prepare(in, "reduce");
    row_reduce<K, T, Out>
        <<<unsigned(std::min<int64_t>(g.O, 1 << 16)), kThreads, 0, s>>>(in.data<T>(), out.data<Out>(), g.O, g.R);
    check_launch("reduce");
  } else {
    launch(column_reduce<K, T, Out>, g.O * g.I, in, "reduce", in.data<T>(), out.data<Out>(), g);
  }
}

void reduce(ReduceKernel k, const Tensor& out, const Tensor& in, ORI g) {
  dispatch_dtype(in.dtype(), [&]<class T>() {
    switch (k) {
      case ReduceKernel::Sum:
        dispatch_dtype(out.dtype(), [&]<class Out>() { reduce_as<Kind::Sum, T, Out>(out, in, g); });
        break;
      case ReduceKernel::Max: reduce_as<Kind::Max, T, T>(out, in, g); break;
      case ReduceKernel::Min: reduce_as<Kind::Min, T, T>(out, in, g); break;
    }
  });
}

template <class T> __global__ void arg_reduce_kernel(const T* x, T* v, int64_t* ix, ORI g, bool is_max) {
  TK_GRID_STRIDE(k, g.O * g.I) body::arg_reduce(k, x, v, ix, g, is_max);
}
template <class T> __global__ void var_kernel(const T* x, T* y, ORI g, double denom, bool take_sqrt) {
  TK_GRID_STRIDE(k, g.O * g.I) body::var(k, x, y, g, denom, take_sqrt);
}
template <class T> __global__ void softmax_kernel(const T* x, T* y, ORI g, bool log) {
  TK_GRID_STRIDE(k, g.O * g.I) body::softmax(k, x, y, g, log);
}
template <class T, class Out> __global__ void cumsum_kernel(const T* x, Out* y, ORI g) {
  TK_GRID_STRIDE(k, g.O * g.I) body::cumsum(k, x, y, g);
}

void arg_reduce(const Tensor& values, const Tensor& indices, const Tensor& in, ORI g, bool is_max) {
  dispatch_dtype(in.dtype(), [&]<class T>() {
    launch(arg_reduce_kernel<T>, g.O * g.I, in, "argmax", in.data<T>(), values.data<T>(), indices.data<int64_t>(), g,
           is_max);
  });
}

void var(const Tensor& out, const Tensor& in, ORI g, double correction, bool take_sqrt) {
  floating(in.dtype(), [&]<class T>() {
    launch(var_kernel<T>, g.O * g.I, in, "var", in.data<T>(), out.data<T>(), g, std::max(0.0, double(g.R) - correction),
           take_sqrt);
  });
}

void softmax(const Tensor& out, const Tensor& in, ORI g, bool log) {
  floating(in.dtype(), [&]<class T>() {
    launch(softmax_kernel<T>, g.O * g.I, in, "softmax", in.data<T>(), out.data<T>(), g, log);
  });
}

void cumsum(const Tensor& out, const Tensor& in, ORI g) {
  dispatch_dtype(in.dtype(), [&]<class T>() {
    dispatch_dtype(out.dtype(), [&]<class Out>() {
      launch(cumsum_kernel<T, Out>, g.O * g.I, in, "cumsum", in.data<T>(), out.data<Out>(), g);
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
