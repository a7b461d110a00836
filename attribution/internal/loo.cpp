// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Leave-one-out values φ_i = U(N) − U(N∖{i}) (the baseline of Ghorbani & Zou, ICML 2019):
// Method::loo of estimate() (attribution/estimator.hpp); n + 2 evaluations.
#include "attribution/internal/estimators.hpp"

#include <cstddef>
#include <vector>

namespace flywheel::attribution::internal {

Result<Estimate> run_loo(std::size_t n, Evaluator& evaluator, const EstimatorOptions& options) {
  const Coalition full = full_mask(n);
  std::vector<Coalition> batch = {0, full};
  for (std::size_t i = 0; i < n; ++i) batch.push_back(full & ~member(i));
  FLYWHEEL_TRY(evaluator.evaluate(batch));
  Estimate out;
  for (std::size_t i = 0; i < n; ++i) {
    out.values.push_back(evaluator.at(full) - evaluator.at(full & ~member(i)));
  }
  out.std_errors.assign(n, 0.0);
  fill_common(out, Method::loo, n, evaluator, options);
  return out;
}

}  // namespace flywheel::attribution::internal
