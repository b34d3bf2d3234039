// 3x3 stride-1 convolution by Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray, 2015):
// each 6x6 input tile and 3x3 kernel are transformed (V = B^T d B, U = G g G^T), the 36
// transformed positions multiply as 36 independent [O, C] @ [C, tiles] GEMMs, and A^T M A turns
// each product back into a 4x4 output tile: 36 multiplies per 16 outputs instead of 144, so the
// GEMM does 4x less work than im2col's.
//
// Tiles are processed in blocks (V and M of one block stay in cache), blocks spread over the
// thread pool. Transforms run on 8 tiles at once in GCC vectors (lanes = tiles), 16 on AVX-512;
// tiles are moved in and out as rows of 8 lanes transposed in registers. float32 only:
// the transforms lose a few bits (errors ~1e-6 relative to the output scale), which float64
// users would notice; they take the im2col path.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "cpu/gemm/gemm.h"
#include "tk/cpu_info.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

// The lane-width templates are inlined into their callers, so an AVX-512 caller (below) gets them
// in 16-lane zmm code though they are defined under the AVX2 target.
#define TK_WINO_INLINE inline __attribute__((always_inline))

// Everything up to pop_options is compiled for AVX2 + FMA and runs only when the CPU has them
// (conv3x3_winograd checks). No std:: templates are instantiated in here: their code could be
// shared with other files by the linker and reach a CPU without AVX2.
#pragma GCC push_options
#pragma GCC target("avx2,fma")

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

using v8 = float __attribute__((vector_size(32)));
constexpr int kLanes = 8;  // the tile moves' group; the transforms run 8 or 16 lanes (two groups)
using v16 = float __attribute__((vector_size(64)));
template <int L> struct VecOf;  // (an alias template would drop vector_size)
template <> struct VecOf<8> {
  using type = v8;
};
template <> struct VecOf<16> {
  using type = v16;
};
template <int L> using vec = typename VecOf<L>::type;
// Two groups' v8 as one vec<L> (L = 16: lanes 0-7 from a, 8-15 from b; L = 8: a) and back. By
// reference: a 64-byte vector passed by value would take an ABI the AVX2 target lacks.
template <int L> TK_WINO_INLINE void join(vec<L>& d, const v8& a, const v8& b) {
  if constexpr (L == 8)
    d = a;
  else
    d = __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}
template <int L> TK_WINO_INLINE void half(v8& h, const vec<L>& v, int i) {
  if constexpr (L == 8)
    h = v;
  else if (i == 0)
    h = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
  else
    h = __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
}

// B^T applied to a column (d0..d5).
template <class V> TK_WINO_INLINE void bt(const V* d, V* r, int s) {
  const V d0 = d[0], d1 = d[s], d2 = d[2 * s], d3 = d[3 * s], d4 = d[4 * s], d5 = d[5 * s];
  r[0] = 4 * d0 - 5 * d2 + d4;
  r[s] = -4 * d1 - 4 * d2 + d3 + d4;
  r[2 * s] = 4 * d1 - 4 * d2 - d3 + d4;
  r[3 * s] = -2 * d1 - d2 + 2 * d3 + d4;
  r[4 * s] = 2 * d1 - d2 - 2 * d3 + d4;
  r[5 * s] = 4 * d1 - 5 * d3 + d5;
}

// A^T applied to a column (m0..m5) -> 4 values.
template <class V> TK_WINO_INLINE void at(const V* m, V* y, int s, int ys) {
  const V m0 = m[0], m1 = m[s], m2 = m[2 * s], m3 = m[3 * s], m4 = m[4 * s], m5 = m[5 * s];
  const V p12 = m1 + m2, d12 = m1 - m2, p34 = m3 + m4, d34 = m3 - m4;
  y[0] = m0 + p12 + p34;
  y[ys] = d12 + 2 * d34;
  y[2 * ys] = p12 + 4 * p34;
  y[3 * ys] = d12 + 8 * d34 + m5;
}

