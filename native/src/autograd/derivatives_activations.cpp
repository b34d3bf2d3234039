// The activations' derivatives, split from the derivative table (derivatives.cpp), whose switch
// names each op and sends it here: sigmoid and tanh (from their outputs); gelu, silu, elu and
// hardswish through their fused backward kernels when the backward is not recorded, else through
// differentiable ops; leaky_relu, hardtanh and hardsigmoid through backward kernels that are
// themselves differentiable (linear in the gradient, flat in the input), so they serve recorded
// backwards too. The backward kernels compare as PyTorch's vectorised loops do, so the gradients at
// the kinks and for NaN are its (hardtanh passes nothing at its bounds; elu takes its negative
// side at 0; hardswish's at 3 is its scalar loop's, 3/2).
#include <numbers>

#include "autograd/derivatives.h"
#include "autograd/functions.h"
#include "ops/internal.h"

namespace tk::autograd {
namespace {
using namespace fn;
constexpr uint32_t IN0 = 1, IN1 = 2, OUT0 = 1;
constexpr double kInvSqrt2Pi = 0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2;

std::vector<Attr> attrs_of(const Attrs& a) {
  std::vector<Attr> v;
  for (size_t i = 0; i < a.size(); ++i) v.push_back(a.item(i));
  return v;
}
Tensor lt(const Tensor& x, double v) { return binary(BinaryOp::lt, x, scalar(v)); }
Tensor gt(const Tensor& x, double v) { return binary(BinaryOp::gt, x, scalar(v)); }

// y = op(x): dy/dx g through `backward`, an op on (g, x) with y's attrs.
template <OpId Backward> void through(Ctx& c) { c.set(0, op(Backward, {c.g(), c.in(0)}, attrs_of(c.attrs()))); }
// A backward kernel b(g, x) linear in g and flat in x: its gradient by g is itself, by x zero.
template <OpId Self> void linear_in_g(Ctx& c) {
  if (c.needs(0)) c.set(0, op(Self, {c.g(), c.in(1)}, attrs_of(c.attrs())));
  if (c.needs(1)) c.set(1, zeros(c.g().shape(), c.g().dtype(), c.g().device()));
}
}  // namespace

Formula activation_formula(OpId id) {
  switch (id) {
    case OpId::sigmoid:
      return {[](Ctx& c) {
                Tensor y = c.out(0);
                c.set(0, mul(c.g(), mul(y, sub(scalar(1), y))));
              },
              0, OUT0};
    case OpId::tanh:
      return {[](Ctx& c) {
                Tensor y = c.out(0);
                c.set(0, mul(c.g(), sub(scalar(1), mul(y, y))));
              },
              0, OUT0};
    case OpId::gelu:  // Phi(x) + x phi(x)
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                if (!grad_enabled()) return c.set(0, binary(BinaryOp::gelu_backward, c.g(), x));
                Tensor cdf = mul(add(erf(mul(x, std::numbers::sqrt2 / 2)), scalar(1)), 0.5);
                c.set(0, mul(c.g(), add(cdf, mul(x, mul(exp(mul(mul(x, x), -0.5)), kInvSqrt2Pi)))));
              },
              IN0};
    case OpId::silu:  // s (1 + x (1 - s)), s = sigmoid(x)
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                if (!grad_enabled()) return c.set(0, binary(BinaryOp::silu_backward, c.g(), x));
                Tensor s = op(OpId::sigmoid, {x});
                c.set(0, mul(c.g(), mul(s, add(mul(x, sub(scalar(1), s)), scalar(1)))));
              },
              IN0};
    case OpId::elu:  // p2 where x > 0, else p1 p0 e^(x p1) (ops::elementwise_params' coefficients)
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                if (!grad_enabled()) return through<OpId::elu_backward>(c);
                const kernels::UnaryParams p = ops::elementwise_params(OpId::elu, c.attrs(), "elu");
                Tensor neg_side = mul(exp(mul(x, p.p1)), p.p1 * p.p0);
                c.set(0, mul(c.g(), fn::where(gt(x, 0), scalar(p.p2), neg_side)));
              },
              IN0};
    case OpId::hardswish:  // 0 below -3, 1 above 3, else x / 3 + 1/2
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                if (!grad_enabled()) return through<OpId::hardswish_backward>(c);
                Tensor mid = add(mul(x, 1.0 / 3), scalar(0.5));
                c.set(0, mul(c.g(), fn::where(lt(x, -3), scalar(0), fn::where(gt(x, 3), scalar(1), mid))));
              },
              IN0};
    case OpId::leaky_relu: return {through<OpId::leaky_relu_backward>, IN0};
    case OpId::hardtanh: return {through<OpId::hardtanh_backward>, IN0};
    case OpId::hardsigmoid: return {through<OpId::hardsigmoid_backward>, IN0};
    case OpId::leaky_relu_backward: return {linear_in_g<OpId::leaky_relu_backward>, IN1};
    case OpId::hardtanh_backward: return {linear_in_g<OpId::hardtanh_backward>, IN1};
    case OpId::hardsigmoid_backward: return {linear_in_g<OpId::hardsigmoid_backward>, IN1};
    case OpId::relu_backward: return {linear_in_g<OpId::relu_backward>, IN1};
    default: return {};  // unreachable: derivatives.cpp sends only the ops above
  }
}

}  // namespace tk::autograd
