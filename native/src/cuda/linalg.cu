// Dense factorizations on a GPU: one thread per matrix of the batch, running the bodies shared
// with the CPU kernels (kernels/linalg.h) on float64 in global memory. Correct for any size, but
// only fast for large batches of small matrices (PyTorch calls cuSOLVER/MAGMA here); the op
// layer (ops/linalg_decomp.cpp) prepares contiguous float64 inputs as for the CPU.
#include "cuda/launch.h"
#include "kernels/linalg.h"

namespace tk::cuda {
namespace {
namespace la = kernels::linalg;

__global__ void cholesky_kernel(double* a, int32_t* info, int64_t B, int64_t n) {
  TK_GRID_STRIDE(b, B) info[b] = int32_t(la::cholesky(a + b * n * n, n, n));
}
__global__ void lu_kernel(double* a, int32_t* piv, int32_t* info, int64_t B, int64_t m, int64_t n) {
  const int64_t k = m < n ? m : n;
  TK_GRID_STRIDE(b, B) info[b] = int32_t(la::lu_factor(a + b * m * n, m, n, piv + b * k, n));
}
__global__ void trsm_kernel(const double* a, double* x, int64_t B, int64_t n, int64_t r, bool upper, bool unit) {
  TK_GRID_STRIDE(b, B) la::solve_triangular(a + b * n * n, x + b * n * r, n, r, upper, unit, n, r);
}
__global__ void eigh_kernel(double* a, bool lower, double* w, double* v, int64_t B, int64_t n) {
  TK_GRID_STRIDE(b, B) la::eigh(a + b * n * n, n, lower, w + b * n, v + b * n * n);
}
__global__ void svd_kernel(double* wt, double* s, double* u, double* vt, int64_t B, int64_t m, int64_t n, int64_t uc,
                           bool sign_u) {
  TK_GRID_STRIDE(b, B) la::svd(wt + b * n * m, m, n, s + b * n, u + b * m * uc, uc, vt + b * n * n, sign_u);
}
__global__ void qr_kernel(double* r, double* q, double* tau, double* work, int64_t B, int64_t m, int64_t n,
                          int64_t qc) {
  const int64_t w = la::qr_work(m, n), k = m < n ? m : n;
  TK_GRID_STRIDE(b, B)
  la::qr(r + b * m * n, m, n, q ? q + b * m * qc : nullptr, qc, work + b * w, tau ? tau + b * k : nullptr);
}

int64_t dim(const Tensor& t, int k) { return t.shape()[size_t(k)]; }

void cholesky(const Tensor& a, const Tensor& info) {
  launch(cholesky_kernel, dim(a, 0), a, "linalg.cholesky", a.data<double>(), info.data<int32_t>(), dim(a, 0),
         dim(a, 1));
}
void lu_factor(const Tensor& a, const Tensor& piv, const Tensor& info) {
  launch(lu_kernel, dim(a, 0), a, "linalg.lu_factor", a.data<double>(), piv.data<int32_t>(), info.data<int32_t>(),
         dim(a, 0), dim(a, 1), dim(a, 2));
}
void solve_triangular(const Tensor& a, const Tensor& x, bool upper, bool unit) {
  launch(trsm_kernel, dim(a, 0), a, "linalg.solve_triangular", a.data<double>(), x.data<double>(), dim(a, 0), dim(a, 1),
         dim(x, 2), upper, unit);
}
void eigh(const Tensor& a, bool lower, const Tensor& w, const Tensor& v) {
  launch(eigh_kernel, dim(a, 0), a, "linalg.eigh", a.data<double>(), lower, w.data<double>(), v.data<double>(),
         dim(a, 0), dim(a, 1));
}
void svd(const Tensor& wt, const Tensor& s, const Tensor& u, const Tensor& vt, bool sign_u) {
  launch(svd_kernel, dim(wt, 0), wt, "linalg.svd", wt.data<double>(), s.data<double>(), u.data<double>(),
         vt.data<double>(), dim(wt, 0), dim(wt, 2), dim(wt, 1), dim(u, 2), sign_u);
}
void qr(const Tensor& r, const Tensor& q, const Tensor& tau) {
  const int64_t B = dim(r, 0), m = dim(r, 1), n = dim(r, 2);
  // Freed when this returns, while the kernel may still be queued: safe, the allocator's reuse
  // is ordered on the same stream (caching_allocator.h).
  Tensor work = Tensor::empty({B, la::qr_work(m, n)}, DType::Float64, r.device(), "linalg.qr");
  launch(qr_kernel, B, r, "linalg.qr", r.data<double>(), q.defined() ? q.data<double>() : nullptr,
         tau.defined() ? tau.data<double>() : nullptr, work.data<double>(), B, m, n,
         q.defined() ? dim(q, 2) : int64_t(0));
}

}  // namespace

void register_linalg(Backend& b) {
  b.cholesky = cholesky;
  b.lu_factor = lu_factor;
  b.solve_triangular = solve_triangular;
  b.eigh = eigh;
  b.svd = svd;
  b.qr = qr;
}

}  // namespace tk::cuda
