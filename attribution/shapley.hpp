// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Exact Shapley values of a cooperative game over one round's participants.
//! Shapley, "A value for n-person games" (1953); the FL game follows FedSV (Wang et al. 2020) and
//! GTG-Shapley (Liu et al. 2022): U(S) is a metric of the coalition model rebuilt from the members'
//! updates, with no retraining.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "common/result.hpp"

namespace flywheel::attribution {

//! A coalition as a bitmask over the round's participants: bit i set means participant i is in.
using Coalition = std::uint64_t;

//! U(S). Must be deterministic: the same coalition always gives the same utility.
using Utility = std::function<double(Coalition)>;

//! The largest n for which exact Shapley is accepted (2^n utility evaluations).
inline constexpr std::size_t kMaxExactParticipants = 16;

//! Result of a Shapley computation for one round.
struct ShapleyValues {
  std::vector<double> values;     //!< φ_i, one per participant, in the round's order
  double empty_utility = 0;       //!< U(∅)
  double grand_utility = 0;       //!< U(N)
  std::size_t evaluations = 0;    //!< distinct coalitions evaluated (memoised)
};

//! Exact Shapley values for n participants: φ_i = Σ_{S ⊆ N∖{i}} |S|!(n−|S|−1)!/n! (U(S∪{i}) − U(S)).
//! Each coalition's utility is evaluated once. Errc::invalid_argument when n is 0 or exceeds
//! kMaxExactParticipants. Efficiency holds up to float rounding: Σ φ_i = U(N) − U(∅).
//! Equivalent to estimate(Method::exact, n, utility, {.threads = 1}) (attribution/estimator.hpp),
//! which also offers the sampling estimators; `utility` is called from the calling thread only.
Result<ShapleyValues> exact_shapley(std::size_t n, const Utility& utility);

}  // namespace flywheel::attribution