// U[xi][o][c] = (G g G^T)[xi] for the kernels g = w[o][c] (3x3) with oc in [oc0, oc1). Kernels
// are transformed 64 at a time into a scratch block, then stored as 36 runs of 64 (not 36
// scattered stores per kernel).
void transform_kernels(float* U, const float* w, int64_t OC, int64_t oc0, int64_t oc1) {
  constexpr float q = 1.0f / 4, s = 1.0f / 6, e = 1.0f / 12, t24 = 1.0f / 24;
  constexpr int kChunk = 64;
  float tmp[36][kChunk];
  for (int64_t base = oc0; base < oc1; base += kChunk) {
    const int64_t cnt = min64(kChunk, oc1 - base);
    for (int64_t oc = base; oc < base + cnt; ++oc) {
      const float* g = w + oc * 9;
      float t[6][3], u[6][6];
      for (int j = 0; j < 3; ++j) {  // G g: columns of g
        const float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
        t[0][j] = g0 * q;
        t[1][j] = -(g0 + g1 + g2) * s;
        t[2][j] = -(g0 - g1 + g2) * s;
        t[3][j] = g0 * t24 + g1 * e + g2 * s;
        t[4][j] = g0 * t24 - g1 * e + g2 * s;
        t[5][j] = g2;
      }
      for (int i = 0; i < 6; ++i) {  // (G g) G^T: rows
        const float g0 = t[i][0], g1 = t[i][1], g2 = t[i][2];
        u[i][0] = g0 * q;
        u[i][1] = -(g0 + g1 + g2) * s;
        u[i][2] = -(g0 - g1 + g2) * s;
        u[i][3] = g0 * t24 + g1 * e + g2 * s;
        u[i][4] = g0 * t24 - g1 * e + g2 * s;
        u[i][5] = g2;
      }
      for (int xi = 0; xi < 36; ++xi) tmp[xi][oc - base] = u[xi / 6][xi % 6];
    }
    for (int xi = 0; xi < 36; ++xi) __builtin_memcpy(U + xi * OC + base, tmp[xi], sizeof(float) * cnt);
  }
}

struct Geo {
  int64_t N, C, H, W, O, OH, OW, ph, pw, TH, TW, T;
  // Top-left input corner of tile t.
  void corner(int64_t t, int64_t& n, int64_t& y, int64_t& x) const {
    n = t / (TH * TW);
    const int64_t r = t % (TH * TW);
    y = (r / TW) * 4 - ph;
    x = (r % TW) * 4 - pw;
  }
};

// The kLanes tiles t .. t + kLanes - 1: image n (-1 past the last tile) and top-left corner, in
// input coordinates (padding included) or, with `output`, in output coordinates.
struct LaneTiles {
  int64_t n[kLanes], y[kLanes], x[kLanes];
};
inline LaneTiles lane_tiles(const Geo& g, int64_t t, bool output) {
  LaneTiles lt;
  for (int l = 0; l < kLanes; ++l) {
    if (t + l >= g.T) {
      lt.n[l] = -1;
      continue;
    }
    g.corner(t + l, lt.n[l], lt.y[l], lt.x[l]);
    if (output) lt.y[l] += g.ph, lt.x[l] += g.pw;
  }
  return lt;
}

// Tile moves: each lane's rows loaded (or stored) as vectors under a column mask and transposed in
// registers (lanes = tiles), in place of 36 or 16 scalar copies per tile. A masked-off column or a
// row outside the image reads as 0 (the padding) and is never touched in memory; the values moved
// are the element-wise copies', so the results are bit-identical to them.

