// The float32 row kernels of the reductions compiled for AVX2 (see rows_impl.h).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cmath>
#include <cstdint>
#include <cstring>
#include <immintrin.h>
#include <limits>

#include "cpu/cpu.h"
#include "kernels/functors.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif

#define TK_ROWS_LEVEL 1
#include "cpu/rows_impl.h"

namespace tk::cpu {
const F32Rows& f32_rows_avx2() { return kRows; }
}  // namespace tk::cpu

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
