// The kernel table's device dimension: one Backend per device type, each a table of kernel
// families. The op layer checks, computes shapes and dtypes, allocates outputs, then calls the
// kernel of the tensor's device. A null entry means "not implemented on this device yet" and is
// reported as NOT_IMPLEMENTED by kernel_for().
#pragma once
#include <cstdint>

#include "kernels/functors.h"
#include "tk/ops.h"

namespace tk {

enum class RandomKind { Uniform, Normal, Integer };
enum class ReduceKernel { Sum, Max, Min };

// Geometry of a reduction or scan over a contiguous input viewed as [O, R, I]: the op works along
// R, for each of the O x I outputs (laid out [O, I]).
struct ORI {
  int64_t O, R, I;
};

struct Backend {
  // dst and src have the same shape (src may carry broadcast 0 strides); converts dtypes.
  void (*copy)(const Tensor& dst, const Tensor& src);
  void (*fill)(const Tensor& dst, double value);
  // `in` is of the compute dtype and broadcast to out's shape.
  void (*unary)(UnaryOp op, const Tensor& out, const Tensor& in, const kernels::UnaryParams& p);
  // a and b are of the compute dtype and broadcast (0 strides) to out's shape.
  void (*binary)(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b);
  void (*where)(const Tensor& out, const Tensor& cond, const Tensor& a, const Tensor& b);
  // out[i] = start + i * step (contiguous out). With `symmetric`, the second half is computed
  // from `end` backwards (end - (n - 1 - i) * step), as linspace does so both ends are exact.
  void (*arange)(const Tensor& out, double start, double step, double end, bool symmetric);
  void (*eye)(const Tensor& out);
  void (*random)(const Tensor& out, RandomKind kind, double a, double b, uint64_t key,
                 uint64_t offset);
  // Contiguous in, contiguous out of out.dtype(); Sum accumulates in double/int64.
  void (*reduce)(ReduceKernel k, const Tensor& out, const Tensor& in, ORI g);
  void (*arg_reduce)(const Tensor& values, const Tensor& indices, const Tensor& in, ORI g,
                     bool is_max);
  void (*var)(const Tensor& out, const Tensor& in, ORI g, double correction, bool take_sqrt);
  void (*softmax)(const Tensor& out, const Tensor& in, ORI g, bool log);
  void (*cumsum)(const Tensor& out, const Tensor& in, ORI g);
  // out = alpha * a @ b + beta * out, batched: a [B, M, K], b [B, K, N], out [B, M, N], views of
  // one numeric dtype with any strides; out does not overlap a or b. beta == 0 ignores out's
  // contents (NaN there does not propagate).
  void (*gemm)(const Tensor& out, const Tensor& a, const Tensor& b, double alpha, double beta);
};

extern const Backend cpu_backend;
extern const Backend cuda_backend;

// The kernel `member` for `device`, or NOT_IMPLEMENTED naming `op` and the device.
template <class F>
F kernel_for(F Backend::*member, Device device, const char* op) {
  const Backend& b = device.is_cpu() ? cpu_backend : cuda_backend;
  F f = b.*member;
  TK_CHECK(f != nullptr, NOT_IMPLEMENTED, op, ": not implemented on ", device_name(device),
           " yet");
  return f;
}

}  // namespace tk