// Per lane: the tile corner's offset from the start of image n's channel 0 (in floats; negative
// within the padding), which of its rows lie inside [0, H) (bit i: row i), whether every row and
// column does, and the mask of its columns inside [0, W) among x .. x + width - 1. Computed once per
// lane group; a channel adds its plane's offset.
struct LaneRows {
  int64_t base[kLanes];
  uint32_t rows[kLanes];
  bool whole[kLanes];
  __m256i mask[kLanes];
};
inline LaneRows lane_rows(const LaneTiles& lt, int width, int64_t C, int64_t H, int64_t W) {
  LaneRows r;
  for (int l = 0; l < kLanes; ++l) {
    const int64_t n = lt.n[l], y = lt.y[l], x = lt.x[l];
    r.base[l] = (n * C * H + y) * W + x;
    r.rows[l] = 0;
    for (int i = 0; i < width; ++i) r.rows[l] |= uint32_t(n >= 0 && y + i >= 0 && y + i < H) << i;
    r.whole[l] = r.rows[l] == (1u << width) - 1 && x >= 0 && x + width <= W;
    alignas(32) int32_t m[kLanes];
    for (int j = 0; j < kLanes; ++j) m[j] = j < width && x + j >= 0 && x + j < W ? -1 : 0;
    r.mask[l] = _mm256_load_si256(reinterpret_cast<const __m256i*>(m));
  }
  return r;
}
// The address of float `off` (an offset that may point into the padding, whose masked columns are
// never touched) from `data`: formed as an integer, since it may lie before the array.
inline const float* at_offset(const float* data, int64_t off) {
  return reinterpret_cast<const float*>(reinterpret_cast<intptr_t>(data) + off * int64_t(sizeof(float)));
}

// d[i * 6 + j] lane l = the 6x6 patch of lane l (8x8 transposes of its masked rows).
// `plane` is channel c's offset from channel 0.
inline void load_patches(v8* d, const float* x, const LaneRows& lr, int64_t plane, int64_t W) {
  for (int i = 0; i < 6; ++i) {
    __m256 r[kLanes];
    for (int l = 0; l < kLanes; ++l)
      r[l] = lr.rows[l] >> i & 1 ? _mm256_maskload_ps(at_offset(x, lr.base[l] + plane + i * W), lr.mask[l])
                                 : _mm256_setzero_ps();
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    // u0: columns 0 | 4 of lanes 0-3, u1: 1 | 5, u2: 2 | 6, u3: 3 | 7; u4..u7 the same of lanes 4-7.
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    v8* row = d + 6 * i;
    row[0] = v8(_mm256_permute2f128_ps(u0, u4, 0x20));
    row[1] = v8(_mm256_permute2f128_ps(u1, u5, 0x20));
    row[2] = v8(_mm256_permute2f128_ps(u2, u6, 0x20));
    row[3] = v8(_mm256_permute2f128_ps(u3, u7, 0x20));
    row[4] = v8(_mm256_permute2f128_ps(u0, u4, 0x31));
    row[5] = v8(_mm256_permute2f128_ps(u1, u5, 0x31));
  }
}

// 4x4 transposes within each 128-bit half: lane l's 4 values in the low half of q[l], lane l + 4's
// in the high half, become column j of lanes 0-3 | 4-7 in c[j]. Its own inverse.
inline void transpose4x2(const __m256* q, __m256* c) {
  const __m256 a = _mm256_unpacklo_ps(q[0], q[1]), b = _mm256_unpackhi_ps(q[0], q[1]);
  const __m256 e = _mm256_unpacklo_ps(q[2], q[3]), f = _mm256_unpackhi_ps(q[2], q[3]);
  c[0] = _mm256_shuffle_ps(a, e, 0x44);
  c[1] = _mm256_shuffle_ps(a, e, 0xEE);
  c[2] = _mm256_shuffle_ps(b, f, 0x44);
  c[3] = _mm256_shuffle_ps(b, f, 0xEE);
}
inline __m128 load4(const float* g, const LaneRows& lr, int l, int64_t off) {
  if (lr.whole[l]) return _mm_loadu_ps(at_offset(g, lr.base[l] + off));
  return off < 0 ? _mm_setzero_ps()
                 : _mm_maskload_ps(at_offset(g, lr.base[l] + off), _mm256_castsi256_si128(lr.mask[l]));
}

// d[i * 4 + j] lane l = the 4x4 tile of lane l; `plane` as load_patches'.
inline void load_tiles4(v8* d, const float* g, const LaneRows& lr, int64_t plane, int64_t W) {
  for (int i = 0; i < 4; ++i) {
    __m256 q[4], c[4];
    int64_t off[kLanes];
    for (int l = 0; l < kLanes; ++l) off[l] = lr.rows[l] >> i & 1 ? plane + i * W : -1;
    for (int l = 0; l < 4; ++l) q[l] = _mm256_set_m128(load4(g, lr, l + 4, off[l + 4]), load4(g, lr, l, off[l]));
    transpose4x2(q, c);
    for (int j = 0; j < 4; ++j) d[4 * i + j] = v8(c[j]);
  }
}

