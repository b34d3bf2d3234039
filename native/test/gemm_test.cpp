// The CPU GEMM against a double-precision triple loop, for every kernel this machine can run
// (portable, AVX2, AVX-512): edge sizes (1, primes, just over a block), every operand layout
// (row-major, transposed, strided), alpha/beta (beta == 0 must ignore NaN in C), batches, int
// dtypes, one thread and several.
#include <cmath>
#include <cstring>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "tk/cpu_info.h"
#include "cpu/gemm/gemm.h"
#include "tk/parallel.h"

namespace {
int failures = 0;
std::mt19937 rng(7);

template <class T> T random_value() {
  if constexpr (std::is_integral_v<T>)
    return T(std::uniform_int_distribution<int>(-4, 4)(rng));
  else
    return T(std::uniform_real_distribution<double>(-1, 1)(rng));
}

// A matrix of r x c stored with a layout: 0 row-major, 1 column-major, 2 row-major with a padded
// row stride and every other column (strided both ways).
template <class T> struct Mat {
  std::vector<T> buf;
  int64_t rs, cs;
  Mat(int64_t r, int64_t c, int layout) {
    if (layout == 0)
      rs = c, cs = 1;
    else if (layout == 1)
      rs = 1, cs = r;
    else
      cs = 2, rs = 2 * c + 3;
    buf.resize(size_t(std::max<int64_t>(1, (r - 1) * rs + (c - 1) * cs + 1)) + 8);
    for (auto& v : buf) v = random_value<T>();
  }
  T at(int64_t i, int64_t j) const { return buf[i * rs + j * cs]; }
};

template <class T>
void check(int64_t batch, int64_t M, int64_t N, int64_t K, int la, int lb, int lc, double alpha, double beta) {
  if constexpr (std::is_integral_v<T>) alpha = std::ceil(alpha), beta = std::ceil(beta);
  std::vector<Mat<T>> A, B, C;
  for (int64_t b = 0; b < batch; ++b) {
    A.emplace_back(M, K, la);
    B.emplace_back(K, N, lb);
    C.emplace_back(M, N, lc);
  }
  // Batches live in separate buffers here, so the batch stride is the distance between them
  // (GemmArgs takes one base pointer); copy them into one buffer per operand instead.
  auto flatten = [](std::vector<Mat<T>>& ms, int64_t& bs) {
    bs = int64_t(ms[0].buf.size());
    std::vector<T> all;
    for (auto& m : ms) all.insert(all.end(), m.buf.begin(), m.buf.end());
    return all;
  };
  if (beta == 0)
    for (auto& c : C)
      for (auto& v : c.buf) v = std::is_floating_point_v<T> ? T(NAN) : T(99);
  std::vector<Mat<T>> C0 = C;
  tk::cpu::GemmArgs<T> g;
  g.batch = batch, g.M = M, g.N = N, g.K = K, g.alpha = T(alpha), g.beta = T(beta);
  std::vector<T> a = flatten(A, g.a_bs), b = flatten(B, g.b_bs), c = flatten(C, g.c_bs);
  g.a = a.data(), g.a_rs = A[0].rs, g.a_cs = A[0].cs;
  g.b = b.data(), g.b_rs = B[0].rs, g.b_cs = B[0].cs;
  g.c = c.data(), g.c_rs = C[0].rs, g.c_cs = C[0].cs;
  tk::cpu::gemm(g);
  if (batch == 1 && tk::cpu::gemm_packs_b(g)) {  // B packed ahead (a graph's weight): the same bits
    std::vector<Mat<T>> C1 = C0;
    int64_t bs;
    std::vector<T> c1 = flatten(C1, bs);
    const std::vector<T> packed = tk::cpu::pack_b_whole(g);
    tk::cpu::GemmArgs<T> g1 = g;
    g1.c = c1.data(), g1.packed_b = packed.data();
    tk::cpu::gemm(g1);
    if (std::memcmp(c1.data(), c.data(), c.size() * sizeof(T)) != 0 && failures++ < 10)
      std::fprintf(stderr, "FAIL prepacked B differs: M=%lld N=%lld K=%lld layouts=%d%d%d\n", (long long)M,
                   (long long)N, (long long)K, la, lb, lc);
  }
  const double tol = std::is_same_v<T, float> ? 1e-5 * (K + 4) : 1e-12 * (K + 4);
  for (int64_t bi = 0; bi < batch; ++bi)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double ref = 0;
        for (int64_t k = 0; k < K; ++k) ref += double(A[bi].at(i, k)) * double(B[bi].at(k, j));
        ref *= alpha;
        if (beta != 0) ref += beta * double(C0[bi].at(i, j));
        const double got = double(c[bi * g.c_bs + i * g.c_rs + j * g.c_cs]);
        if (!(std::fabs(got - ref) <= tol * (1 + std::fabs(ref)))) {
          if (failures++ < 10)
            std::fprintf(stderr,
                         "FAIL %s gemm %s b=%lld M=%lld N=%lld K=%lld layouts=%d%d%d alpha=%g "
                         "beta=%g at [%lld,%lld,%lld]: got %g want %g\n",
                         std::string(tk::cpu::capability_name(tk::cpu::active_capability())).c_str(),
                         sizeof(T) == 4 ? "32-bit" : "64-bit", (long long)batch, (long long)M, (long long)N,
                         (long long)K, la, lb, lc, alpha, beta, (long long)bi, (long long)i, (long long)j, got, ref);
          return;
        }
      }
  // Elements of C's buffer outside the matrix (strided layout's gaps) must be untouched.
  if (lc == 2)
    for (int64_t bi = 0; bi < batch; ++bi)
      for (int64_t p = 0; p < g.c_bs; ++p) {
        const int64_t i = p / g.c_rs, r = p % g.c_rs;
        const bool inside = i < M && r % 2 == 0 && r / 2 < N;
        const T before = C0[bi].buf[p], after = c[bi * g.c_bs + p];
        if (!inside && !(before == after || (before != before && after != after))) {
          if (failures++ < 10) std::fprintf(stderr, "FAIL gemm wrote outside C at %lld\n", (long long)p);
          return;
        }
      }
}

