// The GEMM micro-kernel, packing and GEMV written once over a small vector interface V, and
// instantiated per instruction set by gemm_avx2.cpp, gemm_avx512.cpp and gemm_generic.cpp.
//
// Include this AFTER the file's `#pragma GCC target(...)`, and after every standard header the
// file needs: functions defined here then get that target, while inline functions of the standard
// library (defined before the pragma) keep the baseline one — so no AVX code leaks into a COMDAT
// symbol the linker might pick for a baseline caller. Everything here has internal linkage.
//
// V provides: T, R (register type), L (lanes), zero(), set1(T), load(const T*) (unaligned),
// store(T*, R) (unaligned), fma(a, b, c) = a * b + c, mul(a, b), add(a, b), hsum(R); and
// optionally pack_rows6(src, rs, kc, dst), a vectorised pack of 6 row-major rows of A that may
// write up to 2 elements past what it packs (the packing buffer has slack for it), and
// pack_cols16(src, cs, kc, dst, nr), a transposing pack of 16 columns of a column-major B.
#include "cpu/gemm/gemm.h"

namespace {

// KU: k steps per loop trip. More than one cuts loop overhead, but only where the compiler then
// still keeps every accumulator in a register (checked in the disassembly per instantiation).
template <class V, int MR, int NV, int KU = 1> struct GemmImpl {
  using T = typename V::T;
  using R = typename V::R;
  static constexpr int L = V::L;
  static constexpr int NR = NV * L;

  // MR x NR accumulators in registers: MR * NV of them (12 for AVX2's 6 x 16), plus NV for B
  // and one broadcast of A — within the 16 (AVX2) or 32 (AVX-512) vector registers.
  static void micro(int64_t kc, const T* __restrict ap, const T* __restrict bp, T* c, int64_t rsc, int64_t csc, int m,
                    int n, T alpha, T beta) {
    R acc[MR][NV];
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] = V::zero();
        // Bring the C tile toward L1 while the loop runs; it is touched only at the end.
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) __builtin_prefetch(c + i * rsc, 1, 3);
    auto step = [&](int64_t k) __attribute__((always_inline)) {
      R b[NV];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) b[j] = V::load(bp + k * NR + j * L);
#pragma GCC unroll 32
      for (int i = 0; i < MR; ++i) {
        const R a = V::set1(ap[k * MR + i]);
#pragma GCC unroll 4
        for (int j = 0; j < NV; ++j) acc[i][j] = V::fma(a, b[j], acc[i][j]);
      }
    };
    int64_t k = 0;
    for (; k + KU <= kc; k += KU, ap += KU * MR, bp += KU * NR) {
      __builtin_prefetch(ap + 16 * MR);  // A streams from L2; B's panel is already in L1
#pragma GCC unroll 4
      for (int u = 0; u < KU; ++u) step(u);
    }
    for (; k < kc; ++k, ap += MR, bp += NR) step(0);
    const R va = V::set1(alpha);
    if (m == MR && n == NR && csc == 1) {
      if (beta == T(0)) {
#pragma GCC unroll 32
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
          for (int j = 0; j < NV; ++j) V::store(c + i * rsc + j * L, V::mul(acc[i][j], va));
      } else {
        const R vb = V::set1(beta);
#pragma GCC unroll 32
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
          for (int j = 0; j < NV; ++j) {
            T* p = c + i * rsc + j * L;
            V::store(p, V::fma(acc[i][j], va, V::mul(V::load(p), vb)));
          }
      }
      return;
    }
    // Edge tile or strided C: spill the tile, then merge the valid m x n corner element-wise.
    alignas(64) T tile[MR * NR];
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) V::store(tile + i * NR + j * L, V::mul(acc[i][j], va));
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        T& dst = c[i * rsc + j * csc];
        dst = beta == T(0) ? tile[i * NR + j] : tile[i * NR + j] + beta * dst;
      }
  }

  static void pack_a(int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, T* dst) {
    for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
      const T* src = a + i0 * rs;
      const int64_t m = mc - i0 < MR ? mc - i0 : MR;
      if (m == MR && cs == 1) {  // row-major A: MR row streams, interleaved
        int64_t k = 0;
        if constexpr (MR == 6 && requires { V::pack_rows6(src, rs, kc, dst); })
          k = V::pack_rows6(src, rs, kc, dst);  // an instruction set's register transpose
        for (; k < kc; ++k)
#pragma GCC unroll 32
          for (int i = 0; i < MR; ++i) dst[k * MR + i] = src[i * rs + k];
      } else if (m == MR && rs == 1) {  // column-major A (a transposed view): MR-long copies
        for (int64_t k = 0; k < kc; ++k)
#pragma GCC unroll 32
          for (int i = 0; i < MR; ++i) dst[k * MR + i] = src[k * cs + i];
      } else {
        for (int64_t k = 0; k < kc; ++k)
          for (int i = 0; i < MR; ++i) dst[k * MR + i] = i < m ? src[i * rs + k * cs] : T(0);
      }
    }
  }

  static void pack_b(int64_t kc, int64_t nc, const T* b, int64_t rs, int64_t cs, T* dst) {
    const int64_t full = nc / NR * NR;
    if (cs == 1) {
      // Row-major B: walk each row of the block once, left to right, dealing NR-wide pieces out to
      // the panels (reading down the columns of one panel at a time would touch a new cache line
      // per k and defeat the prefetcher).
      for (int64_t k = 0; k < kc; ++k) {
        const T* src = b + k * rs;
        T* d = dst + k * NR;
        for (int64_t j0 = 0; j0 < full; j0 += NR, d += NR * kc)
#pragma GCC unroll 4
          for (int j = 0; j < NV; ++j) V::store(d + j * L, V::load(src + j0 + j * L));
      }
    } else if (rs == 1) {  // column-major B (a transposed view, Linear's weight.t())
      for (int64_t j0 = 0; j0 < full; j0 += NR) {
        int64_t k0 = 0;
        if constexpr (NR % 16 == 0 && requires { V::pack_cols16(b, cs, kc, dst, int64_t(NR)); })
          for (int jb = 0; jb < NR; jb += 16) k0 = V::pack_cols16(b + (j0 + jb) * cs, cs, kc, dst + j0 * kc + jb, NR);
        for (int j = 0; j < NR; ++j) {  // read down each column (what the transpose left)
          const T* src = b + (j0 + j) * cs;
          T* d = dst + j0 * kc + j;
          for (int64_t k = k0; k < kc; ++k) d[k * NR] = src[k];
        }
      }
    } else {
      for (int64_t j0 = 0; j0 < full; j0 += NR)
        for (int64_t k = 0; k < kc; ++k)
          for (int j = 0; j < NR; ++j) dst[j0 * kc + k * NR + j] = b[k * rs + (j0 + j) * cs];
    }
    if (full < nc) {  // the last, partial panel, zero-padded to NR
      const int64_t n = nc - full;
      T* d = dst + full * kc;
      for (int64_t k = 0; k < kc; ++k)
        for (int j = 0; j < NR; ++j) d[k * NR + j] = j < n ? b[k * rs + (full + j) * cs] : T(0);
    }
  }

  static void gemv(int64_t m, int64_t k, T alpha, const T* a, int64_t rs, int64_t cs, const T* x, int64_t incx, T beta,
                   T* y, int64_t incy) {
    auto finish = [&](T& dst, T s) { dst = beta == T(0) ? alpha * s : alpha * s + beta * dst; };
    if (cs == 1 && incx == 1) {  // rows of A are contiguous: one dot product per row
      for (int64_t i = 0; i < m; ++i) {
        const T* r = a + i * rs;
        R s0 = V::zero(), s1 = V::zero(), s2 = V::zero(), s3 = V::zero();
        int64_t p = 0;
        for (; p + 4 * L <= k; p += 4 * L) {
          s0 = V::fma(V::load(r + p), V::load(x + p), s0);
          s1 = V::fma(V::load(r + p + L), V::load(x + p + L), s1);
          s2 = V::fma(V::load(r + p + 2 * L), V::load(x + p + 2 * L), s2);
          s3 = V::fma(V::load(r + p + 3 * L), V::load(x + p + 3 * L), s3);
        }
        for (; p + L <= k; p += L) s0 = V::fma(V::load(r + p), V::load(x + p), s0);
        T s = V::hsum(V::add(V::add(s0, s1), V::add(s2, s3)));
        for (; p < k; ++p) s += r[p] * x[p];
        finish(y[i * incy], s);
      }
    } else if (rs == 1 && incy == 1) {  // columns of A are contiguous: y += x[p] * column p
      for (int64_t i = 0; i < m; ++i) y[i] = beta == T(0) ? T(0) : beta * y[i];
      for (int64_t p = 0; p < k; ++p) {
        const T* col = a + p * cs;
        const T xs = alpha * x[p * incx];
        const R xv = V::set1(xs);
        int64_t i = 0;
        for (; i + L <= m; i += L) V::store(y + i, V::fma(xv, V::load(col + i), V::load(y + i)));
        // The tail goes through V::fma too, so it rounds as the lanes do whatever the compiler
        // contracts: which elements fall in the tail depends on the thread split.
        alignas(64) T lane[L];
        for (; i < m; ++i) {
          V::store(lane, V::fma(xv, V::set1(col[i]), V::set1(y[i])));
          y[i] = lane[0];
        }
      }
    } else {
      for (int64_t i = 0; i < m; ++i) {
        T s = 0;
        for (int64_t p = 0; p < k; ++p) s += a[i * rs + p * cs] * x[p * incx];
        finish(y[i * incy], s);
      }
    }
  }

  static tk::cpu::GemmKernels<T> table() {
    tk::cpu::GemmKernels<T> t;
    t.mr = MR;
    t.nr = NR;
    t.micro = &micro;
    t.pack_a = &pack_a;
    t.pack_b = &pack_b;
    t.gemv = &gemv;
    return t;
  }
};

}  // namespace
