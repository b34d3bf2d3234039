// The GEMM driver: kernel choice, cache blocking, packing buffers and the split over threads.
// The arithmetic lives in kernel.h, instantiated per instruction set.
#include "cpu/gemm/gemm.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <type_traits>

#include <sys/mman.h>

#include "tk/cpu_info.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {

// Below this many multiply-adds a product runs on the calling thread. With the pool's workers
// spinning between back-to-back regions, two threads already win at 96^3 (~20 us); from a
// sleeping pool the wake-up (tens of microseconds on a VM) would eat a smaller product's gain.
constexpr double kMinParallelMacs = 96.0 * 96 * 96;

template <class T> const GemmKernels<T>& kernels_for();

template <class T, class Get> const GemmKernels<T>& simd_or(Get get, const GemmKernels<T>& fallback) {
  switch (gemm_choice().level) {
    case Capability::Avx512:
      if (const SimdGemmKernels* k = gemm_kernels_avx512()) return get(*k);
      [[fallthrough]];
    case Capability::Avx2:
      if (const SimdGemmKernels* k = gemm_kernels_avx2()) return get(*k);
      [[fallthrough]];
    case Capability::Default: break;
  }
  return fallback;
}
template <> const GemmKernels<float>& kernels_for<float>() {
  return simd_or<float>(
      [](const SimdGemmKernels& k) -> auto& { return k.f32; }, gemm_kernels_generic_f32());
}
template <> const GemmKernels<double>& kernels_for<double>() {
  return simd_or<double>(
      [](const SimdGemmKernels& k) -> auto& { return k.f64; }, gemm_kernels_generic_f64());
}
template <> const GemmKernels<int32_t>& kernels_for<int32_t>() { return gemm_kernels_generic_i32(); }
template <> const GemmKernels<int64_t>& kernels_for<int64_t>() { return gemm_kernels_generic_i64(); }

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// Block sizes from the cache sizes: one kc x nr panel of B fills half of L1 (the micro-kernel
// streams it once per mr rows of A), the mc x kc block of A half of L2, the kc x nc block of B an
// eighth of L3 (shared with the other cores). Each is then evened out over the problem so a
// dimension a little over one block is not split into a full block and a sliver.
struct Blocking {
  int64_t kc, mc, nc;
};
template <class T> Blocking blocking_for(const GemmKernels<T>& k, int64_t M, int64_t N, int64_t K) {
  const CpuInfo& ci = cpu_info();
  const int64_t sz = sizeof(T);
  int64_t kc = std::clamp<int64_t>(ci.l1d / 2 / (k.nr * sz), 64, 1024) / 8 * 8;
  kc = std::min(K, round_up(ceil_div(K, ceil_div(K, kc)), 8));
  int64_t mc = std::max<int64_t>(k.mr, ci.l2 / 2 / (kc * sz) / k.mr * k.mr);
  mc = std::min(round_up(M, k.mr), round_up(ceil_div(M, ceil_div(M, mc)), k.mr));
  int64_t nc = std::max<int64_t>(k.nr, ci.l3 / 8 / (kc * sz) / k.nr * k.nr);
  nc = std::min(round_up(N, k.nr), round_up(ceil_div(N, ceil_div(N, nc)), k.nr));
  return {kc, mc, nc};
}

// Per-thread packing memory, kept between calls (pool threads live for the process) and grown
// on demand.
class PackBuffer {
 public:
  template <class T> T* get(int64_t elems) {
    size_t bytes = size_t(elems) * sizeof(T);
    if (bytes > cap_) {
      release();
      // 2 MiB-aligned and marked for transparent huge pages: the packed A block alone spans 64
      // small pages, as many as the L1 TLB holds.
      cap_ = (bytes + kHuge - 1) / kHuge * kHuge;
      p_ = std::aligned_alloc(kHuge, cap_);
      if (!p_) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
      madvise(p_, cap_, MADV_HUGEPAGE);
#endif
    }
    return static_cast<T*>(p_);
  }
  ~PackBuffer() { release(); }

