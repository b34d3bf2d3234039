// CUDA fused optimizer updates: the element rules of kernels/optim_rules.h (the CPU's, tested
// there), one thread per element over contiguous parameters and state.
#include "cuda/launch.h"
#include "kernels/optim_rules.h"

namespace tk::cuda {
namespace {

template <class T>
T* ptr(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

template <class Rule, class... Ptrs>
__global__ void apply_kernel(Rule rule, int64_t n, Ptrs... ptrs) {
  TK_GRID_STRIDE(i, n)
    rule(i, ptrs...);
}

template <class Rule, class... Ptrs>
void apply(const Tensor& p, const Rule& rule, const char* op, Ptrs... ptrs) {
  const int64_t n = p.numel();
  if (n == 0) return;
  cudaStream_t s = prepare(p, op);
  apply_kernel<<<blocks_for(n), kThreads, 0, s>>>(rule, n, ptrs...);
  check_launch(op);
}

void sgd_step(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdParams& o) {
  floating(p.dtype(), [&]<class T>() { apply(p, kernels::SgdRule<T>(o), "sgd_step_", ptr<T>(p), ptr<T>(g), ptr<T>(buf)); });
}

void adam_step(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const Tensor& vmax,
               const AdamParams& o) {
  floating(p.dtype(), [&]<class T>() {
    apply(p, kernels::AdamRule<T>(o), "adam_step_", ptr<T>(p), ptr<T>(g), ptr<T>(m), ptr<T>(v), ptr<T>(vmax));
  });
}

void rmsprop_step(const Tensor& p, const Tensor& g, const Tensor& sq, const Tensor& buf, const Tensor& gavg,
                  const RmspropParams& o) {
  floating(p.dtype(), [&]<class T>() {
    apply(p, kernels::RmspropRule<T>(o), "rmsprop_step_", ptr<T>(p), ptr<T>(g), ptr<T>(sq), ptr<T>(buf), ptr<T>(gavg));
  });
}

void adagrad_step(const Tensor& p, const Tensor& g, const Tensor& sum, const AdagradParams& o) {
  floating(p.dtype(), [&]<class T>() {
    apply(p, kernels::AdagradRule<T>(o), "adagrad_step_", ptr<T>(p), ptr<T>(g), ptr<T>(sum));
  });
}

}  // namespace

void register_optim(Backend& b) {
  b.sgd_step = sgd_step;
  b.adam_step = adam_step;
  b.rmsprop_step = rmsprop_step;
  b.adagrad_step = adagrad_step;
}

}  // namespace tk::cuda
