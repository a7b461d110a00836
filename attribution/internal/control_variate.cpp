// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The caller's control variate, checked, and the fitted FedAvg-mixture surrogate of the stratified
// estimator (control_variate.hpp), with exact Shapley values (Shapley 1953) of a tabulated game.
#include "attribution/internal/control_variate.hpp"

#include <bit>
#include <cmath>
#include <string>

#include "attribution/internal/estimators.hpp"
#include "attribution/internal/sampling.hpp"

namespace flywheel::attribution::internal {
namespace {

// Solves A x = b (P×P, row-major, symmetric positive definite after the ridge) by Gaussian
// elimination with partial pivoting; deterministic.
std::vector<double> solve_linear(std::vector<double> a, std::vector<double> b, std::size_t p) {
  for (std::size_t c = 0; c < p; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < p; ++r) {
      if (std::abs(a[r * p + c]) > std::abs(a[pivot * p + c])) pivot = r;
    }
    if (pivot != c) {
      for (std::size_t q = 0; q < p; ++q) std::swap(a[c * p + q], a[pivot * p + q]);
      std::swap(b[c], b[pivot]);
    }
    const double d = a[c * p + c];
    if (d == 0) continue;
    for (std::size_t r = c + 1; r < p; ++r) {
      const double factor = a[r * p + c] / d;
      if (factor == 0) continue;
      for (std::size_t q = c; q < p; ++q) a[r * p + q] -= factor * a[c * p + q];
      b[r] -= factor * b[c];
    }
  }
  std::vector<double> x(p, 0.0);
  for (std::size_t c = p; c-- > 0;) {
    double v = b[c];
    for (std::size_t q = c + 1; q < p; ++q) v -= a[c * p + q] * x[q];
    x[c] = a[c * p + c] != 0 ? v / a[c * p + c] : 0.0;
  }
  return x;
}

}  // namespace

Surrogate fit_surrogate(std::size_t n, const std::vector<double>& weights,
                        const std::vector<std::pair<Coalition, double>>& pool, const Evaluator& evaluator) {
  Surrogate f;
  f.n = n;
  f.w = weights;
  f.empty = evaluator.at(0);
  f.g.assign(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i) f.g[i * n + i] = evaluator.at(member(i));
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const double a = f.w[i] / (f.w[i] + f.w[j]), b = f.w[j] / (f.w[i] + f.w[j]);
      const double gij =
          (evaluator.at(member(i) | member(j)) - a * a * f.g[i * n + i] - b * b * f.g[j * n + j]) / (2 * a * b);
      f.g[i * n + j] = f.g[j * n + i] = gij;
    }
  }
  constexpr double kRidge = 1e-4;
  const std::size_t p = n * (n + 1) / 2;
  std::vector<std::size_t> row(p), col(p);
  for (std::size_t i = 0, k = 0; i < n; ++i) {
    for (std::size_t j = i; j < n; ++j, ++k) {
      row[k] = i;
      col[k] = j;
    }
  }
  std::vector<double> a(p * p, 0.0), b(p, 0.0), x(p);
  std::vector<std::size_t> nonzero;
  for (const auto& [s, u] : pool) {
    if (s == 0) continue;
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) total += coalition_contains(s, i) ? f.w[i] : 0.0;
    nonzero.clear();
    for (std::size_t k = 0; k < p; ++k) {
      if (coalition_contains(s, row[k]) && coalition_contains(s, col[k])) {
        x[k] = (row[k] == col[k] ? 1.0 : 2.0) * f.w[row[k]] * f.w[col[k]] / (total * total);
        nonzero.push_back(k);
      }
    }
    for (std::size_t k : nonzero) {
      b[k] += x[k] * u;
      for (std::size_t q : nonzero) a[k * p + q] += x[k] * x[q];
    }
  }
  for (std::size_t k = 0; k < p; ++k) {
    a[k * p + k] += kRidge;
    b[k] += kRidge * f.g[row[k] * n + col[k]];
  }
  const auto solved = solve_linear(std::move(a), std::move(b), p);
  for (std::size_t k = 0; k < p; ++k) f.g[row[k] * n + col[k]] = f.g[col[k] * n + row[k]] = solved[k];
  return f;
}

Result<std::vector<double>> supplied_control_variate(std::size_t n, const EstimatorOptions& options) {
  if (!options.control_variate || n > kMaxSurrogateParticipants) return std::vector<double>{};
  auto table = options.control_variate();
  if (!table) return tl::unexpected(table.error());
  if (!table->empty() && table->size() != (std::size_t{1} << n)) {
    return fail(Errc::internal, "the control variate has " + std::to_string(table->size()) + " values, expected 2^" +
                                    std::to_string(n));
  }
  for (double v : *table) {
    if (!std::isfinite(v)) return fail(Errc::internal, "the control variate has a value that is not finite");
  }
  return table;
}

std::vector<double> table_shapley(std::size_t n, const std::vector<double>& u) {
  const std::size_t count = std::size_t{1} << n;
  std::vector<double> weight(n);
  for (std::size_t k = 0; k < n; ++k) weight[k] = 1.0 / (static_cast<double>(n) * binomial(n - 1, k));
  std::vector<double> phi(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> by_size(n, 0.0);
    for (std::size_t s = 0; s < count; ++s) {
      if ((s >> i) & 1U) continue;
      by_size[static_cast<std::size_t>(std::popcount(s))] += u[s | (std::size_t{1} << i)] - u[s];
    }
    for (std::size_t k = 0; k < n; ++k) phi[i] += weight[k] * by_size[k];
  }
  return phi;
}

std::vector<double> surrogate_shapley(const Surrogate& f) {
  const std::size_t n = f.n;
  const std::size_t count = std::size_t{1} << n;
  std::vector<double> q(count, 0.0), total(count, 0.0), u(count, 0.0);
  u[0] = f.empty;
  for (std::size_t s = 1; s < count; ++s) {
    const std::size_t k = static_cast<std::size_t>(std::countr_zero(s));
    const std::size_t rest = s & (s - 1);
    double cross = 0;
    for (std::size_t j = 0; j < n; ++j) {
      if ((rest >> j) & 1U) cross += f.w[j] * f.g[k * n + j];
    }
    q[s] = q[rest] + f.w[k] * f.w[k] * f.g[k * n + k] + 2 * f.w[k] * cross;
    total[s] = total[rest] + f.w[k];
    u[s] = q[s] / (total[s] * total[s]);
  }
  return table_shapley(n, u);
}

}  // namespace flywheel::attribution::internal