 private:
  void release() {
    std::free(p_);
    p_ = nullptr;
    cap_ = 0;
  }
  static constexpr size_t kHuge = size_t(2) << 20;
  void* p_ = nullptr;
  size_t cap_ = 0;
};
thread_local PackBuffer t_pack_a, t_pack_b;

// One matrix (or a tile of one): the packed, blocked product on the calling thread. bias, mask
// and relu as GemmArgs' (pointers at this block's origin).
template <class T> struct Block {
  int64_t M, N, K;
  const T* a;
  int64_t a_rs, a_cs;
  const T* b;
  int64_t b_rs, b_cs;
  T* c;
  int64_t c_rs, c_cs;
  const T* bias = nullptr;
  int64_t bias_rs = 0, bias_cs = 0;
  const T* mask = nullptr;
  int64_t m_rs = 0, m_cs = 0;
  bool relu = false;
};

// max(v, 0) with NaN kept, as the relu op (-0 becomes +0).
template <class T> inline T relu1(T v) { return v > T(0) || v != v ? v : T(0); }

// pack_a of A's elements where mask > 0 (zeros elsewhere). Scalar: the masked backward product
// packs A once per NC-wide slab, a small share of its arithmetic. The loop order follows A's
// layout (a transposed gradient, the weight gradient's A, is read along its columns): reading
// across the other way strides by a row per element and thrashes L1.
// Branch-free: the mask of a ReLU's output is random, and a branch per element mispredicted half
// the time (3x the product's own packing). Both values are loaded, so the compiler can select.
template <class T> inline T masked(T v, T m) { return m > T(0) ? v : T(0); }

template <class T> void pack_a_masked(int mr, int64_t mc, int64_t kc, const T* a, int64_t rs, int64_t cs, const T* mk,
                                      int64_t mrs, int64_t mcs, T* dst) {
  for (int64_t i0 = 0; i0 < mc; i0 += mr, dst += mr * kc) {
    const int m = int(std::min<int64_t>(mr, mc - i0));
    const T* src = a + i0 * rs;
    const T* msk = mk + i0 * mrs;
    if (m < mr)  // the last panel's padding rows
      for (int64_t k = 0; k < kc; ++k)
        for (int i = m; i < mr; ++i) dst[k * mr + i] = T(0);
    if (rs == 1 && mrs == 1) {
      for (int64_t k = 0; k < kc; ++k)
        for (int i = 0; i < m; ++i) dst[k * mr + i] = masked(src[k * cs + i], msk[k * mcs + i]);
    } else {
      for (int i = 0; i < m; ++i)
        for (int64_t k = 0; k < kc; ++k) dst[k * mr + i] = masked(src[i * rs + k * cs], msk[i * mrs + k * mcs]);
    }
  }
}

