// Portable GEMM kernels over the compiler's 16-byte vector extension: SSE2 on any x86-64, NEON on
// arm64. Also the integer kernels (int32, int64) everywhere.
#include <cstdint>
#include <cstring>

#include "cpu/gemm/gemm.h"

namespace {
template <class T_, int L_> struct Vec16 {
  using T = T_;
  static constexpr int L = L_;
  typedef T R __attribute__((vector_size(sizeof(T_) * L_)));
  static R zero() { return R{}; }
  static R set1(T x) { return R{} + x; }
  static R load(const T* p) {
    R r;
    std::memcpy(&r, p, sizeof r);
    return r;
  }
  static void store(T* p, R r) { std::memcpy(p, &r, sizeof r); }
  static R fma(R a, R b, R c) { return a * b + c; }
  static R mul(R a, R b) { return a * b; }
  static R add(R a, R b) { return a + b; }
  static T hsum(R r) {
    T s = 0;
    for (int i = 0; i < L; ++i) s += r[i];
    return s;
  }
};
}  // namespace

#include "cpu/gemm/kernel.h"

namespace tk::cpu {
const GemmKernels<float>& gemm_kernels_generic_f32() {
  static const auto k = GemmImpl<Vec16<float, 4>, 4, 2>::table();
  return k;
}
const GemmKernels<double>& gemm_kernels_generic_f64() {
  static const auto k = GemmImpl<Vec16<double, 2>, 4, 2>::table();
  return k;
}
const GemmKernels<int32_t>& gemm_kernels_generic_i32() {
  static const auto k = GemmImpl<Vec16<int32_t, 4>, 4, 2>::table();
  return k;
}
const GemmKernels<int64_t>& gemm_kernels_generic_i64() {
  static const auto k = GemmImpl<Vec16<int64_t, 2>, 4, 2>::table();
  return k;
}
}  // namespace tk::cpu
