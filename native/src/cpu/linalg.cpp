// Dense factorizations on the CPU: each matrix of the batch is one task of the thread pool, run by
// the bodies shared with the CUDA kernels (kernels/linalg.h). Inputs are float64 and contiguous
// (the op layer, ops/linalg_decomp.cpp, makes them so). LU, Cholesky, QR and triangular solves
// of large matrices are blocked here (LAPACK's right-looking getrf, potrf, geqrf/orgqr and blocked
// trsm): panels and diagonal blocks by the bodies, the O(n^3) updates by the GEMM (cpu/gemm),
// which also brings threads.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend.h"
#include "cpu/cpu.h"
#include "cpu/gemm/gemm.h"
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

constexpr int64_t kBlock = 64;

// c -= a @ b on blocks: a [M, K] and c [M, N] row-major with leading dims, b [K, N] with
// strides (b_rs, b_cs) (1 and a leading dim: a transposed block). c is disjoint from a and b.
void sub_product(const double* a, int64_t lda, const double* b, int64_t b_rs, int64_t b_cs, double* c, int64_t ldc,
                 int64_t M, int64_t N, int64_t K) {
  if (K > 0) gemm_strided(c, ldc, a, lda, 1, b, b_rs, b_cs, M, N, K, -1.0, 1.0);
}

// Right-looking blocked LU: factor a kBlock-wide panel (partial pivoting over all rows below),
// apply its row swaps to the other columns, solve for U's block row, update the trailing matrix
// by one GEMM. The same pivots and result as the unblocked loop, up to rounding.
int64_t lu_blocked(double* a, int64_t m, int64_t n, int32_t* piv) {
  const int64_t k = std::min(m, n);
  if (k < 2 * kBlock) return la::lu_factor(a, m, n, piv, n);
  int64_t info = 0;
  for (int64_t k0 = 0; k0 < k; k0 += kBlock) {
    const int64_t kb = std::min(kBlock, k - k0), rest = n - k0 - kb;
    const int64_t pinfo = la::lu_factor(a + k0 * n + k0, m - k0, kb, piv + k0, n);
    if (info == 0 && pinfo != 0) info = k0 + pinfo;
    for (int64_t j = k0; j < k0 + kb; ++j) {
      piv[j] += int32_t(k0);
      const int64_t p = piv[j] - 1;
      if (p == j) continue;
      for (int64_t c = 0; c < n; ++c)
        if (c < k0 || c >= k0 + kb) std::swap(a[j * n + c], a[p * n + c]);
    }
    if (rest == 0) continue;
    la::solve_triangular(a + k0 * n + k0, a + k0 * n + k0 + kb, kb, rest, false, true, n, n);
    sub_product(a + (k0 + kb) * n + k0, n, a + k0 * n + k0 + kb, n, 1, a + (k0 + kb) * n + k0 + kb, n, m - k0 - kb,
                rest, kb);
  }
  return info;
}

// Blocked triangular solve: diagonal blocks by substitution, the rest of B updated by GEMM.
void trsm_blocked(const double* a, double* b, int64_t n, int64_t r, bool upper, bool unit) {
  if (n < 2 * kBlock || r < 8) return la::solve_triangular(a, b, n, r, upper, unit, n, r);
  for (int64_t s = 0; s < n; s += kBlock) {
    // lower: blocks top to bottom, updating the rows below; upper: bottom to top, the rows above.
    const int64_t k0 = upper ? std::max<int64_t>(0, n - s - kBlock) : s;
    const int64_t kb = upper ? n - s - k0 : std::min(kBlock, n - s);
    la::solve_triangular(a + k0 * n + k0, b + k0 * r, kb, r, upper, unit, n, r);
    if (upper)
      sub_product(a + k0, n, b + k0 * r, r, 1, b, r, k0, r, kb);
    else
      sub_product(a + (k0 + kb) * n + k0, n, b + k0 * r, r, 1, b + (k0 + kb) * r, r, n - k0 - kb, r, kb);
  }
}

