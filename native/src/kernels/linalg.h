// Dense factorizations of one matrix, written once for the CPU kernels (cpu/linalg.cpp: one
// matrix per task) and the CUDA ones (cuda/linalg.cu: one matrix per thread). Everything is in
// double, row-major and contiguous, in caller-provided memory; the op layer
// (ops/linalg_decomp.cpp) converts dtypes and layouts and reads the info codes.
//
// The algorithms are the textbook ones that need no blocking to be exact: Cholesky-Crout, LU with
// partial pivoting (LAPACK getrf's pivot rule), substitution, Householder QR (LAPACK's reflector
// conventions, so R's signs agree with PyTorch's), cyclic Jacobi for the symmetric eigenproblem
// and one-sided Jacobi (Hestenes) for the SVD. Both Jacobi methods are accurate to a few ulps of
// the largest eigen/singular value; they are O(n^3) per sweep with 5 to 10 sweeps, so slower than
// LAPACK's blocked routines for large matrices (a contract of correctness, not of speed).
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/functors.h"

namespace tk::kernels::linalg {

constexpr double kEps = 2.220446049250313e-16;
constexpr int kMaxSweeps = 100;

// Cholesky: a [n, n] -> its lower factor L (zeros above the diagonal). Reads only the lower
// triangle. Returns 0, or k (1-based) when the leading minor of order k is not positive-definite
// (a pivot <= 0 or NaN); L is then complete only up to row k - 1.
TK_HD_CALL inline int64_t cholesky(double* a, int64_t n) {
  int64_t info = 0;
  for (int64_t j = 0; j < n && info == 0; ++j) {
    double* rj = a + j * n;
    double s = rj[j];
    for (int64_t k = 0; k < j; ++k) s -= rj[k] * rj[k];
    if (!(s > 0)) {
      info = j + 1;
      break;
    }
    const double d = sqrt(s);
    rj[j] = d;
    for (int64_t i = j + 1; i < n; ++i) {
      double* ri = a + i * n;
      double t = ri[j];
      for (int64_t k = 0; k < j; ++k) t -= ri[k] * rj[k];
      ri[j] = t / d;
    }
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) a[i * n + j] = 0;
  return info;
}

// LU with partial pivoting: a [m, n] -> L (unit diagonal, below it) and U packed in place;
// piv[j] (1-based, as LAPACK and PyTorch) is the row swapped with row j at step j < min(m, n).
// Returns 0, or the 1-based index of the first exactly-zero pivot (U singular; the
// factorization still completes, as getrf's).
TK_HD_CALL inline int64_t lu_factor(double* a, int64_t m, int64_t n, int32_t* piv) {
  const int64_t k = m < n ? m : n;
  int64_t info = 0;
  for (int64_t j = 0; j < k; ++j) {
    int64_t p = j;
    double best = fabs(a[j * n + j]);
    for (int64_t i = j + 1; i < m; ++i)
      if (fabs(a[i * n + j]) > best) {
        best = fabs(a[i * n + j]);
        p = i;
      }
    piv[j] = int32_t(p + 1);
    if (a[p * n + j] == 0) {
      if (info == 0) info = j + 1;
      continue;
    }
    double* rj = a + j * n;
    if (p != j)
      for (int64_t c = 0; c < n; ++c) {
        const double t = rj[c];
        rj[c] = a[p * n + c];
        a[p * n + c] = t;
      }
    for (int64_t i = j + 1; i < m; ++i) {
      double* ri = a + i * n;
      const double l = ri[j] / rj[j];
      ri[j] = l;
      for (int64_t c = j + 1; c < n; ++c) ri[c] -= l * rj[c];
    }
  }
  return info;
}

// Solves A X = B for triangular a [n, n] (only its upper or lower triangle read; a unit diagonal
// assumed, and not read, when `unit`), X written over b [n, r]. A zero on the diagonal gives
// infinities, as LAPACK's trsm.
TK_HD_CALL inline void solve_triangular(const double* a, double* b, int64_t n, int64_t r, bool upper, bool unit) {
  for (int64_t t = 0; t < n; ++t) {
    const int64_t i = upper ? n - 1 - t : t;
    double* bi = b + i * r;
    const int64_t lo = upper ? i + 1 : 0, hi = upper ? n : i;
    for (int64_t k = lo; k < hi; ++k) {
      const double f = a[i * n + k];
      const double* bk = b + k * r;
      for (int64_t c = 0; c < r; ++c) bi[c] -= f * bk[c];
    }
    if (!unit) {
      const double d = a[i * n + i];
      for (int64_t c = 0; c < r; ++c) bi[c] /= d;
    }
  }
}

// The sign that makes the largest-magnitude entry of a vector (stride `step`) positive: +1 or -1.
// Eigen- and singular vectors are defined up to sign; this fixes one, so results do not depend
// on the order of rotations.
TK_HD_CALL inline double sign_of_largest(const double* x, int64_t n, int64_t step) {
  double best = 0, sign = 1;
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i * step];
    if (fabs(v) > best) {
      best = fabs(v);
      sign = v < 0 ? -1 : 1;
    }
  }
  return sign;
}