template <class T> void sweep() {
  const int64_t sizes[] = {1, 2, 5, 7, 13, 17, 31, 64, 97};
  for (int64_t M : sizes)
    for (int64_t N : sizes)
      for (int64_t K : {int64_t(1), int64_t(3), int64_t(29), int64_t(67)})
        check<T>(1, M, N, K, int(M + N) % 3, int(N + K) % 3, 0, 1, 0);
  for (int la = 0; la < 3; ++la)
    for (int lb = 0; lb < 3; ++lb)
      for (int lc = 0; lc < 3; ++lc) {
        check<T>(1, 37, 41, 43, la, lb, lc, 1, 0);
        check<T>(2, 19, 23, 11, la, lb, lc, 2, 0.5);
        check<T>(1, 1, 33, 21, la, lb, lc, -1, 1);  // gemv shapes
        check<T>(1, 33, 1, 21, la, lb, lc, 3, 2);
      }
  // Larger than one block in every dimension (kc, mc and the thread split).
  check<T>(1, 300, 290, 600, 0, 0, 0, 1, 0);
  check<T>(1, 257, 519, 300, 1, 1, 0, 0.5, 2);
  check<T>(3, 130, 70, 90, 0, 1, 2, 1, 1);
  check<T>(5, 40, 40, 40, 1, 0, 0, 1, 0);
  check<T>(1, 5, 6, 0, 0, 0, 0, 1, 0);  // K == 0: C = 0 (NaN ignored)
  check<T>(1, 5, 6, 0, 0, 0, 0, 1, 3);  // K == 0: C = beta * C
  check<T>(1, 0, 6, 4, 0, 0, 0, 1, 0);
}

void all_dtypes() {
  sweep<float>();
  sweep<double>();
  sweep<int32_t>();
  sweep<int64_t>();
}
}  // namespace

int main() {
  using tk::cpu::Capability;
  const Capability top = tk::cpu::cpu_info().detected;
  for (int c = 0; c <= int(top); ++c) {
    tk::cpu::set_capability(Capability(c));
    for (int threads : {1, 2, 3}) {
      tk::set_num_threads(threads);
      all_dtypes();
    }
    std::printf("gemm %s: %s\n", std::string(tk::cpu::capability_name(Capability(c))).c_str(),
                failures ? "FAILED" : "ok");
  }
  return failures ? 1 : 0;
}
