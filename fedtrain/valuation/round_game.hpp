// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The per-round attribution game shared by the simulation and the replay (`flywheel attribute`):
//! U_t(S) = metric on the validation set of strategy.propose(w_t, {Δ_i : i ∈ S}), U_t(∅) = metric
//! of w_t (FedSV, Wang et al. 2020; GTG-Shapley, Liu et al. 2022), estimated by attribution's
//! estimators. The data split is fedtrain/data/job_data.hpp; file writes are common/file_io.hpp.
//!
//!   RoundGame game{.config = config, .strategy = *strategy, .global = w_t, .updates = updates,
//!                  .train = data->train, .validation = data->validation};
//!   const auto seed = attribution_seed(config, round, hash_floats(w_t), participants);
//!   auto result = attribute_round(game, *attribution::parse_method(config.attribution.method),
//!                                 estimator_options(config, /*threads=*/2, seed));

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "attribution/estimator.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"
#include "fedtrain/config.hpp"
#include "fedtrain/data/dataset.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/strategy/strategy.hpp"

namespace flywheel::fedtrain {

//! The estimator seed of round `round`: attribution::round_seed(round, start_hash, participants)
//! by default; with attribution.seed set, attribution::round_seed(seed ‖ round), both 8 bytes
//! big-endian.
std::uint64_t attribution_seed(const SimulationConfig& config, std::uint64_t round, const Hash32& start_hash,
                               std::span<const Address> participants);

//! EstimatorOptions from config.attribution with `threads` workers and `seed`.
attribution::EstimatorOptions estimator_options(const SimulationConfig& config, std::size_t threads,
                                                std::uint64_t seed);

//! One round's game: the start model, the round's updates in participant order, and where to
//! measure.
struct RoundGame {
  const SimulationConfig& config;
  const Strategy& strategy;       //!< holds the server state the round started with
  std::span<const float> global;  //!< w_t
  std::span<const ClientUpdate> updates;
  const Dataset& train;  //!< the validation rows index into it
  std::span<const std::size_t> validation;
};

//! What attribute_round found.
struct RoundAttribution {
  attribution::Estimate estimate;
  Evaluation grand_validation;  //!< the grand coalition's validation metrics
  //! Every evaluated coalition (bit i = updates[i]) with its utility, sorted by mask.
  std::vector<std::pair<attribution::Coalition, double>> utilities;
};

//! True when attribute_round builds the round's coalition models by the fast path
//! (fedtrain/valuation/coalition_model.hpp): strategy fedavg or fedprox (w_t + the sample-weighted mean of
//! the members' updates), model "mlp", every update with samples > 0. Utilities then equal the
//! general path's (strategy.propose + evaluate) up to float rounding.
bool uses_fast_coalition_models(const RoundGame& game);

//! Estimates the round's values with `method`. Errors: those of attribution::estimate_checked
//! (Errc::invalid_argument for too many participants) and of building or evaluating a model.
Result<RoundAttribution> attribute_round(const RoundGame& game, attribution::Method method,
                                         const attribution::EstimatorOptions& options);

}  // namespace flywheel::fedtrain