// packed: B packed whole (pack_b_whole, npad columns a slice), this block's columns starting at
// global column n_off; or null, and B is packed here panel by panel.
template <class T> void gemm_block(const GemmKernels<T>& kr, const Blocking& bl, const Block<T>& p, T alpha, T beta,
                                   const T* packed = nullptr, int64_t npad = 0, int64_t n_off = 0) {
  T* bp = packed ? nullptr : t_pack_b.get<T>(bl.kc * bl.nc);
  T* ap = t_pack_a.get<T>(bl.kc * bl.mc + 16);  // + slack for pack_rows6's overhanging stores
  for (int64_t jc = 0; jc < p.N; jc += bl.nc) {
    const int64_t nc = std::min(bl.nc, p.N - jc);
    for (int64_t pc = 0; pc < p.K; pc += bl.kc) {
      const int64_t kc = std::min(bl.kc, p.K - pc);
      if (packed)
        bp = const_cast<T*>(packed + pc * npad + (n_off + jc) * kc);  // read only
      else
        kr.pack_b(kc, nc, p.b + pc * p.b_rs + jc * p.b_cs, p.b_rs, p.b_cs, bp);
      // Later K slices accumulate onto the first; with a bias the first accumulates onto it.
      const bool first = pc == 0, last = pc + kc >= p.K;
      const T beta_k = first && !p.bias ? beta : T(1);
      for (int64_t ic = 0; ic < p.M; ic += bl.mc) {
        const int64_t mc = std::min(bl.mc, p.M - ic);
        if (p.mask)
          pack_a_masked(kr.mr, mc, kc, p.a + ic * p.a_rs + pc * p.a_cs, p.a_rs, p.a_cs,
                        p.mask + ic * p.m_rs + pc * p.m_cs, p.m_rs, p.m_cs, ap);
        else
          kr.pack_a(mc, kc, p.a + ic * p.a_rs + pc * p.a_cs, p.a_rs, p.a_cs, ap);
        for (int64_t jr = 0; jr < nc; jr += kr.nr) {
          const int n = int(std::min<int64_t>(kr.nr, nc - jr));
          for (int64_t ir = 0; ir < mc; ir += kr.mr) {
            const int m = int(std::min<int64_t>(kr.mr, mc - ir));
            T* ct = p.c + (ic + ir) * p.c_rs + (jc + jr) * p.c_cs;
            if (first && p.bias) {  // the tile starts as the bias, while it is brought into L1
              const T* bt = p.bias + (ic + ir) * p.bias_rs + (jc + jr) * p.bias_cs;
              for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j) ct[i * p.c_rs + j * p.c_cs] = bt[i * p.bias_rs + j * p.bias_cs];
            }
            kr.micro(kc, ap + ir * kc, bp + jr * kc, ct, p.c_rs, p.c_cs, m, n, alpha, beta_k);
            if (last && p.relu)
              for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j) {
                  T& v = ct[i * p.c_rs + j * p.c_cs];
                  v = relu1(v);
                }
          }
        }
      }
    }
  }
}

// f(C element, i, j) over every C element of g.
template <class T, class F> void for_each_c(const GemmArgs<T>& g, F f) {
  for (int64_t bi = 0; bi < g.batch; ++bi)
    for (int64_t i = 0; i < g.M; ++i)
      for (int64_t j = 0; j < g.N; ++j) f(g.c[bi * g.c_bs + i * g.c_rs + j * g.c_cs], i, j);
}

// C = beta * C (or the bias) for an empty inner dimension (beta == 0 writes zeros, ignoring what
// C held).
template <class T> void scale_c(const GemmArgs<T>& g) {
  for_each_c(g, [&](T& v, int64_t i, int64_t j) {
    v = g.bias ? g.bias[i * g.bias_rs + j * g.bias_cs] : g.beta == T(0) ? T(0) : g.beta * v;
    if (g.relu) v = relu1(v);
  });
}

// The thread grid tm x tn (tm * tn == nt) for one matrix that keeps the largest tile smallest,
// then duplicates the least packing (each row of tiles packs its A rows once per column of tiles,
// and vice versa).
std::pair<int, int> thread_grid(int nt, int64_t M, int64_t N, int64_t K, int mr, int nr) {
  std::pair<int, int> best{nt, 1};
  double best_cost = -1;
  for (int tm = 1; tm <= nt; ++tm) {
    if (nt % tm) continue;
    const int tn = nt / tm;
    const double tile = double(ceil_div(ceil_div(M, mr), tm) * mr) * double(ceil_div(ceil_div(N, nr), tn) * nr);
    const double cost = tile * double(K) + double(tn) * M * K + double(tm) * K * N;
    if (best_cost < 0 || cost < best_cost) best_cost = cost, best = {tm, tn};
  }
  return best;
}

