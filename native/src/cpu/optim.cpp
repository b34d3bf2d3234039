// Fused optimizer updates: one pass over a parameter and its state, the element-wise form of
// PyTorch's update rules (torch/optim/*.py, single-tensor path). Contiguous float32/float64.
#include <cmath>

#include "backend.h"
#include "cpu/cpu.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

constexpr int64_t kGrain = 1 << 14;

template <class T>
T* ptr(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

void sgd_step(const Tensor& pt, const Tensor& gt, const Tensor& bt, const SgdParams& o) {
  floating(pt.dtype(), [&]<class T>() {
    T* p = ptr<T>(pt);
    const T* g = ptr<T>(gt);
    T* buf = ptr<T>(bt);
    const T lr = T(o.lr), mom = T(o.momentum), damp = T(1 - o.dampening), wd = T(o.weight_decay);
    parallel_for(0, pt.numel(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T d = g[i] + wd * p[i];
        if (buf) {
          buf[i] = o.first ? d : mom * buf[i] + damp * d;
          d = o.nesterov ? d + mom * buf[i] : buf[i];
        }
        p[i] -= lr * d;
      }
    });
  });
}

void adam_step(const Tensor& pt, const Tensor& gt, const Tensor& mt, const Tensor& vt,
               const Tensor& vmaxt, const AdamParams& o) {
  floating(pt.dtype(), [&]<class T>() {
    T* p = ptr<T>(pt);
    const T* g = ptr<T>(gt);
    T *m = ptr<T>(mt), *v = ptr<T>(vt), *vmax = ptr<T>(vmaxt);
    const double bc1 = 1 - std::pow(o.beta1, double(o.step)), bc2 = 1 - std::pow(o.beta2, double(o.step));
    const T b1 = T(o.beta1), b2 = T(o.beta2), eps = T(o.eps), step_size = T(o.lr / bc1);
    const T rbc2 = T(1 / std::sqrt(bc2));
    const T wd = o.decoupled ? T(0) : T(o.weight_decay), shrink = o.decoupled ? T(1 - o.lr * o.weight_decay) : T(1);
    parallel_for(0, pt.numel(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T pi = p[i] * shrink;
        const T gi = g[i] + wd * pi;
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        T second = v[i];
        if (vmax) second = vmax[i] = std::max(vmax[i], v[i]);
        p[i] = pi - step_size * m[i] / (std::sqrt(second) * rbc2 + eps);
      }
    });
  });
}

void rmsprop_step(const Tensor& pt, const Tensor& gt, const Tensor& sqt, const Tensor& buft,
                  const Tensor& gavgt, const RmspropParams& o) {
  floating(pt.dtype(), [&]<class T>() {
    T* p = ptr<T>(pt);
    const T* g = ptr<T>(gt);
    T *sq = ptr<T>(sqt), *buf = ptr<T>(buft), *gavg = ptr<T>(gavgt);
    const T lr = T(o.lr), a = T(o.alpha), eps = T(o.eps), wd = T(o.weight_decay), mom = T(o.momentum);
    parallel_for(0, pt.numel(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
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
    });
  });
}

void adagrad_step(const Tensor& pt, const Tensor& gt, const Tensor& sumt, const AdagradParams& o) {
  floating(pt.dtype(), [&]<class T>() {
    T* p = ptr<T>(pt);
    const T* g = ptr<T>(gt);
    T* sum = ptr<T>(sumt);
    const T clr = T(o.lr / (1 + double(o.step - 1) * o.lr_decay)), eps = T(o.eps), wd = T(o.weight_decay);
    parallel_for(0, pt.numel(), kGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T gi = g[i] + wd * p[i];
        sum[i] += gi * gi;
        p[i] -= clr * gi / (std::sqrt(sum[i]) + eps);
      }
    });
  });
}

}  // namespace

void register_optim(Backend& b) {
  b.sgd_step = sgd_step;
  b.adam_step = adam_step;
  b.rmsprop_step = rmsprop_step;
  b.adagrad_step = adagrad_step;
}

}  // namespace tk::cpu
