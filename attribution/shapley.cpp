// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "attribution/shapley.hpp"

#include <cstdio>

#include "attribution/estimator.hpp"

namespace flywheel::attribution {

std::string coalition_hex(Coalition s) {
  char buf[40];
  const auto high = static_cast<unsigned long long>(coalition_high(s));
  const auto low = static_cast<unsigned long long>(coalition_low(s));
  if (high == 0) {
    std::snprintf(buf, sizeof buf, "%llx", low);
  } else {
    std::snprintf(buf, sizeof buf, "%llx%016llx", high, low);
  }
  return buf;
}

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
