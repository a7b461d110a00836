// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "attribution/shapley.hpp"

#include "attribution/estimator.hpp"

namespace flywheel::attribution {

Result<ShapleyValues> exact_shapley(std::size_t n, const Utility& utility) {
  // One thread: callers of this older entry point need not make `utility` thread-safe.
  EstimatorOptions options;
  options.threads = 1;
  auto estimate_result = estimate(Method::exact, n, utility, options);
  if (!estimate_result) return tl::unexpected(estimate_result.error());
  return ShapleyValues{.values = std::move(estimate_result->values),
                       .empty_utility = estimate_result->empty_utility,
                       .grand_utility = estimate_result->grand_utility,
                       .evaluations = estimate_result->evaluations};
}

}  // namespace flywheel::attribution
