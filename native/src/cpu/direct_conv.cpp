// Direct convolution for few input channels (stride 1, dilation 1, one group, float32): with
// C * kh * kw around 27 (an RGB 3x3 layer), im2col's GEMM has a reduction too short to amortise its
// tile loads and stores. Here each output row segment of 16 positions for up to 6 output channels
// (AVX2; 12 with AVX-512) stays in 12 vector registers while every kernel tap adds a shifted input
// row times a broadcast weight: 2 loads and 6 broadcasts feed 12 FMAs per tap (AVX-512: 1 load and
// 12 broadcasts).
#include <algorithm>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "tk/cpu_info.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

// Each instruction set's kernel is compiled under its own target and only run when the CPU has
// it; the kernel is direct_conv_kernel.h (no std:: templates inside: see winograd.cpp).
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
using VEC = float __attribute__((vector_size(32)));
#include "cpu/direct_conv_kernel.h"
}  // namespace avx2
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx2,fma")
namespace avx512 {
using VEC = float __attribute__((vector_size(64)));
#include "cpu/direct_conv_kernel.h"
}  // namespace avx512
#pragma GCC pop_options

// Copies a plane [H, W] into a zero-bordered one [Hp, Wp] at row ph, column pw (what falls
// outside is dropped). Only the interior is written, so a buffer zeroed once keeps its border.
void pad_plane(float* dst, const float* src, int64_t H, int64_t W, int64_t Hp, int64_t Wp, int64_t ph, int64_t pw) {
  const int64_t lo = std::max<int64_t>(0, -pw), hi = std::min<int64_t>(W, Wp - pw);
  if (hi <= lo) return;
  for (int64_t h = 0; h < H; ++h) {
    const int64_t r = h + ph;
    if (r >= 0 && r < Hp) std::copy(src + h * W + lo, src + h * W + hi, dst + r * Wp + lo + pw);
  }
}

bool conv_direct(const Tensor& out, const Tensor& xt, const Tensor& wt, const Tensor& bias, int64_t ph, int64_t pw) {
  if (active_capability() < Capability::Avx2) return false;
  const int64_t N = xt.shape()[0], C = xt.shape()[1], H = xt.shape()[2], W = xt.shape()[3];
  // AVX2: 6 channels x 16 positions (2 ymm each). AVX-512: 6 channels x 32 positions for rows
  // longer than 16 (one broadcast per 2 FMAs), else 12 channels x 16 — 12 zmm accumulators either
  // way, twice the AVX2 kernel's work per FMA.
  const int64_t O = out.shape()[1], OW = out.shape()[3];
  const bool wide = active_capability() >= Capability::Avx512;
  const bool wide_rows = wide && OW > 16;
  const int64_t seg = wide_rows ? 32 : 16, ob_max = wide && !wide_rows ? 12 : 6;
  avx2::DirectGeo g{C, O, out.shape()[2], OW, wt.shape()[2], wt.shape()[3], 0, 0};
  g.Hp = g.OH + g.kh - 1;
  // Room for the last segment's over-read (its extra lanes are computed, then dropped).
  g.Wp = (g.OW + seg - 1) / seg * seg + g.kw - 1;
  const avx512::DirectGeo g512{g.C, g.O, g.OH, g.OW, g.kh, g.kw, g.Hp, g.Wp};
  const float* x = xt.data<float>();
  const float* w = wt.data<float>();
  const float* b = bias.defined() ? bias.data<float>() : nullptr;
  float* y = out.data<float>();
  const int64_t oblocks = (g.O + ob_max - 1) / ob_max;
  parallel_for(0, N, 1, [&](int64_t n0, int64_t n1) {
    thread_local std::vector<float> padded;
    padded.assign(size_t(C * g.Hp * g.Wp), 0.0f);
    for (int64_t n = n0; n < n1; ++n) {
      for (int64_t c = 0; c < C; ++c)
        pad_plane(padded.data() + c * g.Hp * g.Wp, x + (n * C + c) * H * W, H, W, g.Hp, g.Wp, ph, pw);
      for (int64_t ob = 0; ob < oblocks; ++ob) {
        const int64_t o0 = ob * ob_max, count = std::min<int64_t>(ob_max, g.O - o0);
        float* yn = y + n * g.O * g.OH * g.OW;
        if (wide_rows)
          avx512::channels<2>(yn, padded.data(), w, b, g512, o0, count);
        else if (wide)
          avx512::channels<1>(yn, padded.data(), w, b, g512, o0, count);
        else
          avx2::channels<2>(yn, padded.data(), w, b, g, o0, count);
      }
    }
  });
  return true;
}

