// Fused scaled dot-product attention: shape checks, the mask made additive, and the heads
// flattened to [N, L, E] for the backend's sdpa kernels.
#include <cmath>
#include <limits>

#include "ops/internal.h"

namespace tk {
namespace {

struct Plan {
  DimVec lead;  // the leading dims shared by q, k and v
  int64_t N = 1, L = 0, S = 0, E = 0, Ev = 0;
};

Plan plan(const Tensor& q, const Tensor& k, const Tensor& v, const char* op) {
  TK_CHECK(q.ndim() >= 2 && k.ndim() >= 2 && v.ndim() >= 2, SHAPE_MISMATCH, op,
           ": query, key and value need at least 2 dims [..., L, E], got ", fmt_shape(q.shape()), ", ",
           fmt_shape(k.shape()), " and ", fmt_shape(v.shape()));
  TK_CHECK(q.ndim() == k.ndim() && q.ndim() == v.ndim(), SHAPE_MISMATCH, op,
           ": query, key and value must have the same number of dims, got ", fmt_shape(q.shape()), ", ",
           fmt_shape(k.shape()), " and ", fmt_shape(v.shape()));
  Plan p;
  const int nd = q.ndim();
  for (int d = 0; d < nd - 2; ++d) {
    TK_CHECK(q.shape()[d] == k.shape()[d] && q.shape()[d] == v.shape()[d], SHAPE_MISMATCH, op,
             ": query, key and value differ in their leading dims: ", fmt_shape(q.shape()), ", ", fmt_shape(k.shape()),
             " and ", fmt_shape(v.shape()));
    p.lead.push_back(q.shape()[d]);
    p.N *= q.shape()[d];
  }
  p.L = q.shape()[nd - 2], p.E = q.shape()[nd - 1];
  p.S = k.shape()[nd - 2], p.Ev = v.shape()[nd - 1];
  TK_CHECK(k.shape()[nd - 1] == p.E, SHAPE_MISMATCH, op, ": query ", fmt_shape(q.shape()), " and key ",
           fmt_shape(k.shape()), " differ in the embedding size");
  TK_CHECK(v.shape()[nd - 2] == p.S, SHAPE_MISMATCH, op, ": key ", fmt_shape(k.shape()), " and value ",
           fmt_shape(v.shape()), " differ in length");
  TK_CHECK(is_floating(q.dtype()) && k.dtype() == q.dtype() && v.dtype() == q.dtype(), DTYPE_MISMATCH, op,
           ": query, key and value must share one floating dtype, got ", dtype_name(q.dtype()), ", ",
           dtype_name(k.dtype()), " and ", dtype_name(v.dtype()));
  ops::common_device(std::vector<Tensor>{q, k, v}, op);
  return p;
}

Tensor flat(const Tensor& t, const Plan& p, int64_t rows, int64_t cols) {
  return contiguous(reshape(t, std::vector<int64_t>{p.N, rows, cols}));
}

// The mask as an additive float [N, L, S] (bool: false -> -inf), or undefined.
Tensor additive_mask(const Tensor& mask, const Plan& p, DType dt, Device dev, const char* op) {
  if (!mask.defined()) return Tensor();
  TK_CHECK(mask.device() == dev, DEVICE_MISMATCH, op, ": the mask is on ", device_name(mask.device()),
           ", the query on ", device_name(dev));
  DimVec full_shape = p.lead;
  full_shape.push_back(p.L);
  full_shape.push_back(p.S);
  Tensor m = mask;
  if (m.dtype() == DType::Bool)
    m = where(m, Tensor::wrapped_scalar(0.0, DType::Float64),
              Tensor::wrapped_scalar(-std::numeric_limits<double>::infinity(), DType::Float64));
  TK_CHECK(is_floating(m.dtype()), DTYPE_MISMATCH, op, ": the mask must be bool or floating, got ",
           dtype_name(m.dtype()));
  DimVec b;
  try {
    b = broadcast_shapes(m.shape(), full_shape, op);
  } catch (const Error&) {
    raise(ErrorCode::SHAPE_MISMATCH, op, ": the mask ", fmt_shape(mask.shape()), " does not broadcast to ",
          fmt_shape(full_shape));
  }
  TK_CHECK(b == full_shape, SHAPE_MISMATCH, op, ": the mask ", fmt_shape(mask.shape()), " does not broadcast to ",
           fmt_shape(full_shape));
  return contiguous(reshape(to_dtype(ops::broadcast_to(m, full_shape), dt), std::vector<int64_t>{p.N, p.L, p.S}));
}

DimVec with_tail(const DimVec& lead, std::initializer_list<int64_t> tail) {
  DimVec s = lead;
  for (int64_t t : tail) s.push_back(t);
  return s;
}

}  // namespace

std::pair<Tensor, Tensor> scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                                       const Tensor& mask, double scale, bool causal) {
  const char* op = "scaledDotProductAttention";
  const Plan p = plan(q, k, v, op);
  TK_CHECK(std::isfinite(scale), INVALID_ARGUMENT, op, ": scale must be finite, got ", fmt_number(scale));
  TK_CHECK(!(causal && mask.defined()), INVALID_ARGUMENT, op, ": give a mask or causal, not both");
  Tensor out = Tensor::empty(with_tail(p.lead, {p.L, p.Ev}), q.dtype(), q.device(), op);
  Tensor lse = Tensor::empty(with_tail(p.lead, {p.L}), q.dtype(), q.device(), op);
  if (out.numel() > 0 || lse.numel() > 0) {
    if (p.S == 0) raise(ErrorCode::INVALID_ARGUMENT, op, ": the key has no positions (S = 0)");
    kernel_for(&Backend::sdpa, q.device(), op)(reshape(out, std::vector<int64_t>{p.N, p.L, p.Ev}),
                                               reshape(lse, std::vector<int64_t>{p.N, p.L}), flat(q, p, p.L, p.E),
                                               flat(k, p, p.S, p.E), flat(v, p, p.S, p.Ev),
                                               additive_mask(mask, p, q.dtype(), q.device(), op), scale, causal);
  }
  return {out, lse};
}

