// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The per-round attribution game (FedSV, Wang et al. 2020: coalition models rebuilt from the
// round's updates without retraining; GTG-Shapley, Liu et al. 2022), shared by the simulation and
// the replay so both measure exactly the same utilities.
#include "fedtrain/valuation/round_game.hpp"

#include <algorithm>
#include <fstream>
#include <mutex>
#include <numeric>
#include <string>
#include <system_error>
#include <thread>

#include "common/keccak.hpp"
#include "fedtrain/internal/random.hpp"
#include "fedtrain/valuation/coalition_model.hpp"

namespace flywheel::fedtrain {

std::uint64_t attribution_seed(const SimulationConfig& config, std::uint64_t round, const Hash32& start_hash,
                               std::span<const Address> participants) {
  if (!config.attribution.seed) return attribution::round_seed(round, start_hash, participants);
  Bytes inputs;
  for (std::uint64_t v : {*config.attribution.seed, round}) {
    for (int shift = 56; shift >= 0; shift -= 8) inputs.push_back(static_cast<std::uint8_t>(v >> shift));
  }
  return attribution::round_seed(inputs);
}

attribution::EstimatorOptions estimator_options(const SimulationConfig& config, std::size_t threads,
                                                std::uint64_t seed) {
  attribution::EstimatorOptions options;
  options.seed = seed;
  options.threads = threads;
  options.max_evaluations = config.attribution.max_evaluations;
  options.truncation_tolerance = config.attribution.truncation_tolerance;
  options.round_truncation_tolerance = config.attribution.round_truncation_tolerance;
  return options;
}

bool uses_fast_coalition_models(const RoundGame& game) {
  const auto name = game.strategy.name();
  if (name != "fedavg" && name != "fedprox") return false;
  if (game.config.model.name != "mlp" || game.updates.empty()) return false;
  for (const auto& u : game.updates) {
    if (u.samples == 0) return false;  // the general path reports the zero weight sum
  }
  return true;
}

Result<RoundAttribution> attribute_round(const RoundGame& game, attribution::Method method,
                                         const attribution::EstimatorOptions& options) {
  const std::size_t m = game.updates.size();
  if (m == 0 || m > attribution::kMaxParticipants) {
    return fail(Errc::invalid_argument, "a round needs 1 to " + std::to_string(attribution::kMaxParticipants) +
                                            " participants, got " + std::to_string(m));
  }
  const attribution::Coalition full = attribution::coalition_full(m);
  std::mutex mutex;
  RoundAttribution out;
  std::optional<Evaluation> grand;
  const bool accuracy = game.config.attribution.utility == UtilityMetric::accuracy;
  // FedAvg-family merges (fedavg, fedprox: w_t + the sample-weighted mean of the members' updates)
  // of the MLP take the fast path (fedtrain/valuation/coalition_model.hpp); every other strategy or model
  // rebuilds each coalition model with strategy.propose and evaluates it.
  const std::size_t threads = options.threads > 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());
  std::optional<CoalitionModels> fast;
  if (uses_fast_coalition_models(game)) {
    std::vector<std::span<const float>> deltas;
    std::vector<std::uint64_t> samples;
    for (const auto& u : game.updates) {
      deltas.push_back(u.delta);
      samples.push_back(u.samples);
    }
    auto built =
        CoalitionModels::create(game.config.model, game.global, deltas, samples, game.train, game.validation, threads);
    if (!built) return tl::unexpected(built.error());
    fast = std::move(*built);
  }
  auto utility = [&](attribution::Coalition coalition) -> Result<double> {
    Result<std::vector<float>> model = fail(Errc::internal, "no model");
    if (fast) {
      std::vector<std::size_t> members;
      for (std::size_t i = 0; i < m; ++i) {
        if (attribution::coalition_contains(coalition, i)) members.push_back(i);
      }
      double u = 0;
      std::optional<Evaluation> whole;
      if (accuracy && coalition != full) {
        auto a = fast->accuracy(members);  // no softmax needed
        if (!a) return tl::unexpected(a.error());
        u = *a;
      } else {
        auto evaluation = fast->evaluate(members);
        if (!evaluation) return tl::unexpected(evaluation.error());
        u = accuracy ? evaluation->accuracy : -evaluation->loss;
        whole = *evaluation;
      }
      const std::lock_guard lock(mutex);
      out.utilities.emplace_back(coalition, u);
      if (coalition == full) grand = whole;
      return u;
    }
    if (coalition == 0) {
      model = std::vector<float>(game.global.begin(), game.global.end());
    } else {
      std::vector<ClientUpdate> members;
      for (std::size_t i = 0; i < m; ++i) {
        if (attribution::coalition_contains(coalition, i)) members.push_back(game.updates[i]);
      }
      model = game.strategy.propose(game.global, members);
    }
    if (!model) return tl::unexpected(model.error());
    auto evaluation = evaluate(game.config.model, *model, game.train, game.validation);
    if (!evaluation) return tl::unexpected(evaluation.error());
    const double u = accuracy ? evaluation->accuracy : -evaluation->loss;
    const std::lock_guard lock(mutex);
    out.utilities.emplace_back(coalition, u);
    if (coalition == full) grand = *evaluation;
    return u;
  };
  // The merge's weights (sample counts) shape the stratified estimator's mixture surrogate.
  attribution::EstimatorOptions weighted = options;
  if (weighted.weights.empty() &&
      std::all_of(game.updates.begin(), game.updates.end(), [](const auto& u) { return u.samples > 0; })) {
    for (const auto& u : game.updates) weighted.weights.push_back(static_cast<double>(u.samples));
  }
  // With the fast path, the control variate of gtg and stratified models each validation row's
  // logits from the singletons' and pairs' (logit_mixture_game), far closer to U than stratified's
  // own accuracy-level surrogate.
  if (fast && !weighted.control_variate) {
    weighted.control_variate = [&fast, accuracy, threads] { return logit_mixture_game(*fast, accuracy, threads); };
  }
  // With the fast path, the estimators' parallel batches go to CoalitionModels::accuracies in
  // chunks (one pass over the precomputed matrices per chunk); every value is the one utility()
  // gives for that coalition.
  const attribution::BatchUtility batch =
      [&](std::span<const attribution::Coalition> coalitions) -> Result<std::vector<double>> {
    if (!accuracy) {
      std::vector<double> values;
      for (auto c : coalitions) {
        auto u = utility(c);
        if (!u) return tl::unexpected(u.error());
        values.push_back(*u);
      }
      return values;
    }
    std::vector<std::vector<std::size_t>> members(coalitions.size());
    for (std::size_t k = 0; k < coalitions.size(); ++k) {
      for (std::size_t i = 0; i < m; ++i) {
        if (attribution::coalition_contains(coalitions[k], i)) members[k].push_back(i);
      }
    }
    auto values = fast->accuracies(members);
    if (!values) return tl::unexpected(values.error());
    std::optional<Evaluation> whole;
    for (std::size_t k = 0; k < coalitions.size(); ++k) {
      if (coalitions[k] != full) continue;
      auto e = fast->evaluate(members[k]);
      if (!e) return tl::unexpected(e.error());
      whole = *e;
    }
    const std::lock_guard lock(mutex);
    for (std::size_t k = 0; k < coalitions.size(); ++k) out.utilities.emplace_back(coalitions[k], (*values)[k]);
    if (whole) grand = whole;
    return values;
  };
  auto estimate = fast ? attribution::estimate_batched(method, m, batch, weighted)
                       : attribution::estimate_checked(method, m, utility, weighted);
  if (!estimate) return tl::unexpected(estimate.error());
  out.estimate = std::move(*estimate);
  if (!grand) {
    if (auto u = utility(full); !u) return tl::unexpected(u.error());
  }
  out.grand_validation = *grand;
  std::sort(out.utilities.begin(), out.utilities.end());
  out.utilities.erase(std::unique(out.utilities.begin(), out.utilities.end(),
                                  [](const auto& a, const auto& b) { return a.first == b.first; }),
                      out.utilities.end());
  return out;
}

}  // namespace flywheel::fedtrain