template <class T> void gemv_batched(const GemmKernels<T>& kr, const GemmArgs<T>& g) {
  // N == 1: y = A x with x the column of B. M == 1: y^T = B^T a^T, the same with A := B^T.
  const bool col = g.N == 1;
  const int64_t m = col ? g.M : g.N;
  const T* A = col ? g.a : g.b;
  const int64_t a_bs = col ? g.a_bs : g.b_bs, rs = col ? g.a_rs : g.b_cs, cs = col ? g.a_cs : g.b_rs;
  const T* x = col ? g.b : g.a;
  const int64_t x_bs = col ? g.b_bs : g.a_bs, incx = col ? g.b_rs : g.a_cs;
  const int64_t incy = col ? g.c_rs : g.c_cs;
  const int64_t rows = g.batch * m;
  // About 32K multiply-adds per chunk; fewer than two chunks' worth runs inline.
  parallel_for(0, rows, std::max<int64_t>(1, (1 << 15) / g.K), [&](int64_t r0, int64_t r1) {
    while (r0 < r1) {  // a chunk may span batch boundaries
      const int64_t bi = r0 / m, i0 = r0 % m, i1 = std::min(m, i0 + (r1 - r0));
      kr.gemv(i1 - i0, g.K, g.alpha, A + bi * a_bs + i0 * rs, rs, cs, x + bi * x_bs, incx, g.beta,
              g.c + bi * g.c_bs + i0 * incy, incy);
      r0 += i1 - i0;
    }
  });
}

// GFLOP/s of kernel set k on one thread for a product the size of a small layer (192 x 256 x
// 256, ~25 MFLOP, a fraction of a millisecond): the best of 5 runs (the first also pays the
// first touch of the packing buffers).
double time_kernels(const GemmKernels<float>& k) {
  constexpr int64_t M = 192, N = 256, K = 256;
  static std::vector<float> a(M * K, 0.5f), b(K * N, 0.25f), c(M * N);
  const Blocking bl = blocking_for(k, M, N, K);
  const Block<float> p{M, N, K, a.data(), K, 1, b.data(), N, 1, c.data(), N, 1};
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    gemm_block(k, bl, p, 1.0f, 0.0f);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return 2.0 * M * N * K / best / 1e9;
}

// The level from the table, or measured: AVX-512 unless AVX2 is more than 3% faster (a tie goes
// to the wider kernel, which also halves the packing per FLOP).
GemmChoice choose() {
  const CpuInfo& ci = cpu_info();
  GemmChoice c{ci.detected, "table"};
  const char* env = std::getenv("TENSORKIT_GEMM_CALIBRATE");
  const bool force = env && *env && std::strcmp(env, "0") != 0;
  if (!force && gemm_level_from_table(ci, &c.level)) return c;
  const SimdGemmKernels* wide = ci.detected >= Capability::Avx512 ? gemm_kernels_avx512() : nullptr;
  const SimdGemmKernels* narrow = ci.detected >= Capability::Avx2 ? gemm_kernels_avx2() : nullptr;
  if (!wide || !narrow) {  // one candidate: the instruction set decides
    c.source = "instruction set";
    c.level = wide ? Capability::Avx512 : narrow ? Capability::Avx2 : Capability::Default;
    return c;
  }
  c.source = "calibrated";
  for (int r = 0; r < 2; ++r) {  // alternated, so a frequency ramp hits both
    c.avx512_gflops = std::max(c.avx512_gflops, time_kernels(wide->f32));
    c.avx2_gflops = std::max(c.avx2_gflops, time_kernels(narrow->f32));
  }
  c.level = c.avx2_gflops > 1.03 * c.avx512_gflops ? Capability::Avx2 : Capability::Avx512;
  return c;
}

}  // namespace

GemmChoice gemm_choice() {
  static std::once_flag once;
  static GemmChoice chosen;
  std::call_once(once, [] { chosen = choose(); });
  GemmChoice c = chosen;
  const Capability act = active_capability();
  if (act < c.level) c.level = act, c.source = "lowered";
  return c;
}

// C = alpha * (A masked) @ b + (bias or beta * C), relu, for N == 1: a linear layer's bias
// gradient, the masked gradient's column sums (A = g^T, b = ones). k outer, so a transposed A
// (rows contiguous along i, the usual case) streams; serial, as its work is a pass over A. Sums
// in double (int64 for integers) in k order, as the sum op, so the bias gradient is the one the
// unfused layer gets.
template <class T> void masked_gemv(const GemmArgs<T>& g) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  std::vector<Acc> acc(size_t(g.M));
  for (int64_t bi = 0; bi < g.batch; ++bi) {
    std::fill(acc.begin(), acc.end(), Acc(0));
    const T* a = g.a + bi * g.a_bs;
    const T* mk = g.a_mask + bi * g.am_bs;
    for (int64_t k = 0; k < g.K; ++k) {
      const T xk = g.b[bi * g.b_bs + k * g.b_rs];
      for (int64_t i = 0; i < g.M; ++i)
        acc[i] += Acc(masked(a[i * g.a_rs + k * g.a_cs], mk[i * g.am_rs + k * g.am_cs])) * Acc(xk);
    }
    for (int64_t i = 0; i < g.M; ++i) {
      T& v = g.c[bi * g.c_bs + i * g.c_rs];
      v = g.alpha * T(acc[i]) + (g.bias ? g.bias[i * g.bias_rs] : g.beta == T(0) ? T(0) : g.beta * v);
      if (g.relu) v = relu1(v);
    }
  }
}

