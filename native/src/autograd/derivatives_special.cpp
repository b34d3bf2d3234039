// The special functions' derivatives (erf ... polygamma, torch.special's Bessel, normal and
// incomplete-gamma functions), split from the derivative table (derivatives.cpp), whose switch
// names each op and sends it here. Written in differentiable ops, so they give second derivatives.
// torch 1.13 records no derivative for the Bessel functions J0 ... K1 and the spherical j0; these
// give them (a PyTorch program sees more, never less); Ai stays non-differentiable, as torch's.
// As torch, the derivatives by the first argument of zeta, gammainc and gammaincc (the order and
// the shape parameter) are not implemented: asking for one is NOT_IMPLEMENTED, not a silent zero.
#include <numbers>

#include "autograd/derivatives.h"
#include "autograd/functions.h"
#include "ops/internal.h"

namespace tk::autograd {
namespace {
using namespace fn;
constexpr uint32_t IN0 = 1, IN1 = 2, OUT0 = 1;
constexpr double kInvSqrt2Pi = 0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2;

Tensor unary_op(OpId id, const Tensor& x) { return op(id, {x}); }
// sign(x) as a constant of x's dtype (its derivative is 0 almost everywhere).
Tensor sign_of(const Tensor& x) {
  return binary(BinaryOp::sub, mask(binary(BinaryOp::gt, x, scalar(0)), x.dtype()),
                mask(binary(BinaryOp::lt, x, scalar(0)), x.dtype()));
}
// f(x) / x with f(0) / 0 taken as `at_zero` (I1(x) / x -> 1/2): x is replaced by 1 where it is 0
// before the division, so neither the value nor its derivative sees 0 / 0.
Tensor over_x(const Tensor& f, const Tensor& x, double at_zero) {
  Tensor zero = binary(BinaryOp::eq, x, scalar(0));
  Tensor safe = fn::where(zero, scalar(1), x);
  return fn::where(zero, scalar(at_zero), div(f, safe));
}
// d/dx sin(x)/x = -j1(x) = (cos x - j0(x)) / x; below 1/4 the difference cancels (48 ulp lost at
// 1/4), so there the Taylor series of -j1 to x^11 (the next term is 2e-18 of it at 1/4), with x
// swapped for 1 in the branch not taken, as over_x does.
Tensor spherical_j0_grad(const Tensor& x) {
  Tensor x2 = mul(x, x);
  Tensor small = binary(BinaryOp::lt, x2, scalar(1.0 / 16));
  Tensor safe = fn::where(small, scalar(1), x);
  Tensor wide = div(sub(cos(safe), unary_op(OpId::spherical_bessel_j0, safe)), safe);
  // j1 = x (1/3 - x^2/30 + x^4/840 - x^6/45360 + x^8/3991680 - x^10/518918400), by Horner
  Tensor series = scalar(-1.0 / 518918400);
  for (double d : {3991680.0, -45360.0, 840.0, -30.0, 3.0}) series = add(mul(series, x2), scalar(1 / d));
  return fn::where(small, neg(mul(x, series)), wide);
}
void refuse_first(Ctx& c, const char* name, const char* what) {
  TK_CHECK(!c.needs(0), NOT_IMPLEMENTED, name, ": the derivative with respect to ", what,
           " (the first argument) is not implemented, as in torch; detach it or pass it as a number");
}
// d/dx P(a, x) = e^(-x) x^(a-1) / Gamma(a) = -d/dx Q(a, x).
void igamma_grad(Ctx& c, bool upper) {
  refuse_first(c, upper ? "gammaincc" : "gammainc", "a");
  Tensor a = c.in(0), x = c.in(1);
  Tensor d = exp(sub(sub(mul(sub(a, scalar(1)), log(x)), x), unary_op(OpId::lgamma, a)));
  c.set(1, mul(c.g(), upper ? neg(d) : d));
}
}  // namespace

Formula special_formula(OpId id) {
  switch (id) {
    case OpId::erf:  // 2/sqrt(pi) e^(-x^2)
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                c.set(0, mul(c.g(), mul(exp(neg(mul(x, x))), 2 * std::numbers::inv_sqrtpi)));
              },
              IN0};
    case OpId::erfc:  // -2/sqrt(pi) e^(-x^2)
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                c.set(0, mul(c.g(), mul(exp(neg(mul(x, x))), -2 * std::numbers::inv_sqrtpi)));
              },
              IN0};
    case OpId::erfinv:  // sqrt(pi)/2 e^(y^2)
      return {[](Ctx& c) {
                Tensor y = c.out(0);
                c.set(0, mul(c.g(), mul(exp(mul(y, y)), 0.5 / std::numbers::inv_sqrtpi)));
              },
              0, OUT0};
    case OpId::erfcx:  // 2 x erfcx(x) - 2/sqrt(pi)
      return {[](Ctx& c) {
                Tensor x = c.in(0), y = c.out(0);
                c.set(0, mul(c.g(), sub(mul(mul(x, y), 2.0), scalar(2 * std::numbers::inv_sqrtpi))));
              },
              IN0, OUT0};
    case OpId::lgamma: return {[](Ctx& c) { c.set(0, mul(c.g(), unary_op(OpId::digamma, c.in(0)))); }, IN0};
    case OpId::digamma: return {[](Ctx& c) { c.set(0, mul(c.g(), op(OpId::polygamma, {c.in(0)}, {num(1)}))); }, IN0};
    case OpId::polygamma:
      return {[](Ctx& c) {
                const double n = double(c.attrs().integer(0, "n"));
                c.set(0, mul(c.g(), op(OpId::polygamma, {c.in(0)}, {num(n + 1)})));
              },
              IN0};
    case OpId::i0: return {[](Ctx& c) { c.set(0, mul(c.g(), unary_op(OpId::i1, c.in(0)))); }, IN0};
    case OpId::i0e:  // i1e(x) - sign(x) i0e(x)
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                c.set(0, mul(c.g(), sub(unary_op(OpId::i1e, x), mul(sign_of(x), c.out(0)))));
              },
              IN0, OUT0};
    case OpId::i1:  // i0(x) - i1(x) / x: 1 - 1/2 at 0
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                c.set(0, mul(c.g(), sub(unary_op(OpId::i0, x), over_x(c.out(0), x, 0.5))));
              },
              IN0, OUT0};
    case OpId::i1e:  // i0e(x) - i1e(x) (sign(x) + 1 / x): 1 - 0 - 1/2 at 0
      return {[](Ctx& c) {
                Tensor x = c.in(0), y = c.out(0);
                c.set(0, mul(c.g(), sub(sub(unary_op(OpId::i0e, x), mul(sign_of(x), y)), over_x(y, x, 0.5))));
              },
              IN0, OUT0};
    case OpId::bessel_j0: return {[](Ctx& c) { c.set(0, neg(mul(c.g(), unary_op(OpId::bessel_j1, c.in(0))))); }, IN0};
    case OpId::bessel_j1:  // j0(x) - j1(x) / x: 1 - 1/2 at 0
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                c.set(0, mul(c.g(), sub(unary_op(OpId::bessel_j0, x), over_x(c.out(0), x, 0.5))));
              },
              IN0, OUT0};
    case OpId::bessel_y0: return {[](Ctx& c) { c.set(0, neg(mul(c.g(), unary_op(OpId::bessel_y1, c.in(0))))); }, IN0};
    case OpId::bessel_y1:  // y0(x) - y1(x) / x
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                c.set(0, mul(c.g(), sub(unary_op(OpId::bessel_y0, x), div(c.out(0), x))));
              },
              IN0, OUT0};
    case OpId::modified_bessel_k0:
      return {[](Ctx& c) { c.set(0, neg(mul(c.g(), unary_op(OpId::modified_bessel_k1, c.in(0))))); }, IN0};
    case OpId::modified_bessel_k1:  // -k0(x) - k1(x) / x
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                c.set(0, neg(mul(c.g(), add(unary_op(OpId::modified_bessel_k0, x), div(c.out(0), x)))));
              },
              IN0, OUT0};
    case OpId::scaled_modified_bessel_k0:  // (e^x k0)' = e^x k0 - e^x k1
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                c.set(0, mul(c.g(), sub(c.out(0), unary_op(OpId::scaled_modified_bessel_k1, x))));
              },
              IN0, OUT0};
    case OpId::scaled_modified_bessel_k1:  // (e^x k1)' = e^x k1 - e^x k0 - e^x k1 / x
      return {[](Ctx& c) {
                Tensor x = c.in(0), y = c.out(0);
                Tensor k0e = unary_op(OpId::scaled_modified_bessel_k0, x);
                c.set(0, mul(c.g(), sub(sub(y, k0e), div(y, x))));
              },
              IN0, OUT0};
    case OpId::spherical_bessel_j0: return {[](Ctx& c) { c.set(0, mul(c.g(), spherical_j0_grad(c.in(0)))); }, IN0};
    case OpId::airy_ai: return {};  // not differentiable (torch's neither): Ai' is not provided
    case OpId::ndtri:  // sqrt(2 pi) e^(y^2 / 2)
      return {[](Ctx& c) {
                Tensor y = c.out(0);
                c.set(0, mul(c.g(), mul(exp(mul(mul(y, y), 0.5)), 1 / kInvSqrt2Pi)));
              },
              0, OUT0};
    case OpId::log_ndtr:  // phi(x) / ndtr(x) = e^(-x^2/2 - log_ndtr(x)) / sqrt(2 pi)
      return {[](Ctx& c) {
                Tensor x = c.in(0);
                Tensor e = exp(sub(mul(mul(x, x), -0.5), c.out(0)));
                c.set(0, mul(c.g(), mul(e, kInvSqrt2Pi)));
              },
              IN0, OUT0};
    case OpId::zeta:  // d/dq zeta(x, q) = -x zeta(x + 1, q)
      return {[](Ctx& c) {
                refuse_first(c, "zeta", "x");
                Tensor x = c.in(0), q = c.in(1);
                c.set(1, neg(mul(c.g(), mul(x, op(OpId::zeta, {add(x, scalar(1)), q})))));
              },
              IN0 | IN1};
    case OpId::gammainc: return {[](Ctx& c) { igamma_grad(c, false); }, IN0 | IN1};
    case OpId::gammaincc: return {[](Ctx& c) { igamma_grad(c, true); }, IN0 | IN1};
    default: raise(ErrorCode::INTERNAL, "special_formula: ", op_name(id), " is not a special function");
  }
}

}  // namespace tk::autograd
