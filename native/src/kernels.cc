// The numeric cores. Built with -O3 -ffp-contract=off (no fused multiply-add: products and sums round
// as in JS) and without -ffast-math (the compiler keeps the order of every sum as written). Every core
// keeps the JS reference's order of operations for every element (src/kernels/cores-js.ts), so the
// results are the same to the bit, except where a libm function enters: dense's sigmoid (exp) and
// montecarloPnl's normals (log, sin, cos) use the C library's, which may differ from V8's in the last
// bit (the generator's integer state and uniforms are the same to the bit).
//
// Speed comes from doing independent elements together, never from reordering a sum: matmul (and
// dense, covariance) are blocked and packed with a 4x8 register tile; portfolioPnl and cholesky run
// many rows' sums side by side in vector lanes; rolling and EWMA windows go along contiguous columns.
// Hot loops are written with GCC/Clang vector extensions (4 doubles: one AVX register, two SSE2 ones)
// and compiled twice on x86-64 Linux/glibc through function multi-versioning: an AVX2 clone picked at
// load time where the CPU has it, the baseline everywhere else. Other compilers get plain loops.
#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "counter_rng.h"

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) && !defined(DUALBUS_NO_CLONES) && \
    (defined(__clang__) ? (__clang_major__ >= 14) : (__GNUC__ >= 6))
#define DUALBUS_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define DUALBUS_CLONES
#endif

#if defined(__GNUC__) || defined(__clang__)
#define DUALBUS_VEC 1
#define DUALBUS_INLINE inline __attribute__((always_inline))
#define DUALBUS_RESTRICT __restrict__
#else
#define DUALBUS_VEC 0
#define DUALBUS_INLINE inline
#define DUALBUS_RESTRICT
#endif

