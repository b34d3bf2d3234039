// Dense factorizations on the CPU: each matrix of the batch is one task of the thread pool, run by
// the bodies shared with the CUDA kernels (kernels/linalg.h). Inputs are float64 and contiguous
// (the op layer, ops/linalg_decomp.cpp, makes them so).
#include <algorithm>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "kernels/linalg.h"
#include "tk/parallel.h"

namespace tk::cpu {
namespace {
namespace la = kernels::linalg;

int64_t batch_of(const Tensor& t) { return t.ndim() > 2 ? t.shape()[0] : 1; }
int64_t rows(const Tensor& t) { return t.shape()[t.ndim() - 2]; }
int64_t cols(const Tensor& t) { return t.shape()[t.ndim() - 1]; }

// fn(b) for every matrix b of the batch, a few per task when they are small.
template <class Fn> void each_matrix(int64_t B, int64_t flops, Fn fn) {
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(flops, 1));
  parallel_for(0, B, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) fn(i);
  });
}

void cholesky(const Tensor& a, const Tensor& info) {
  const int64_t B = batch_of(a), n = rows(a);
  double* p = a.data<double>();
  int32_t* inf = info.data<int32_t>();
  each_matrix(B, n * n * n, [&](int64_t b) { inf[b] = int32_t(la::cholesky(p + b * n * n, n)); });
}

void lu_factor(const Tensor& a, const Tensor& piv, const Tensor& info) {
  const int64_t B = batch_of(a), m = rows(a), n = cols(a), k = std::min(m, n);
  double* p = a.data<double>();
  int32_t* pv = piv.data<int32_t>();
  int32_t* inf = info.data<int32_t>();
  each_matrix(B, m * n * k, [&](int64_t b) { inf[b] = int32_t(la::lu_factor(p + b * m * n, m, n, pv + b * k)); });
}

void solve_triangular(const Tensor& a, const Tensor& x, bool upper, bool unit) {
  const int64_t B = batch_of(a), n = rows(a), r = cols(x);
  const double* ap = a.data<double>();
  double* xp = x.data<double>();
  each_matrix(B, n * n * r,
              [&](int64_t b) { la::solve_triangular(ap + b * n * n, xp + b * n * r, n, r, upper, unit); });
}

void eigh(const Tensor& a, bool lower, const Tensor& w, const Tensor& v) {
  const int64_t B = batch_of(a), n = rows(a);
  double* ap = a.data<double>();
  double* wp = w.data<double>();
  double* vp = v.data<double>();
  each_matrix(B, 8 * n * n * n, [&](int64_t b) { la::eigh(ap + b * n * n, n, lower, wp + b * n, vp + b * n * n); });
}

void svd(const Tensor& wt, const Tensor& s, const Tensor& u, const Tensor& vt, bool sign_u) {
  const int64_t B = batch_of(wt), n = rows(wt), m = cols(wt), uc = cols(u);
  double* wp = wt.data<double>();
  double* sp = s.data<double>();
  double* up = u.data<double>();
  double* vp = vt.data<double>();
  each_matrix(B, 8 * m * n * n, [&](int64_t b) {
    la::svd(wp + b * n * m, m, n, sp + b * n, up + b * m * uc, uc, vp + b * n * n, sign_u);
  });
}

void qr(const Tensor& r, const Tensor& q) {
  const int64_t B = batch_of(r), m = rows(r), n = cols(r), qc = q.defined() ? cols(q) : 0;
  double* rp = r.data<double>();
  double* qp = q.defined() ? q.data<double>() : nullptr;
  each_matrix(B, 4 * m * n * std::min(m, n), [&](int64_t b) {
    std::vector<double> work(size_t(la::qr_work(m, n)));
    la::qr(rp + b * m * n, m, n, qp ? qp + b * m * qc : nullptr, qc, work.data());
  });
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

}  // namespace tk::cpu
