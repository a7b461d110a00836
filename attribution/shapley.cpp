// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "attribution/shapley.hpp"

#include <bit>
#include <cmath>
#include <string>

namespace flywheel::attribution {

Result<ShapleyValues> exact_shapley(std::size_t n, const Utility& utility) {
  if (n == 0) return fail(Errc::invalid_argument, "exact Shapley needs at least one participant");
  if (n > kMaxExactParticipants) {
    return fail(Errc::invalid_argument,
                "exact Shapley costs 2^n utility evaluations; n = " + std::to_string(n) +
                    " exceeds the limit of " + std::to_string(kMaxExactParticipants) +
                    " participants per round");
  }
  const Coalition full = (Coalition{1} << n) - 1;

  // Every coalition is needed by the exact formula, so evaluating the whole power set once is the
  // memo: each U(S) is computed exactly once.
  std::vector<double> u(full + 1);
  for (Coalition s = 0; s <= full; ++s) u[s] = utility(s);

  // weight[k] = k!(n-k-1)!/n! = 1 / (n * C(n-1, k)), computed without factorial overflow.
  std::vector<double> weight(n);
  for (std::size_t k = 0; k < n; ++k) {
    double binom = 1;  // C(n-1, k)
    for (std::size_t j = 1; j <= k; ++j) {
      binom = binom * static_cast<double>(n - 1 - k + j) / static_cast<double>(j);
    }
    weight[k] = 1.0 / (static_cast<double>(n) * binom);
  }

  ShapleyValues out;
  out.values.assign(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const Coalition bit = Coalition{1} << i;
    // Sum small contributions grouped by coalition size first, so rounding does not depend on
    // the order of very different weights.
    std::vector<double> by_size(n, 0.0);
    for (Coalition s = 0; s <= full; ++s) {
      if (s & bit) continue;
      by_size[static_cast<std::size_t>(std::popcount(s))] += u[s | bit] - u[s];
    }
    double phi = 0;
    for (std::size_t k = 0; k < n; ++k) phi += weight[k] * by_size[k];
    out.values[i] = phi;
  }
  out.empty_utility = u[0];
  out.grand_utility = u[full];
  out.evaluations = u.size();
  return out;
}

}  // namespace flywheel::attribution
