// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Exact Shapley values (L. S. Shapley, "A value for n-person games", 1953) of the round's game
// over all 2^n coalitions: Method::exact of estimate() (attribution/estimator.hpp).
#include "attribution/internal/estimators.hpp"

#include <cstddef>
#include <numeric>
#include <vector>

namespace flywheel::attribution::internal {

Result<Estimate> run_exact(std::size_t n, Evaluator& evaluator, const EstimatorOptions& options) {
  const Coalition full = full_mask(n);
  std::vector<Coalition> all(static_cast<std::size_t>(full) + 1);
  std::iota(all.begin(), all.end(), Coalition{0});
  FLYWHEEL_TRY(evaluator.evaluate(all));
  std::vector<double> u(all.size());
  for (Coalition s = 0; s <= full; ++s) u[static_cast<std::size_t>(s)] = evaluator.at(s);

  // weight[k] = k!(n-k-1)!/n! = 1 / (n * C(n-1, k)), computed without factorial overflow.
  std::vector<double> weight(n);
  for (std::size_t k = 0; k < n; ++k) {
    double binom = 1;
    for (std::size_t j = 1; j <= k; ++j) {
      binom = binom * static_cast<double>(n - 1 - k + j) / static_cast<double>(j);
    }
    weight[k] = 1.0 / (static_cast<double>(n) * binom);
  }
  Estimate out;
  out.values.assign(n, 0.0);
  out.std_errors.assign(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const Coalition bit = member(i);
    // Sum marginals grouped by coalition size first, so rounding does not depend on the order of
    // very different weights.
    std::vector<double> by_size(n, 0.0);
    for (Coalition s = 0; s <= full; ++s) {
      if (s & bit) continue;
      by_size[coalition_size(s)] += u[static_cast<std::size_t>(s | bit)] - u[static_cast<std::size_t>(s)];
    }
    double phi = 0;
    for (std::size_t k = 0; k < n; ++k) phi += weight[k] * by_size[k];
    out.values[i] = phi;
  }
  fill_common(out, Method::exact, n, evaluator, options);
  return out;
}

}  // namespace flywheel::attribution::internal