// The rotation tangent t that zeroes the pair (Rutishauser's form, no cancellation): the smaller
// root of t^2 + 2 zeta t - 1 = 0.
TK_HD_CALL inline double jacobi_tangent(double zeta) {
  if (fabs(zeta) > 1e150) return 0.5 / zeta;
  return (zeta >= 0 ? 1.0 : -1.0) / (fabs(zeta) + sqrt(zeta * zeta + 1));
}

// Symmetric eigendecomposition by cyclic Jacobi: a [n, n] (only its lower or upper triangle
// read; destroyed) -> w [n] ascending, v [n, n] with the eigenvectors as columns (each signed so
// its largest entry is positive). NaN in the triangle gives NaN eigenvalues.
TK_HD_CALL inline void eigh(double* a, int64_t n, bool lower, double* w, double* v) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) {
      if (lower)
        a[i * n + j] = a[j * n + i];
      else
        a[j * n + i] = a[i * n + j];
    }
  for (int64_t i = 0; i < n * n; ++i) v[i] = 0;
  for (int64_t i = 0; i < n; ++i) v[i * n + i] = 1;
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    double off = 0, all = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        const double x = a[i * n + j] * a[i * n + j];
        all += x;
        if (i != j) off += x;
      }
    if (off != off || all != all) {
      for (int64_t i = 0; i < n; ++i) a[i * n + i] = NAN;
      for (int64_t i = 0; i < n * n; ++i) v[i] = NAN;
      break;
    }
    if (!(off > kEps * kEps * all)) break;  // converged or zero
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        const double apq = a[p * n + q];
        if (apq == 0) continue;
        const double t = jacobi_tangent((a[q * n + q] - a[p * n + p]) / (2 * apq));
        const double c = 1 / sqrt(t * t + 1), s = t * c;
        for (int64_t k = 0; k < n; ++k) {  // columns p, q
          const double kp = a[k * n + p], kq = a[k * n + q];
          a[k * n + p] = c * kp - s * kq;
          a[k * n + q] = s * kp + c * kq;
        }
        for (int64_t k = 0; k < n; ++k) {  // rows p, q
          const double pk = a[p * n + k], qk = a[q * n + k];
          a[p * n + k] = c * pk - s * qk;
          a[q * n + k] = s * pk + c * qk;
        }
        a[p * n + q] = a[q * n + p] = 0;
        for (int64_t k = 0; k < n; ++k) {
          const double kp = v[k * n + p], kq = v[k * n + q];
          v[k * n + p] = c * kp - s * kq;
          v[k * n + q] = s * kp + c * kq;
        }
      }
  }
  for (int64_t i = 0; i < n; ++i) w[i] = a[i * n + i];
  for (int64_t i = 0; i < n; ++i) {  // selection sort, ascending, moving the columns along
    int64_t m = i;
    for (int64_t j = i + 1; j < n; ++j)
      if (w[j] < w[m]) m = j;
    if (m != i) {
      const double t = w[i];
      w[i] = w[m];
      w[m] = t;
      for (int64_t k = 0; k < n; ++k) {
        const double x = v[k * n + i];
        v[k * n + i] = v[k * n + m];
        v[k * n + m] = x;
      }
    }
    const double sg = sign_of_largest(v + i, n, n);
    if (sg < 0)
      for (int64_t k = 0; k < n; ++k) v[k * n + i] = -v[k * n + i];
  }
}

