// Direct convolution for few input channels (stride 1, dilation 1, one group, float32): with
// C * kh * kw around 27 (an RGB 3x3 layer), im2col's GEMM has a reduction too short to amortise its
// tile loads and stores. Here each output row segment of 16 positions for up to 6 output channels
// stays in 12 vector registers while every kernel tap adds a shifted input row times a broadcast
// weight: 2 loads and 6 broadcasts feed 12 FMAs per tap.
#include <algorithm>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "tk/cpu_info.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

// Compiled for AVX2 + FMA and only run when the CPU has them; no std:: templates inside (see
// winograd.cpp).
#pragma GCC push_options
#pragma GCC target("avx2,fma")

using v8 = float __attribute__((vector_size(32)));

struct DirectGeo {
  int64_t C, O, OH, OW, kh, kw, Hp, Wp;  // Hp, Wp: the padded image's size
};

inline v8 load8(const float* p) {
  v8 v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

// Output channels [o0, o0 + OB) of one image from the padded image xp [C][Hp][Wp].
template <int OB>
void block(float* out, const float* xp, const float* w, const float* bias, const DirectGeo& g, int64_t o0) {
  const int64_t taps = g.C * g.kh * g.kw;
  for (int64_t oh = 0; oh < g.OH; ++oh)
    for (int64_t ow = 0; ow < g.OW; ow += 16) {
      v8 acc[OB][2];
      for (int q = 0; q < OB; ++q) {
        const float b = bias ? bias[o0 + q] : 0.0f;
        acc[q][0] = v8{} + b;
        acc[q][1] = v8{} + b;
      }
      const float* wq = w + o0 * taps;
      for (int64_t c = 0; c < g.C; ++c)
        for (int64_t i = 0; i < g.kh; ++i) {
          const float* row = xp + (c * g.Hp + oh + i) * g.Wp + ow;
          const int64_t t0 = (c * g.kh + i) * g.kw;
          for (int64_t j = 0; j < g.kw; ++j) {
            const v8 x0 = load8(row + j), x1 = load8(row + j + 8);
            for (int q = 0; q < OB; ++q) {
              const float wv = wq[q * taps + t0 + j];
              acc[q][0] += wv * x0;
              acc[q][1] += wv * x1;
            }
          }
        }
      const int64_t n = g.OW - ow < 16 ? g.OW - ow : 16;
      for (int q = 0; q < OB; ++q) {
        float* dst = out + ((o0 + q) * g.OH + oh) * g.OW + ow;
        if (n == 16) {
          __builtin_memcpy(dst, &acc[q][0], sizeof(v8));
          __builtin_memcpy(dst + 8, &acc[q][1], sizeof(v8));
        } else {
          float tmp[16];
          __builtin_memcpy(tmp, &acc[q][0], sizeof(v8));
          __builtin_memcpy(tmp + 8, &acc[q][1], sizeof(v8));
          for (int64_t k = 0; k < n; ++k) dst[k] = tmp[k];
        }
      }
    }
}

void channels(float* out, const float* xp, const float* w, const float* bias, const DirectGeo& g, int64_t o0,
              int64_t ob) {
  switch (ob) {
    case 1: return block<1>(out, xp, w, bias, g, o0);
    case 2: return block<2>(out, xp, w, bias, g, o0);
    case 3: return block<3>(out, xp, w, bias, g, o0);
    case 4: return block<4>(out, xp, w, bias, g, o0);
    case 5: return block<5>(out, xp, w, bias, g, o0);
    default: return block<6>(out, xp, w, bias, g, o0);
  }
}

#pragma GCC pop_options

bool conv_direct(const Tensor& out, const Tensor& xt, const Tensor& wt, const Tensor& bias, int64_t ph, int64_t pw) {
  if (active_capability() < Capability::Avx2) return false;
  const int64_t N = xt.shape()[0], C = xt.shape()[1], H = xt.shape()[2], W = xt.shape()[3];
  DirectGeo g{C, out.shape()[1], out.shape()[2], out.shape()[3], wt.shape()[2], wt.shape()[3], 0, 0};
  g.Hp = g.OH + g.kh - 1;
  // Room for the last 16-wide segment's over-read (its extra lanes are computed, then dropped).
  g.Wp = (g.OW + 15) / 16 * 16 + g.kw - 1;
  const float* x = xt.data<float>();
  const float* w = wt.data<float>();
  const float* b = bias.defined() ? bias.data<float>() : nullptr;
  float* y = out.data<float>();
  const int64_t oblocks = (g.O + 5) / 6;
  parallel_for(0, N, 1, [&](int64_t n0, int64_t n1) {
    thread_local std::vector<float> padded;
    padded.assign(size_t(C * g.Hp * g.Wp), 0.0f);
    for (int64_t n = n0; n < n1; ++n) {
      // Copy the image into the zero border (rows and columns outside it stay 0).
      for (int64_t c = 0; c < C; ++c)
        for (int64_t h = 0; h < H; ++h) {
          const int64_t r = h + ph;
          if (r < 0 || r >= g.Hp) continue;
          const int64_t lo = std::max<int64_t>(0, -pw), hi = std::min<int64_t>(W, g.Wp - pw);
          if (hi > lo)
            std::copy(x + ((n * C + c) * H + h) * W + lo, x + ((n * C + c) * H + h) * W + hi,
                      padded.data() + (c * g.Hp + r) * g.Wp + lo + pw);
        }
      for (int64_t ob = 0; ob < oblocks; ++ob)
        channels(y + n * g.O * g.OH * g.OW, padded.data(), w, b, g, ob * 6, std::min<int64_t>(6, g.O - ob * 6));
    }
  });
  return true;
}

}  // namespace

void register_direct_conv(Backend& b) { b.conv_direct = conv_direct; }

}  // namespace tk::cpu