namespace dualbus {
namespace {

#if DUALBUS_VEC
typedef double v4d __attribute__((vector_size(32)));

DUALBUS_INLINE v4d Load4(const double* p) {
  v4d v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
DUALBUS_INLINE void Store4(double* p, v4d v) { std::memcpy(p, &v, sizeof v); }
DUALBUS_INLINE v4d Splat4(double x) { return v4d{x, x, x, x}; }
#endif

// ---------------------------------------------------------------------------------------------
// GEMM: c (m x n, row stride ldc) += A (m x k) * B (k x n, row stride ldb), where A's element (i, p)
// is a[i * a_rs + p * a_cs]. Every element's sum runs over p in ascending order, one product added at
// a time, starting from c's value: the order of the plain i-k-j loop, so the same bits as JS.
// upper_only: tiles wholly below the diagonal are skipped (their elements are left as they were).
// Blocked: NC columns by KC rows of B packed into NR-wide panels (L2 resident), an MR x NR tile of
// c held in registers while the k loop runs.

constexpr size_t kMR = 4;
constexpr size_t kNR = 8;
constexpr size_t kKC = 256;
constexpr size_t kNC = 512;

#if DUALBUS_VEC
// c[r][0..8) += sum over p < kc of a_r[p * a_cs] * bp[p * 8 + 0..8), for 4 rows r.
DUALBUS_INLINE void Micro4x8(const double* a0, const double* a1, const double* a2, const double* a3, size_t a_cs,
                             const double* DUALBUS_RESTRICT bp, size_t kc, double* c, size_t ldc) {
  v4d c00 = Load4(c), c01 = Load4(c + 4);
  v4d c10 = Load4(c + ldc), c11 = Load4(c + ldc + 4);
  v4d c20 = Load4(c + 2 * ldc), c21 = Load4(c + 2 * ldc + 4);
  v4d c30 = Load4(c + 3 * ldc), c31 = Load4(c + 3 * ldc + 4);
  for (size_t p = 0; p < kc; ++p) {
    const v4d b0 = Load4(bp + p * kNR), b1 = Load4(bp + p * kNR + 4);
    const size_t ap = p * a_cs;
    v4d av = Splat4(a0[ap]);
    c00 += av * b0;
    c01 += av * b1;
    av = Splat4(a1[ap]);
    c10 += av * b0;
    c11 += av * b1;
    av = Splat4(a2[ap]);
    c20 += av * b0;
    c21 += av * b1;
    av = Splat4(a3[ap]);
    c30 += av * b0;
    c31 += av * b1;
  }
  Store4(c, c00), Store4(c + 4, c01);
  Store4(c + ldc, c10), Store4(c + ldc + 4, c11);
  Store4(c + 2 * ldc, c20), Store4(c + 2 * ldc + 4, c21);
  Store4(c + 3 * ldc, c30), Store4(c + 3 * ldc + 4, c31);
}
#else
inline void Micro4x8(const double* a0, const double* a1, const double* a2, const double* a3, size_t a_cs, const double* bp,
                     size_t kc, double* c, size_t ldc) {
  const double* rows[4] = {a0, a1, a2, a3};
  for (size_t p = 0; p < kc; ++p) {
    for (size_t r = 0; r < 4; ++r) {
      const double ar = rows[r][p * a_cs];
      for (size_t j = 0; j < kNR; ++j) c[r * ldc + j] += ar * bp[p * kNR + j];
    }
  }
}
#endif

DUALBUS_CLONES
void GemmAccumulate(const double* a, size_t a_rs, size_t a_cs, const double* b, size_t ldb, size_t m, size_t k, size_t n,
                    double* c, size_t ldc, bool upper_only) {
  if (m == 0 || n == 0 || k == 0) return;
  const size_t nc_max = std::min(n, kNC);
  const size_t kc_max = std::min(k, kKC);
  std::vector<double> packed(((nc_max + kNR - 1) / kNR) * kNR * kc_max);
  double tile[kMR * kNR];
  for (size_t jc = 0; jc < n; jc += kNC) {
    const size_t nc = std::min(kNC, n - jc);
    const size_t panels = (nc + kNR - 1) / kNR;
    for (size_t pc = 0; pc < k; pc += kKC) {
      const size_t kc = std::min(kKC, k - pc);
      // Pack B[pc .. pc+kc, jc .. jc+nc) into panels of kNR columns (the last one zero-padded).
      for (size_t q = 0; q < panels; ++q) {
        double* dst = packed.data() + q * kc * kNR;
        const size_t j0 = jc + q * kNR;
        const size_t nr = std::min(kNR, n - j0);
        for (size_t p = 0; p < kc; ++p) {
          const double* src = b + (pc + p) * ldb + j0;
          double* d = dst + p * kNR;
          if (nr == kNR) {
            for (size_t j = 0; j < kNR; ++j) d[j] = src[j];
          } else {
            for (size_t j = 0; j < kNR; ++j) d[j] = j < nr ? src[j] : 0.0;
          }
        }
      }
      for (size_t i = 0; i < m; i += kMR) {
        const size_t mr = std::min(kMR, m - i);
        // Rows past m repeat the last row (read, never written back).
        const double* ar[kMR];
        for (size_t r = 0; r < kMR; ++r) ar[r] = a + (i + std::min(r, mr - 1)) * a_rs + pc * a_cs;
        for (size_t q = 0; q < panels; ++q) {
          const size_t j0 = jc + q * kNR;
          const size_t nr = std::min(kNR, n - j0);
          const double* bp = packed.data() + q * kc * kNR;
          double* cij = c + i * ldc + j0;
          if (upper_only && j0 + nr <= i) continue;  // a tile wholly below the diagonal
          if (mr == kMR && nr == kNR) {
            Micro4x8(ar[0], ar[1], ar[2], ar[3], a_cs, bp, kc, cij, ldc);
          } else {
            for (size_t r = 0; r < kMR; ++r)
              for (size_t j = 0; j < kNR; ++j) tile[r * kNR + j] = (r < mr && j < nr) ? cij[r * ldc + j] : 0.0;
            Micro4x8(ar[0], ar[1], ar[2], ar[3], a_cs, bp, kc, tile, kNR);
            for (size_t r = 0; r < mr; ++r)
              for (size_t j = 0; j < nr; ++j) cij[r * ldc + j] = tile[r * kNR + j];
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Dot products over strided rows: out[r] = sum_j x[r * n + j] * w[j], j ascending (the JS order), for
// kRowGroups * 4 rows at a time: each row's sum is one lane of a vector, and the independent vectors
// keep several additions in flight (a single row's chain would wait on every add).

#if DUALBUS_VEC
// The products p_r[0..4) of rows r = 0..3 added to acc lane r in the order p_r[0], p_r[1], p_r[2], p_r[3]:
// a 4x4 transpose, then four vertical adds.
DUALBUS_INLINE v4d AddTransposed(v4d acc, v4d p0, v4d p1, v4d p2, v4d p3) {
#if defined(__clang__)
  const v4d t0 = __builtin_shufflevector(p0, p1, 0, 4, 2, 6), t1 = __builtin_shufflevector(p0, p1, 1, 5, 3, 7);
  const v4d t2 = __builtin_shufflevector(p2, p3, 0, 4, 2, 6), t3 = __builtin_shufflevector(p2, p3, 1, 5, 3, 7);
  acc += __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
  acc += __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
  acc += __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
  acc += __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
#else
  typedef long long v4i __attribute__((vector_size(32)));
  const v4d t0 = __builtin_shuffle(p0, p1, v4i{0, 4, 2, 6}), t1 = __builtin_shuffle(p0, p1, v4i{1, 5, 3, 7});
  const v4d t2 = __builtin_shuffle(p2, p3, v4i{0, 4, 2, 6}), t3 = __builtin_shuffle(p2, p3, v4i{1, 5, 3, 7});
  acc += __builtin_shuffle(t0, t2, v4i{0, 1, 4, 5});
  acc += __builtin_shuffle(t1, t3, v4i{0, 1, 4, 5});
  acc += __builtin_shuffle(t0, t2, v4i{2, 3, 6, 7});
  acc += __builtin_shuffle(t1, t3, v4i{2, 3, 6, 7});
#endif
  return acc;
}
#endif

constexpr size_t kRowGroups = 4;

DUALBUS_CLONES
void RowDots(const double* DUALBUS_RESTRICT x, const double* DUALBUS_RESTRICT w, size_t t, size_t n,
             double* DUALBUS_RESTRICT out) {
  size_t r = 0;
#if DUALBUS_VEC
  constexpr size_t kRows = 4 * kRowGroups;
  for (; r + kRows <= t; r += kRows) {
    const double* xr = x + r * n;
    v4d acc[kRowGroups];
    for (size_t g = 0; g < kRowGroups; ++g) acc[g] = Splat4(0.0);
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
      const v4d wv = Load4(w + j);
      for (size_t g = 0; g < kRowGroups; ++g) {
        const double* x0 = xr + 4 * g * n + j;
        acc[g] = AddTransposed(acc[g], Load4(x0) * wv, Load4(x0 + n) * wv, Load4(x0 + 2 * n) * wv, Load4(x0 + 3 * n) * wv);
      }
    }
    for (size_t g = 0; g < kRowGroups; ++g) {
      for (size_t q = 0; q < 4; ++q) {
        const double* xq = xr + (4 * g + q) * n;
        double s = acc[g][q];
        for (size_t jj = j; jj < n; ++jj) s += xq[jj] * w[jj];
        out[r + 4 * g + q] = s;
      }
    }
  }
#endif
  for (; r < t; ++r) {
    const double* xr = x + r * n;
    double s = 0.0;
    for (size_t j = 0; j < n; ++j) s += xr[j] * w[j];
    out[r] = s;
  }
}

// Cholesky-Banachiewicz in the JS order: L[i][j] = (a[i][j] - L[i][0] L[j][0] - L[i][1] L[j][1] - ...) / L[j][j],
// one product subtracted at a time, p ascending. Rows go in blocks of kCholRows: for the columns left of
// the block, the rows' chains run side by side as the lanes of vectors (reading L transposed, so that
// the block's L[i][p] are contiguous); the block's own triangle runs row by row.

constexpr size_t kCholGroups = 4;
constexpr size_t kCholRows = 4 * kCholGroups;

DUALBUS_CLONES
bool CholeskyImpl(const double* a, size_t n, double* l, double* lt /* n * n + kCholRows, transposed L */) {
  for (size_t i0 = 0; i0 < n; i0 += kCholRows) {
    const size_t rb = std::min(kCholRows, n - i0);
    for (size_t j = 0; j < i0; ++j) {
      const double* lj = l + j * n;
      double s[kCholRows];
      for (size_t r = 0; r < kCholRows; ++r) s[r] = r < rb ? a[(i0 + r) * n + j] : 0.0;
#if DUALBUS_VEC
      v4d sv[kCholGroups];
      for (size_t g = 0; g < kCholGroups; ++g) sv[g] = Load4(s + 4 * g);
      for (size_t p = 0; p < j; ++p) {
        const v4d ljp = Splat4(lj[p]);
        const double* col = lt + p * n + i0;  // L[i0 ..][p]; lanes past n read padding or the next column
        for (size_t g = 0; g < kCholGroups; ++g) sv[g] -= Load4(col + 4 * g) * ljp;
      }
      const v4d d = Splat4(lj[j]);
      for (size_t g = 0; g < kCholGroups; ++g) Store4(s + 4 * g, sv[g] / d);
#else
      for (size_t p = 0; p < j; ++p)
        for (size_t r = 0; r < kCholRows; ++r) s[r] -= lt[p * n + i0 + r] * lj[p];
      for (size_t r = 0; r < kCholRows; ++r) s[r] /= lj[j];
#endif
      for (size_t r = 0; r < rb; ++r) {
        l[(i0 + r) * n + j] = s[r];
        lt[j * n + i0 + r] = s[r];
      }
    }
    for (size_t i = i0; i < i0 + rb; ++i) {
      double* li = l + i * n;
      for (size_t j = i0; j <= i; ++j) {
        const double* lj = l + j * n;
        double s = a[i * n + j];
        for (size_t p = 0; p < j; ++p) s -= li[p] * lj[p];
        if (i == j) {
          // As JS: the pivot must keep more than 1e-12 of its diagonal entry (a singular matrix leaves
          // a rounding residue of either sign, not 0); the negated test also catches NaN.
          if (!(s > 1e-12 * a[i * n + i])) return false;
          li[i] = std::sqrt(s);
        } else {
          li[j] = s / lj[j];
        }
        lt[j * n + i] = li[j];
      }
    }
  }
  return true;
}

DUALBUS_CLONES
void CenterRows(const double* DUALBUS_RESTRICT x, const double* DUALBUS_RESTRICT mean, size_t rows, size_t n,
                double* DUALBUS_RESTRICT d) {
  for (size_t r = 0; r < rows; ++r) {
    const double* xr = x + r * n;
    double* dr = d + r * n;
    for (size_t j = 0; j < n; ++j) dr[j] = xr[j] - mean[j];
  }
}

DUALBUS_CLONES
void ColumnSums(const double* DUALBUS_RESTRICT x, size_t rows, size_t n, double* DUALBUS_RESTRICT sums) {
  for (size_t j = 0; j < n; ++j) sums[j] = 0.0;
  for (size_t r = 0; r < rows; ++r) {
    const double* xr = x + r * n;
    for (size_t j = 0; j < n; ++j) sums[j] += xr[j];
  }
}

DUALBUS_CLONES
void EwmaImpl(const double* DUALBUS_RESTRICT x, size_t t, size_t n, double lambda, double* DUALBUS_RESTRICT out,
              double* DUALBUS_RESTRICT s2) {
  const double mix = 1.0 - lambda;
  for (size_t j = 0; j < n; ++j) {
    s2[j] = x[j] * x[j];
    out[j] = std::sqrt(s2[j]);
  }
  for (size_t i = 1; i < t; ++i) {
    const double* xi = x + i * n;
    double* oi = out + i * n;
    for (size_t j = 0; j < n; ++j) {
      const double v = lambda * s2[j] + mix * xi[j] * xi[j];  // (mix * x) * x, as JS evaluates it
      s2[j] = v;
      oi[j] = std::sqrt(v);
    }
  }
}

DUALBUS_CLONES
void ActivateRows(double* out, size_t count, int activation) {
  if (activation == 1) {
    for (size_t i = 0; i < count; ++i) out[i] = out[i] < 0.0 ? 0.0 : out[i];  // NaN stays NaN, -0 stays -0
  } else if (activation == 2) {
    for (size_t i = 0; i < count; ++i) out[i] = 1.0 / (1.0 + std::exp(-out[i]));
  }
}

// One row of rollingMoments: the window of rows (end - window, end], summed afresh in two passes in
// the JS order (rows ascending), all columns at once.
DUALBUS_CLONES
void WindowMoments(const double* DUALBUS_RESTRICT x, size_t n, size_t end, size_t window, double* DUALBUS_RESTRICT m,
                   double* DUALBUS_RESTRICT s) {
  for (size_t c = 0; c < n; ++c) m[c] = 0.0, s[c] = 0.0;
  const size_t r0 = end + 1 - window;
  for (size_t r = r0; r <= end; ++r) {
    const double* xr = x + r * n;
    for (size_t c = 0; c < n; ++c) m[c] += xr[c];
  }
  const double w = static_cast<double>(window);
  for (size_t c = 0; c < n; ++c) m[c] /= w;
  for (size_t r = r0; r <= end; ++r) {
    const double* xr = x + r * n;
    for (size_t c = 0; c < n; ++c) {
      const double d = xr[c] - m[c];
      s[c] += d * d;
    }
  }
  const double w1 = w - 1.0;
  for (size_t c = 0; c < n; ++c) s[c] = std::sqrt(s[c] / w1);
}

}  // namespace

void Matmul(const double* a, const double* b, size_t m, size_t k, size_t n, double* out) {
  std::fill(out, out + m * n, 0.0);
  GemmAccumulate(a, k, 1, b, n, m, k, n, out, n, false);
}

void Dense(const double* x, const double* w, const double* bias, size_t rows, size_t inputs, size_t outputs, int activation,
           double* out) {
  // out = bias, then the products added in input order: the JS order.
  for (size_t r = 0; r < rows; ++r) std::copy(bias, bias + outputs, out + r * outputs);
  GemmAccumulate(x, inputs, 1, w, outputs, rows, inputs, outputs, out, outputs, false);
  ActivateRows(out, rows * outputs, activation);
}

void PortfolioPnl(const double* returns, const double* weights, size_t t, size_t n, double* out) {
  RowDots(returns, weights, t, n, out);
}

void LowestFirst(double* values, size_t length, size_t k) {
  // A tail of k out of length: a partial sort (a heap of k, then k log k) instead of sorting all of it.
  std::partial_sort(values, values + k, values + length);
}

void Covariance(const double* x, size_t n, size_t start, size_t rows, double* out) {
  const double* x0 = x + start * n;
  std::vector<double> mean(n);
  ColumnSums(x0, rows, n, mean.data());
  const double count = static_cast<double>(rows);
  for (size_t j = 0; j < n; ++j) mean[j] /= count;
  std::fill(out, out + n * n, 0.0);
  // out += D' D over chunks of centered rows D, rows in ascending order for every element.
  constexpr size_t kChunk = 256;
  std::vector<double> d(std::min(rows, kChunk) * n);
  for (size_t r0 = 0; r0 < rows; r0 += kChunk) {
    const size_t len = std::min(kChunk, rows - r0);
    CenterRows(x0 + r0 * n, mean.data(), len, n, d.data());
    // A (n x len) = D': element (i, p) = d[p * n + i].
    // Only the upper triangle is needed (the JS loops compute j >= i and mirror it).
    GemmAccumulate(d.data(), 1, n, d.data(), n, n, len, n, out, n, true);
  }
  const double denom = count - 1.0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i; j < n; ++j) {
      const double v = out[i * n + j] / denom;
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
}

bool Cholesky(const double* a, size_t n, double* out) {
  std::fill(out, out + n * n, 0.0);  // zeros above the diagonal (and, as in JS, where a failed factorisation stopped)
  std::vector<double> lt(n * n + kCholRows, 0.0);
  return CholeskyImpl(a, n, out, lt.data());
}

void MontecarloPnl(const double* chol, const double* mean, const double* weights, size_t n, size_t paths, uint32_t seed,
                   double* out) {
  // The JS order of every sum: v = L' w over i ascending, then per path base + sum_j v_j z_j over j
  // ascending (a linear portfolio's P&L needs v only: n multiply-adds per path, not n^2 / 2).
  double base = 0.0;
  for (size_t i = 0; i < n; ++i) base += weights[i] * mean[i];
  std::vector<double> v(n), z(n);
  for (size_t j = 0; j < n; ++j) {
    double s = 0.0;
    for (size_t i = j; i < n; ++i) s += weights[i] * chol[i * n + j];
    v[j] = s;
  }
  for (size_t p = 0; p < paths; ++p) {
    ScenarioNormals(seed, static_cast<uint32_t>(p), z.data(), n);
    double pnl = base;
    for (size_t j = 0; j < n; ++j) pnl += v[j] * z[j];
    out[p] = pnl;
  }
}

void RollingMoments(const double* x, size_t t, size_t n, size_t window, double* out_mean, double* out_std) {
  const size_t first = std::min(window - 1, t);
  std::fill(out_mean, out_mean + first * n, std::nan(""));
  std::fill(out_std, out_std + first * n, std::nan(""));
  for (size_t end = window - 1; end < t; ++end) WindowMoments(x, n, end, window, out_mean + end * n, out_std + end * n);
}

void EwmaVolatility(const double* x, size_t t, size_t n, double lambda, double* out) {
  if (t == 0 || n == 0) return;
  std::vector<double> s2(n);
  EwmaImpl(x, t, n, lambda, out, s2.data());
}

}  // namespace dualbus
