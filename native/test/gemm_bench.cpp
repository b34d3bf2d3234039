// GEMM throughput on the bare C++ API (no Node): GFLOP/s per shape, best of several runs.
// With TK_OPENBLAS=<path to an OpenBLAS .so> (e.g. the one inside numpy.libs) it also times
// OpenBLAS's cblas_?gemm, alternating call by call so both see the same machine load.
// Usage: tk_gemm_bench <threads> <f32|f64> [N | MxKxN ...]
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tk/cpu_info.h"
#include "cpu/gemm/gemm.h"
#include "tk/parallel.h"

namespace {
using SGemm = void (*)(int, int, int, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,
                       float, float*, int64_t);
using DGemm = void (*)(int, int, int, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*, int64_t,
                       double, double*, int64_t);
SGemm g_sgemm;
DGemm g_dgemm;

void load_openblas(int threads) {
  const char* path = std::getenv("TK_OPENBLAS");
  if (!path) return;
  void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) return (void)std::fprintf(stderr, "dlopen: %s\n", dlerror());
  for (const char* n : {"cblas_sgemm", "scipy_cblas_sgemm64_", "cblas_sgemm64_"})
    if (!g_sgemm) g_sgemm = reinterpret_cast<SGemm>(dlsym(h, n));
  for (const char* n : {"cblas_dgemm", "scipy_cblas_dgemm64_", "cblas_dgemm64_"})
    if (!g_dgemm) g_dgemm = reinterpret_cast<DGemm>(dlsym(h, n));
  for (const char* n : {"openblas_set_num_threads", "scipy_openblas_set_num_threads64_"})
    if (auto f = reinterpret_cast<void (*)(int)>(dlsym(h, n))) f(threads);
}

double seconds(auto&& fn, int reps) {
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

template <class T> void run(int64_t M, int64_t N, int64_t K) {
  std::vector<T> a(M * K), b(K * N), c(M * N);
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> d(-1, 1);
  for (auto& v : a) v = T(d(rng));
  for (auto& v : b) v = T(d(rng));
  tk::cpu::GemmArgs<T> g;
  g.M = M, g.N = N, g.K = K;
  g.a = a.data(), g.a_rs = K, g.a_cs = 1;
  g.b = b.data(), g.b_rs = N, g.b_cs = 1;
  g.c = c.data(), g.c_rs = N, g.c_cs = 1;
  auto ours = [&] { tk::cpu::gemm(g); };
  auto theirs = [&] {
    if constexpr (std::is_same_v<T, float>)
      g_sgemm(101, 111, 111, M, N, K, 1.f, a.data(), K, b.data(), N, 0.f, c.data(), N);
    else
      g_dgemm(101, 111, 111, M, N, K, 1.0, a.data(), K, b.data(), N, 0.0, c.data(), N);
  };
  const bool cmp = std::is_same_v<T, float> ? g_sgemm != nullptr : g_dgemm != nullptr;
  const double flops = 2.0 * M * N * K;
  const int reps = std::max(1, int(2e7 / flops));
  double best = 1e30, best_ref = 1e30;
  ours();
  if (cmp) theirs();
  for (int r = 0; r < 60; ++r) {
    best = std::min(best, seconds(ours, reps));
    if (cmp) best_ref = std::min(best_ref, seconds(theirs, reps));
  }
  char shape[64];
  std::snprintf(shape, sizeof shape, "%lldx%lldx%lld", (long long)M, (long long)K, (long long)N);
  std::printf("%-16s %7.1f GFLOP/s", shape, flops / best / 1e9);
  if (cmp) std::printf("   openblas %7.1f   ratio %.2f", flops / best_ref / 1e9, best_ref / best);
  std::printf("\n");
}
}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const bool f64 = argc > 2 && !std::strcmp(argv[2], "f64");
  tk::set_num_threads(threads);
  load_openblas(threads);
  std::vector<std::string> shapes(argv + std::min(argc, 3), argv + argc);
  if (shapes.empty()) shapes = {"64", "128", "256", "512", "1024", "2048", "64x784x256"};
  std::printf("capability %s, %d thread(s), %s\n",
              std::string(tk::cpu::capability_name(tk::cpu::active_capability())).c_str(), threads,
              f64 ? "f64" : "f32");
  for (const std::string& s : shapes) {
    long long m, k, n;
    if (std::sscanf(s.c_str(), "%lldx%lldx%lld", &m, &k, &n) != 3) m = k = n = std::atoll(s.c_str());
    f64 ? run<double>(m, n, k) : run<float>(m, n, k);
  }
}
