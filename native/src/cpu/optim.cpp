// Fused optimizer updates: one parallel pass over a parameter and its state, applying the
// element rules of kernels/optim_rules.h (shared with CUDA). Contiguous float32/float64.
#include "backend.h"
#include "cpu/cpu.h"
#include "kernels/optim_rules.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

constexpr int64_t kGrain = 1 << 14;

template <class T>
T* ptr(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

// Applies `rule` to every element in parallel chunks.
template <class Rule, class... Ptrs>
void apply(const Tensor& p, const Rule& rule, Ptrs... ptrs) {
  parallel_for(0, p.numel(), kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) rule(i, ptrs...);
  });
}

void sgd_step(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdParams& o) {
  floating(p.dtype(), [&]<class T>() { apply(p, kernels::SgdRule<T>(o), ptr<T>(p), ptr<T>(g), ptr<T>(buf)); });
}

void adam_step(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const Tensor& vmax,
               const AdamParams& o) {
  floating(p.dtype(), [&]<class T>() {
    apply(p, kernels::AdamRule<T>(o), ptr<T>(p), ptr<T>(g), ptr<T>(m), ptr<T>(v), ptr<T>(vmax));
  });
}

void rmsprop_step(const Tensor& p, const Tensor& g, const Tensor& sq, const Tensor& buf, const Tensor& gavg,
                  const RmspropParams& o) {
  floating(p.dtype(), [&]<class T>() {
    apply(p, kernels::RmspropRule<T>(o), ptr<T>(p), ptr<T>(g), ptr<T>(sq), ptr<T>(buf), ptr<T>(gavg));
  });
}

void adagrad_step(const Tensor& p, const Tensor& g, const Tensor& sum, const AdagradParams& o) {
  floating(p.dtype(), [&]<class T>() { apply(p, kernels::AdagradRule<T>(o), ptr<T>(p), ptr<T>(g), ptr<T>(sum)); });
}

}  // namespace

void register_optim(Backend& b) {
  b.sgd_step = sgd_step;
  b.adam_step = adam_step;
  b.rmsprop_step = rmsprop_step;
  b.adagrad_step = adagrad_step;
}

}  // namespace tk::cpu