// The weight gradient of conv_direct's convolution (kw at most 5): gw [O, C, kh, kw] from x
// [N, C, H, W] and grad_out [N, O, OH, OW]. A task is one input channel and a run of output
// channels (so one channel still spreads over threads); each sums its gradients over the images
// in order, so the result does not depend on the thread count.
bool conv_direct_weight_grad(const Tensor& gw, const Tensor& xt, const Tensor& got, int64_t ph, int64_t pw) {
  if (active_capability() < Capability::Avx2 || gw.shape()[3] > 5) return false;
  const int64_t N = xt.shape()[0], C = xt.shape()[1], H = xt.shape()[2], W = xt.shape()[3];
  const bool wide = active_capability() >= Capability::Avx512;
  const int64_t lanes = wide ? 16 : 8;
  avx2::DirectGeo g{C, got.shape()[1], got.shape()[2], got.shape()[3], gw.shape()[2], gw.shape()[3], 0, 0};
  g.Hp = g.OH + g.kh - 1;
  g.Wp = (g.OW + lanes - 1) / lanes * lanes + g.kw - 1;  // room for the last segment's over-read
  const avx512::DirectGeo g512{g.C, g.O, g.OH, g.OW, g.kh, g.kw, g.Hp, g.Wp};
  const float* x = xt.data<float>();
  const float* go = got.data<float>();
  float* out = gw.data<float>();
  const int64_t taps = g.kh * g.kw;
  // Runs of 24 output channels: a whole number of kernel blocks (8, 6 or 4) for every width.
  const int64_t orun = 24, oruns = (g.O + orun - 1) / orun;
  // Output rows whose width is not a whole number of vectors are copied, zero-padded, so the kernel
  // reads whole vectors only (its zero lanes add nothing).
  const int64_t gow = (g.OW + lanes - 1) / lanes * lanes, plane = g.OH * gow;
  const bool ragged = gow != g.OW;
  parallel_for(0, C * oruns, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> padded(size_t(g.Hp * g.Wp));  // its border stays 0 (pad_plane)
    std::vector<float> acc(size_t(g.O * taps * lanes));
    std::vector<float> gpad(ragged ? size_t(orun * plane) : 0);  // columns past OW stay 0
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t c = t / oruns, o0 = t % oruns * orun, o1 = std::min(g.O, o0 + orun);
      std::fill(acc.begin() + o0 * taps * lanes, acc.begin() + o1 * taps * lanes, 0.0f);  // this run's part
      for (int64_t n = 0; n < N; ++n) {
        pad_plane(padded.data(), x + (n * C + c) * H * W, H, W, g.Hp, g.Wp, ph, pw);
        const float* gon = go + (n * g.O + o0) * g.OH * g.OW;
        if (ragged) {
          for (int64_t r = 0; r < (o1 - o0) * g.OH; ++r)
            std::copy(gon + r * g.OW, gon + (r + 1) * g.OW, gpad.data() + r * gow);
          gon = gpad.data();
        }
        for (int64_t i = 0; i < g.kh; ++i) {
          if (wide)
            avx512::grad_row(acc.data(), gon, plane, gow, padded.data(), g512, i, o0, o1);
          else
            avx2::grad_row(acc.data(), gon, plane, gow, padded.data(), g, i, o0, o1);
        }
      }
      for (int64_t o = o0; o < o1; ++o)
        for (int64_t k = 0; k < taps; ++k) {
          const float* v = acc.data() + (o * taps + k) * lanes;
          float s = 0;
          for (int64_t l = 0; l < lanes; ++l) s += v[l];
          out[(o * C + c) * taps + k] = s;
        }
    }
  });
  return true;
}

}  // namespace

void register_direct_conv(Backend& b) {
  b.conv_direct = conv_direct;
  b.conv_direct_weight_grad = conv_direct_weight_grad;
}

}  // namespace tk::cpu
