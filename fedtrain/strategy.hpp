// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Aggregation strategies over flat updates. FedAvg (McMahan et al., "Communication-Efficient
//! Learning of Deep Networks from Decentralized Data", AISTATS 2017): the server applies the
//! sample-weighted mean of the clients' updates, w_{t+1} = w_t + Σ_k (n_k / n) Δ_k. The same merge
//! builds coalition models for attribution: w_t^S = w_t + FedAvg({Δ_i : i ∈ S}).

#include <cstdint>
#include <span>
#include <vector>

#include "common/result.hpp"

namespace flywheel::fedtrain {

//! Sample-weighted mean of `updates`, weights samples[k] / Σ samples. Sums run in double, in the
//! order given, so the result is deterministic. Errc::invalid_argument when there are no updates,
//! the two spans differ in length, updates differ in length, or the samples sum to zero.
Result<std::vector<float>> fedavg(std::span<const std::span<const float>> updates,
                                  std::span<const std::uint64_t> samples);

//! global + update, element-wise. Errc::invalid_argument when the lengths differ.
Result<std::vector<float>> apply_update(std::span<const float> global,
                                        std::span<const float> update);

}  // namespace flywheel::fedtrain
