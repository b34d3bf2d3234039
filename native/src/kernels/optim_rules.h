// The optimizers' per-element update rules (PyTorch's, torch/optim/*.py single-tensor path),
// written once for the CPU loops (cpu/optim.cpp) and the CUDA kernels (cuda/optim.cu). Each rule
// is built on the host from the op's parameters, then applied to element i of the parameter, its
// gradient and its state; absent state pointers are null.
#pragma once
#include <cmath>
#include <cstdint>

#include "backend.h"
#include "kernels/functors.h"

namespace tk::kernels {

template <class T> struct SgdRule {
  T lr, mom, damp, wd;
  bool nesterov, first;
  explicit SgdRule(const SgdParams& o)
      : lr(T(o.lr)),
        mom(T(o.momentum)),
        damp(T(1 - o.dampening)),
        wd(T(o.weight_decay)),
        nesterov(o.nesterov),
        first(o.first) {}
  TK_HD void operator()(int64_t i, T* p, const T* g, T* buf) const {
    T d = g[i] + wd * p[i];
    if (buf) {
      buf[i] = first ? d : mom * buf[i] + damp * d;
      d = nesterov ? d + mom * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
};

template <class T> struct AdamRule {
  T b1, b2, eps, step_size, rbc2, wd, shrink;
  explicit AdamRule(const AdamParams& o) {
    const double bc1 = 1 - std::pow(o.beta1, double(o.step)), bc2 = 1 - std::pow(o.beta2, double(o.step));
    b1 = T(o.beta1), b2 = T(o.beta2), eps = T(o.eps), step_size = T(o.lr / bc1);
    rbc2 = T(1 / std::sqrt(bc2));
    wd = o.decoupled ? T(0) : T(o.weight_decay);
    shrink = o.decoupled ? T(1 - o.lr * o.weight_decay) : T(1);  // AdamW's decoupled decay
  }
  TK_HD void operator()(int64_t i, T* p, const T* g, T* m, T* v, T* vmax) const {
    const T pi = p[i] * shrink;
    const T gi = g[i] + wd * pi;
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    T second = v[i];
    if (vmax) second = vmax[i] = vmax[i] > v[i] ? vmax[i] : v[i];
    p[i] = pi - step_size * m[i] / (std::sqrt(second) * rbc2 + eps);
  }
};

template <class T> struct RmspropRule {
  T lr, a, eps, wd, mom;
  explicit RmspropRule(const RmspropParams& o)
      : lr(T(o.lr)), a(T(o.alpha)), eps(T(o.eps)), wd(T(o.weight_decay)), mom(T(o.momentum)) {}
  TK_HD void operator()(int64_t i, T* p, const T* g, T* sq, T* buf, T* gavg) const {
    const T gi = g[i] + wd * p[i];
    sq[i] = a * sq[i] + (1 - a) * gi * gi;
    T avg;
    if (gavg) {
      gavg[i] = a * gavg[i] + (1 - a) * gi;
      avg = std::sqrt(sq[i] - gavg[i] * gavg[i]) + eps;
    } else {
      avg = std::sqrt(sq[i]) + eps;
    }
    if (buf) {
      buf[i] = mom * buf[i] + gi / avg;
      p[i] -= lr * buf[i];
    } else {
      p[i] -= lr * gi / avg;
    }
  }
};

template <class T> struct AdagradRule {
  T clr, eps, wd;
  explicit AdagradRule(const AdagradParams& o)
      : clr(T(o.lr / (1 + double(o.step - 1) * o.lr_decay))), eps(T(o.eps)), wd(T(o.weight_decay)) {}
  TK_HD void operator()(int64_t i, T* p, const T* g, T* sum) const {
    const T gi = g[i] + wd * p[i];
    sum[i] += gi * gi;
    p[i] -= clr * gi / (std::sqrt(sum[i]) + eps);
  }
};

// torch's order of operations: square_avg.mul_(rho).addcmul_(g, g, value=1 - rho), std =
// sqrt(square_avg + eps), delta = sqrt(acc_delta + eps) / std * g, acc_delta likewise, p -= lr delta.
template <class T> struct AdadeltaRule {
  T lr, rho, c, eps, wd;
  explicit AdadeltaRule(const AdadeltaParams& o)
      : lr(T(o.lr)), rho(T(o.rho)), c(T(1 - o.rho)), eps(T(o.eps)), wd(T(o.weight_decay)) {}
  TK_HD void operator()(int64_t i, T* p, const T* g, T* sq, T* acc) const {
    const T gi = g[i] + wd * p[i];
    sq[i] = sq[i] * rho + c * gi * gi;
    const T delta = std::sqrt(acc[i] + eps) / std::sqrt(sq[i] + eps) * gi;
    acc[i] = acc[i] * rho + c * delta * delta;
    p[i] -= lr * delta;
  }
};

// The five Backend entries of a device, given its loop: Loop::run(p, rule, ptrs...) applies
// rule(i, ptrs...) to every element i of the contiguous parameter p (absent state: null).
template <class Loop> struct OptimKernels {
  template <class T> static T* ptr(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

  static void sgd_step(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdParams& o) {
    floating(p.dtype(), [&]<class T>() { Loop::run(p, SgdRule<T>(o), ptr<T>(p), ptr<T>(g), ptr<T>(buf)); });
  }
  static void adam_step(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const Tensor& vmax,
                        const AdamParams& o) {
    floating(p.dtype(), [&]<class T>() {
      Loop::run(p, AdamRule<T>(o), ptr<T>(p), ptr<T>(g), ptr<T>(m), ptr<T>(v), ptr<T>(vmax));
    });
  }
  static void rmsprop_step(const Tensor& p, const Tensor& g, const Tensor& sq, const Tensor& buf, const Tensor& gavg,
                           const RmspropParams& o) {
    floating(p.dtype(), [&]<class T>() {
      Loop::run(p, RmspropRule<T>(o), ptr<T>(p), ptr<T>(g), ptr<T>(sq), ptr<T>(buf), ptr<T>(gavg));
    });
  }
  static void adagrad_step(const Tensor& p, const Tensor& g, const Tensor& sum, const AdagradParams& o) {
    floating(p.dtype(), [&]<class T>() { Loop::run(p, AdagradRule<T>(o), ptr<T>(p), ptr<T>(g), ptr<T>(sum)); });
  }
  static void adadelta_step(const Tensor& p, const Tensor& g, const Tensor& sq, const Tensor& acc,
                            const AdadeltaParams& o) {
    floating(p.dtype(),
             [&]<class T>() { Loop::run(p, AdadeltaRule<T>(o), ptr<T>(p), ptr<T>(g), ptr<T>(sq), ptr<T>(acc)); });
  }
  static void register_into(Backend& b) {
    b.sgd_step = sgd_step;
    b.adam_step = adam_step;
    b.rmsprop_step = rmsprop_step;
    b.adagrad_step = adagrad_step;
    b.adadelta_step = adadelta_step;
  }
};

}  // namespace tk::kernels