// Lane l's 4x4 tile = r[i * 4 + j] lane l (the parts inside the image; masked stores, slow on
// some CPUs, only for tiles cut by the edge); `plane` as load_patches'.
inline void store_tiles4(float* out, const LaneRows& lr, const v8* r, int64_t plane, int64_t W) {
  for (int i = 0; i < 4; ++i) {
    __m256 q[4], c[4];
    for (int j = 0; j < 4; ++j) q[j] = __m256(r[4 * i + j]);
    transpose4x2(q, c);
    for (int l = 0; l < kLanes; ++l) {
      if (!(lr.rows[l] >> i & 1)) continue;
      float* dst = const_cast<float*>(at_offset(out, lr.base[l] + plane + i * W));
      const __m128 v = l < 4 ? _mm256_castps256_ps128(c[l]) : _mm256_extractf128_ps(c[l - 4], 1);
      if (lr.whole[l])
        _mm_storeu_ps(dst, v);
      else
        _mm_maskstore_ps(dst, _mm256_castsi256_si128(lr.mask[l]), v);
    }
  }
}

// V[c][xi][k] for tiles t0 + k, k < nt (nt a multiple of L; tiles past T are zero). This
// layout keeps the 36 stores of one (channel, L tiles) within a few KB; the GEMM reads any strides.
template <int L> TK_WINO_INLINE void transform_inputs(float* V, const float* x, const Geo& g, int64_t t0, int64_t nt) {
  constexpr int G = L / kLanes;
  for (int64_t k0 = 0; k0 < nt; k0 += L) {
    LaneRows lr[G];
    for (int h = 0; h < G; ++h) lr[h] = lane_rows(lane_tiles(g, t0 + k0 + h * kLanes, false), 6, g.C, g.H, g.W);
    for (int64_t c = 0; c < g.C; ++c) {
      v8 p[G][36];
      for (int h = 0; h < G; ++h) load_patches(p[h], x, lr[h], c * g.H * g.W, g.W);
      vec<L> d[36], t[36];
      for (int xi = 0; xi < 36; ++xi) join<L>(d[xi], p[0][xi], p[G - 1][xi]);
      for (int j = 0; j < 6; ++j) bt(d + j, t + j, 6);  // B^T d: columns
      for (int i = 0; i < 6; ++i) bt(t + 6 * i, d + 6 * i, 1);  // (B^T d) B: rows
      float* dst = V + c * 36 * nt + k0;
      for (int xi = 0; xi < 36; ++xi) __builtin_memcpy(dst + xi * nt, &d[xi], sizeof(d[xi]));
    }
  }
}

// out[n][o] tiles from M[o][xi][k] (+ bias[o]).
template <int L> TK_WINO_INLINE void transform_outputs(float* out, const float* M, const float* bias, const Geo& g,
                                                       int64_t t0, int64_t nt) {
  constexpr int G = L / kLanes;
  for (int64_t k0 = 0; k0 < nt; k0 += L) {
    LaneRows lr[G];
    for (int h = 0; h < G; ++h) lr[h] = lane_rows(lane_tiles(g, t0 + k0 + h * kLanes, true), 4, g.O, g.OH, g.OW);
    for (int64_t o = 0; o < g.O; ++o) {
      vec<L> m[36], t[24], r[16];
      const float* src = M + o * 36 * nt + k0;
      for (int xi = 0; xi < 36; ++xi) __builtin_memcpy(&m[xi], src + xi * nt, sizeof(m[xi]));
      for (int j = 0; j < 6; ++j) at(m + j, t + j, 6, 6);  // A^T m: columns -> 4 rows of 6
      for (int i = 0; i < 4; ++i) at(t + 6 * i, r + 4 * i, 1, 1);  // (A^T m) A: rows -> 4x4
      const float b = bias ? bias[o] : 0.0f;
      for (int h = 0; h < G; ++h) {
        v8 rh[16];
        for (int k = 0; k < 16; ++k) {
          half<L>(rh[k], r[k], h);
          rh[k] += b;
        }
        store_tiles4(out, lr[h], rh, o * g.OH * g.OW, g.OW);
      }
    }
  }
}