template <class T> void gemm(const GemmArgs<T>& g) {
  if (g.batch == 0 || g.M == 0 || g.N == 0) return;
  if (g.K == 0) return scale_c(g);
  const GemmKernels<T>& kr = kernels_for<T>();
  const bool vector = g.M == 1 || g.N == 1;
  // A C narrower than half a micro-tile (a classifier's 10 outputs) would leave most of each
  // NR-wide tile empty: compute C^T = B^T A^T instead, whose narrow side runs down the MR rows. The
  // same products are summed in the same k order, so the result is the same to the bit.
  const bool transpose = !vector && g.N * 2 < kr.nr && g.M > g.N;
  if (g.a_mask && g.N == 1 && g.M > 1) return masked_gemv(g);
  if (g.a_mask && (vector || transpose)) {
    // The other paths that do not pack A (a row vector A, a narrow C): mask a copy of A once.
    std::vector<T> am(size_t(g.batch * g.M * g.K));
    T* d = am.data();
    for (int64_t bi = 0; bi < g.batch; ++bi)
      for (int64_t i = 0; i < g.M; ++i)
        for (int64_t k = 0; k < g.K; ++k)
          *d++ = masked(g.a[bi * g.a_bs + i * g.a_rs + k * g.a_cs], g.a_mask[bi * g.am_bs + i * g.am_rs + k * g.am_cs]);
    GemmArgs<T> u = g;
    u.a = am.data(), u.a_bs = g.M * g.K, u.a_rs = g.K, u.a_cs = 1;
    u.a_mask = nullptr;
    return gemm(u);
  }
  if (vector) {
    GemmArgs<T> u = g;
    if (g.bias) {  // C starts as the bias, as in the packed product
      for_each_c(g, [&](T& v, int64_t i, int64_t j) { v = g.bias[i * g.bias_rs + j * g.bias_cs]; });
      u.beta = T(1);
    }
    gemv_batched(kr, u);
    if (g.relu) for_each_c(g, [](T& v, int64_t, int64_t) { v = relu1(v); });
    return;
  }
  if (transpose) {
    GemmArgs<T> t = g;
    t.packed_b = nullptr;
    t.M = g.N, t.N = g.M;
    t.a = g.b, t.a_bs = g.b_bs, t.a_rs = g.b_cs, t.a_cs = g.b_rs;
    t.b = g.a, t.b_bs = g.a_bs, t.b_rs = g.a_cs, t.b_cs = g.a_rs;
    t.c_rs = g.c_cs, t.c_cs = g.c_rs;
    t.bias_rs = g.bias_cs, t.bias_cs = g.bias_rs;
    return gemm(t);
  }

  const double macs = double(g.batch) * g.M * g.N * g.K;
  const int nt = macs < kMinParallelMacs ? 1 : get_num_threads();
  const Blocking bl = blocking_for(kr, g.M, g.N, g.K);
  const int64_t npad = round_up(g.N, kr.nr);
  // The block of batch entry bi at rows m0 and columns n0 (its size set by the caller).
  auto block_at = [&](int64_t bi, int64_t m0, int64_t n0) {
    Block<T> p{g.M,
               g.N,
               g.K,
               g.a + bi * g.a_bs + m0 * g.a_rs,
               g.a_rs,
               g.a_cs,
               g.b + bi * g.b_bs + n0 * g.b_cs,
               g.b_rs,
               g.b_cs,
               g.c + bi * g.c_bs + m0 * g.c_rs + n0 * g.c_cs,
               g.c_rs,
               g.c_cs};
    if (g.bias) p.bias = g.bias + m0 * g.bias_rs + n0 * g.bias_cs, p.bias_rs = g.bias_rs, p.bias_cs = g.bias_cs;
    if (g.a_mask) p.mask = g.a_mask + bi * g.am_bs + m0 * g.am_rs, p.m_rs = g.am_rs, p.m_cs = g.am_cs;
    p.relu = g.relu;
    return p;
  };
  auto whole = [&](int64_t bi) { gemm_block(kr, bl, block_at(bi, 0, 0), g.alpha, g.beta, g.packed_b, npad, 0); };
  if (nt == 1) {
    for (int64_t bi = 0; bi < g.batch; ++bi) whole(bi);
    return;
  }
  // Many matrices: whole matrices per thread, as long as that balances.
  if (g.batch % nt == 0 || g.batch >= 4 * nt) {
    parallel_for(0, g.batch, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t bi = b0; bi < b1; ++bi) whole(bi);
    });
    return;
  }
  // Few matrices: each is cut into a tm x tn grid of tiles on MR/NR boundaries, one per thread.
  // Each tile is an independent product that packs its own rows of A and columns of B, so the
  // threads never wait on one another.
  const auto [tm, tn] = thread_grid(nt, g.M, g.N, g.K, kr.mr, kr.nr);
  const int64_t um = ceil_div(g.M, kr.mr), un = ceil_div(g.N, kr.nr);
  for (int64_t bi = 0; bi < g.batch; ++bi) {
    parallel_for(0, int64_t(tm) * tn, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t ti = t / tn, tj = t % tn;
        const int64_t m0 = std::min(g.M, um * ti / tm * kr.mr), m1 = std::min(g.M, um * (ti + 1) / tm * kr.mr);
        const int64_t n0 = std::min(g.N, un * tj / tn * kr.nr), n1 = std::min(g.N, un * (tj + 1) / tn * kr.nr);
        if (m0 >= m1 || n0 >= n1) continue;
        Block<T> p = block_at(bi, m0, n0);
        p.M = m1 - m0, p.N = n1 - n0;
        gemm_block(kr, blocking_for(kr, p.M, p.N, p.K), p, g.alpha, g.beta, g.packed_b, npad, n0);
      }
    });
  }
}

