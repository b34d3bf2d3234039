// Fused optimizer updates: one parallel pass over a parameter and its state, applying the
// element rules of kernels/optim_rules.h (shared with CUDA). Contiguous float32/float64.
#include "backend.h"
#include "cpu/cpu.h"
#include "kernels/optim_rules.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

struct ParallelLoop {
  template <class Rule, class... Ptrs> static void run(const Tensor& p, const Rule& rule, Ptrs... ptrs) {
    parallel_for(0, p.numel(), 1 << 14, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) rule(i, ptrs...);
    });
  }
};

}  // namespace

void register_optim(Backend& b) { kernels::OptimKernels<ParallelLoop>::register_into(b); }

}  // namespace tk::cpu
