// The direct convolution kernel, written once over a GCC vector type and instantiated per
// instruction set by direct_conv.cpp. A block keeps OB output channels x NV vectors of positions
// in OB * NV accumulators (at most 12). Include it AFTER a `#pragma GCC target(...)`, inside a
// namespace of its own, with VEC (the vector type) defined. No std:: templates inside.

struct DirectGeo {
  int64_t C, O, OH, OW, kh, kw, Hp, Wp;  // Hp, Wp: the padded image's size
};

constexpr int kLanes = int(sizeof(VEC) / sizeof(float));

inline VEC load_vec(const float* p) {
  VEC v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

// Output channels [o0, o0 + OB) of one image from the padded image xp [C][Hp][Wp] (rows padded
// to a whole number of segments): each segment of NV * kLanes positions of an output row stays in
// OB * NV registers while every kernel tap adds a shifted input row times a broadcast weight.
template <int OB, int NV>
void block(float* out, const float* xp, const float* w, const float* bias, const DirectGeo& g, int64_t o0) {
  constexpr int kSeg = kLanes * NV;
  const int64_t taps = g.C * g.kh * g.kw;
  for (int64_t oh = 0; oh < g.OH; ++oh)
    for (int64_t ow = 0; ow < g.OW; ow += kSeg) {
      VEC acc[OB][NV];
      for (int q = 0; q < OB; ++q) {
        const float b = bias ? bias[o0 + q] : 0.0f;
        for (int v = 0; v < NV; ++v) acc[q][v] = VEC{} + b;
      }
      const float* wq = w + o0 * taps;
      for (int64_t c = 0; c < g.C; ++c)
        for (int64_t i = 0; i < g.kh; ++i) {
          const float* row = xp + (c * g.Hp + oh + i) * g.Wp + ow;
          const int64_t t0 = (c * g.kh + i) * g.kw;
          for (int64_t j = 0; j < g.kw; ++j) {
            VEC x[NV];
            for (int v = 0; v < NV; ++v) x[v] = load_vec(row + j + v * kLanes);
            for (int q = 0; q < OB; ++q) {
              const float wv = wq[q * taps + t0 + j];
              for (int v = 0; v < NV; ++v) acc[q][v] += wv * x[v];
            }
          }
        }
      const int64_t n = g.OW - ow < kSeg ? g.OW - ow : kSeg;
      for (int q = 0; q < OB; ++q) {
        float* dst = out + ((o0 + q) * g.OH + oh) * g.OW + ow;
        float tmp[kSeg];
        for (int v = 0; v < NV; ++v) __builtin_memcpy(tmp + v * kLanes, &acc[q][v], sizeof(VEC));
        for (int64_t k = 0; k < n; ++k) dst[k] = tmp[k];
      }
    }
}

template <int OB, int NV> void blocks_upto(float* out, const float* xp, const float* w, const float* bias,
                                           const DirectGeo& g, int64_t o0, int64_t ob) {
  if constexpr (OB > 1)
    if (ob < OB) return blocks_upto<OB - 1, NV>(out, xp, w, bias, g, o0, ob);
  block<OB, NV>(out, xp, w, bias, g, o0);
}

// Output channels [o0, o0 + ob) (ob <= 12 / NV).
template <int NV> void channels(float* out, const float* xp, const float* w, const float* bias, const DirectGeo& g,
                                int64_t o0, int64_t ob) {
  blocks_upto<12 / NV, NV>(out, xp, w, bias, g, o0, ob);
}
