// The step kernels of fused element-wise chains (fused.cpp), included once per instruction set
// with TK_FUSED_NS naming its namespace and, for the SIMD ones, after a `#pragma GCC target`.
// `flatten` inlines the functors (defined before the pragma, with the baseline target), so no
// AVX copy of them exists for the linker to hand a baseline caller (see gemm/kernel.h).
namespace tk::cpu::TK_FUSED_NS {
namespace {
using kernels::UnaryParams;

// float32 runs through split_run.h's loops, which take a functor's near() form block by block as
// the single-op kernels do (so a fused exp, gelu or sin gets its values and its speed).
template <class F, class T>
__attribute__((flatten)) void unary_block(T* o, const T* a, const T*, int64_t n, const UnaryParams& p) {
  if constexpr (std::is_same_v<T, float>) {
    f32_unary_run<F>(o, a, n, p);
  } else {
    F f;
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], p);
  }
}
template <class F, class T>
__attribute__((flatten)) void binary_block(T* o, const T* a, const T* b, int64_t n, const UnaryParams& p) {
  if constexpr (std::is_same_v<T, float>) {
    f32_binary_run<F>(
        o, n, [=](int64_t i) { return a[i]; }, [=](int64_t i) { return b[i]; }, p);
  } else {
    F f;
    for (int64_t i = 0; i < n; ++i) o[i] = kernels::apply2(f, a[i], b[i], p);
  }
}
// Null where an op gives another dtype (comparisons): the graph never fuses those.
template <class F, class T> constexpr FusedStepFn<T> unary_entry() {
  if constexpr (kernels::supports<F, T>())
    return &unary_block<F, T>;
  else
    return nullptr;
}
template <class F, class T> constexpr FusedStepFn<T> binary_entry() {
  if constexpr (kernels::supports<F, T>() && std::is_same_v<kernels::binary_result_t<F, T>, T>)
    return &binary_block<F, T>;
  else
    return nullptr;
}
}  // namespace

template <class T> FusedTables<T> tables() {
  static constexpr FusedStepFn<T> u[] = {
#define TK_UNARY(name, F, rule, inplace, cost) unary_entry<kernels::F, T>(),
#include "tk/ops.def"
  };
  static constexpr FusedStepFn<T> b[] = {
#define TK_BINARY(name, F, rule, inplace, cost) binary_entry<kernels::F, T>(),
#include "tk/ops.def"
  };
  return {u, b};
}
}  // namespace tk::cpu::TK_FUSED_NS
