// The CPU backend is assembled from one registration function per kernel family file.
#pragma once
#include "backend.h"

namespace tk::cpu {

void register_elementwise(Backend& b);
void register_reduce(Backend& b);
void register_creation(Backend& b);
void register_matmul(Backend& b);
void register_conv(Backend& b);
void register_winograd(Backend& b);
void register_direct_conv(Backend& b);
void register_pool(Backend& b);
void register_optim(Backend& b);
void register_embedding(Backend& b);
void register_index(Backend& b);
void register_scatter(Backend& b);
void register_attention(Backend& b);
void register_loss(Backend& b);
void register_norm(Backend& b);
void register_ctc(Backend& b);
void register_fused(Backend& b);
void register_image(Backend& b);
void register_linalg(Backend& b);
// Contiguous float16 <-> float32 runs by F16C where the CPU has it and the active capability
// allows (half_convert.cpp); false (nothing done) otherwise.
bool half_to_float_fast(const Half* in, float* out, int64_t n);
bool float_to_half_fast(const float* in, Half* out, int64_t n);
// float32 -> bfloat16 (round to nearest even, NaN kept quiet) over a contiguous run in AVX2 or
// AVX-512 registers, bit-identical to kernels::float_to_bf16; false below AVX2 (the caller's
// scalar loop then runs).
bool float_to_bf16_fast(const float* in, BFloat16* out, int64_t n);

}  // namespace tk::cpu
