// The two 16-bit float storage types and their conversions to and from float32, shared by the
// CPU and (compiled by nvcc) CUDA code. Both are stored as raw bits; arithmetic converts to float.
//
// float16 (IEEE binary16): 1 sign, 5 exponent, 10 mantissa bits; max 65504, subnormals down to
// 2^-24. bfloat16: the top 16 bits of a float32 (same range as float32, 8 mantissa bits).
// float32 -> 16-bit rounds to nearest, ties to even; overflow becomes +-inf; NaN stays NaN (quiet,
// sign kept), as torch's c10::Half and c10::BFloat16 do.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define TK_HALF_HD __host__ __device__ inline
#else
#define TK_HALF_HD inline
#endif

namespace tk {

struct Half {
  uint16_t bits;
};
struct BFloat16 {
  uint16_t bits;
};

namespace kernels {

TK_HALF_HD uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
TK_HALF_HD float f32_from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TK_HALF_HD float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16, em = h & 0x7fffu;
  if (em >= 0x7c00u) return f32_from_bits(sign | 0x7f800000u | ((em & 0x3ffu) << 13));  // inf, NaN
  if (em >= 0x0400u) return f32_from_bits(sign | ((em << 13) + 0x38000000u));  // normal: rebias 15 -> 127
  // Zero or subnormal: em * 2^-24, exact in float32.
  return f32_from_bits(sign | f32_bits(float(em) * 5.9604644775390625e-8f));
}

TK_HALF_HD uint16_t float_to_half(float f) {
  uint32_t u = f32_bits(f);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  u &= 0x7fffffffu;
  if (u >= 0x47800000u)  // |f| >= 2^16 (rounds to inf at any rounding), inf or NaN
    return sign | (u > 0x7f800000u ? 0x7e00u : 0x7c00u);
  if (u < 0x38800000u) {  // below 2^-14: a subnormal half or zero
    // Adding 0.5 puts the half's subnormal step (2^-24) at the float's last mantissa bit, so the
    // FPU's own round-to-nearest-even does the rounding; the mantissa is then the half's bits.
    return sign | uint16_t(f32_bits(f32_from_bits(u) + 0.5f) - 0x3f000000u);
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped bits to nearest even; a
  // mantissa carry rolls into the exponent, up to inf for values in [65520, 65536).
  const uint32_t odd = (u >> 13) & 1u;
  u += 0xc8000fffu + odd;  // -112 << 23, plus half an ulp minus one, plus the tie-breaking bit
  return sign | uint16_t(u >> 13);
}

TK_HALF_HD float bf16_to_float(uint16_t b) { return f32_from_bits(uint32_t(b) << 16); }

TK_HALF_HD uint16_t float_to_bf16(float f) {
  // Both results computed and one selected: branch-free, so conversion loops vectorise.
  const uint32_t u = f32_bits(f);
  const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;  // carries reach inf as they should
  const uint32_t quiet_nan = (u >> 16) | 0x0040u;
  return uint16_t((u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
}

}  // namespace kernels
}  // namespace tk