std::vector<Tensor> scaled_dot_product_attention_backward(const Tensor& g, const Tensor& q, const Tensor& k,
                                                          const Tensor& v, const Tensor& out, const Tensor& lse,
                                                          const Tensor& mask, double scale, bool causal) {
  const char* op = "scaledDotProductAttentionBackward";
  const Plan p = plan(q, k, v, op);
  TK_CHECK(g.shape() == with_tail(p.lead, {p.L, p.Ev}) && out.shape() == g.shape(), SHAPE_MISMATCH, op,
           ": the gradient ", fmt_shape(g.shape()), " and output ", fmt_shape(out.shape()), " must be ",
           fmt_shape(with_tail(p.lead, {p.L, p.Ev})));
  TK_CHECK(lse.shape() == with_tail(p.lead, {p.L}), SHAPE_MISMATCH, op, ": lse ", fmt_shape(lse.shape()), " must be ",
           fmt_shape(with_tail(p.lead, {p.L})));
  TK_CHECK(g.dtype() == q.dtype() && out.dtype() == q.dtype() && lse.dtype() == q.dtype(), DTYPE_MISMATCH, op,
           ": the gradient, output and lse must be ", dtype_name(q.dtype()));
  ops::common_device(std::vector<Tensor>{g, q, out, lse}, op);
  Tensor dq = Tensor::empty(q.shape(), q.dtype(), q.device(), op);
  Tensor dk = Tensor::empty(k.shape(), q.dtype(), q.device(), op);
  Tensor dv = Tensor::empty(v.shape(), q.dtype(), q.device(), op);
  if (dq.numel() + dk.numel() + dv.numel() > 0)
    kernel_for(&Backend::sdpa_backward, q.device(), op)(
        reshape(dq, std::vector<int64_t>{p.N, p.L, p.E}), reshape(dk, std::vector<int64_t>{p.N, p.S, p.E}),
        reshape(dv, std::vector<int64_t>{p.N, p.S, p.Ev}), flat(g, p, p.L, p.Ev), flat(q, p, p.L, p.E),
        flat(k, p, p.S, p.E), flat(v, p, p.S, p.Ev), flat(out, p, p.L, p.Ev),
        contiguous(reshape(lse, std::vector<int64_t>{p.N, p.L})), additive_mask(mask, p, q.dtype(), q.device(), op),
        scale, causal);
  return {dq, dk, dv};
}

namespace ops {
// sdpa [scale, causal] (inputs q, k, v, optional mask) -> out, lse; sdpa_backward [scale, causal]
// (inputs g, q, k, v, out, lse, optional mask) -> dq, dk, dv.
Outputs op_sdpa(const Args& a) {
  expect_inputs(a, 3, 4);
  auto [o, l] = scaled_dot_product_attention(a.in[0], a.in[1], a.in[2], a.in.size() > 3 ? a.in[3] : Tensor(),
                                             a.attrs.number(0, "scale"), a.attrs.boolean_or(1, "causal", false));
  return {o, l};
}
Outputs op_sdpa_backward(const Args& a) {
  expect_inputs(a, 6, 7);
  auto r = scaled_dot_product_attention_backward(a.in[0], a.in[1], a.in[2], a.in[3], a.in[4], a.in[5],
                                                 a.in.size() > 6 ? a.in[6] : Tensor(), a.attrs.number(0, "scale"),
                                                 a.attrs.boolean_or(1, "causal", false));
  return {r[0], r[1], r[2]};
}
}  // namespace ops

}  // namespace tk
