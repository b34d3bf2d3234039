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
void register_layer_norm(Backend& b);
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

// float32 row primitives of the reductions at the active SIMD level (rows_impl.h). Every level gives
// the same bits: sums run in double over a fixed lane layout, not in the compiler's order.
struct F32Rows {
  double (*sum)(const float* p, int64_t n);  // n >= 0
  double (*sq_dev)(const float* p, int64_t n, double mean);  // sum of (p[i] - mean)^2
  double (*dot_dev)(const float* p, const float* q, int64_t n, double mean);  // sum of q[i] (p[i] - mean)
  float (*max)(const float* p, int64_t n);  // n >= 1; NaN if any is NaN
  float (*min)(const float* p, int64_t n);  // n >= 1; NaN if any is NaN
  int64_t (*find)(const float* p, int64_t n, float v);  // first i with p[i] == v (NaN: first NaN), or n
  double (*exp_sum)(const float* x, float* e, int64_t n, float m);  // e = exp(x - m) (e may be x); sum(e)
  void (*softmax)(const float* x, float* y, int64_t n, bool log);  // n >= 1; y does not overlap x
  void (*accumulate)(double* acc, const float* row, int64_t n);  // acc[i] += row[i]
  // y = (x - mean) rstd w + b; w and b may be null (1 and 0)
  void (*normalize)(const float* x, float* y, int64_t n, float mean, float rstd, const float* w, const float* b);
  void (*scale)(float* p, int64_t n, float s);  // p[i] *= s
  // d[i] = p[i] (d[i] - c) s: a softmax row's backward (c = the row's sum of g y), scaled
  void (*softmax_grad)(float* d, const float* p, int64_t n, float c, float s);
};
const F32Rows& f32_rows();

}  // namespace tk::cpu