// ---- weight gradient: dL/dg = sum over tiles of G^T [(A dY A^T) (.) (B^T d B)] G ----------------

// A applied to a column (y0..y3) -> 6 values (the transpose of at()).
template <class V> TK_WINO_INLINE void a6(const V* y, V* z, int s, int zs) {
  const V y0 = y[0], y1 = y[s], y2 = y[2 * s], y3 = y[3 * s];
  const V e = y0 + y2, o = y1 + y3, e4 = y0 + 4 * y2, o8 = 2 * y1 + 8 * y3;
  z[0] = y0;
  z[zs] = e + o;
  z[2 * zs] = e - o;
  z[3 * zs] = e4 + o8;
  z[4 * zs] = e4 - o8;
  z[5 * zs] = y3;
}

// Z[o][xi][k] = (A dY A^T)[xi] for the 4x4 gradient tiles t0 + k of every output channel.
template <int L> TK_WINO_INLINE void transform_grads(float* Z, const float* gy, const Geo& g, int64_t t0, int64_t nt) {
  constexpr int G = L / kLanes;
  for (int64_t k0 = 0; k0 < nt; k0 += L) {
    LaneRows lr[G];
    for (int h = 0; h < G; ++h) lr[h] = lane_rows(lane_tiles(g, t0 + k0 + h * kLanes, true), 4, g.O, g.OH, g.OW);
    for (int64_t o = 0; o < g.O; ++o) {
      v8 p[G][16];
      for (int h = 0; h < G; ++h) load_tiles4(p[h], gy, lr[h], o * g.OH * g.OW, g.OW);
      vec<L> d[16], t[24], z[36];
      for (int k = 0; k < 16; ++k) join<L>(d[k], p[0][k], p[G - 1][k]);
      for (int j = 0; j < 4; ++j) a6(d + j, t + j, 4, 4);  // A dY: columns -> 6 rows of 4
      for (int i = 0; i < 6; ++i) a6(t + 4 * i, z + 6 * i, 1, 1);  // (A dY) A^T: rows -> 6x6
      float* dst = Z + o * 36 * nt + k0;
      for (int xi = 0; xi < 36; ++xi) __builtin_memcpy(dst + xi * nt, &z[xi], sizeof(z[xi]));
    }
  }
}

// gw[o][c] = G^T M[.][o][c] G for M [36][O][C].
void transform_weight_grads(float* gw, const float* M, int64_t OC, int64_t oc0, int64_t oc1) {
  constexpr float q = 1.0f / 4, s = 1.0f / 6, e = 1.0f / 12, t24 = 1.0f / 24;
  auto gt = [&](const float* m, int st, float* r, int rs) {  // G^T applied to a column of 6
    const float m0 = m[0], m1 = m[st], m2 = m[2 * st], m3 = m[3 * st], m4 = m[4 * st], m5 = m[5 * st];
    r[0] = m0 * q - (m1 + m2) * s + (m3 + m4) * t24;
    r[rs] = (m2 - m1) * s + (m3 - m4) * e;
    r[2 * rs] = (m3 + m4 - m1 - m2) * s + m5;
  };
  for (int64_t oc = oc0; oc < oc1; ++oc) {
    float m[36], t[18];
    for (int xi = 0; xi < 36; ++xi) m[xi] = M[xi * OC + oc];
    for (int j = 0; j < 6; ++j) gt(m + j, 6, t + j, 6);  // G^T m: columns -> 3 rows of 6
    for (int i = 0; i < 3; ++i) gt(t + 6 * i, 1, gw + oc * 9 + 3 * i, 1);  // rows -> 3x3
  }
}

