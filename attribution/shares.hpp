// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Turning job values into integer ownership shares: the amounts a job's share-claim leaves
//! (attribution/merkle.hpp, share_leaf_hash) commit to and its ModelShares token mints on claims.
//!
//!   const std::vector<double> values{0.03, 0.01, -0.002};  // job values (JobValue::totals)
//!   auto shares = allocate_shares(values);                  // summing to kDefaultTotalShares
//!   // *shares == {750000000000000000, 250000000000000000, 0}

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.hpp"

namespace flywheel::attribution {

//! 10^18: the default total of a job's shares (one whole token with 18 decimals).
inline constexpr std::uint64_t kDefaultTotalShares = 1'000'000'000'000'000'000ULL;

//! Integer shares proportional to the positive part of `values`, summing exactly to `total`.
//! Values are first fixed to 1e-12 resolution so the split is exact integer arithmetic and
//! identical on every machine; the remainder goes by largest remainder, ties to the lower index.
//! Negative and zero values get 0. Errc::invalid_argument when `values` is empty, holds a
//! non-finite number or a magnitude above 1e6, or has no positive value.
Result<std::vector<std::uint64_t>> allocate_shares(std::span<const double> values,
                                                   std::uint64_t total = kDefaultTotalShares);

}  // namespace flywheel::attribution
