// The float32 row kernels of the reductions compiled for AVX-512 (see rows_impl.h).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cmath>
#include <cstdint>
#include <cstring>
#include <immintrin.h>
#include <limits>

#include "cpu/cpu.h"
#include "kernels/functors.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,prefer-vector-width=512")
// _mm512_cvtps_pd starts from an undefined register that GCC 12 then flags.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define TK_ROWS_LEVEL 2
#include "cpu/rows_impl.h"

namespace tk::cpu {
const F32Rows& f32_rows_avx512() { return kRows; }
}  // namespace tk::cpu

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif
