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

template <int V> struct IntTag {
  static constexpr int value = V;
};

// One step of the weight gradient: the KW shifted input vectors at xseg times the OB output
// vectors at g0 (gstride apart), into the accumulators.
template <int OB, int KW> __attribute__((always_inline)) inline void grad_step(VEC (&a)[OB][KW], const float* xseg,
                                                                               const float* g0, int64_t gstride) {
  VEC xv[KW];
  for (int j = 0; j < KW; ++j) xv[j] = load_vec(xseg + j);
  for (int q = 0; q < OB; ++q) {
    const VEC gv = load_vec(g0 + q * gstride);
    for (int j = 0; j < KW; ++j) a[q][j] += gv * xv[j];
  }
}

// The weight gradient, kernel row i of one input channel: for OB output channels and the KW taps
// of that row, acc (OB x KW vectors, unreduced, kept across images by the caller at acc + q *
// qstride + j * kLanes) gains every output row segment of one image's gradient (channel q of the
// block at g0 + q * plane, rows gow apart, gow a whole number of vectors: zeros past the output's
// width) times the input row segment it met, shifted by the tap: xp is the channel's padded plane
// [Hp][Wp].
template <int OB, int KW> void grad_block(float* acc, int64_t qstride, const float* g0, int64_t plane, int64_t gow,
                                          const float* xp, const DirectGeo& g, int64_t i) {
  VEC a[OB][KW];
  for (int q = 0; q < OB; ++q)
    for (int j = 0; j < KW; ++j) a[q][j] = load_vec(acc + q * qstride + j * kLanes);
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    const float* xrow = xp + (oh + i) * g.Wp;
    const float* grow = g0 + oh * gow;
    for (int64_t ow = 0; ow < gow; ow += kLanes) grad_step<OB, KW>(a, xrow + ow, grow + ow, plane);
  }
  for (int q = 0; q < OB; ++q)
    for (int j = 0; j < KW; ++j) __builtin_memcpy(acc + q * qstride + j * kLanes, &a[q][j], sizeof(VEC));
}

// At most 24 accumulators: OB output channels x KW taps.
template <int KW> constexpr int kGradOB = 24 / KW < 8 ? 24 / KW : 8;

template <int OB, int KW> void grad_blocks_upto(float* acc, int64_t qstride, const float* g0, int64_t plane,
                                                int64_t gow, const float* xp, const DirectGeo& g, int64_t i,
                                                int64_t ob) {
  if constexpr (OB > 1)
    if (ob < OB) return grad_blocks_upto<OB - 1, KW>(acc, qstride, g0, plane, gow, xp, g, i, ob);
  grad_block<OB, KW>(acc, qstride, g0, plane, gow, xp, g, i);
}

// Output channels [o0, o1) for kernel row i of one channel (acc as grad_block's, for output
// channel 0; gon: output channel o0's gradient plane, the others plane apart, rows gow apart;
// g.kw taps, 1 to 5), in blocks of kGradOB.
inline void grad_row(float* acc, const float* gon, int64_t plane, int64_t gow, const float* xp, const DirectGeo& g,
                     int64_t i, int64_t o0, int64_t o1) {
  const int64_t qstride = g.kh * g.kw * kLanes;
  auto run = [&](auto kw_tag) {
    constexpr int KW = decltype(kw_tag)::value;
    constexpr int OB = kGradOB<KW>;
    for (int64_t o = o0; o < o1; o += OB) {
      const int64_t ob = o1 - o < OB ? o1 - o : OB;
      grad_blocks_upto<OB, KW>(acc + (o * g.kh + i) * g.kw * kLanes, qstride, gon + (o - o0) * plane, plane, gow, xp, g,
                               i, ob);
    }
  };
  switch (g.kw) {
    case 1: run(IntTag<1>{}); break;
    case 2: run(IntTag<2>{}); break;
    case 3: run(IntTag<3>{}); break;
    case 4: run(IntTag<4>{}); break;
    default: run(IntTag<5>{}); break;
  }
}
