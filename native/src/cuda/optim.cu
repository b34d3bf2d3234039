// CUDA fused optimizer updates: the element rules of kernels/optim_rules.h (the CPU's, tested
// there), one thread per element over contiguous parameters and state.
#include "cuda/launch.h"
#include "kernels/optim_rules.h"

namespace tk::cuda {
namespace {

template <class Rule, class... Ptrs> __global__ void apply_kernel(Rule rule, int64_t n, Ptrs... ptrs) {
  TK_GRID_STRIDE(i, n) rule(i, ptrs...);
}

struct GridLoop {
  template <class Rule, class... Ptrs> static void run(const Tensor& p, const Rule& rule, Ptrs... ptrs) {
    launch(apply_kernel<Rule, Ptrs...>, p.numel(), p, "optimizer step", rule, p.numel(), ptrs...);
  }
};

}  // namespace

void register_optim(Backend& b) { kernels::OptimKernels<GridLoop>::register_into(b); }

}  // namespace tk::cuda