// One block of the weight gradient: M[xi][o][c] (+)= sum over the block's tiles of Z V^T.
template <int L> TK_WINO_INLINE void weight_grad_block(float* Macc, const float* x, const float* gy, float* V, float* Z,
                                                       const Geo& g, int64_t t0, int64_t tb, bool accumulate) {
  transform_inputs<L>(V, x, g, t0, tb);
  transform_grads<L>(Z, gy, g, t0, tb);
  GemmArgs<float> a;
  a.batch = 36, a.M = g.O, a.N = g.C, a.K = tb;
  a.beta = accumulate ? 1.0f : 0.0f;
  a.a = Z, a.a_bs = tb, a.a_rs = 36 * tb, a.a_cs = 1;  // Z[o][xi][k]
  a.b = V, a.b_bs = tb, a.b_rs = 1, a.b_cs = 36 * tb;  // V[c][xi][k] read as [k][c]
  a.c = Macc, a.c_bs = g.O * g.C, a.c_rs = g.C, a.c_cs = 1;
  gemm(a);
}

// One block of tiles: transform, 36 GEMMs, transform back.
template <int L> TK_WINO_INLINE void run_block(float* y, const float* x, const float* U, const float* bias, float* V,
                                               float* M, const Geo& g, int64_t t0, int64_t tb) {
  transform_inputs<L>(V, x, g, t0, tb);
  GemmArgs<float> a;
  a.batch = 36, a.M = g.O, a.N = tb, a.K = g.C;
  a.a = U, a.a_bs = g.O * g.C, a.a_rs = g.C, a.a_cs = 1;  // U[xi][o][c]
  a.b = V, a.b_bs = tb, a.b_rs = 36 * tb, a.b_cs = 1;  // V[c][xi][k]
  a.c = M, a.c_bs = tb, a.c_rs = 36 * tb, a.c_cs = 1;  // M[o][xi][k]
  gemm(a);
  transform_outputs<L>(y, M, bias, g, t0, tb);
}

// The blocks' entry points at each width: 8 lanes for AVX2, 16 (below) for AVX-512.
void run_block8(float* y, const float* x, const float* U, const float* bias, float* V, float* M, const Geo& g,
                int64_t t0, int64_t tb) {
  run_block<8>(y, x, U, bias, V, M, g, t0, tb);
}
void weight_grad_block8(float* Macc, const float* x, const float* gy, float* V, float* Z, const Geo& g, int64_t t0,
                        int64_t tb, bool accumulate) {
  weight_grad_block<8>(Macc, x, gy, V, Z, g, t0, tb, accumulate);
}

#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")
void run_block16(float* y, const float* x, const float* U, const float* bias, float* V, float* M, const Geo& g,
                 int64_t t0, int64_t tb) {
  run_block<16>(y, x, U, bias, V, M, g, t0, tb);
}
void weight_grad_block16(float* Macc, const float* x, const float* gy, float* V, float* Z, const Geo& g, int64_t t0,
                         int64_t tb, bool accumulate) {
  weight_grad_block<16>(Macc, x, gy, V, Z, g, t0, tb, accumulate);
}
#pragma GCC pop_options

using RunBlock = void (*)(float*, const float*, const float*, const float*, float*, float*, const Geo&, int64_t,
                          int64_t);
using WeightGradBlock = void (*)(float*, const float*, const float*, float*, float*, const Geo&, int64_t, int64_t,
                                 bool);

// Tiles of the output y [N, O, OH, OW] over the input x [N, C, H, W].
Geo geometry(const Tensor& x, const Tensor& y, int64_t ph, int64_t pw) {
  Geo g{};
  g.N = x.shape()[0], g.C = x.shape()[1], g.H = x.shape()[2], g.W = x.shape()[3];
  g.O = y.shape()[1], g.OH = y.shape()[2], g.OW = y.shape()[3];
  g.ph = ph, g.pw = pw;
  g.TH = (g.OH + 3) / 4, g.TW = (g.OW + 3) / 4, g.T = g.N * g.TH * g.TW;
  return g;
}

// Tiles per block: a block's V and M (or Z) take about 2 MB together (L3; each block repacks
// U in the forward, so blocks should not be small), a multiple of 16 lanes at either width (so the
// weight gradient's sums run in one order on AVX2 and AVX-512).
// Partial sums a weight gradient is split into (see conv3x3_winograd_weight_grad).
constexpr int64_t kWeightGradRuns = 8;

