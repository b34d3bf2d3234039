// Dense factorizations of one matrix, written once for the CPU kernels (cpu/linalg.cpp: one
// matrix per task) and the CUDA ones (cuda/linalg.cu: one matrix per thread). Everything is in
// double, row-major and contiguous, in caller-provided memory; the op layer
// (ops/linalg_decomp.cpp) converts dtypes and layouts and reads the info codes.
//
// The algorithms are the textbook ones that need no blocking to be exact: Cholesky-Crout, LU with
// partial pivoting (LAPACK getrf's pivot rule), substitution, Householder QR (LAPACK's reflector
// conventions, so R's signs agree with PyTorch's), Householder tridiagonalization and implicit QL
// (EISPACK's tred2/tql2) for the symmetric eigenproblem, and
// Golub-Kahan-Reinsch for the SVD (bidiagonalization, then implicit-shift QR: LINPACK's dsvdc).
// None is blocked, so large matrices run below LAPACK's speed (the session note has the ratios).
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/functors.h"

namespace tk::kernels::linalg {

constexpr double kEps = 2.220446049250313e-16;

// sqrt(a^2 + b^2) without overflow or underflow. Not libm's hypot: glibc 2.35 gave it a new
// symbol version, and the prebuilt addon must load on glibc 2.34 (scripts/prebuild.mjs).
TK_HD_CALL inline double hypot2(double a, double b) {
  a = fabs(a);
  b = fabs(b);
  const double m = a > b ? a : b, r = a > b ? b : a;
  if (m == 0 || m - m != 0 || r != r) return m == m && r == r ? m : m + r;  // 0, infinities, NaN
  const double q = r / m;
  return m * sqrt(1 + q * q);
}

// Cholesky: a [n, n] (row stride lda) -> its lower factor L (zeros above the diagonal). Reads
// only the lower triangle. Returns 0, or k (1-based) when the leading minor of order k is not
// positive-definite (a pivot <= 0 or NaN); L is then complete only up to row k - 1. The CPU
// backend blocks large matrices around this.
TK_HD_CALL inline int64_t cholesky(double* a, int64_t n, int64_t lda) {
  int64_t info = 0;
  for (int64_t j = 0; j < n && info == 0; ++j) {
    double* rj = a + j * lda;
    double s = rj[j];
    for (int64_t k = 0; k < j; ++k) s -= rj[k] * rj[k];
    if (!(s > 0)) {
      info = j + 1;
      break;
    }
    const double d = sqrt(s);
    rj[j] = d;
    for (int64_t i = j + 1; i < n; ++i) {
      double* ri = a + i * lda;
      double t = ri[j];
      for (int64_t k = 0; k < j; ++k) t -= ri[k] * rj[k];
      ri[j] = t / d;
    }
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i + 1; j < n; ++j) a[i * lda + j] = 0;
  return info;
}

// LU with partial pivoting: a [m, n] (row stride lda) -> L (unit diagonal, below it) and U
// packed in place; piv[j] (1-based, as LAPACK and PyTorch) is the row swapped with row j at step
// j < min(m, n). Returns 0, or the 1-based index of the first exactly-zero pivot (U singular; the
// factorization still completes, as getrf's). The CPU backend blocks large matrices around this.
TK_HD_CALL inline int64_t lu_factor(double* a, int64_t m, int64_t n, int32_t* piv, int64_t lda) {
  const int64_t k = m < n ? m : n;
  int64_t info = 0;
  for (int64_t j = 0; j < k; ++j) {
    int64_t p = j;
    double best = fabs(a[j * lda + j]);
    for (int64_t i = j + 1; i < m; ++i)
      if (fabs(a[i * lda + j]) > best) {
        best = fabs(a[i * lda + j]);
        p = i;
      }
    piv[j] = int32_t(p + 1);
    if (a[p * lda + j] == 0) {
      if (info == 0) info = j + 1;
      continue;
    }
    double* rj = a + j * lda;
    if (p != j)
      for (int64_t c = 0; c < n; ++c) {
        const double t = rj[c];
        rj[c] = a[p * lda + c];
        a[p * lda + c] = t;
      }
    for (int64_t i = j + 1; i < m; ++i) {
      double* ri = a + i * lda;
      const double l = ri[j] / rj[j];
      ri[j] = l;
      for (int64_t c = j + 1; c < n; ++c) ri[c] -= l * rj[c];
    }
  }
  return info;
}

// Solves A X = B for triangular a [n, n] (row stride lda; only its upper or lower triangle read;
// a unit diagonal assumed, and not read, when `unit`), X written over b [n, r] (row stride ldb).
// A zero on the diagonal gives infinities, as LAPACK's trsm.
TK_HD_CALL inline void solve_triangular(const double* a, double* b, int64_t n, int64_t r, bool upper, bool unit,
                                        int64_t lda, int64_t ldb) {
  for (int64_t t = 0; t < n; ++t) {
    const int64_t i = upper ? n - 1 - t : t;
    double* bi = b + i * ldb;
    const int64_t lo = upper ? i + 1 : 0, hi = upper ? n : i;
    for (int64_t k = lo; k < hi; ++k) {
      const double f = a[i * lda + k];
      const double* bk = b + k * ldb;
      for (int64_t c = 0; c < r; ++c) bi[c] -= f * bk[c];
    }
    if (!unit) {
      const double d = a[i * lda + i];
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

// Symmetric eigendecomposition: Householder reduction to tridiagonal form, then the implicit QL
// algorithm with Wilkinson-like shifts (EISPACK's tred2 and tql2). a [n, n]: only its lower or
// upper triangle is read; it is destroyed. w [n] gets the eigenvalues ascending, v [n, n] the
// eigenvectors as columns, each signed so its largest entry is positive. The work is done on the
// transposed eigenvector matrix (one eigenvector per row of `a`), so every inner loop runs along
// a row. A non-finite entry gives NaN eigenvalues and vectors.
TK_HD_CALL inline void eigh(double* a, int64_t n, bool lower, double* w, double* v) {
  bool finite = true;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j <= i; ++j) {
      const double x = lower ? a[i * n + j] : a[j * n + i];
      finite = finite && x - x == 0;
      a[i * n + j] = a[j * n + i] = x;  // symmetric from the chosen triangle
    }
  if (!finite || n == 0) {
    for (int64_t i = 0; i < n; ++i) w[i] = NAN;
    for (int64_t i = 0; i < n * n; ++i) v[i] = NAN;
    return;
  }
  // W = a holds V^T: W[x][y] is V[y][x] of the textbook code, so its column sweeps become rows.
  double* W = a;
  double* d = w;
  double* e = v;  // n values of scratch (v is written only at the end)
#define TK_V(r, c) W[(c)*n + (r)]
  for (int64_t j = 0; j < n; ++j) d[j] = TK_V(n - 1, j);
  for (int64_t i = n - 1; i > 0; --i) {
    double scale = 0, h = 0;
    for (int64_t k = 0; k < i; ++k) scale += fabs(d[k]);
    if (scale == 0) {
      e[i] = d[i - 1];
      for (int64_t j = 0; j < i; ++j) {
        d[j] = TK_V(i - 1, j);
        TK_V(i, j) = 0;
        TK_V(j, i) = 0;
      }
    } else {
      for (int64_t k = 0; k < i; ++k) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      double f = d[i - 1];
      double g = sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (int64_t j = 0; j < i; ++j) e[j] = 0;
      for (int64_t j = 0; j < i; ++j) {
        f = d[j];
        TK_V(j, i) = f;
        g = e[j] + TK_V(j, j) * f;
        const double* col = &TK_V(0, j);  // column j of V = row j of W
        for (int64_t k = j + 1; k <= i - 1; ++k) {
          g += col[k] * d[k];
          e[k] += col[k] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (int64_t j = 0; j < i; ++j) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const double hh = f / (h + h);
      for (int64_t j = 0; j < i; ++j) e[j] -= hh * d[j];
      for (int64_t j = 0; j < i; ++j) {
        f = d[j];
        g = e[j];
        double* col = &TK_V(0, j);
        for (int64_t k = j; k <= i - 1; ++k) col[k] -= f * e[k] + g * d[k];
        d[j] = TK_V(i - 1, j);
        TK_V(i, j) = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (int64_t i = 0; i < n - 1; ++i) {
    TK_V(n - 1, i) = TK_V(i, i);
    TK_V(i, i) = 1;
    const double h = d[i + 1];
    const double* ci1 = &TK_V(0, i + 1);
    if (h != 0) {
      for (int64_t k = 0; k <= i; ++k) d[k] = ci1[k] / h;
      for (int64_t j = 0; j <= i; ++j) {
        double* cj = &TK_V(0, j);
        double g = 0;
        for (int64_t k = 0; k <= i; ++k) g += ci1[k] * cj[k];
        for (int64_t k = 0; k <= i; ++k) cj[k] -= g * d[k];
      }
    }
    for (int64_t k = 0; k <= i; ++k) TK_V(k, i + 1) = 0;
  }
  for (int64_t j = 0; j < n; ++j) {
    d[j] = TK_V(n - 1, j);
    TK_V(n - 1, j) = 0;
  }
  TK_V(n - 1, n - 1) = 1;
  e[0] = 0;
  // QL on the tridiagonal (d, e), rotating the eigenvector rows of W along.
  for (int64_t i = 1; i < n; ++i) e[i - 1] = e[i];
  e[n - 1] = 0;
  double f = 0, tst1 = 0;
  for (int64_t l = 0; l < n; ++l) {
    tst1 = fmax(tst1, fabs(d[l]) + fabs(e[l]));
    int64_t m = l;
    while (m < n - 1 && !(fabs(e[m]) <= kEps * tst1)) ++m;
    if (m > l) {
      for (int iter = 0; iter < 64; ++iter) {
        double g = d[l];
        double p = (d[l + 1] - g) / (2 * e[l]);
        double r = hypot2(p, 1.0);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const double dl1 = d[l + 1];
        double h = g - d[l];
        for (int64_t i = l + 2; i < n; ++i) d[i] -= h;
        f += h;
        p = d[m];
        double c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
        const double el1 = e[l + 1];
        for (int64_t i = m - 1; i >= l; --i) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = hypot2(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          double* vi = W + i * n;
          double* vi1 = W + (i + 1) * n;
          for (int64_t k = 0; k < n; ++k) {
            const double t = vi1[k];
            vi1[k] = s * vi[k] + c * t;
            vi[k] = c * vi[k] - s * t;
          }
        }
        p = -s * s2 * c3 * el1 * e[l] / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(fabs(e[l]) > kEps * tst1)) break;
      }
    }
    d[l] += f;
    e[l] = 0;
  }
#undef TK_V
  // Ascending order (selection sort), eigenvector rows of W moved along, then written as columns.
  for (int64_t i = 0; i < n; ++i) {
    int64_t mn = i;
    for (int64_t j = i + 1; j < n; ++j)
      if (d[j] < d[mn]) mn = j;
    if (mn != i) {
      const double t = d[i];
      d[i] = d[mn];
      d[mn] = t;
      for (int64_t k = 0; k < n; ++k) {
        const double x = W[i * n + k];
        W[i * n + k] = W[mn * n + k];
        W[mn * n + k] = x;
      }
    }
    const double sg = sign_of_largest(W + i * n, n, 1);
    for (int64_t k = 0; k < n; ++k) v[k * n + i] = sg * W[i * n + k];
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

// SVD of A [m, n] with m >= n by Golub-Kahan-Reinsch: Householder bidiagonalization, then
// implicit-shift QR sweeps on the bidiagonal (the algorithm of LINPACK's dsvdc, as in JAMA). wt
// [n, m] holds A^T on entry: column k of A is row k of wt, so every Householder sweep runs along
// a row; wt is then reused for U^T. vt [n, n] gets V^T (right singular vectors as rows), s [n]
// the singular values descending, u [m, ucols] (ucols n or m) the left singular vectors as
// columns, completed to an orthonormal set when ucols > n. Each u_j (v_j when !sign_u: the
// caller's U when it passed A rather than A^T) is signed so its largest entry is positive, the
// other following. A non-finite entry gives NaN factors.
TK_HD_CALL inline void svd(double* wt, int64_t m, int64_t n, double* s, double* u, int64_t ucols, double* vt,
                           bool sign_u) {
  if (n == 0) return;
  bool finite = true;
  for (int64_t i = 0; i < n * m; ++i) finite = finite && wt[i] - wt[i] == 0;
  if (!finite) {
    for (int64_t i = 0; i < n; ++i) s[i] = NAN;
    for (int64_t i = 0; i < m * ucols; ++i) u[i] = NAN;
    for (int64_t i = 0; i < n * n; ++i) vt[i] = NAN;
    return;
  }
#define TK_A(r, c) wt[(c)*m + (r)]
#define TK_U(r, c) wt[(c)*m + (r)]
#define TK_V(r, c) vt[(c)*n + (r)]
  double* e = u;  // [n] scratch until U is written
  double* work = u + n;  // [m] scratch, used only when n >= 3 (then m * ucols >= n + m)
  const int64_t nct = m - 1 < n ? m - 1 : n;
  const int64_t nrt = n - 2 < m ? (n - 2 > 0 ? n - 2 : 0) : m;
  const int64_t kmax = nct > nrt ? nct : nrt;
  for (int64_t k = 0; k < kmax; ++k) {
    double* ak = &TK_A(0, k);
    if (k < nct) {  // the k-th column's reflector; its diagonal into s[k]
      s[k] = 0;
      for (int64_t i = k; i < m; ++i) s[k] = hypot2(s[k], ak[i]);
      if (s[k] != 0) {
        if (ak[k] < 0) s[k] = -s[k];
        for (int64_t i = k; i < m; ++i) ak[i] /= s[k];
        ak[k] += 1;
      }
      s[k] = -s[k];
    }
    for (int64_t j = k + 1; j < n; ++j) {
      double* aj = &TK_A(0, j);
      if (k < nct && s[k] != 0) {
        double t = 0;
        for (int64_t i = k; i < m; ++i) t += ak[i] * aj[i];
        t = -t / ak[k];
        for (int64_t i = k; i < m; ++i) aj[i] += t * ak[i];
      }
      e[j] = aj[k];  // row k, for the row reflector
    }
    if (k < nrt) {  // the k-th row's reflector; its superdiagonal into e[k]
      e[k] = 0;
      for (int64_t i = k + 1; i < n; ++i) e[k] = hypot2(e[k], e[i]);
      if (e[k] != 0) {
        if (e[k + 1] < 0) e[k] = -e[k];
        for (int64_t i = k + 1; i < n; ++i) e[i] /= e[k];
        e[k + 1] += 1;
      }
      e[k] = -e[k];
      if (k + 1 < m && e[k] != 0) {
        for (int64_t i = k + 1; i < m; ++i) work[i] = 0;
        for (int64_t j = k + 1; j < n; ++j) {
          const double* aj = &TK_A(0, j);
          for (int64_t i = k + 1; i < m; ++i) work[i] += e[j] * aj[i];
        }
        for (int64_t j = k + 1; j < n; ++j) {
          const double t = -e[j] / e[k + 1];
          double* aj = &TK_A(0, j);
          for (int64_t i = k + 1; i < m; ++i) aj[i] += t * work[i];
        }
      }
      for (int64_t i = k + 1; i < n; ++i) TK_V(i, k) = e[i];
    }
  }
  // The bidiagonal of order p (p = n as m >= n).
  int64_t p = n;
  if (nct < n) s[nct] = TK_A(nct, nct);
  if (nrt + 1 < p) e[nrt] = TK_A(nrt, p - 1);
  e[p - 1] = 0;
  // U from the column reflectors, in place of A (column k of U over column k of A).
  for (int64_t k = 0; k < nct; ++k)
    for (int64_t i = 0; i < k; ++i) TK_U(i, k) = 0;
  for (int64_t j = nct; j < n; ++j) {
    for (int64_t i = 0; i < m; ++i) TK_U(i, j) = 0;
    TK_U(j, j) = 1;
  }
  for (int64_t k = nct - 1; k >= 0; --k) {
    double* uk = &TK_U(0, k);
    if (s[k] != 0) {
      for (int64_t j = k + 1; j < n; ++j) {
        double* uj = &TK_U(0, j);
        double t = 0;
        for (int64_t i = k; i < m; ++i) t += uk[i] * uj[i];
        t = -t / uk[k];
        for (int64_t i = k; i < m; ++i) uj[i] += t * uk[i];
      }
      for (int64_t i = k; i < m; ++i) uk[i] = -uk[i];
      uk[k] += 1;
      for (int64_t i = 0; i < k; ++i) uk[i] = 0;
    } else {
      for (int64_t i = 0; i < m; ++i) uk[i] = 0;
      uk[k] = 1;
    }
  }
  // V from the row reflectors.
  for (int64_t k = n - 1; k >= 0; --k) {
    double* vk = &TK_V(0, k);
    if (k < nrt && e[k] != 0)
      for (int64_t j = k + 1; j < n; ++j) {
        double* vj = &TK_V(0, j);
        double t = 0;
        for (int64_t i = k + 1; i < n; ++i) t += vk[i] * vj[i];
        t = -t / vk[k + 1];
        for (int64_t i = k + 1; i < n; ++i) vj[i] += t * vk[i];
      }
    for (int64_t i = 0; i < n; ++i) vk[i] = 0;
    vk[k] = 1;
  }
  // Rotations of columns j, k of U or V: (x_j, x_k) <- (c x_j + s x_k, -s x_j + c x_k).
  auto rotate = [](double* xj, double* xk, int64_t len, double cs, double sn) {
    for (int64_t i = 0; i < len; ++i) {
      const double t = cs * xj[i] + sn * xk[i];
      xk[i] = -sn * xj[i] + cs * xk[i];
      xj[i] = t;
    }
  };
  const double tiny = 1.0020841800044864e-292;  // 2^-966
  const int64_t pp = p - 1;
  int iter = 0;
  while (p > 0) {
    int64_t k, kase;
    for (k = p - 2; k >= 0; --k)
      if (fabs(e[k]) <= tiny + kEps * (fabs(s[k]) + fabs(s[k + 1]))) {
        e[k] = 0;
        break;
      }
    if (k == p - 2) {
      kase = 4;
    } else {
      int64_t ks;
      for (ks = p - 1; ks > k; --ks) {
        const double t = (ks != p ? fabs(e[ks]) : 0.) + (ks != k + 1 ? fabs(e[ks - 1]) : 0.);
        if (fabs(s[ks]) <= tiny + kEps * t) {
          s[ks] = 0;
          break;
        }
      }
      if (ks == k)
        kase = 3;
      else if (ks == p - 1)
        kase = 1;
      else {
        kase = 2;
        k = ks;
      }
    }
    ++k;
    if (kase == 1) {  // deflate a negligible s[p-1]
      double f = e[p - 2];
      e[p - 2] = 0;
      for (int64_t j = p - 2; j >= k; --j) {
        const double t = hypot2(s[j], f), cs = s[j] / t, sn = f / t;
        s[j] = t;
        if (j != k) {
          f = -sn * e[j - 1];
          e[j - 1] = cs * e[j - 1];
        }
        rotate(&TK_V(0, j), &TK_V(0, p - 1), n, cs, sn);
      }
    } else if (kase == 2) {  // split at a negligible s[k-1]
      double f = e[k - 1];
      e[k - 1] = 0;
      for (int64_t j = k; j < p; ++j) {
        const double t = hypot2(s[j], f), cs = s[j] / t, sn = f / t;
        s[j] = t;
        f = -sn * e[j];
        e[j] = cs * e[j];
        rotate(&TK_U(0, j), &TK_U(0, k - 1), m, cs, sn);
      }
    } else if (kase == 3) {  // one QR step with the shift from the trailing 2x2
      double scale = fmax(fmax(fmax(fmax(fabs(s[p - 1]), fabs(s[p - 2])), fabs(e[p - 2])), fabs(s[k])), fabs(e[k]));
      const double sp = s[p - 1] / scale, spm1 = s[p - 2] / scale, epm1 = e[p - 2] / scale;
      const double sk = s[k] / scale, ek = e[k] / scale;
      const double b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2.0;
      const double c = (sp * epm1) * (sp * epm1);
      double shift = 0;
      if (b != 0 || c != 0) {
        shift = sqrt(b * b + c);
        if (b < 0) shift = -shift;
        shift = c / (b + shift);
      }
      double f = (sk + sp) * (sk - sp) + shift;
      double g = sk * ek;
      for (int64_t j = k; j < p - 1; ++j) {
        double t = hypot2(f, g), cs = f / t, sn = g / t;
        if (j != k) e[j - 1] = t;
        f = cs * s[j] + sn * e[j];
        e[j] = cs * e[j] - sn * s[j];
        g = sn * s[j + 1];
        s[j + 1] = cs * s[j + 1];
        rotate(&TK_V(0, j), &TK_V(0, j + 1), n, cs, sn);
        t = hypot2(f, g);
        cs = f / t;
        sn = g / t;
        s[j] = t;
        f = cs * e[j] + sn * s[j + 1];
        s[j + 1] = -sn * e[j] + cs * s[j + 1];
        g = sn * e[j + 1];
        e[j + 1] = cs * e[j + 1];
        if (j < m - 1) rotate(&TK_U(0, j), &TK_U(0, j + 1), m, cs, sn);
      }
      e[p - 2] = f;
      if (++iter > 100) e[p - 2] = 0;  // no convergence: deflate (never seen with finite input)
    } else {  // convergence of s[k]: make it non-negative, move it into descending order
      if (s[k] <= 0) {
        s[k] = s[k] < 0 ? -s[k] : 0;
        for (int64_t i = 0; i <= pp; ++i) TK_V(i, k) = -TK_V(i, k);
      }
      while (k < pp && s[k] < s[k + 1]) {
        const double t = s[k];
        s[k] = s[k + 1];
        s[k + 1] = t;
        if (k < n - 1)
          for (int64_t i = 0; i < n; ++i) {
            const double x = TK_V(i, k + 1);
            TK_V(i, k + 1) = TK_V(i, k);
            TK_V(i, k) = x;
          }
        if (k < m - 1)
          for (int64_t i = 0; i < m; ++i) {
            const double x = TK_U(i, k + 1);
            TK_U(i, k + 1) = TK_U(i, k);
            TK_U(i, k) = x;
          }
        ++k;
      }
      iter = 0;
      --p;
    }
  }
  // U^T (rows of wt) into u's columns, completed; then the signs.
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) u[i * ucols + j] = TK_U(i, j);
#undef TK_A
#undef TK_U
#undef TK_V
  complete_basis(u, m, ucols, n);
  for (int64_t j = 0; j < n; ++j) {
    if ((sign_u ? sign_of_largest(u + j, m, ucols) : sign_of_largest(vt + j * n, n, 1)) > 0) continue;
    for (int64_t i = 0; i < m; ++i) u[i * ucols + j] = -u[i * ucols + j];
    for (int64_t i = 0; i < n; ++i) vt[j * n + i] = -vt[j * n + i];
  }
}

// Householder QR of r [m, n] (A on entry, R on return: zeros below the diagonal), with LAPACK's
// reflectors H_j = I - tau_j v_j v_j^T (v_j[j] = 1; tau 0, no reflection, when the column below
// the diagonal is already zero), so R's diagonal has the signs geqrf gives. When q is non-null it
// gets Q [m, qcols] (qcols min(m, n) or m) = H_0 ... H_{k-1} I. When tau_out [min(m, n)] is
// non-null, r is left as LAPACK's geqrf leaves it: R on and above the diagonal, v_j below it, and
// tau_out gets the tau_j. work holds k * m + k + n doubles.
TK_HD_CALL inline void qr(double* r, int64_t m, int64_t n, double* q, int64_t qcols, double* work,
                          double* tau_out = nullptr) {
  const int64_t k = m < n ? m : n;
  double* vs = work;  // [k, m]: v_j in vs[j * m + j ..]
  double* tau = work + k * m;  // [k]
  double* acc = tau + k;  // [max(n, qcols)] (qr_work reserves n + m)
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
    const double beta = -(alpha >= 0 ? 1.0 : -1.0) * hypot2(alpha, xn);
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
    for (int64_t i = j + 1; i < m; ++i) r[i * n + j] = tau_out ? v[i] : 0;
  }
  if (tau_out) {
    for (int64_t j = 0; j < k; ++j) tau_out[j] = tau[j];
  } else {
    for (int64_t i = 1; i < m; ++i)
      for (int64_t j = 0; j < i && j < n; ++j) r[i * n + j] = 0;
  }
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
