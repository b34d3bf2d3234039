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
    parallel_for(0, p.numel(), 1 << 14, [&](int64_t b, int64_t e) { chunk(rule, b, e, ptrs...); });
  }
  // The rule and the pointers by value: their fields and null tests are then invariants GCC hoists
  // out of the loop (unswitching the optional state), so the loop vectorises. Read through the
  // closure, every field was reloaded per element and the loop stayed scalar (SGD with momentum:
  // 2 ns per element). The rules are element-wise, so the results are the same.
  template <class Rule, class... Ptrs> static void chunk(const Rule rule, int64_t b, int64_t e, Ptrs... ptrs) {
    for (int64_t i = b; i < e; ++i) rule(i, ptrs...);
  }
};

}  // namespace

void register_optim(Backend& b) { kernels::OptimKernels<ParallelLoop>::register_into(b); }

}  // namespace tk::cpu
