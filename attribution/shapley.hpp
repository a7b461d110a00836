// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Exact Shapley values of a cooperative game over one round's participants.
//! Shapley, "A value for n-person games" (1953); the FL game follows FedSV (Wang et al. 2020) and
//! GTG-Shapley (Liu et al. 2022): U(S) is a metric of the coalition model rebuilt from the members'
//! updates, with no retraining.
//!
//!   auto phi = exact_shapley(3, [](Coalition s) { return static_cast<double>(coalition_size(s)); });
//!   // phi->values == {1, 1, 1}: each participant adds 1 to every coalition it joins;
//!   // phi->evaluations == 8, every coalition once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace flywheel::attribution {

//! A coalition as a bitmask over the round's participants: bit i set means participant i is in.
//! 128 bits wide (GCC/Clang's unsigned __int128, usable in strict C++20), so a round has at most
//! 128 participants. std::hash, std::popcount and iostreams do not accept it in strict mode: use
//! CoalitionHash, coalition_size and coalition_hex below.
__extension__ typedef unsigned __int128 Coalition;

//! Number of bits (participants) a Coalition can hold.
inline constexpr std::size_t kCoalitionBits = 128;

//! The coalition holding only participant `i` (i < kCoalitionBits).
constexpr Coalition coalition_member(std::size_t i) { return Coalition{1} << i; }

//! The coalition of participants 0..n−1 (the grand coalition of an n-participant round);
//! n ≤ kCoalitionBits.
constexpr Coalition coalition_full(std::size_t n) {
  return n >= kCoalitionBits ? ~Coalition{0} : (Coalition{1} << n) - 1;
}

//! The low 64 bits (participants 0..63) of a coalition.
constexpr std::uint64_t coalition_low(Coalition s) { return static_cast<std::uint64_t>(s); }

//! The high 64 bits (participants 64..127) of a coalition.
constexpr std::uint64_t coalition_high(Coalition s) { return static_cast<std::uint64_t>(s >> 64); }

//! |S|: the number of participants in the coalition.
constexpr std::size_t coalition_size(Coalition s) {
  return static_cast<std::size_t>(std::popcount(coalition_low(s)) + std::popcount(coalition_high(s)));
}

//! Whether participant `i` is in the coalition.
constexpr bool coalition_contains(Coalition s, std::size_t i) { return ((s >> i) & 1U) != 0; }

//! The mask in lower-case hexadecimal without leading zeros or "0x" ("0" for ∅).
std::string coalition_hex(Coalition s);

//! Hash of a coalition for unordered containers (std::hash has no unsigned __int128 in strict mode).
struct CoalitionHash {
  //! Mixes both halves; for coalitions of participants 0..63 only this is std::hash of the low word.
  std::size_t operator()(Coalition s) const noexcept {
    return std::hash<std::uint64_t>{}(coalition_low(s) ^ (coalition_high(s) * 0x9E3779B97F4A7C15ULL));
  }
};

//! U(S). Must be deterministic: the same coalition always gives the same utility.
using Utility = std::function<double(Coalition)>;

//! The largest n for which exact Shapley is accepted (2^n utility evaluations).
inline constexpr std::size_t kMaxExactParticipants = 16;

//! Result of a Shapley computation for one round.
struct ShapleyValues {
  std::vector<double> values;   //!< φ_i, one per participant, in the round's order
  double empty_utility = 0;     //!< U(∅)
  double grand_utility = 0;     //!< U(N)
  std::size_t evaluations = 0;  //!< distinct coalitions evaluated (memoised)
};

//! Exact Shapley values for n participants: φ_i = Σ_{S ⊆ N∖{i}} |S|!(n−|S|−1)!/n! (U(S∪{i}) − U(S)).
//! Each coalition's utility is evaluated once. Errc::invalid_argument when n is 0 or exceeds
//! kMaxExactParticipants. Efficiency holds up to float rounding: Σ φ_i = U(N) − U(∅).
//! Equivalent to estimate(Method::exact, n, utility, {.threads = 1}) (attribution/estimator.hpp),
//! which also offers the sampling estimators; `utility` is called from the calling thread only.
Result<ShapleyValues> exact_shapley(std::size_t n, const Utility& utility);

}  // namespace flywheel::attribution