// Right-looking blocked Cholesky (LAPACK's potrf): factor a diagonal block, solve the block
// column below it (X L11^T = A21, row by row), update the trailing matrix by one GEMM
// (A22 -= L21 L21^T; its upper triangle is scratch, zeroed at the end).
int64_t cholesky_blocked(double* a, int64_t n) {
  if (n < 2 * kBlock) return la::cholesky(a, n, n);
  int64_t info = 0;
  for (int64_t k0 = 0; k0 < n && info == 0; k0 += kBlock) {
    const int64_t kb = std::min(kBlock, n - k0), below = n - k0 - kb;
    double* l11 = a + k0 * n + k0;
    const int64_t dinfo = la::cholesky(l11, kb, n);
    if (dinfo != 0) {
      info = k0 + dinfo;
      break;
    }
    double* l21 = a + (k0 + kb) * n + k0;
    parallel_for(0, below, 64, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        double* x = l21 + r * n;
        for (int64_t j = 0; j < kb; ++j) {
          double t = x[j];
          const double* lj = l11 + j * n;
          for (int64_t k = 0; k < j; ++k) t -= x[k] * lj[k];
          x[j] = t / lj[j];
        }
      }
    });
    // A22 -= L21 L21^T (the second operand is L21 read transposed)
    sub_product(l21, n, l21, 1, n, a + (k0 + kb) * n + k0 + kb, n, below, below, kb);
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) a[i * n + j] = 0;
  return info;
}

// Householder QR of the panel p [mp, kb] (leading dim ld): la::qr's column step, in place, with
// v_j below the diagonal (v_j[j] = 1 implied) and tau_j out, the reflectors applied only to the
// panel's own later columns.
void qr_panel(double* p, int64_t mp, int64_t kb, int64_t ld, double* tau, double* acc) {
  for (int64_t j = 0; j < kb && j < mp; ++j) {
    const double alpha = p[j * ld + j];
    double xn = 0;
    for (int64_t i = j + 1; i < mp; ++i) xn += p[i * ld + j] * p[i * ld + j];
    xn = std::sqrt(xn);
    if (xn == 0) {
      tau[j] = 0;
      continue;
    }
    const double beta = -(alpha >= 0 ? 1.0 : -1.0) * la::hypot2(alpha, xn);
    tau[j] = (beta - alpha) / beta;
    for (int64_t i = j + 1; i < mp; ++i) p[i * ld + j] /= alpha - beta;
    for (int64_t c = j + 1; c < kb; ++c) acc[c] = p[j * ld + c];
    for (int64_t i = j + 1; i < mp; ++i)
      for (int64_t c = j + 1; c < kb; ++c) acc[c] += p[i * ld + j] * p[i * ld + c];
    for (int64_t c = j + 1; c < kb; ++c) p[j * ld + c] -= tau[j] * acc[c];
    for (int64_t i = j + 1; i < mp; ++i) {
      const double f = tau[j] * p[i * ld + j];
      for (int64_t c = j + 1; c < kb; ++c) p[i * ld + c] -= f * acc[c];
    }
    p[j * ld + j] = beta;
  }
}

// One panel's reflectors as a block (LAPACK's compact WY form): H_0 ... H_{kb-1} = I - V T V^T,
// V [mp, kb] unit lower trapezoidal (explicit ones and zeros, for the GEMM), T [kb, kb] upper
// triangular (larft, forward and columnwise).
struct Block {
  int64_t k0, mp, kb;
  std::vector<double> v, t;
};
Block block_of(const double* p, int64_t k0, int64_t mp, int64_t kb, int64_t ld, const double* tau) {
  Block b{k0, mp, kb, std::vector<double>(size_t(mp * kb)), std::vector<double>(size_t(kb * kb))};
  double* v = b.v.data();
  for (int64_t i = 0; i < mp; ++i)
    for (int64_t q = 0; q < kb; ++q) v[i * kb + q] = i == q ? 1 : i > q ? p[i * ld + q] : 0;
  double* t = b.t.data();
  std::vector<double> w(static_cast<size_t>(kb));
  for (int64_t i = 0; i < kb; ++i) {
    t[i * kb + i] = tau[i];
    if (i == 0) continue;
    // w = V[:, :i]^T v_i (v_i is zero above row i), then T[:i, i] = -tau_i T[:i, :i] w
    for (int64_t q = 0; q < i; ++q) w[q] = 0;
    for (int64_t r = i; r < mp; ++r)
      for (int64_t q = 0; q < i; ++q) w[q] += v[r * kb + q] * v[r * kb + i];
    for (int64_t a = 0; a < i; ++a) {
      double s = 0;
      for (int64_t q = a; q < i; ++q) s += t[a * kb + q] * w[q];
      t[a * kb + i] = -tau[i] * s;
    }
  }
  return b;
}

