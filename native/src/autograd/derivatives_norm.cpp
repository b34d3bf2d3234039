// The derivatives of the fused batch and layer normalizations, split from the derivative table
// (derivatives.cpp), which names it in its row.
#include <algorithm>
#include <vector>

#include "autograd/derivatives.h"
#include "autograd/functions.h"
#include "ops/internal.h"

namespace tk::autograd {
using namespace fn;

// batch_norm (x, weight, bias, optional running mean and var; outputs y, mean, var): the fused
// backward kernel; recorded (createGraph), the same gradient from differentiable ops, the batch
// statistics recomputed from x so that their dependence on x is part of the graph. The statistics
// outputs carry no gradient (the running-statistics update reads them without one).
void batch_norm_grad(Ctx& c) {
  const bool nx = c.needs(0), nw = c.needs(1), nb = c.needs(2);
  if (!nx && !nw && !nb) return;
  const bool training = c.attrs().boolean_or(0, "training", true);
  const double eps = c.attrs().number_or(1, "eps", 1e-5);
  const Tensor x = c.in(0), w = c.in(1);
  if (!grad_enabled()) {
    std::vector<Tensor> r = batch_norm_backward(c.g(), x, w, c.out(1), c.out(2), training, eps);
    if (nx) c.set(0, r[0]);
    if (nw) c.set(1, r[1]);
    if (nb) c.set(2, r[2]);
    return;
  }
  std::vector<int64_t> dims{0};
  DimVec cs{1, x.shape()[1]};
  for (int d = 2; d < x.ndim(); ++d) dims.push_back(d), cs.push_back(1);
  const double M = double(x.numel() / std::max<int64_t>(x.shape()[1], 1));
  const Tensor g = c.g();
  Tensor mean, invstd;
  if (training) {
    mean = mul(sum(x, dims, true), 1 / M);
    invstd = pow(add(mul(sum(pow(sub(x, mean), 2.0), dims, true), 1 / M), scalar(eps)), -0.5);
  } else {
    mean = fn::reshape(fn::to_dtype(c.in(3), x.dtype()), cs);
    invstd = pow(add(fn::reshape(fn::to_dtype(c.in(4), x.dtype()), cs), scalar(eps)), -0.5);
  }
  const Tensor xhat = mul(sub(x, mean), invstd);
  if (nb) c.set(2, sum(g, dims, false));
  if (nw) c.set(1, sum(mul(g, xhat), dims, false));
  if (!nx) return;
  const Tensor k = mul(fn::reshape(w, cs), invstd);
  if (!training) return c.set(0, mul(g, k));
  const Tensor mg = mul(sum(g, dims, true), 1 / M), mgx = mul(sum(mul(g, xhat), dims, true), 1 / M);
  c.set(0, mul(k, sub(sub(g, mg), mul(xhat, mgx))));
}

// layer_norm (x, then weight and bias when present; outputs y, mean, rstd) over the last k dims:
// the fused backward kernel; recorded (createGraph), the same gradient from differentiable ops,
// the statistics recomputed from x so that their dependence on x is part of the graph.
void layer_norm_grad(Ctx& c) {
  const int64_t k = c.attrs().integer(0, "normalized_ndim");
  const double eps = c.attrs().number_or(1, "eps", 1e-5);
  const bool hw = c.attrs().boolean_or(2, "has_weight", false), hb = c.attrs().boolean_or(3, "has_bias", false);
  const int iw = 1, ib = hw ? 2 : 1;
  const bool nx = c.needs(0), nw = hw && c.needs(iw), nb = hb && c.needs(ib);
  if (!nx && !nw && !nb) return;
  const Tensor x = c.in(0), w = hw ? c.in(iw) : Tensor();
  if (!grad_enabled()) {
    std::vector<Tensor> r = layer_norm_backward(c.g(), x, k, w, c.out(1), c.out(2), nx, nw, nb);
    if (nx) c.set(0, r[0]);
    if (nw) c.set(iw, r[1]);
    if (nb) c.set(ib, r[2]);
    return;
  }
  std::vector<int64_t> norm, lead;
  double N = 1;
  for (int d = 0; d < x.ndim(); ++d) {
    if (d >= x.ndim() - k) {
      norm.push_back(d);
      N *= double(x.shape()[d]);
    } else {
      lead.push_back(d);
    }
  }
  const Tensor g = c.g();
  const Tensor xc = sub(x, mul(sum(x, norm, true), 1 / N));
  const Tensor rstd = pow(add(mul(sum(pow(xc, 2.0), norm, true), 1 / N), scalar(eps)), -0.5);
  const Tensor xhat = mul(xc, rstd);
  // Over the leading dims (none: the gradient itself, as a sum over no dims would be a full one).
  auto lead_sum = [&](const Tensor& t) { return lead.empty() ? t : sum(t, lead, false); };
  if (nb) c.set(ib, lead_sum(g));
  if (nw) c.set(iw, lead_sum(mul(g, xhat)));
  if (!nx) return;
  const Tensor gh = hw ? mul(g, w) : g;
  const Tensor a = mul(sum(gh, norm, true), 1 / N), b = mul(sum(mul(gh, xhat), norm, true), 1 / N);
  c.set(0, mul(rstd, sub(sub(gh, a), mul(xhat, b))));
}

}  // namespace tk::autograd
