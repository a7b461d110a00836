// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The border strata and the stratified estimate of the stratified and gtg estimators (strata.hpp;
// Stratified SVARM, Kolpaczki et al., AAAI 2024).
#include "attribution/internal/strata.hpp"

#include <cmath>

#include "attribution/internal/estimators.hpp"
#include "attribution/internal/sampling.hpp"

namespace flywheel::attribution::internal {

std::vector<Coalition> border_coalitions(std::size_t n, bool pairs) {
  const Coalition full = full_mask(n);
  std::vector<Coalition> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(member(i));
  for (std::size_t i = 0; i < n; ++i) out.push_back(full & ~member(i));
  if (pairs) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) out.push_back(member(i) | member(j));
    }
  }
  return out;
}

bool border_pairs(std::size_t n, const EstimatorOptions& options) {
  if (n < 4) return false;  // size 2 is then already a border size (n − 1 or n − 2 ≤ 2)
  const std::size_t cost = 2 * n + 2 + n * (n - 1) / 2;
  if (options.max_evaluations > 0) return 2 * cost <= options.max_evaluations;
  return n <= kMaxSurrogateParticipants;
}

void stratified_values(std::size_t n, const std::vector<std::pair<Coalition, double>>& residual,
                       const std::vector<double>& base, std::vector<double>& values, std::vector<double>& errors) {
  std::vector<RunningStats> with(n + 1, RunningStats(n)), without(n + 1, RunningStats(n));
  RunningStats by_size(n + 1);
  for (const auto& [s, r] : residual) {
    const std::size_t size = coalition_size(s);
    by_size.add(size, r);
    for (std::size_t i = 0; i < n; ++i) (coalition_contains(s, i) ? with : without)[size].add(i, r);
  }
  auto pooled = [&](std::size_t size) {
    const std::size_t m = by_size.count(size);
    if (m == 0) return kInf;
    if (static_cast<double>(m) >= binomial(n, size)) return 0.0;  // enumerated
    return m < 2 ? kInf : by_size.variance(size);
  };
  for (std::size_t i = 0; i < n; ++i) {
    double phi = 0, var = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const double population = binomial(n - 1, k);
      for (int side = 0; side < 2; ++side) {
        const std::size_t size = side == 0 ? k + 1 : k;
        const RunningStats& stats = (side == 0 ? with : without)[size];
        const double sign = side == 0 ? 1.0 : -1.0;
        const double v = pooled(size);
        const std::size_t m = stats.count(i);
        if (m > 0) {
          phi += sign * stats.mean(i);
          const double unseen = std::max(0.0, 1.0 - static_cast<double>(m) / population);
          if (unseen > 0) var += v / static_cast<double>(m) * unseen;
        } else if (by_size.count(size) > 0) {
          phi += sign * by_size.mean(size);
          var += v;
        } else {
          var = kInf;
        }
      }
    }
    values[i] = base[i] + phi / static_cast<double>(n);
    errors[i] = std::sqrt(var) / static_cast<double>(n);
  }
}

}  // namespace flywheel::attribution::internal