// Extends the orthonormal columns 0..have-1 of u [m, cols] (row-major) to `cols` orthonormal
// columns with standard basis vectors, each orthogonalised twice (Gram-Schmidt). One pass over
// e_0..e_{m-1} suffices: while fewer than m columns exist some e_i keeps at least 1/m of its
// squared length, and a candidate's remainder only shrinks as columns are added, so accepting
// any with more than 1/(2m) finds them all.
TK_HD_CALL inline void complete_basis(double* u, int64_t m, int64_t cols, int64_t have) {
  for (int64_t e = 0; e < m && have < cols; ++e) {
    for (int64_t i = 0; i < m; ++i) u[i * cols + have] = i == e ? 1 : 0;
    for (int pass = 0; pass < 2; ++pass)
      for (int64_t j = 0; j < have; ++j) {
        double d = 0;
        for (int64_t i = 0; i < m; ++i) d += u[i * cols + j] * u[i * cols + have];
        for (int64_t i = 0; i < m; ++i) u[i * cols + have] -= d * u[i * cols + j];
      }
    double nn = 0;
    for (int64_t i = 0; i < m; ++i) nn += u[i * cols + have] * u[i * cols + have];
    if (nn <= 0.5 / double(m)) continue;
    const double inv = 1 / sqrt(nn);
    for (int64_t i = 0; i < m; ++i) u[i * cols + have] *= inv;
    ++have;
  }
}

// SVD of A [m, n] with m >= n by one-sided Jacobi: wt [n, m] holds A^T on entry (destroyed),
// vt [n, n] gets V^T (the right singular vectors as rows), s [n] the singular values descending,
// u [m, ucols] (ucols n or m) the left singular vectors as columns, completed to an orthonormal
// set where singular values are zero or ucols > n. Each u_j (v_j when !sign_u: the caller's U
// when it passed A rather than A^T) is signed so its largest entry is positive, the other
// following. NaN anywhere gives NaN singular values.
TK_HD_CALL inline void svd(double* wt, int64_t m, int64_t n, double* s, double* u, int64_t ucols, double* vt,
                           bool sign_u) {
  for (int64_t i = 0; i < n * n; ++i) vt[i] = 0;
  for (int64_t i = 0; i < n; ++i) vt[i * n + i] = 1;
  bool nan = false;
  for (int sweep = 0; sweep < kMaxSweeps && !nan; ++sweep) {
    int64_t rotations = 0;
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) {
        double* wp = wt + p * m;
        double* wq = wt + q * m;
        double al = 0, be = 0, ga = 0;
        for (int64_t i = 0; i < m; ++i) {
          al += wp[i] * wp[i];
          be += wq[i] * wq[i];
          ga += wp[i] * wq[i];
        }
        if (al != al || be != be || ga != ga) {
          nan = true;
          break;
        }
        if (fabs(ga) <= kEps * sqrt(al * be) || ga == 0) continue;
        ++rotations;
        const double t = jacobi_tangent((be - al) / (2 * ga));
        const double c = 1 / sqrt(t * t + 1), sn = t * c;
        for (int64_t i = 0; i < m; ++i) {
          const double x = wp[i], y = wq[i];
          wp[i] = c * x - sn * y;
          wq[i] = sn * x + c * y;
        }
        double* vp = vt + p * n;
        double* vq = vt + q * n;
        for (int64_t i = 0; i < n; ++i) {
          const double x = vp[i], y = vq[i];
          vp[i] = c * x - sn * y;
          vq[i] = sn * x + c * y;
        }
      }
    if (rotations == 0) break;
  }
  for (int64_t j = 0; j < n; ++j) {
    double nn = 0;
    for (int64_t i = 0; i < m; ++i) nn += wt[j * m + i] * wt[j * m + i];
    s[j] = nan ? NAN : sqrt(nn);
  }
  for (int64_t i = 0; i < n; ++i) {  // selection sort, descending, moving the rows along
    int64_t mx = i;
    for (int64_t j = i + 1; j < n; ++j)
      if (s[j] > s[mx]) mx = j;
    if (mx == i) continue;
    const double t = s[i];
    s[i] = s[mx];
    s[mx] = t;
    for (int64_t k = 0; k < m; ++k) {
      const double x = wt[i * m + k];
      wt[i * m + k] = wt[mx * m + k];
      wt[mx * m + k] = x;
    }
    for (int64_t k = 0; k < n; ++k) {
      const double x = vt[i * n + k];
      vt[i * n + k] = vt[mx * n + k];
      vt[mx * n + k] = x;
    }
  }
  // u_j = A v_j / s_j where s_j is not negligible; the rest completed to an orthonormal set.
  const double tiny = (s[0] > 0 ? s[0] : 0) * double(m) * kEps;
  int64_t have = 0;
  while (have < n && s[have] > tiny && s[have] > 0) {
    for (int64_t i = 0; i < m; ++i) u[i * ucols + have] = wt[have * m + i] / s[have];
    ++have;
  }
  if (nan) {
    for (int64_t i = 0; i < m * ucols; ++i) u[i] = NAN;
    for (int64_t i = 0; i < n * n; ++i) vt[i] = NAN;
    return;
  }
  complete_basis(u, m, ucols, have);
  for (int64_t j = 0; j < n; ++j) {
    if ((sign_u ? sign_of_largest(u + j, m, ucols) : sign_of_largest(vt + j * n, n, 1)) > 0) continue;
    for (int64_t i = 0; i < m; ++i) u[i * ucols + j] = -u[i * ucols + j];
    for (int64_t i = 0; i < n; ++i) vt[j * n + i] = -vt[j * n + i];
  }
}

