// CUDA element-wise kernels: unary, binary, where, copy (with dtype conversion, the 16-bit floats
// included) and fill. The scalar math is the CPU's functors (kernels/functors.h), compiled for
// the device; the loops are grid-stride over any strides and broadcasts (launch.h).
#include "cuda/launch.h"
#include "kernels/functors.h"

namespace tk::cuda {
namespace {
using kernels::UnaryParams;

template <class T> __device__ __forceinline__ T& at(char* const* base, const int64_t* off, int k) {
  return *reinterpret_cast<T*>(base[k] + off[k]);
}

template <class T, class F> struct UnaryBody {
  UnaryParams p;
  __device__ void operator()(char* const* b, const int64_t* o) const { at<T>(b, o, 0) = F{}(at<T>(b, o, 1), p); }
};

template <class T, class R, class F> struct BinaryBody {
  UnaryParams p;
  __device__ void operator()(char* const* b, const int64_t* o) const {
    at<R>(b, o, 0) = kernels::apply2(F{}, at<T>(b, o, 1), at<T>(b, o, 2), p);
  }
};

template <class T> struct WhereBody {
  __device__ void operator()(char* const* b, const int64_t* o) const {
    at<T>(b, o, 0) = at<bool>(b, o, 1) ? at<T>(b, o, 2) : at<T>(b, o, 3);
  }
};

template <class D, class S> struct CopyBody {
  __device__ void operator()(char* const* b, const int64_t* o) const {
    at<D>(b, o, 0) = kernels::cast<D>(at<S>(b, o, 1));
  }
};

template <class T> struct FillBody {
  T v;
  __device__ void operator()(char* const* b, const int64_t* o) const { at<T>(b, o, 0) = v; }
};

template <class F> void unary_dispatch(const Tensor& out, const Tensor& in, const UnaryParams& p) {
  dispatch_dtype(in.dtype(), [&]<class T>() {
    if constexpr (kernels::supports<F, T>()) {
      const Tensor* ops[2] = {&out, &in};
      for_each(ops, UnaryBody<T, F>{p}, "unary");
    } else {
      TK_ASSERT(!"unary dtype reached an unsupported kernel");
    }
  });
}

void unary(UnaryOp op, const Tensor& out, const Tensor& in, const UnaryParams& p) {
  using Fn = void (*)(const Tensor&, const Tensor&, const UnaryParams&);
  static constexpr Fn table[] = {
#define TK_UNARY(name, F, rule, inplace, cost) &unary_dispatch<kernels::F>,
#include "tk/ops.def"
  };
  table[int(op)](out, in, p);
}

template <class F> void binary_dispatch(const Tensor& out, const Tensor& a, const Tensor& b, const UnaryParams& p) {
  dispatch_dtype(a.dtype(), [&]<class T>() {
    if constexpr (kernels::supports<F, T>()) {
      using R = kernels::binary_result_t<F, T>;
      const Tensor* ops[3] = {&out, &a, &b};
      for_each(ops, BinaryBody<T, R, F>{p}, "binary");
    } else {
      TK_ASSERT(!"binary dtype reached an unsupported kernel");
    }
  });
}

void binary(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, const UnaryParams& p) {
  using Fn = void (*)(const Tensor&, const Tensor&, const Tensor&, const UnaryParams&);
  static constexpr Fn table[] = {
#define TK_BINARY(name, F, rule, inplace, cost) &binary_dispatch<kernels::F>,
#include "tk/ops.def"
  };
  table[int(op)](out, a, b, p);
}

void where(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b) {
  dispatch_all_dtypes(out.dtype(), [&]<class T>() {
    const Tensor* ops[4] = {&out, &cond, &a, &b};
    for_each(ops, WhereBody<T>{}, "where");
  });
}

void copy(const Tensor& dst, const Tensor& src) {
  dispatch_all_dtypes(dst.dtype(), [&]<class D>() {
    dispatch_all_dtypes(src.dtype(), [&]<class S>() {
      const Tensor* ops[2] = {&dst, &src};
      for_each(ops, CopyBody<D, S>{}, "copy");
    });
  });
}

void fill(const Tensor& dst, double value) {
  dispatch_all_dtypes(dst.dtype(), [&]<class T>() {
    const Tensor* ops[1] = {&dst};
    for_each(ops, FillBody<T>{kernels::cast<T>(value)}, "fill");
  });
}

}  // namespace

void register_elementwise(Backend& b) {
  b.copy = copy;
  b.fill = fill;
  b.unary = unary;
  b.binary = binary;
  b.where = where;
}

}  // namespace tk::cuda