// c [mp, nc] (leading dim ldc) = (I - V T' V^T) c with T' = T^T (transposed: Q^T c, applying the
// block's reflectors first to last) or T (Q c): two GEMMs around a small triangular product.
void apply_block(const Block& b, bool transposed, double* c, int64_t ldc, int64_t nc) {
  if (nc == 0) return;
  const int64_t kb = b.kb;
  std::vector<double> w(size_t(kb * nc));
  gemm_strided(w.data(), nc, b.v.data(), 1, kb, c, ldc, 1, kb, nc, b.mp, 1.0, 0.0);  // W = V^T c
  const double* t = b.t.data();
  // W = T' W in place: T^T is lower triangular (rows from the bottom up), T upper (top down).
  for (int64_t s = 0; s < kb; ++s) {
    const int64_t p = transposed ? kb - 1 - s : s;
    double* wp = w.data() + p * nc;
    const double d = t[p * kb + p];
    for (int64_t j = 0; j < nc; ++j) wp[j] *= d;
    for (int64_t q = transposed ? 0 : p + 1; q < (transposed ? p : kb); ++q) {
      const double f = transposed ? t[q * kb + p] : t[p * kb + q];
      const double* wq = w.data() + q * nc;
      for (int64_t j = 0; j < nc; ++j) wp[j] += f * wq[j];
    }
  }
  gemm_strided(c, ldc, b.v.data(), kb, 1, w.data(), nc, 1, b.mp, nc, kb, -1.0, 1.0);  // c -= V W
}

// Blocked Householder QR (LAPACK's geqrf and orgqr): each kBlock-wide panel is factored column by
// column, then applied to the trailing columns as one block by GEMMs; Q is built from the blocks
// last to first, each touching only the columns it can change. The same reflectors, R, Q and tau
// as la::qr, up to rounding; small matrices go to la::qr.
void qr_blocked(double* r, int64_t m, int64_t n, double* q, int64_t qcols, double* tau_out) {
  const int64_t k = std::min(m, n);
  if (k < 2 * kBlock) {
    std::vector<double> work(size_t(la::qr_work(m, n)));
    return la::qr(r, m, n, q, qcols, work.data(), tau_out);
  }
  std::vector<double> tau(static_cast<size_t>(k)), acc(static_cast<size_t>(kBlock));
  std::vector<Block> blocks;
  for (int64_t k0 = 0; k0 < k; k0 += kBlock) {
    const int64_t kb = std::min(kBlock, k - k0), mp = m - k0;
    double* p = r + k0 * n + k0;
    qr_panel(p, mp, kb, n, tau.data() + k0, acc.data());
    blocks.push_back(block_of(p, k0, mp, kb, n, tau.data() + k0));
    apply_block(blocks.back(), true, p + kb, n, n - k0 - kb);
  }
  if (tau_out)
    std::copy(tau.begin(), tau.end(), tau_out);
  else
    for (int64_t i = 1; i < m; ++i)
      for (int64_t j = 0; j < i && j < n; ++j) r[i * n + j] = 0;
  if (!q) return;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t c = 0; c < qcols; ++c) q[i * qcols + c] = i == c ? 1 : 0;
  // Before block k0 is applied, rows k0.. of columns < k0 are still the identity's zeros.
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it)
    apply_block(*it, false, q + it->k0 * qcols + it->k0, qcols, qcols - it->k0);
}

void cholesky(const Tensor& a, const Tensor& info) {
  const int64_t B = batch_of(a), n = rows(a);
  double* p = a.data<double>();
  int32_t* inf = info.data<int32_t>();
  each_matrix(B, n * n * n, [&](int64_t b) { inf[b] = int32_t(cholesky_blocked(p + b * n * n, n)); });
}

void lu_factor(const Tensor& a, const Tensor& piv, const Tensor& info) {
  const int64_t B = batch_of(a), m = rows(a), n = cols(a), k = std::min(m, n);
  double* p = a.data<double>();
  int32_t* pv = piv.data<int32_t>();
  int32_t* inf = info.data<int32_t>();
  each_matrix(B, m * n * k, [&](int64_t b) { inf[b] = int32_t(lu_blocked(p + b * m * n, m, n, pv + b * k)); });
}

void solve_triangular(const Tensor& a, const Tensor& x, bool upper, bool unit) {
  const int64_t B = batch_of(a), n = rows(a), r = cols(x);
  const double* ap = a.data<double>();
  double* xp = x.data<double>();
  each_matrix(B, n * n * r, [&](int64_t b) { trsm_blocked(ap + b * n * n, xp + b * n * r, n, r, upper, unit); });
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

void qr(const Tensor& r, const Tensor& q, const Tensor& tau) {
  const int64_t B = batch_of(r), m = rows(r), n = cols(r), qc = q.defined() ? cols(q) : 0, k = std::min(m, n);
  double* rp = r.data<double>();
  double* qp = q.defined() ? q.data<double>() : nullptr;
  double* tp = tau.defined() ? tau.data<double>() : nullptr;
  each_matrix(B, 4 * m * n * k, [&](int64_t b) {
    qr_blocked(rp + b * m * n, m, n, qp ? qp + b * m * qc : nullptr, qc, tp ? tp + b * k : nullptr);
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