int64_t block_tiles(const Geo& g) {
  const int64_t tb = std::clamp<int64_t>((int64_t(1) << 19) / (36 * (g.C + g.O)), 16, 512);
  return std::max<int64_t>(16, tb / 16 * 16);
}

bool conv3x3_winograd(const Tensor& out, const Tensor& xt, const Tensor& wt, const Tensor& bias, int64_t ph,
                      int64_t pw) {
  if (active_capability() < Capability::Avx2) return false;
  TK_ASSERT(out.dtype() == DType::Float32);
  const Geo g = geometry(xt, out, ph, pw);
  std::vector<float> U(size_t(36 * g.O * g.C));
  const float* w = wt.data<float>();
  parallel_for(0, g.O * g.C, 256, [&](int64_t a, int64_t b) { transform_kernels(U.data(), w, g.O * g.C, a, b); });
  const int64_t tb = block_tiles(g);
  const int64_t blocks = (g.T + tb - 1) / tb;
  const RunBlock run = active_capability() >= Capability::Avx512 ? run_block16 : run_block8;
  const float* x = xt.data<float>();
  const float* b = bias.defined() ? bias.data<float>() : nullptr;
  float* y = out.data<float>();
  parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
    // Per-thread scratch kept between calls: fresh megabytes each call cost page faults.
    thread_local std::vector<float> scratch;
    const size_t need = size_t(36 * (g.C + g.O) * tb);
    if (scratch.size() < need) scratch.resize(need);
    float* V = scratch.data();
    float* M = V + 36 * g.C * tb;
    for (int64_t blk = b0; blk < b1; ++blk) run(y, x, U.data(), b, V, M, g, blk * tb, tb);
  });
  return true;
}

bool conv3x3_winograd_weight_grad(const Tensor& gw, const Tensor& xt, const Tensor& gyt, int64_t ph, int64_t pw) {
  if (active_capability() < Capability::Avx2) return false;
  const Geo g = geometry(xt, gyt, ph, pw);
  const int64_t tb = block_tiles(g);
  const int64_t blocks = (g.T + tb - 1) / tb, OC = g.O * g.C;
  const WeightGradBlock block = active_capability() >= Capability::Avx512 ? weight_grad_block16 : weight_grad_block8;
  const float* x = xt.data<float>();
  const float* gy = gyt.data<float>();
  // The blocks are cut into a fixed number of runs (it depends on the geometry only, never on the
  // thread count); each run sums its blocks into its own M, and the runs' M are added in run order.
  // So the weight gradient is bit-identical for any thread count.
  const int64_t runs = std::min<int64_t>(blocks, kWeightGradRuns), msize = 36 * OC;
  std::vector<float> Ms(size_t(runs * msize));
  parallel_for(0, runs, 1, [&](int64_t r0, int64_t r1) {
    thread_local std::vector<float> scratch;
    const size_t need = size_t(36 * (g.C + g.O) * tb);
    if (scratch.size() < need) scratch.resize(need);
    float* V = scratch.data();
    float* Z = V + 36 * g.C * tb;
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t k0 = blocks * r / runs, k1 = blocks * (r + 1) / runs;
      for (int64_t blk = k0; blk < k1; ++blk) block(Ms.data() + r * msize, x, gy, V, Z, g, blk * tb, tb, blk > k0);
    }
  });
  const float* M = Ms.data();
  parallel_for(0, msize, 4096, [&](int64_t i0, int64_t i1) {
    for (int64_t r = 1; r < runs; ++r)
      for (int64_t i = i0; i < i1; ++i) Ms[size_t(i)] += M[r * msize + i];
  });
  float* out = gw.data<float>();
  parallel_for(0, OC, 256, [&](int64_t a, int64_t b) { transform_weight_grads(out, M, OC, a, b); });
  return true;
}

}  // namespace

void register_winograd(Backend& b) {
  b.conv3x3_winograd = conv3x3_winograd;
  b.conv3x3_winograd_weight_grad = conv3x3_winograd_weight_grad;
}

}  // namespace tk::cpu
