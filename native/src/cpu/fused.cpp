// The jit graph's fused element-wise chains (backend.h's fused_elementwise): the chain runs over
// blocks of kBlock elements, each step a simple loop over L1-resident registers (the same functors
// as the single-op kernels, compiled per instruction set in fused_blocks.h), so a chain of k ops
// reads its inputs and writes its output once instead of making k - 1 intermediate tensors.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "cpu/loops.h"
#include "cpu/split_run.h"
#include "kernels/functors.h"
#include "tk/cpu_info.h"
#include "tk/parallel.h"

namespace tk::cpu {
template <class T> using FusedStepFn = void (*)(T* o, const T* a, const T* b, int64_t n, const kernels::UnaryParams& p);
template <class T> struct FusedTables {
  const FusedStepFn<T>* unary;  // by UnaryOp
  const FusedStepFn<T>* binary;  // by BinaryOp
};
}  // namespace tk::cpu

#define TK_FUSED_NS fused_base
#include "cpu/fused_blocks.h"
#undef TK_FUSED_NS
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TK_FUSED_SIMD 1
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define TK_FUSED_NS fused_avx2
#include "cpu/fused_blocks.h"
#undef TK_FUSED_NS
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")
#define TK_FUSED_NS fused_avx512
#include "cpu/fused_blocks.h"
#undef TK_FUSED_NS
#pragma GCC pop_options
#endif

namespace tk::cpu {
namespace {
using kernels::UnaryParams;

constexpr int64_t kBlock = 512;  // elements per register: 2-4 KiB, a handful of them fit L1

template <class T> FusedTables<T> tables_for() {
#if defined(TK_FUSED_SIMD)
  switch (active_capability()) {
    case Capability::Avx512: return fused_avx512::tables<T>();
    case Capability::Avx2: return fused_avx2::tables<T>();
    case Capability::Default: break;
  }
#endif
  return fused_base::tables<T>();
}

// x ** e for the exponent of a single-element register, through the multiply paths the
// single-op kernel takes (so a fused pow gives the eager numbers), else std::pow; a JS number's
// (Number) 0.5 and -0.5 are sqrt and rsqrt, as in the eager op.
template <class T, bool Number> void pow_by_scalar(T* o, const T* a, const T* b, int64_t n, const UnaryParams&) {
  if (!(Number ? pow_number(o, a, n, b[0]) : pow_scalar(o, a, n, b[0])))
    for (int64_t i = 0; i < n; ++i) o[i] = kernels::Pow{}(a[i], b[0]);
}

template <class T> void run_chain(const Tensor& out, std::span<const Tensor> inputs, std::span<const FusedStep> steps) {
  const int64_t n = out.numel();
  const int ni = int(inputs.size()), ns = int(steps.size());
  const FusedTables<T> tab = tables_for<T>();
  std::vector<FusedStepFn<T>> fn;
  std::vector<const T*> in;
  std::vector<char> scalar;
  for (int i = 0; i < ni; ++i) {
    in.push_back(inputs[size_t(i)].data<T>());
    scalar.push_back(inputs[size_t(i)].numel() == 1 && n != 1);
  }
  for (const FusedStep& s : steps) {
    FusedStepFn<T> f = s.binary ? tab.binary[s.op] : tab.unary[s.op];
    if (s.binary && BinaryOp(s.op) == BinaryOp::pow && s.b < ni && inputs[size_t(s.b)].numel() == 1)
      f = inputs[size_t(s.b)].is_wrapped_number() ? &pow_by_scalar<T, true> : &pow_by_scalar<T, false>;
    TK_ASSERT(f != nullptr);
    fn.push_back(f);
  }
  T* o = out.data<T>();
  const int64_t grain = std::max<int64_t>(kBlock, kGrainCheap / std::max(1, ns));
  parallel_for(0, n, grain, [&](int64_t b0, int64_t b1) {
    // Registers: one block per broadcast input (filled once) and per step.
    std::vector<T> regs(size_t(ni + ns) * size_t(kBlock));
    std::vector<const T*> ptr(size_t(ni + ns));
    for (int i = 0; i < ni; ++i)
      if (scalar[size_t(i)]) std::fill_n(regs.data() + i * kBlock, kBlock, in[size_t(i)][0]);
    for (int64_t base = b0; base < b1; base += kBlock) {
      const int64_t len = std::min(kBlock, b1 - base);
      for (int i = 0; i < ni; ++i) ptr[size_t(i)] = scalar[size_t(i)] ? regs.data() + i * kBlock : in[size_t(i)] + base;
      for (int k = 0; k < ns; ++k) {
        const FusedStep& s = steps[size_t(k)];
        T* dst = k == ns - 1 ? o + base : regs.data() + (ni + k) * kBlock;
        fn[size_t(k)](dst, ptr[size_t(s.a)], s.binary ? ptr[size_t(s.b)] : nullptr, len, {s.p0, s.p1, s.p2});
        ptr[size_t(ni + k)] = dst;
      }
    }
  });
}

void fused_elementwise(const Tensor& out, std::span<const Tensor> inputs, std::span<const FusedStep> steps) {
  floating(out.dtype(), [&]<class T>() { run_chain<T>(out, inputs, steps); });
}

}  // namespace

void register_fused(Backend& b) { b.fused_elementwise = fused_elementwise; }

}  // namespace tk::cpu
