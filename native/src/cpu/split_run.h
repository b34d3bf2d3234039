// split_run: a loop over a float32 run that takes a cheaper form of its function block by block
// where the block allows it; and the float32 loops of the functors that offer one (near() where
// is_near(), the same value as operator()). Header-only and always inlined, so each SIMD level's
// code (elementwise.cpp's wide loops, rows_impl.h's levels, fused_blocks.h's steps) compiles it for
// its own registers.
#pragma once
#include <cstdint>

#include "kernels/functors.h"

namespace tk::cpu {

// o[i] = full(i) for i in [0, n), where full(i) == near(i) whenever ok(i): a block whose every
// element is ok runs near() alone (the straight-line part, which vectorises); a block holding
// another (|x| >= 2^23 for sin, below -86 for exp, NaN, Inf) runs full(), element by element.
// The test and the loops read the inputs of element i before o[i] is written, so o may be an
// input (in place).
template <class Ok, class Near, class Full>
__attribute__((always_inline)) inline void split_run(float* o, int64_t n, Ok ok, Near near, Full full) {
  constexpr int64_t kBlock = 256;
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t end = n - i0 < kBlock ? n : i0 + kBlock;
    int far = 0;
    for (int64_t i = i0; i < end; ++i) far |= !ok(i);
    if (far)
      for (int64_t i = i0; i < end; ++i) o[i] = full(i);
    else
      for (int64_t i = i0; i < end; ++i) o[i] = near(i);
  }
}

// The functors that split float32's domain: Sin, Cos, Tan (near() where is_near(), libm elsewhere);
// Exp, Sigmoid, Gelu, Silu (a shorter form where the result's scaling is a normal power of two);
// Elu, whose test and form take its parameters (kSplitP); and the binary Atan2, the fmod family and
// the gelu and silu backward kernels (kSplit2: near(x, y)).
template <class F> constexpr bool kSplitP = requires(float x, const kernels::UnaryParams& p) { F::near(x, p); };
template <class F> constexpr bool kSplit = kSplitP<F> || requires(float x) { F::near(x); };
template <class F> constexpr bool kSplit2 = requires(float x) { F::near(x, x); };

// o[i] = F(a[i]) over a contiguous float32 run, split where F offers it.
template <class F> __attribute__((always_inline)) inline void f32_unary_run(float* o, const float* a, int64_t n,
                                                                            const kernels::UnaryParams& p_in) {
  F f;
  const kernels::UnaryParams p = p_in;  // a local copy: the loop need not reload it after each store
  if constexpr (kSplitP<F>)
    split_run(
        o, n, [=](int64_t i) { return F::is_near(a[i], p); }, [=](int64_t i) { return F::near(a[i], p); },
        [=](int64_t i) { return f(a[i], p); });
  else if constexpr (kSplit<F>)
    split_run(
        o, n, [=](int64_t i) { return F::is_near(a[i]); }, [=](int64_t i) { return F::near(a[i]); },
        [=](int64_t i) { return f(a[i], p); });
  else
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], p);
}
// o[i] = F(x(i), y(i)) for i in [0, n), x and y reading the operands (a broadcast scalar: the
// same value each time), split where F offers it.
template <class F, class X, class Y>
__attribute__((always_inline)) inline void f32_binary_run(float* o, int64_t n, X x, Y y,
                                                          const kernels::UnaryParams& p) {
  F f;
  if constexpr (kSplit2<F>)
    split_run(
        o, n, [=](int64_t i) { return F::is_near(x(i), y(i)); }, [=](int64_t i) { return F::near(x(i), y(i)); },
        [=](int64_t i) { return kernels::apply2(f, x(i), y(i), p); });
  else
    for (int64_t i = 0; i < n; ++i) o[i] = kernels::apply2(f, x(i), y(i), p);
}

}  // namespace tk::cpu
