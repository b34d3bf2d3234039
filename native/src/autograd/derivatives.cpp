// The derivative table: one case per op of native/include/tk/ops.def, and no `default:`, so an op
// added without deciding its gradient fails the build (-Werror=switch). Formulas are written in
// differentiable ops (autograd/functions.h), so they run on every device and, recorded, give
// second derivatives. Masks and other constants (d sign(x)/dx = 0) use the plain C++ API.
//
// A formula may return a gradient in the op's broadcast output shape or in another floating
// dtype: the engine sums it back to the input's shape and casts it (engine.cpp, conform()).
#include "autograd/derivatives.h"

#include <cmath>
#include <limits>
#include <numbers>

#include "autograd/functions.h"
#include "ops/internal.h"

namespace tk::autograd {

Tensor Ctx::in(int i) const {
  TK_ASSERT(size_t(i) < node_.saved_inputs.size() && node_.saved_inputs[i].defined());
  return unpack(node_.saved_inputs[i], node_, "an input");
}
Tensor Ctx::out(int i) const {
  TK_ASSERT(size_t(i) < node_.saved_outputs.size() && node_.saved_outputs[i].defined());
  return unpack(node_.saved_outputs[i], node_, "an output");
}
bool Ctx::needs(int i) const {
  const Edge& e = node_.next[i];
  return e.node && e.node->needed;
}
Tensor Ctx::dest(int i) const {
  const Edge& e = node_.next[i];
  if (!destinations_ || !e.node || e.node->op != Node::kAccumulate || !e.node->needed) return Tensor();
  // dependencies: the edges into the leaf's node that have not delivered yet, this one included
  const TensorImpl* leaf = e.node->leaf.get();
  if (e.node->dependencies != 1 || e.node->buffer.empty() || e.node->buffer[0].defined() || leaf->grad ||
      !leaf->grad_destination)
    return Tensor();
  Tensor d(leaf->grad_destination);
  const TensorMeta& m = node_.inputs[i];
  return d.shape() == m.shape && d.dtype() == m.dtype && d.device() == m.device ? d : Tensor();
}

namespace {
using namespace fn;
constexpr uint32_t IN0 = 1, IN1 = 2, IN2 = 4, OUT0 = 1, OUT1 = 2;

// ---- constants: comparisons and masks, which have zero derivative --------------------------
Tensor cmp(BinaryOp op, const Tensor& a, const Tensor& b) { return binary(op, a, b); }
Tensor cmp(BinaryOp op, const Tensor& a, double b) { return binary(op, a, scalar(b)); }
Tensor cadd(const Tensor& a, const Tensor& b) { return binary(BinaryOp::add, a, b); }
Tensor cmul(const Tensor& a, double b) { return binary(BinaryOp::mul, a, scalar(b)); }
Tensor cdiv(const Tensor& a, const Tensor& b) { return binary(BinaryOp::div, a, b); }

// The value of a wrapped JS number operand (x.pow(3)), so formulas can branch on it.
std::optional<double> wrapped_value(const Tensor& t) {
  if (!t.is_wrapped_number()) return std::nullopt;
  return dispatch_dtype(t.dtype(), [&]<class T>() { return double(*t.data<T>()); });
}

std::optional<std::vector<int64_t>> dims_of(const Ctx& c, size_t i) { return c.attrs().ints_opt(i, "dim"); }

// Number of input elements reduced into each output element.
double reduced_count(const Ctx& c) {
  int64_t out = checked_numel(c.out_meta(0).shape, "backward");
  int64_t in = checked_numel(c.in_meta(0).shape, "backward");
  return out == 0 ? 0.0 : double(in) / double(out);
}

Tensor gather_op(const Tensor& x, int64_t d, const Tensor& idx) { return op(OpId::gather, {x, idx}, {num(double(d))}); }
Tensor scatter_op(const Tensor& self, int64_t d, const Tensor& idx, const Tensor& src, const char* reduce) {
  return op(OpId::scatter, {self, idx, src}, {num(double(d)), text(reduce), flag(true)});
}
// Zeros of `shape` with g scattered in along d (reduce "none" or "sum"): a recorded scatter when
// the backward is itself recorded (create_graph), else straight into fresh zeros, without
// scatter's copy of its self.
Tensor scatter_into_zeros_op(const DimVec& shape, int64_t d, const Tensor& idx, const Tensor& g, const char* reduce) {
  if (grad_enabled()) return scatter_op(fn::zeros(shape, g.dtype(), g.device()), d, idx, g, reduce);
  return tk::scatter_into_zeros(shape, d, idx, g, scatter_reduce_of(reduce, "backward"));
}
// g (of index's shape) padded with zeros to `shape` (a src larger than the index it scatters by).
Tensor pad_to(Tensor g, const DimVec& shape) {
  for (int k = 0; k < g.ndim(); ++k)
    if (g.shape()[k] < shape[k]) {
      DimVec zs = g.shape();
      zs[k] = shape[k] - g.shape()[k];
      g = fn::cat({g, fn::zeros(zs, g.dtype(), g.device())}, k);
    }
  return g;
}

// y = scatter(self, dim, index, src, reduce, includeSelf). Let T be the targets some index names.
// none: y = src at T, self elsewhere. sum/mean: y = (self?) + sum of src at T (/ count). amax,
// amin: the gradient is shared evenly among the values equal to the result. prod: y / x per
// factor (exact only without zeros, unlike PyTorch's zero-aware formula).
void scatter_grad(Ctx& c) {
  const int64_t d = c.attrs().integer(0, "dim");
  const ScatterReduce r = scatter_reduce_of(c.attrs().string_opt(1, "reduce").value_or("none"), "backward");
  const bool incl = c.attrs().boolean_or(2, "includeSelf", true);
  const Tensor& g = c.g();
  const TensorMeta& ms = c.in_meta(0);
  const DimVec& ishape = c.in_meta(1).shape;
  const Tensor idx = c.in(1);
  const DType dt = g.dtype();
  auto index_ones = [&] { return full(ishape, 1, dt, ms.device); };
  // 1 where no index writes, 0 at T (a constant).
  auto untouched = [&] {
    return tk::scatter(full(ms.shape, 1, dt, ms.device), d, idx, full(ishape, 0, dt, ms.device), ScatterReduce::None,
                       true);
  };
  // src restricted to the index's shape (a larger src contributes only its leading block).
  auto src_at = [&] {
    Tensor s = c.in(2);
    if (s.ndim() == 0) return fn::expand(s, ishape);
    for (int k = 0; k < s.ndim(); ++k)
      if (s.shape()[k] > ishape[k]) s = fn::narrow(s, k, 0, ishape[k]);
    return s;
  };
  Tensor gs, gsrc;  // gradients for self and for src (index-shaped)
  switch (r) {
    case ScatterReduce::None:
      gs = mul(g, untouched());
      gsrc = gather_op(g, d, idx);
      break;
    case ScatterReduce::Sum:
      gs = incl ? g : mul(g, untouched());
      gsrc = gather_op(g, d, idx);
      break;
    case ScatterReduce::Mean: {
      Tensor n =
          tk::scatter(full(ms.shape, incl ? 1 : 0, dt, ms.device), d, idx, index_ones(), ScatterReduce::Sum, true);
      n = binary(BinaryOp::maximum, n, scalar(1));
      gs = incl ? div(g, n) : mul(g, untouched());
      gsrc = gather_op(div(g, n), d, idx);
      break;
    }
    case ScatterReduce::Amax:
    case ScatterReduce::Amin: {
      const Tensor y = c.out(0), s = src_at();
      const Tensor self_hit = incl ? fn::mask(cmp(BinaryOp::eq, c.in(0), y), dt) : untouched();
      const Tensor src_hit = fn::mask(cmp(BinaryOp::eq, s, gather_op(y, d, idx)), dt);
      const Tensor count =
          cadd(self_hit, tk::scatter(full(ms.shape, 0, dt, ms.device), d, idx, src_hit, ScatterReduce::Sum, true));
      const Tensor share = div(g, count);
      gs = mul(share, self_hit);
      gsrc = mul(gather_op(share, d, idx), src_hit);
      break;
    }
    case ScatterReduce::Prod: {
      const Tensor y = c.out(0);
      gs = incl ? div(mul(g, y), c.in(0)) : mul(g, untouched());
      gsrc = div(gather_op(mul(g, y), d, idx), src_at());
      break;
    }
  }
  if (c.needs(0)) c.set(0, gs);
  if (c.needs(2)) {
    const DimVec& sshape = c.in_meta(2).shape;
    c.set(2, sshape.size() == 0 ? gsrc : pad_to(gsrc, sshape));
  }
}

// The gradient of y = cumprod(x, d) in differentiable ops, for a recorded backward (the fused
// cumprod_backward kernel has no derivative of its own). Without zeros in x it is
// rcumsum(g y) / x (rcumsum summing from the end); with zeros, exactly: g_i = sum_{k >= i} g_k
// prod_{j <= k, j != i} x_j, from n cumprods of x with x_i replaced by 1, so n^2 per line (refused
// past 2^28 elements).
Tensor cumprod_grad_recorded(const Tensor& g, const Tensor& x, int64_t d) {
  const int64_t nd = x.ndim();
  if (d < 0) d += nd;
  const Tensor zero_mask = tk::to_dtype(cmp(BinaryOp::eq, x, 0.0), DType::Float64);
  const bool zeros =
      x.numel() > 0 &&
      tk::contiguous(tk::to_device(reduce(ReduceOp::Max, zero_mask, std::nullopt, false, "backward"), Device{}))
              .data<double>()[0] > 0;
  auto rcumsum = [&](const Tensor& v) { return add(sub(fn::sum(v, {d}, true), fn::cumsum(v, d)), v); };
  if (!zeros) {
    const Tensor y = op(OpId::cumprod, {x}, {num(double(d))});
    return div(rcumsum(mul(g, y)), x);
  }
  const int64_t n = x.shape()[d];
  TK_CHECK(double(x.numel()) * double(n) <= double(int64_t(1) << 28), NOT_IMPLEMENTED,
           "cumprod: the second derivative of a cumprod over ", n, " elements holding zeros needs ", n,
           "^2 values per line; not implemented that large");
  // Dims: x [.., n (j), ..] -> xl [.., n (i), n (j)] with d moved last and i inserted before it.
  const Tensor xt = fn::transpose(x, d, nd - 1), gt = fn::transpose(g, d, nd - 1);
  DimVec shape = xt.shape();
  shape.insert(int(shape.size()) - 1, n);
  const Tensor diag = fn::mask(
      cmp(BinaryOp::eq, tk::reshape(arange(0, double(n), 1, DType::Int64, x.device()), std::vector<int64_t>{n, 1}),
          tk::reshape(arange(0, double(n), 1, DType::Int64, x.device()), std::vector<int64_t>{1, n})),
      x.dtype());  // [i, j]: 1 where j == i
  // x with x_i replaced by 1 in row i: x * (1 - diag) + diag
  const Tensor rows = add(mul(fn::expand(fn::unsqueeze(xt, nd - 1), shape), sub(scalar(1), diag)), diag);
  const Tensor p = op(OpId::cumprod, {rows}, {num(double(nd))});  // [.., i, k]
  const Tensor upper = fn::mask(
      cmp(BinaryOp::ge, tk::reshape(arange(0, double(n), 1, DType::Int64, x.device()), std::vector<int64_t>{1, n}),
          tk::reshape(arange(0, double(n), 1, DType::Int64, x.device()), std::vector<int64_t>{n, 1})),
      x.dtype());  // [i, k]: 1 where k >= i
  const Tensor gi = fn::sum(mul(mul(p, upper), fn::unsqueeze(gt, nd - 1)), {nd}, false);  // [.., i]
  return fn::transpose(gi, d, nd - 1);
}

// Fused attention (inputs q, k, v, optional mask; outputs out, lse). Normally the fused backward
// kernel; when the backward is itself recorded (createGraph), the same gradient from
// differentiable ops (P = softmax(scale q k^T + mask): dV = P^T g, dS = P (g V^T - rowsum), dQ =
// scale dS K, dK = scale dS^T Q), so second derivatives work.
void sdpa_grad(Ctx& c) {
  const double scale = c.attrs().number(0, "scale");
  const bool causal = c.attrs().boolean_or(1, "causal", false);
  const Tensor q = c.in(0), k = c.in(1), v = c.in(2);
  const Tensor mask = c.num_inputs() > 3 ? c.in(3) : Tensor();
  const Tensor& g = c.g(0);
  if (!grad_enabled()) {
    std::vector<Tensor> ins{g, q, k, v, c.out(0), c.out(1)};
    if (mask.defined()) ins.push_back(mask);
    Attrs at(std::vector<Attr>{num(scale), flag(causal)});
    Outputs r = call(OpId::sdpa_backward, ins, at);
    for (int i = 0; i < 3; ++i)
      if (c.needs(i)) c.set(i, r[i]);
    return;
  }
  const int64_t L = q.shape()[q.ndim() - 2], S = k.shape()[k.ndim() - 2];
  Tensor sc = mul(fn::matmul(q, fn::mT(k)), scale);
  const double inf = std::numeric_limits<double>::infinity();
  if (causal) {  // a constant: -inf above the diagonal
    Tensor rows = tk::reshape(arange(0, double(L), 1, DType::Int64, q.device()), std::vector<int64_t>{L, 1});
    Tensor cols = tk::reshape(arange(0, double(S), 1, DType::Int64, q.device()), std::vector<int64_t>{1, S});
    sc = add(sc, tk::where(binary(BinaryOp::gt, cols, rows), scalar(-inf), scalar(0.0)));
  }
  if (mask.defined()) sc = add(sc, mask.dtype() == DType::Bool ? tk::where(mask, scalar(0.0), scalar(-inf)) : mask);
  const Tensor P = op(OpId::softmax, {sc}, {num(-1)});
  const Tensor dP = fn::matmul(g, fn::mT(v));
  const Tensor dS = mul(P, sub(dP, sum(mul(dP, P), {-1}, true)));
  if (c.needs(0)) c.set(0, mul(fn::matmul(dS, k), scale));
  if (c.needs(1)) c.set(1, mul(fn::matmul(fn::mT(dS), q), scale));
  if (c.needs(2)) c.set(2, fn::matmul(fn::mT(P), g));
}

// The gradient of x.narrow(dim, start, len): g padded with zeros back to x's shape.
Tensor pad_back(const Tensor& g, const TensorMeta& x, int dim, int64_t start) {
  const int64_t len = g.shape()[dim], size = x.shape[dim];
  std::vector<Tensor> parts;
  auto zeros_of = [&](int64_t n) {
    DimVec s = x.shape;
    s[dim] = n;
    return zeros(s, g.dtype(), g.device());
  };
  if (start > 0) parts.push_back(zeros_of(start));
  parts.push_back(g);
  if (start + len < size) parts.push_back(zeros_of(size - start - len));
  return parts.size() == 1 ? g : cat(parts, dim);
}

// The gradient of x.diagonal(offset, d1, d2): g ([..., k]) written back on that diagonal of a zero
// tensor of x's shape. Built from recorded ops (cat, where, permute), so it is differentiable too.
Tensor diagonal_back(const Tensor& g, const TensorMeta& x, int64_t offset, int d1, int d2) {
  const int nd = int(x.shape.size());
  const int64_t n = x.shape[d1], m = x.shape[d2], k = g.shape()[g.ndim() - 1];
  // g indexed by the row (offset >= 0) or the column (offset < 0), padded with zeros to its length.
  const int64_t along = offset >= 0 ? n : m;
  Tensor gp = g;
  if (k < along) {
    DimVec s = g.shape();
    s[s.size() - 1] = along - k;
    gp = fn::cat({g, zeros(s, g.dtype(), g.device())}, -1);
  }
  gp = fn::unsqueeze(gp, offset >= 0 ? -1 : -2);  // [..., n, 1] or [..., 1, m]
  Tensor rows = tk::reshape(arange(0, double(n), 1, DType::Int64, g.device()), std::vector<int64_t>{n, 1});
  Tensor cols = tk::reshape(arange(0, double(m), 1, DType::Int64, g.device()), std::vector<int64_t>{1, m});
  Tensor on = cmp(BinaryOp::eq, binary(BinaryOp::sub, cols, rows), double(offset));
  Tensor full = fn::where(on, gp, scalar(0));  // [rest..., n, m]
  std::vector<int64_t> perm(nd);
  for (int d = 0, r = 0; d < nd; ++d) perm[d] = d == d1 ? nd - 2 : d == d2 ? nd - 1 : r++;
  return fn::permute(full, perm);
}

// max/min over dims (values only): the gradient goes to the extremal elements, split evenly
// between ties (PyTorch's amax/amin rule).
void extremum_grad(Ctx& c) {
  auto dims = dims_of(c, 0);
  bool keepdim = c.attrs().boolean_or(1, "keepdim", false);
  const DimVec& shape = c.in_meta(0).shape;
  // Ties share the gradient evenly: share = g / count per reduced position, at every position
  // equal to the extremum, and share * 0 elsewhere (PyTorch's (g / count) * mask, bit for bit: NaN
  // where a NaN extremum matched nothing, -0 beside a negative share). The division runs on the
  // reduced shape, and the select is one pass over the input's size.
  const Tensor hit = cmp(BinaryOp::eq, c.in(0), unreduce(c.out(0), shape, dims, keepdim));
  const Tensor count = reduce(ReduceOp::Sum, hit, dims, true, "backward");  // int64, dims kept
  const Tensor share = div(fn::reshape(c.g(), count.shape()), count);
  c.set(0, fn::where(hit, share, mul(share, 0.0)));
}

// max(dim)/min(dim) with indices: the gradient goes to the selected index, scattered into zeros
// (PyTorch's value_selecting_reduction_backward). A one-hot of (position == index)
// times the expanded gradient took three passes over the input's size, one of them on int64.
void indexed_extremum_grad(Ctx& c) {
  const DimVec& shape = c.in_meta(0).shape;
  if (shape.size() == 0) return c.set(0, c.g());
  const int dim = wrap_dim(c.attrs().integer(0, "dim"), shape.size(), "backward");
  const bool keepdim = c.attrs().boolean_or(1, "keepdim", false);
  Tensor idx = c.out(1), g = c.g();
  if (!keepdim) {
    idx = fn::unsqueeze(idx, dim);
    g = fn::unsqueeze(g, dim);
  }
  c.set(0, scatter_into_zeros_op(shape, dim, idx, g, "none"));
}

// var and std: d var / dx = 2 (x - mean) / (N - correction).
void variance_grad(Ctx& c, bool is_std) {
  auto dims = dims_of(c, 0);
  double correction = c.attrs().number_or(1, "correction", 1);
  bool keepdim = c.attrs().boolean_or(2, "keepdim", false);
  const DimVec& shape = c.in_meta(0).shape;
  Tensor x = c.in(0);
  Attr d;
  if (dims && !dims->empty()) d = ints(*dims);
  Tensor centered = sub(x, op(OpId::mean, {x}, {d, flag(true)}));
  Tensor g = unreduce(c.g(), shape, dims, keepdim);
  double denom = reduced_count(c) - correction;
  if (is_std) {
    c.set(0, div(mul(g, centered), mul(unreduce(c.out(0), shape, dims, keepdim), denom)));
  } else {
    c.set(0, mul(mul(g, centered), 2.0 / denom));
  }
}

// matmul with PyTorch's 1-D promotion and batch broadcasting.
void matmul_grad(Ctx& c) {
  const DimVec &sa = c.in_meta(0).shape, &sb = c.in_meta(1).shape;
  Tensor g = c.g();
  if (sb.size() == 1) g = fn::unsqueeze(g, -1);
  if (sa.size() == 1) g = fn::unsqueeze(g, g.ndim() == 1 ? 0 : -2);
  if (c.needs(0)) {
    Tensor b = c.in(1);
    if (b.ndim() == 1) b = fn::unsqueeze(b, -1);
    Tensor ga = fn::matmul(g, mT(b));
    DimVec s1 = sa;
    if (sa.size() == 1) s1.insert(0, 1);
    c.set(0, fn::reshape(sum_to(ga, s1), sa));
  }
  if (c.needs(1)) {
    Tensor a = c.in(0);
    if (a.ndim() == 1) a = fn::unsqueeze(a, 0);
    // In b's own layout when b is a transposed 2-D view (x @ W.t()): (g^T a)^T.
    Tensor gb =
        c.in_meta(1).col_major && g.ndim() == 2 && a.ndim() == 2 ? mT(fn::matmul(mT(g), a)) : fn::matmul(mT(a), g);
    DimVec s1 = sb;
    if (sb.size() == 1) s1.push_back(1);
    c.set(1, fn::reshape(sum_to(gb, s1), sb));
  }
}

void pow_grad(Ctx& c) {
  Tensor a = c.in(0), b = c.in(1);
  const Tensor& g = c.g();
  if (c.needs(0)) {
    // d a^b / da = b a^(b-1), taken as 0 where b == 0 (so 0^0 does not give 0 * inf).
    if (auto v = wrapped_value(b)) {
      c.set(0, *v == 0 ? mul(g, 0.0) : mul(g, mul(pow(a, *v - 1), *v)));
    } else {
      Tensor d = mul(b, pow(a, sub(b, scalar(1))));
      c.set(0, mul(g, fn::where(cmp(BinaryOp::eq, b, 0), scalar(0), d)));
    }
  }
  if (c.needs(1)) {
    // d a^b / db = a^b log a, taken as 0 where a == 0 and b >= 0.
    Tensor d = mul(pow(a, b), log(a));
    Tensor zero_at = binary(BinaryOp::mul, cmp(BinaryOp::eq, a, 0), cmp(BinaryOp::ge, b, 0));
    c.set(1, mul(g, fn::where(zero_at, scalar(0), d)));
  }
}

// Fused cross-entropy / NLL (inputs x, target, optional weight). Normally the fused backward
// kernel; when the backward is itself recorded (createGraph), the same gradient from
// differentiable ops, so second derivatives work: with P = softmax(x), O the one-hot target,
// w_t its class weight (0 where ignored), k the not-ignored mask and W the weights' sum,
//   d/dx = s ((1 - e) w_t (P - O) + e / C k (W P - w))   (nll: s (-(1 - e) w_t O - e / C k w))
// where s is the loss's gradient (divided by sum w_t for a mean).
void cross_entropy_grad(Ctx& c) {
  if (!c.needs(0)) return;
  const Attrs& at = c.attrs();
  const int64_t ignore = at.integer_or(0, "ignoreIndex", -100);
  const double eps = at.number_or(1, "labelSmoothing", 0);
  const int64_t red = at.integer_or(2, "reduction", 1);
  const bool logits = at.boolean_or(3, "fromLogits", true);
  const Tensor x = c.in(0), t = c.in(1);
  const Tensor w = c.num_inputs() > 2 ? c.in(2) : Tensor();
  if (!grad_enabled()) {
    std::vector<Tensor> ins{c.g(), x, t};
    if (w.defined()) ins.push_back(w);
    Attrs a(std::vector<Attr>{num(double(ignore)), num(eps), num(double(red)), flag(logits)});
    return c.set(0, call(OpId::cross_entropy_backward, ins, a)[0]);
  }
  const int cd = x.ndim() == 1 ? 0 : 1;
  const int64_t C = x.shape()[cd];
  DimVec cls_shape;
  for (int d = 0; d < x.ndim(); ++d) cls_shape.push_back(d == cd ? C : 1);
  const DType dt = x.dtype();
  const Tensor keep = cmp(BinaryOp::ne, t, double(ignore));
  const Tensor onehot = mask(cmp(BinaryOp::eq, fn::unsqueeze(tk::where(keep, t, scalar(0.0)), cd),
                                 fn::reshape(arange(0, double(C), 1, DType::Int64, x.device()), cls_shape)),
                             dt);
  const Tensor kb = fn::unsqueeze(mask(keep, dt), cd);
  const Tensor wb = w.defined() ? fn::reshape(w, cls_shape) : Tensor();
  const Tensor wt = w.defined() ? mul(sum(mul(onehot, wb), {cd}, true), kb) : kb;  // keepdim: x's rank
  Tensor s = red == 0 ? fn::unsqueeze(c.g(), cd) : c.g();
  if (red == 1) s = div(s, sum(wt, {}, false));  // recorded: s carries the incoming gradient
  const Tensor wc = w.defined() ? wb : scalar(1.0);
  const double W = w.defined() ? 0.0 : double(C);
  Tensor d;
  if (logits) {
    const Tensor P = op(OpId::softmax, {x}, {num(double(cd))});
    const Tensor Wt = w.defined() ? sum(w, {}, false) : scalar(W);
    d = mul(mul(wt, sub(P, onehot)), 1 - eps);
    if (eps > 0) d = add(d, mul(mul(kb, sub(mul(P, Wt), wc)), eps / double(C)));
  } else {
    d = mul(mul(wt, onehot), -(1 - eps));
    if (eps > 0) d = sub(d, mul(mul(kb, wc), eps / double(C)));
  }
  c.set(0, mul(d, s));
}

// linear / linear_relu (x, weight, optional bias): one native call for the three gradients, the
// ReLU mask applied inside its products; recorded (createGraph), the same in differentiable ops.
void linear_grad(Ctx& c, bool relu) {
  const bool nx = c.needs(0), nw = c.needs(1), nb = c.num_inputs() > 2 && c.needs(2);
  if (!nx && !nw && !nb) return;
  const Tensor x = c.in(0), w = c.in(1);
  const Tensor y = relu ? c.out(0) : Tensor();
  if (!grad_enabled()) {
    // (the op itself, not through call(): grad mode is off, and it takes the destinations)
    std::vector<Tensor> r =
        linear_backward(c.g(), x, w, y, nx, nw, nb, nw ? c.dest(1) : Tensor(), nb ? c.dest(2) : Tensor());
    int k = 0;
    if (nx) c.set(0, r[k++]);
    if (nw) c.set(1, r[k++]);
    if (nb) c.set(2, r[k++]);
    return;
  }
  const Tensor g = relu ? fn::where(cmp(BinaryOp::gt, y, 0), c.g(), scalar(0.0)) : c.g();
  const int64_t in = w.shape()[1], out = w.shape()[0];
  int64_t M = 1;
  for (int d = 0; d + 1 < x.ndim(); ++d) M *= x.shape()[d];
  const Tensor g2 = fn::reshape(g, {M, out});
  if (nx) c.set(0, fn::matmul(g, w));
  if (nw) c.set(1, fn::matmul(mT(g2), fn::reshape(x, {M, in})));
  if (nb) c.set(2, sum(g2, {0}, false));
}

// maximum/minimum: the gradient goes to the winner, split evenly on ties.
void extremum2_grad(Ctx& c, BinaryOp wins) {
  Tensor a = c.in(0), b = c.in(1);
  DType dt = c.g().dtype();
  Tensor tie = cmul(mask(cmp(BinaryOp::eq, a, b), dt), 0.5);
  if (c.needs(0)) c.set(0, mul(c.g(), cadd(mask(cmp(wins, a, b), dt), tie)));
  if (c.needs(1)) c.set(1, mul(c.g(), cadd(mask(cmp(wins, b, a), dt), tie)));
}

Formula nondiff() { return {}; }

// Steps (floor, ceil, round, trunc, sign; the rounded divisions): gradient 0 almost everywhere,
// as torch's.
Tensor zeros_like_g(Ctx& c) {
  Tensor g = c.g();
  return zeros(g.shape(), g.dtype(), g.device());
}
Formula step() {
  return {[](Ctx& c) {
    for (int i = 0; i < c.num_inputs(); ++i)
      if (c.needs(i)) c.set(i, zeros_like_g(c));
  }};
}
// a - q b, q = a / b rounded down (remainder) or toward zero (fmod): d/da = 1, d/db = -q (torch's).
void rest_grad(Ctx& c, bool floor) {
  if (c.needs(0)) c.set(0, c.g());
  if (c.needs(1)) {
    Tensor q = floor ? op(OpId::floor_divide, {c.in(0), c.in(1)}) : op(OpId::trunc, {div(c.in(0), c.in(1))});
    c.set(1, neg(mul(c.g(), q)));
  }
}

// ---- convolution and pooling: each backward kernel is the adjoint of a forward op ------------
std::vector<Attr> with(Attr first, std::vector<Attr> rest) {
  rest.insert(rest.begin(), std::move(first));
  return rest;
}
Attr hw(const DimVec& s) { return ints({s[s.size() - 2], s[s.size() - 1]}); }
Conv2dParams conv_of(const Ctx& c, size_t first) { return ops::conv2d_params(c.attrs(), first, "backward"); }
Pool2dParams pool_of(const Ctx& c, size_t first) { return ops::pool2d_params(c.attrs(), first, "backward"); }

// y = conv2d(x, w, b): dx = conv2d_input_grad(g, w), dw = conv2d_weight_grad(g, x), db = sum(g).
void conv2d_grad(Ctx& c) {
  auto attrs = ops::conv2d_attrs(conv_of(c, 0));
  if (c.needs(0)) c.set(0, op(OpId::conv2d_input_grad, {c.g(), c.in(1)}, with(hw(c.in_meta(0).shape), attrs)));
  if (c.needs(1)) c.set(1, op(OpId::conv2d_weight_grad, {c.g(), c.in(0)}, with(hw(c.in_meta(1).shape), attrs)));
  if (c.num_inputs() > 2 && c.needs(2)) c.set(2, sum(c.g(), {0, 2, 3}, false));
}
// z = conv2d_input_grad(gy, w) = A_w^T gy: d/dgy = conv2d(., w), d/dw = conv2d_weight_grad(gy, .).
void conv2d_input_grad_grad(Ctx& c) {
  auto attrs = ops::conv2d_attrs(conv_of(c, 1));
  if (c.needs(0)) c.set(0, op(OpId::conv2d, {c.g(), c.in(1)}, attrs));
  if (c.needs(1)) c.set(1, op(OpId::conv2d_weight_grad, {c.in(0), c.g()}, with(hw(c.in_meta(1).shape), attrs)));
}
// z = conv2d_weight_grad(gy, x): d/dgy = conv2d(x, .), d/dx = conv2d_input_grad(gy, .).
void conv2d_weight_grad_grad(Ctx& c) {
  auto attrs = ops::conv2d_attrs(conv_of(c, 1));
  if (c.needs(0)) c.set(0, op(OpId::conv2d, {c.in(1), c.g()}, attrs));
  if (c.needs(1)) c.set(1, op(OpId::conv2d_input_grad, {c.in(0), c.g()}, with(hw(c.in_meta(1).shape), attrs)));
}
}  // namespace

Formula formula(OpId id) {
  switch (id) {
    // ---- element-wise unary ------------------------------------------------------------------
    case OpId::neg: return {[](Ctx& c) { c.set(0, neg(c.g())); }};
    case OpId::abs:
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                Tensor sign = binary(BinaryOp::sub, mask(cmp(BinaryOp::gt, x, 0), x.dtype()),
                                     mask(cmp(BinaryOp::lt, x, 0), x.dtype()));
                c.set(0, mul(c.g(), sign));
              },
              IN0};
    case OpId::exp: return {[](Ctx& c) { c.set(0, mul(c.g(), c.out(0))); }, 0, OUT0};
    case OpId::log: return {[](Ctx& c) { c.set(0, div(c.g(), c.in(0))); }, IN0};
    case OpId::log1p: return {[](Ctx& c) { c.set(0, div(c.g(), add(c.in(0), scalar(1)))); }, IN0};
    case OpId::sqrt: return {[](Ctx& c) { c.set(0, div(c.g(), mul(c.out(0), 2.0))); }, 0, OUT0};
    case OpId::rsqrt:  // d x^-1/2 = -1/2 x^-3/2 = -1/2 y^3
      return {[](Ctx& c) { c.set(0, mul(c.g(), mul(pow(c.out(0), 3.0), -0.5))); }, 0, OUT0};
    case OpId::sin: return {[](Ctx& c) { c.set(0, mul(c.g(), cos(c.in(0)))); }, IN0};
    case OpId::cos: return {[](Ctx& c) { c.set(0, mul(c.g(), neg(sin(c.in(0))))); }, IN0};
    case OpId::relu:
      return {[](Ctx& c) {
                Tensor y = c.out(0);
                // one pass (relu_backward); recorded, a select: 0, not NaN, where an infinite
                // gradient meets y <= 0, as PyTorch's threshold_backward
                if (!grad_enabled()) return c.set(0, binary(BinaryOp::relu_backward, c.g(), y));
                c.set(0, fn::where(cmp(BinaryOp::gt, y, 0), c.g(), scalar(0.0)));
              },
              0, OUT0};
    case OpId::sigmoid:  // the activations (derivatives_activations.cpp)
    case OpId::tanh:
    case OpId::gelu:
    case OpId::silu:
    case OpId::leaky_relu:
    case OpId::elu:
    case OpId::hardtanh:
    case OpId::hardsigmoid:
    case OpId::hardswish:
    case OpId::leaky_relu_backward:
    case OpId::hardtanh_backward:
    case OpId::hardsigmoid_backward:
    case OpId::relu_backward: return activation_formula(id);
    case OpId::erf:
    case OpId::erfc:
    case OpId::erfinv:
    case OpId::erfcx:
    case OpId::lgamma:
    case OpId::digamma:
    case OpId::polygamma:
    case OpId::i0:
    case OpId::i0e:
    case OpId::i1:
    case OpId::i1e:
    case OpId::ndtri:
    case OpId::log_ndtr:
    case OpId::zeta:
    case OpId::gammainc:
    case OpId::bessel_j0:
    case OpId::bessel_j1:
    case OpId::bessel_y0:
    case OpId::bessel_y1:
    case OpId::modified_bessel_k0:
    case OpId::modified_bessel_k1:
    case OpId::scaled_modified_bessel_k0:
    case OpId::scaled_modified_bessel_k1:
    case OpId::spherical_bessel_j0:
    case OpId::airy_ai:
    case OpId::gammaincc: return special_formula(id);
    case OpId::tan:  // 1 + tan^2
      return {[](Ctx& c) { c.set(0, mul(c.g(), add(mul(c.out(0), c.out(0)), scalar(1)))); }, 0, OUT0};
    case OpId::asin:  // 1 / sqrt(1 - x^2)
      return {[](Ctx& c) { c.set(0, div(c.g(), sqrt(sub(scalar(1), mul(c.in(0), c.in(0)))))); }, IN0};
    case OpId::acos:  // -1 / sqrt(1 - x^2)
      return {[](Ctx& c) { c.set(0, neg(div(c.g(), sqrt(sub(scalar(1), mul(c.in(0), c.in(0))))))); }, IN0};
    case OpId::atan:  // 1 / (1 + x^2)
      return {[](Ctx& c) { c.set(0, div(c.g(), add(mul(c.in(0), c.in(0)), scalar(1)))); }, IN0};
    case OpId::sinh: return {[](Ctx& c) { c.set(0, mul(c.g(), cosh(c.in(0)))); }, IN0};
    case OpId::cosh: return {[](Ctx& c) { c.set(0, mul(c.g(), sinh(c.in(0)))); }, IN0};
    case OpId::asinh:  // 1 / sqrt(x^2 + 1)
      return {[](Ctx& c) { c.set(0, div(c.g(), sqrt(add(mul(c.in(0), c.in(0)), scalar(1))))); }, IN0};
    case OpId::acosh:  // 1 / sqrt((x - 1)(x + 1))
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                c.set(0, div(c.g(), sqrt(mul(sub(x, scalar(1)), add(x, scalar(1))))));
              },
              IN0};
    case OpId::atanh:  // 1 / (1 - x^2)
      return {[](Ctx& c) { c.set(0, div(c.g(), sub(scalar(1), mul(c.in(0), c.in(0))))); }, IN0};
    case OpId::expm1: return {[](Ctx& c) { c.set(0, mul(c.g(), add(c.out(0), scalar(1)))); }, 0, OUT0};
    case OpId::exp2: return {[](Ctx& c) { c.set(0, mul(c.g(), mul(c.out(0), std::numbers::ln2))); }, 0, OUT0};
    case OpId::log2: return {[](Ctx& c) { c.set(0, div(c.g(), mul(c.in(0), std::numbers::ln2))); }, IN0};
    case OpId::log10: return {[](Ctx& c) { c.set(0, div(c.g(), mul(c.in(0), std::numbers::ln10))); }, IN0};
    case OpId::reciprocal:  // -1 / x^2 = -y^2
      return {[](Ctx& c) { c.set(0, neg(mul(c.g(), mul(c.out(0), c.out(0))))); }, 0, OUT0};
    case OpId::floor:
    case OpId::ceil:
    case OpId::round:
    case OpId::trunc:
    case OpId::sign: return step();
    case OpId::clamp:  // passes where min <= x <= max
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                auto lo = c.attrs().number_opt(0, "min"), hi = c.attrs().number_opt(1, "max");
                Tensor m;
                if (lo) m = cmp(BinaryOp::ge, x, *lo);
                if (hi) {
                  Tensor h = cmp(BinaryOp::le, x, *hi);
                  m = m.defined() ? binary(BinaryOp::mul, m, h) : h;
                }
                c.set(0, mul(c.g(), mask(m, c.g().dtype())));
              },
              IN0};

    // ---- element-wise binary (broadcast gradients are summed back by the engine) -------------
    case OpId::add:
      return {[](Ctx& c) {
        c.set(0, c.g());
        c.set(1, c.g());
      }};
    case OpId::sub:
      return {[](Ctx& c) {
        c.set(0, c.g());
        if (c.needs(1)) c.set(1, neg(c.g()));
      }};
    case OpId::mul:
      return {[](Ctx& c) {
                if (c.needs(0)) c.set(0, mul(c.g(), c.in(1)));
                if (c.needs(1)) c.set(1, mul(c.g(), c.in(0)));
              },
              0, 0, IN0 | IN1};
    case OpId::div:  // a is needed only for b's gradient: -g a / b^2
      return {[](Ctx& c) {
                Tensor b = c.in(1);
                if (c.needs(0)) c.set(0, div(c.g(), b));
                if (c.needs(1)) c.set(1, neg(div(mul(c.g(), c.in(0)), mul(b, b))));
              },
              IN1, 0, IN0};
    case OpId::pow: return {pow_grad, IN0 | IN1};
    case OpId::maximum: return {[](Ctx& c) { extremum2_grad(c, BinaryOp::gt); }, IN0 | IN1};
    case OpId::minimum: return {[](Ctx& c) { extremum2_grad(c, BinaryOp::lt); }, IN0 | IN1};
    case OpId::remainder: return {[](Ctx& c) { rest_grad(c, true); }, IN0 | IN1};
    case OpId::fmod: return {[](Ctx& c) { rest_grad(c, false); }, IN0 | IN1};
    case OpId::floor_divide: return step();
    case OpId::atan2:  // d/da = b / (a^2 + b^2), d/db = -a / (a^2 + b^2)
      return {[](Ctx& c) {
                Tensor a = c.in(0), b = c.in(1);
                Tensor r = add(mul(a, a), mul(b, b));
                if (c.needs(0)) c.set(0, div(mul(c.g(), b), r));
                if (c.needs(1)) c.set(1, neg(div(mul(c.g(), a), r)));
              },
              IN0 | IN1};
    case OpId::eq:
    case OpId::ne:
    case OpId::lt:
    case OpId::le:
    case OpId::gt:
    case OpId::ge:
    case OpId::nextafter:
    case OpId::gelu_backward:  // recorded backwards use the activation's differentiable ops
    case OpId::silu_backward:
    case OpId::elu_backward:
    case OpId::hardswish_backward:
    case OpId::bitwise_not:
    case OpId::bitwise_and:
    case OpId::bitwise_or:
    case OpId::bitwise_xor:
    case OpId::bitwise_left_shift:
    case OpId::bitwise_right_shift:
    case OpId::gcd:
    case OpId::lcm: return nondiff();
    case OpId::where:
      return {[](Ctx& c) {
                Tensor cond = c.in(0);
                if (c.needs(1)) c.set(1, fn::where(cond, c.g(), scalar(0)));
                if (c.needs(2)) c.set(2, fn::where(cond, scalar(0), c.g()));
              },
              IN0};

    // ---- creation (no tensor inputs) and writes ----------------------------------------------
    case OpId::zeros:
    case OpId::ones:
    case OpId::full:
    case OpId::arange:
    case OpId::linspace:
    case OpId::eye:
    case OpId::rand:
    case OpId::randn:
    case OpId::randint: return nondiff();
    // The old value is overwritten: its history gets no gradient.
    case OpId::fill_:
    case OpId::zero_: return {[](Ctx&) {}};
    case OpId::copy_: return {[](Ctx& c) { c.set(1, c.g()); }};

    // ---- reductions and scans ----------------------------------------------------------------
    case OpId::sum:
      return {[](Ctx& c) {
        c.set(0, unreduce(c.g(), c.in_meta(0).shape, dims_of(c, 0), c.attrs().boolean_or(1, "keepdim", false)));
      }};
    case OpId::mean:
      return {[](Ctx& c) {
        Tensor g = unreduce(c.g(), c.in_meta(0).shape, dims_of(c, 0), c.attrs().boolean_or(1, "keepdim", false));
        c.set(0, mul(g, 1.0 / reduced_count(c)));
      }};
    case OpId::max:
    case OpId::min: return {extremum_grad, IN0, OUT0};
    case OpId::max_with_indices:
    case OpId::min_with_indices: return {indexed_extremum_grad, 0, OUT1};
    case OpId::argmax:
    case OpId::argmin: return nondiff();
    case OpId::var: return {[](Ctx& c) { variance_grad(c, false); }, IN0};
    case OpId::std: return {[](Ctx& c) { variance_grad(c, true); }, IN0, OUT0};
    case OpId::softmax:  // y (g - sum(g y))
      return {[](Ctx& c) {
                int64_t d = c.attrs().integer(0, "dim");
                Tensor y = c.out(0);
                c.set(0, mul(y, sub(c.g(), sum(mul(c.g(), y), {d}, true))));
              },
              0, OUT0};
    case OpId::log_softmax:  // g - softmax * sum(g)
      return {[](Ctx& c) {
                int64_t d = c.attrs().integer(0, "dim");
                c.set(0, sub(c.g(), mul(exp(c.out(0)), sum(c.g(), {d}, true))));
              },
              0, OUT0};
    case OpId::cumprod:  // exact with zeros: see cumprod_backward, or cumprod_grad_recorded
      return {[](Ctx& c) {
                if (c.in_meta(0).shape.size() == 0) return c.set(0, c.g());
                const int64_t d = c.attrs().integer(0, "dim");
                if (grad_enabled()) return c.set(0, cumprod_grad_recorded(c.g(), c.in(0), d));
                c.set(0, op(OpId::cumprod_backward, {c.g(), c.in(0)}, {num(double(d))}));
              },
              IN0};
    case OpId::cumprod_backward: return nondiff();
    case OpId::cumsum:  // reversed cumsum: total - cumsum + g
      return {[](Ctx& c) {
        int64_t d = c.attrs().integer(0, "dim");
        if (c.in_meta(0).shape.size() == 0) return c.set(0, c.g());
        c.set(0, add(sub(sum(c.g(), {d}, true), fn::cumsum(c.g(), d)), c.g()));
      }};

    // ---- views and movement ------------------------------------------------------------------
    case OpId::reshape:
    case OpId::view:
    case OpId::squeeze:
    case OpId::unsqueeze:
    case OpId::flatten: return {[](Ctx& c) { c.set(0, fn::reshape(c.g(), c.in_meta(0).shape)); }};
    case OpId::transpose:
      return {
          [](Ctx& c) { c.set(0, fn::transpose(c.g(), c.attrs().integer(0, "dim0"), c.attrs().integer(1, "dim1"))); }};
    case OpId::permute:
      return {[](Ctx& c) {
        std::vector<int64_t> dims = c.attrs().ints(0, "dims"), inv(dims.size());
        for (size_t i = 0; i < dims.size(); ++i) inv[wrap_dim(dims[i], int(dims.size()), "backward")] = int64_t(i);
        c.set(0, fn::permute(c.g(), inv));
      }};
    case OpId::expand: return {[](Ctx& c) { c.set(0, c.g()); }};
    case OpId::narrow:
      return {[](Ctx& c) {
        const TensorMeta& x = c.in_meta(0);
        int dim = wrap_dim(c.attrs().integer(0, "dim"), x.shape.size(), "backward");
        int64_t start = c.attrs().integer(1, "start");
        if (start < 0) start += x.shape[dim];
        c.set(0, pad_back(c.g(), x, dim, start));
      }};
    case OpId::select:
      return {[](Ctx& c) {
        const TensorMeta& x = c.in_meta(0);
        int dim = wrap_dim(c.attrs().integer(0, "dim"), x.shape.size(), "backward");
        int64_t index = c.attrs().integer(1, "index");
        if (index < 0) index += x.shape[dim];
        c.set(0, pad_back(fn::unsqueeze(c.g(), dim), x, dim, index));
      }};
    case OpId::diagonal:
      return {[](Ctx& c) {
        const TensorMeta& x = c.in_meta(0);
        const int nd = int(x.shape.size());
        int d1 = wrap_dim(c.attrs().integer_or(1, "dim1", 0), nd, "backward");
        int d2 = wrap_dim(c.attrs().integer_or(2, "dim2", 1), nd, "backward");
        c.set(0, diagonal_back(c.g(), x, c.attrs().integer_or(0, "offset", 0), d1, d2));
      }};
    case OpId::as_strided: return {as_strided_grad, IN0};
    case OpId::unfold: return {unfold_grad};  // derivatives_strided.cpp
    case OpId::contiguous:
    case OpId::clone:
    case OpId::to_dtype: return {[](Ctx& c) { c.set(0, c.g()); }};
    case OpId::to_device: return {[](Ctx& c) { c.set(0, fn::to_device(c.g(), c.in_meta(0).device)); }};
    case OpId::cat:
      return {[](Ctx& c) {
        int dim = wrap_dim(c.attrs().integer_or(0, "dim", 0), c.g().ndim(), "backward");
        int64_t offset = 0;
        for (int i = 0; i < c.num_inputs(); ++i) {
          int64_t len = c.in_meta(i).shape[dim];
          if (c.needs(i)) c.set(i, fn::narrow(c.g(), dim, offset, len));
          offset += len;
        }
      }};
    case OpId::stack:
      return {[](Ctx& c) {
        int dim = wrap_dim(c.attrs().integer_or(0, "dim", 0), c.g().ndim(), "backward");
        for (int i = 0; i < c.num_inputs(); ++i)
          if (c.needs(i)) c.set(i, fn::select(c.g(), dim, i));
      }};

    // ---- linear algebra ----------------------------------------------------------------------
    case OpId::dot:
      return {[](Ctx& c) {
                if (c.needs(0)) c.set(0, mul(c.g(), c.in(1)));
                if (c.needs(1)) c.set(1, mul(c.g(), c.in(0)));
              },
              0, 0, IN0 | IN1};
    case OpId::matmul: return {matmul_grad, 0, 0, IN0 | IN1};
    case OpId::mv:
      return {[](Ctx& c) {
                if (c.needs(0)) c.set(0, mul(fn::unsqueeze(c.g(), 1), fn::unsqueeze(c.in(1), 0)));
                if (c.needs(1)) c.set(1, op(OpId::mv, {fn::transpose(c.in(0), 0, 1), c.g()}));
              },
              0, 0, IN0 | IN1};
    case OpId::bmm:
      return {[](Ctx& c) {
                if (c.needs(0)) c.set(0, op(OpId::bmm, {c.g(), mT(c.in(1))}));
                if (c.needs(1)) c.set(1, op(OpId::bmm, {mT(c.in(0)), c.g()}));
              },
              0, 0, IN0 | IN1};
    case OpId::linear: return {[](Ctx& c) { linear_grad(c, false); }, IN0 | IN1};
    case OpId::linear_relu: return {[](Ctx& c) { linear_grad(c, true); }, IN0 | IN1, OUT0};
    case OpId::linear_backward: return nondiff();  // recorded backwards use linear_grad's ops
    case OpId::linalg_cholesky_ex: return {cholesky_grad, 0, OUT0};
    case OpId::linalg_lu_factor_ex: return {lu_factor_grad, 0, OUT0 | OUT1};
    case OpId::linalg_solve_triangular: return {solve_triangular_grad, IN0, OUT0};
    case OpId::linalg_eigh: return {eigh_grad, 0, OUT0 | OUT1};
    case OpId::linalg_svd: return {svd_grad, 0, OUT0 | OUT1 | (1u << 2)};
    case OpId::linalg_qr: return {qr_grad, IN0, OUT0 | OUT1};
    case OpId::addmm:  // beta * input + alpha * m1 @ m2
      return {[](Ctx& c) {
                double beta = c.attrs().number_or(0, "beta", 1), alpha = c.attrs().number_or(1, "alpha", 1);
                auto scaled = [](const Tensor& t, double s) { return s == 1 ? t : mul(t, s); };
                if (c.needs(0)) c.set(0, scaled(c.g(), beta));
                if (c.needs(1)) c.set(1, scaled(fn::matmul(c.g(), mT(c.in(2))), alpha));
                if (c.needs(2))  // in m2's own layout: (g^T m1)^T when m2 is a transposed view
                  c.set(2, c.in_meta(2).col_major ? mT(scaled(fn::matmul(mT(c.g()), c.in(1)), alpha))
                                                  : scaled(fn::matmul(mT(c.in(1)), c.g()), alpha));
              },
              0, 0, IN1 | IN2};

    // ---- convolution and pooling ----------------------------------------------------------------
    case OpId::conv2d: return {conv2d_grad, 0, 0, IN0 | IN1};
    case OpId::conv2d_input_grad: return {conv2d_input_grad_grad, 0, 0, IN0 | IN1};
    case OpId::conv2d_weight_grad: return {conv2d_weight_grad_grad, 0, 0, IN0 | IN1};
    case OpId::max_pool2d:  // the gradient goes to each window's argmax (recorded: see below)
      return {[](Ctx& c) {
                c.set(0, op(OpId::max_pool2d_backward, {c.g(), c.out(1)}, {hw(c.in_meta(0).shape)}));
              },
              0, OUT1};
    case OpId::max_pool2d_backward: return {max_pool2d_backward_grad, IN1};  // derivatives_strided.cpp
    case OpId::avg_pool2d:
      return {[](Ctx& c) {
        c.set(0,
              op(OpId::avg_pool2d_backward, {c.g()}, with(hw(c.in_meta(0).shape), ops::pool2d_attrs(pool_of(c, 0)))));
      }};
    case OpId::avg_pool2d_backward:  // linear: its adjoint is the forward
      return {[](Ctx& c) { c.set(0, op(OpId::avg_pool2d, {c.g()}, ops::pool2d_attrs(pool_of(c, 1)))); }};
    case OpId::adaptive_avg_pool2d:
      return {[](Ctx& c) { c.set(0, op(OpId::adaptive_avg_pool2d_backward, {c.g()}, {hw(c.in_meta(0).shape)})); }};
    case OpId::adaptive_avg_pool2d_backward:
      return {[](Ctx& c) { c.set(0, op(OpId::adaptive_avg_pool2d, {c.g()}, {hw(c.in_meta(0).shape)})); }};

    // ---- embedding: the backward sums rows back; its adjoint is the lookup again --------------
    case OpId::embedding:  // attrs: paddingIdx (its row gets no gradient)
      return {
          [](Ctx& c) {
            const double pad = double(c.attrs().integer_or(0, "paddingIdx", -1));
            c.set(0, op(OpId::embedding_backward, {c.g(), c.in(1)}, {num(double(c.in_meta(0).shape[0])), num(pad)}));
          },
          IN1};
    case OpId::embedding_backward:  // linear: the lookup, with the padding positions zeroed
      return {[](Ctx& c) {
                const int64_t pad = c.attrs().integer_or(1, "paddingIdx", -1);
                Tensor r = op(OpId::embedding, {c.g(), c.in(1)}, {num(double(pad))});
                if (pad >= 0) r = mul(r, fn::unsqueeze(mask(cmp(BinaryOp::ne, c.in(1), double(pad)), r.dtype()), -1));
                c.set(0, r);
              },
              IN1};

    // ---- indexing: index_select's gradient adds the slices back; that is linear, and its
    // adjoint is the selection again. argsort and bincount give integers.
    case OpId::index_select:  // attrs: dim
      return {[](Ctx& c) {
                const int64_t dim = c.attrs().integer(0, "dim");
                const DimVec& s = c.in_meta(0).shape;
                const int64_t size = s.empty() ? 1 : s[size_t(wrap_dim(dim, int(s.size()), "backward"))];
                c.set(0, op(OpId::index_select_backward, {c.g(), c.in(1)}, {num(double(dim)), num(double(size))}));
              },
              IN1};
    case OpId::index_select_backward:  // attrs: dim, size
      return {[](Ctx& c) {
                c.set(0, op(OpId::index_select, {c.g(), c.in(1)}, {num(double(c.attrs().integer(0, "dim")))}));
              },
              IN1};
    case OpId::gather:  // attrs: dim. dx = g added back at the gathered positions
      return {[](Ctx& c) {
                const TensorMeta& m = c.in_meta(0);
                c.set(0, scatter_into_zeros_op(m.shape, c.attrs().integer(0, "dim"), c.in(1), c.g(), "sum"));
              },
              IN1};
    case OpId::scatter: return {scatter_grad, IN0 | IN1 | IN2, OUT0};
    case OpId::sdpa: return {sdpa_grad, IN0 | IN1 | IN2 | 8u, OUT0 | OUT1};
    // The fused backward kernel; a recorded backward uses differentiable ops instead (sdpa_grad).
    case OpId::cross_entropy: return {cross_entropy_grad, IN0 | IN1 | IN2};
    case OpId::cross_entropy_backward: return nondiff();  // recorded backwards use cross_entropy_grad's ops
    case OpId::batch_norm: return {batch_norm_grad, IN0 | IN1 | 8u | 16u, OUT1 | 4u};
    case OpId::batch_norm_backward: return nondiff();  // recorded backwards use batch_norm_grad's ops
    case OpId::layer_norm: return {layer_norm_grad, IN0 | IN1, OUT1 | 4u};
    case OpId::layer_norm_backward: return nondiff();  // recorded backwards use layer_norm_grad's ops
    case OpId::ctc_loss:
      return {[](Ctx& c) {
                // As in PyTorch, the gradient is a kernel's, with no formula of its own.
                TK_CHECK(!grad_enabled(), NOT_IMPLEMENTED, "ctcLoss: double backward (createGraph) is not implemented");
                if (c.needs(0))
                  c.set(0, ctc_loss_backward(c.g(), c.in(0), c.in(1), c.in(2), c.in(3), c.out(1),
                                             c.attrs().integer_or(0, "blank", 0),
                                             c.attrs().boolean_or(1, "zeroInfinity", false)));
              },
              IN0 | IN1 | IN2 | 8u, OUT1};
    case OpId::ctc_loss_backward: return nondiff();
    case OpId::sdpa_backward:
    case OpId::nonzero:
    case OpId::argsort:
    case OpId::bincount: return nondiff();

    // ---- image transforms: a crop's adjoint is the crop back into the input's frame (zeros
    // where the crop padded); a flip is its own adjoint; normalize divides the gradient by std.
    // Resize and colour jitter are data-loading steps without a derivative (F.interpolate has one).
    case OpId::image_crop:  // attrs: top, left, height, width, fill
      return {[](Ctx& c) {
        const DimVec& s = c.in_meta(0).shape;
        c.set(0, op(OpId::image_crop, {c.g()},
                    {num(double(-c.attrs().integer(0, "top"))), num(double(-c.attrs().integer(1, "left"))),
                     num(double(s[s.size() - 2])), num(double(s[s.size() - 1])), num(0)}));
      }};
    case OpId::image_hflip: return {[](Ctx& c) { c.set(0, op(OpId::image_hflip, {c.g()}, {})); }};
    case OpId::image_normalize:  // inputs: x, mean, std (constants: no gradient)
      return {[](Ctx& c) {
                const TensorMeta& m = c.in_meta(1);
                c.set(0, op(OpId::image_normalize, {c.g(), fn::zeros(m.shape, DType::Float64, Device{}), c.in(2)}, {}));
              },
              IN2};
    case OpId::image_resize:
    case OpId::image_adjust: return nondiff();

    // ---- optimizer updates (run under noGrad; on leaves that require grad they are refused) ---
    case OpId::sgd_step_:
    case OpId::adam_step_:
    case OpId::rmsprop_step_:
    case OpId::adagrad_step_:
    case OpId::adadelta_step_:
    case OpId::sgd_foreach_:
    case OpId::adam_foreach_:
      return nondiff();

      // In-place rows differentiate like their out-of-place op (the engine rebases the history).
#define TK_UNARY(n, F, rule, inplace, cost) TK_IF_##inplace(case OpId::n##_ : return formula(OpId::n);)
#define TK_BINARY(n, F, rule, inplace, cost) TK_IF_##inplace(case OpId::n##_ : return formula(OpId::n);)
#include "tk/ops.def"

    case OpId::kCount: break;
  }
  raise(ErrorCode::INTERNAL, "autograd: no derivative entry for op ", int(id));
}

bool differentiable(OpId op) { return formula(op).fn != nullptr; }

}  // namespace tk::autograd