// Householder QR of r [m, n] (A on entry, R on return: zeros below the diagonal), with LAPACK's
// reflectors H_j = I - tau_j v_j v_j^T (v_j[j] = 1; tau 0, no reflection, when the column below
// the diagonal is already zero), so R's diagonal has the signs geqrf gives. When q is non-null it
// gets Q [m, qcols] (qcols min(m, n) or m) = H_0 ... H_{k-1} I. work holds k * m + k + n doubles.
TK_HD_CALL inline void qr(double* r, int64_t m, int64_t n, double* q, int64_t qcols, double* work) {
  const int64_t k = m < n ? m : n;
  double* vs = work;  // [k, m]: v_j in vs[j * m + j ..]
  double* tau = work + k * m;  // [k]
  double* acc = tau + k;  // [n] (or [qcols] <= m... sized n + m by the caller)
  for (int64_t j = 0; j < k; ++j) {
    double* v = vs + j * m;
    const double alpha = r[j * n + j];
    double xn = 0;
    for (int64_t i = j + 1; i < m; ++i) xn += r[i * n + j] * r[i * n + j];
    xn = sqrt(xn);
    if (xn == 0) {
      tau[j] = 0;
      continue;
    }
    const double beta = -(alpha >= 0 ? 1.0 : -1.0) * hypot(alpha, xn);
    tau[j] = (beta - alpha) / beta;
    v[j] = 1;
    for (int64_t i = j + 1; i < m; ++i) v[i] = r[i * n + j] / (alpha - beta);
    // columns j + 1.. of rows j..: R -= tau v (v^T R)
    for (int64_t c = j + 1; c < n; ++c) acc[c] = 0;
    for (int64_t i = j; i < m; ++i)
      for (int64_t c = j + 1; c < n; ++c) acc[c] += v[i] * r[i * n + c];
    for (int64_t i = j; i < m; ++i) {
      const double f = tau[j] * v[i];
      for (int64_t c = j + 1; c < n; ++c) r[i * n + c] -= f * acc[c];
    }
    r[j * n + j] = beta;
    for (int64_t i = j + 1; i < m; ++i) r[i * n + j] = 0;
  }
  for (int64_t i = 1; i < m; ++i)
    for (int64_t j = 0; j < i && j < n; ++j) r[i * n + j] = 0;
  if (!q) return;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t c = 0; c < qcols; ++c) q[i * qcols + c] = i == c ? 1 : 0;
  for (int64_t j = k - 1; j >= 0; --j) {
    if (tau[j] == 0) continue;
    const double* v = vs + j * m;
    for (int64_t c = 0; c < qcols; ++c) acc[c] = 0;
    for (int64_t i = j; i < m; ++i)
      for (int64_t c = 0; c < qcols; ++c) acc[c] += v[i] * q[i * qcols + c];
    for (int64_t i = j; i < m; ++i) {
      const double f = tau[j] * v[i];
      for (int64_t c = 0; c < qcols; ++c) q[i * qcols + c] -= f * acc[c];
    }
  }
}

// Doubles of work qr needs for an [m, n] matrix.
TK_HD_CALL inline int64_t qr_work(int64_t m, int64_t n) {
  const int64_t k = m < n ? m : n;
  return k * m + k + n + m;
}

}  // namespace tk::kernels::linalg