template <class T> bool gemm_packs_b(const GemmArgs<T>& g) {
  const GemmKernels<T>& kr = kernels_for<T>();
  return g.batch > 0 && g.M > 1 && g.N > 1 && g.K > 0 && !(g.N * 2 < kr.nr && g.M > g.N);
}

template <class T> std::vector<T> pack_b_whole(const GemmArgs<T>& g) {
  const GemmKernels<T>& kr = kernels_for<T>();
  // kc depends on K alone (blocking_for), so every tile and thread of a later product slices K
  // exactly as this packing does.
  const int64_t kc = blocking_for(kr, g.M, g.N, g.K).kc, npad = round_up(g.N, kr.nr);
  std::vector<T> out(size_t(g.K * npad));
  for (int64_t pc = 0; pc < g.K; pc += kc)
    kr.pack_b(std::min(kc, g.K - pc), g.N, g.b + pc * g.b_rs, g.b_rs, g.b_cs, out.data() + pc * npad);
  return out;
}

template void gemm<float>(const GemmArgs<float>&);
template void gemm<double>(const GemmArgs<double>&);
template void gemm<int32_t>(const GemmArgs<int32_t>&);
template void gemm<int64_t>(const GemmArgs<int64_t>&);
#define TK_GEMM_PACK(T)                              \
  template bool gemm_packs_b<T>(const GemmArgs<T>&); \
  template std::vector<T> pack_b_whole<T>(const GemmArgs<T>&);
TK_GEMM_PACK(float)
TK_GEMM_PACK(double)
TK_GEMM_PACK(int32_t)
TK_GEMM_PACK(int64_t)
#undef TK_GEMM_PACK

}  // namespace tk::cpu
