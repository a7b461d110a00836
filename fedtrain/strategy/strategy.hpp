// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Aggregation strategies over flat updates, behind one small interface.
//!
//! - FedAvg (McMahan et al., "Communication-Efficient Learning of Deep Networks from Decentralized
//!   Data", AISTATS 2017): w_{t+1} = w_t + Σ_k (n_k / n) Δ_k.
//! - FedProx (Li et al., "Federated Optimization in Heterogeneous Networks", MLSys 2020): FedAvg on
//!   the server; participants add the proximal term (μ/2)‖w − w_t‖² to their local loss.
//! - FedAvgM (Hsu, Qi, Brown 2019), FedAdagrad, FedAdam, FedYogi (Reddi et al., "Adaptive Federated
//!   Optimization", ICLR 2021, Algorithm 2): the FedAvg mean Δ_t is a pseudo-gradient for a server
//!   optimiser with state (momentum, moments).
//! - Robust merges: coordinate-wise median and trimmed mean (Yin et al., "Byzantine-Robust
//!   Distributed Learning: Towards Optimal Statistical Rates", ICML 2018), Krum and Multi-Krum
//!   (Blanchard et al., "Machine Learning with Adversaries: Byzantine Tolerant Gradient Descent",
//!   NeurIPS 2017).
//!
//! The same strategy builds attribution's coalition models: w_t^S = propose(w_t, {Δ_i : i ∈ S}),
//! which reads the server state but never changes it; aggregate() is the round's real step.
//!
//!   auto strategy = make_strategy(default_strategy_config("fedadam"));  // Flower's defaults
//!   std::vector<ClientUpdate> updates{{.delta = d0, .samples = 600}, {.delta = d1, .samples = 400}};
//!   auto coalition = (*strategy)->propose(global, std::span(updates).first(1));  // state unchanged
//!   auto next = (*strategy)->aggregate(global, updates);  // w_{t+1}; advances the server state

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace flywheel::fedtrain {

//! Settings of every strategy (the JSON "strategy" section); a strategy reads the ones it uses.
//! Names follow Flower's strategies where the idea is the same.
struct StrategyConfig {
  std::string name = "fedavg";           //!< a registered strategy name (strategy_names())
  double fraction_fit = 1.0;             //!< fraction of participants sampled per round, in (0, 1]
  std::size_t min_fit_clients = 1;       //!< at least this many per round (≤ participants.count)
  double fraction_evaluate = 0.0;        //!< fraction that evaluate the new model locally, [0, 1]; 0 = off
  std::size_t min_evaluate_clients = 1;  //!< at least this many when fraction_evaluate > 0
  //! Server learning rate η (FedAvgM, FedAdagrad, FedAdam, FedYogi). Unset in JSON: 1.0 for
  //! fedavgm, 0.1 for fedadagrad and fedadam, 0.01 for fedyogi (Flower's defaults).
  double server_learning_rate = 1.0;
  double server_momentum = 0.0;           //!< FedAvgM β in [0, 1)
  double beta_1 = 0.9;                    //!< first-moment decay in [0, 1) (0.0 default for fedadagrad)
  double beta_2 = 0.99;                   //!< second-moment decay in [0, 1)
  double tau = 1e-9;                      //!< adaptivity τ > 0 (1e-3 default for fedyogi)
  double proximal_mu = 0.0;               //!< FedProx μ ≥ 0
  double trim_beta = 0.2;                 //!< fedtrimmedavg: fraction cut from each end, in [0, 0.5)
  std::size_t num_malicious_clients = 0;  //!< krum / multikrum: f, the tolerated Byzantine count
  std::size_t num_clients_to_keep = 0;    //!< multikrum: m updates averaged (0 = n − f)
  bool operator==(const StrategyConfig&) const = default;
};

//! One participant's contribution to a merge.
struct ClientUpdate {
  std::span<const float> delta;  //!< Δ = w_local − w_t
  std::uint64_t samples = 0;     //!< training samples behind it (FedAvg weight)
};

//! A server-side aggregation rule. Implementations are deterministic: the same inputs and state
//! give the same bytes. Not thread-safe for aggregate(); propose() is const and may run in parallel.
class Strategy {
 public:
  virtual ~Strategy() = default;

  //! The registered name, e.g. "fedavg".
  [[nodiscard]] virtual std::string_view name() const = 0;

  //! The next global model from w_t (`global`) and `updates`, using but not changing the server
  //! state. Errc::invalid_argument when `updates` is empty, lengths differ, or weights sum to zero.
  [[nodiscard]] virtual Result<std::vector<float>> propose(std::span<const float> global,
                                                           std::span<const ClientUpdate> updates) const = 0;

  //! As propose(), then advances the server state as the round commits. Stateless strategies keep
  //! the default. Errors as propose(); the state is unchanged on error.
  virtual Result<std::vector<float>> aggregate(std::span<const float> global, std::span<const ClientUpdate> updates) {
    return propose(global, updates);
  }

  //! The proximal coefficient μ participants add to their local loss (FedProx); 0 otherwise.
  [[nodiscard]] virtual double proximal_mu() const { return 0.0; }

  //! The server state (optimiser moments), flat, for checkpoints; empty for stateless strategies
  //! and before the first aggregate().
  [[nodiscard]] virtual std::vector<float> state() const { return {}; }

  //! Restores state() output. Errc::invalid_argument when the strategy cannot hold it (a stateless
  //! strategy given a non-empty state, or a length that is not a whole number of vectors).
  virtual Result<void> set_state(std::vector<float> state) {
    if (!state.empty()) {
      return fail(Errc::invalid_argument, std::string(name()) + " keeps no server state");
    }
    return {};
  }
};

//! A StrategyConfig holding Flower's defaults for strategy `name`: server_learning_rate 1.0
//! (fedavgm), 0.1 (fedadagrad, fedadam), 0.01 (fedyogi); beta_1 0.0 for fedadagrad, else 0.9;
//! tau 1e-3 for fedyogi, else 1e-9; every other field as declared.
StrategyConfig default_strategy_config(std::string_view name);

//! Builds a strategy from its config. Registered as `name` with register_strategy.
using StrategyFactory = std::function<Result<std::unique_ptr<Strategy>>(const StrategyConfig&)>;

//! Adds a strategy to the registry so configs may name it (call before parsing the config).
//! Errc::invalid_argument when the name is empty or already taken. Thread-safe.
Result<void> register_strategy(std::string name, StrategyFactory factory);

//! Every registered strategy name, sorted. Built in: fedavg, fedavgm, fedprox, fedadagrad,
//! fedadam, fedyogi, fedmedian, fedtrimmedavg, krum, multikrum.
std::vector<std::string> strategy_names();

//! True when `name` is registered.
bool is_strategy(std::string_view name);

//! The strategy `config.name` names. Errc::config naming strategy.name when no such strategy is
//! registered, or naming the field when a setting is out of range.
Result<std::unique_ptr<Strategy>> make_strategy(const StrategyConfig& config);

//! Sample-weighted mean of `updates`, weights samples[k] / Σ samples. Sums run in double, in the
//! order given, so the result is deterministic. Errc::invalid_argument when there are no updates,
//! the two spans differ in length, updates differ in length, or the samples sum to zero.
Result<std::vector<float>> fedavg(std::span<const std::span<const float>> updates,
                                  std::span<const std::uint64_t> samples);

//! fedavg() over ClientUpdates.
Result<std::vector<float>> weighted_mean(std::span<const ClientUpdate> updates);

//! weighted_mean() written into `out` (no allocation, for reused server buffers); same bits.
//! Errc::invalid_argument as fedavg(), or when out.size() differs from the updates' length.
Result<void> weighted_mean_into(std::span<const ClientUpdate> updates, std::span<float> out);

//! global + update, element-wise. Errc::invalid_argument when the lengths differ.
Result<std::vector<float>> apply_update(std::span<const float> global, std::span<const float> update);

}  // namespace flywheel::fedtrain
