// The numeric cores on raw pointers: the loops behind the exports of addon.cc, with the semantics of
// src/kernels/cores.ts (row-major matrices, results written into caller-allocated outputs).
// The caller (addon.cc) has checked every size and length: these functions trust them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dualbus {

void Matmul(const double* a, const double* b, size_t m, size_t k, size_t n, double* out);
void Dense(const double* x, const double* w, const double* bias, size_t rows, size_t inputs, size_t outputs, int activation,
           double* out);
void PortfolioPnl(const double* returns, const double* weights, size_t t, size_t n, double* out);
// Rearranges values (length) so that the first k hold its k smallest in ascending order.
void LowestFirst(double* values, size_t length, size_t k);
void Covariance(const double* x, size_t n, size_t start, size_t rows, double* out);
bool Cholesky(const double* a, size_t n, double* out);
void MontecarloPnl(const double* chol, const double* mean, const double* weights, size_t n, size_t paths, uint32_t seed,
                   double* out);
void RollingMoments(const double* x, size_t t, size_t n, size_t window, double* out_mean, double* out_std);
void EwmaVolatility(const double* x, size_t t, size_t n, double lambda, double* out);

}  // namespace dualbus
