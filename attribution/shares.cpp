// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "attribution/shares.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace flywheel::attribution {

namespace {
using u128 = unsigned __int128;
// Values are fixed to 1e-12 before splitting so that the split is pure integer arithmetic: the
// same values give the same shares on every machine and compiler.
constexpr double kFixedScale = 1e12;
// A job value above this cannot be fixed without overflowing the 128-bit products below.
constexpr double kMaxValue = 1e6;
}  // namespace

Result<std::vector<std::uint64_t>> allocate_shares(std::span<const double> values, std::uint64_t total) {
  if (values.empty()) return fail(Errc::invalid_argument, "cannot allocate shares to nobody");
  std::vector<u128> weight(values.size(), 0);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (!std::isfinite(v)) {
      return fail(Errc::invalid_argument, "value of participant " + std::to_string(i) + " is not finite");
    }
    if (std::fabs(v) > kMaxValue) {
      return fail(Errc::invalid_argument,
                  "value of participant " + std::to_string(i) + " exceeds " + std::to_string(kMaxValue));
    }
    if (v > 0) weight[i] = static_cast<u128>(std::llround(v * kFixedScale));
  }
  u128 sum = std::accumulate(weight.begin(), weight.end(), u128(0));
  if (sum == 0) {
    // Splitting equally would pay participants whose value is not positive, which the policy
    // forbids; a job where nobody added value has nothing to attribute.
    return fail(Errc::invalid_argument, "no participant has a positive value, so there is nothing to turn into shares");
  }

  std::vector<std::uint64_t> shares(values.size());
  std::vector<u128> remainder(values.size());
  std::uint64_t allocated = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const u128 product = weight[i] * total;
    shares[i] = static_cast<std::uint64_t>(product / sum);
    remainder[i] = product % sum;
    allocated += shares[i];
  }
  // Largest remainder: the units lost to flooring go to the largest fractional parts; ties go to
  // the lower index. Only participants with weight can receive them.
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return remainder[a] > remainder[b]; });
  for (std::size_t k = 0; allocated < total; ++k) {
    const std::size_t i = order[k % order.size()];
    if (weight[i] == 0) continue;
    ++shares[i];
    ++allocated;
  }
  return shares;
}

}  // namespace flywheel::attribution
