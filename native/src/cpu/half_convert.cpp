// float32 <-> float16 over contiguous runs with the F16C instructions (every AVX2 CPU has them):
// 8 elements per instruction, round to nearest even as the scalar code does; and float32 ->
// bfloat16 in AVX2/AVX-512 registers. The copy kernel calls these for its contiguous runs;
// otherwise the scalar conversions in tk/half.h run.
#include <immintrin.h>

#include "cpu/cpu.h"
#include "tk/cpu_info.h"
#include "tk/half.h"

namespace tk::cpu {
namespace {

__attribute__((target("avx,f16c"))) void to_half_f16c(const float* in, uint16_t* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  for (; i < n; ++i) out[i] = kernels::float_to_half(in[i]);
}

__attribute__((target("avx,f16c"))) void to_float_f16c(const uint16_t* in, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
  for (; i < n; ++i) out[i] = kernels::half_to_float(in[i]);
}

// kernels::float_to_bf16 is integer arithmetic and a select: these loops vectorise it at 8 and 16
// lanes (the baseline build has 4).
__attribute__((target("avx2"))) void to_bf16_avx2(const float* in, uint16_t* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = kernels::float_to_bf16(in[i]);
}
__attribute__((target("avx512f,avx512bw,avx512vl,avx2,prefer-vector-width=512"))) void to_bf16_avx512(const float* in,
                                                                                                      uint16_t* out,
                                                                                                      int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = kernels::float_to_bf16(in[i]);
}

bool use_f16c() {
  // The level check lets TENSORKIT_CPU_CAPABILITY=default (and tests) select the scalar code.
  static const bool has = __builtin_cpu_supports("f16c");
  return has && active_capability() >= Capability::Avx2;
}

}  // namespace

bool half_to_float_fast(const Half* in, float* out, int64_t n) {
  if (!use_f16c()) return false;
  to_float_f16c(reinterpret_cast<const uint16_t*>(in), out, n);
  return true;
}

bool float_to_half_fast(const float* in, Half* out, int64_t n) {
  if (!use_f16c()) return false;
  to_half_f16c(in, reinterpret_cast<uint16_t*>(out), n);
  return true;
}

bool float_to_bf16_fast(const float* in, BFloat16* out, int64_t n) {
  const Capability c = active_capability();
  if (c < Capability::Avx2) return false;
  (c >= Capability::Avx512 ? to_bf16_avx512 : to_bf16_avx2)(in, reinterpret_cast<uint16_t*>(out), n);
  return true;
}

}  // namespace tk::cpu
