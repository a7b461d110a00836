// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The configuration of a simulated federated job, read from JSON. Every section and key is
//! optional and has a default (see docs of each field); unknown keys are rejected so that typos
//! fail loudly. Schema, with defaults (docs/configuration.md describes every key):
//!
//!   { "job": {"name": "quickstart", "seed": 42, "rounds": 5},
//!     "data": {"root": "/usr/share/datasets/fashion-mnist", "partition": "dirichlet",
//!              "alpha": 0.5, "shards_per_participant": 2, "min_partition_size": 10,
//!              "validation_size": 5000, "train_limit": 0},
//!     "model": {"name": "mlp", "hidden": [200, 200]},
//!     "training": {"local_epochs": 1, "batch_size": 32, "learning_rate": 0.05, "momentum": 0},
//!     "strategy": {"name": "fedavg", "fraction_fit": 1.0, "min_fit_clients": 1,
//!                  "fraction_evaluate": 0.0, "min_evaluate_clients": 1, ...per strategy...},
//!     "participants": {"count": 6, "profiles": {"5": "shuffled-labels"}, "private_keys": []},
//!     "attribution": {"method": "exact", "utility": "accuracy", "max_evaluations": 0,
//!                     "truncation_tolerance": ..., "round_truncation_tolerance": ..., "seed": ...,
//!                     "keep_artifacts": true},
//!     "shares": {"total": "1000000000000000000"},
//!     "chain": {...} }
//!
//! "chain" belongs to the CLI: it is kept as JSON text, unread here.
//!
//!   auto config = load_simulation_config("examples/fashion_mnist_quick/config.json");
//!   if (!config) return tl::unexpected(config.error());  // Errc::config naming the key and the fix
//!   std::size_t n = config->participants.count();        // every participant has a profile and a key
//!   const Hash32 id = config_hash(*config);               // what a resumed run's checkpoint must match

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/eip712.hpp"
#include "common/keys.hpp"
#include "common/result.hpp"
#include "fedtrain/data/dataset.hpp"
#include "fedtrain/data/profile.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/strategy/strategy.hpp"

namespace flywheel::fedtrain {

//! How the training pool is split among participants (see fedtrain/data/partition.hpp).
enum class PartitionKind {
  iid,            //!< "iid"
  dirichlet,      //!< "dirichlet": label skew, Dir(alpha) per class
  shards,         //!< "shards": McMahan et al.'s sorted shards, shards_per_participant each
  quantity_skew,  //!< "quantity-skew": IID labels, sizes ~ Dir(alpha)
};

//! The metric U(S) that attribution measures on the validation set.
enum class UtilityMetric {
  accuracy,       //!< "accuracy": fraction correct
  negative_loss,  //!< "negative-loss": −mean cross-entropy
};

//! A simulated job, fully resolved: every participant has a profile and a key.
struct SimulationConfig {
  struct Job {
    std::string name = "quickstart";  //!< job.name, non-empty
    std::uint64_t seed = 42;          //!< job.seed: every random choice of the job derives from it
    std::uint64_t rounds = 5;         //!< job.rounds ≥ 1
  } job;

  struct Data {
    std::filesystem::path root = kDefaultFashionMnistRoot;  //!< data.root: Fashion-MNIST directory
    PartitionKind partition = PartitionKind::dirichlet;     //!< data.partition
    double alpha = 0.5;                      //!< data.alpha > 0: Dirichlet concentration (dirichlet, quantity-skew)
    std::size_t shards_per_participant = 2;  //!< data.shards_per_participant ≥ 1 (shards)
    std::size_t validation_size = 5000;      //!< data.validation_size ≥ 1: aggregator-held samples
    std::size_t train_limit = 0;             //!< data.train_limit: use only the first N training samples (0 = all)
    std::size_t min_partition_size = 10;     //!< data.min_partition_size: smallest share (dirichlet, quantity-skew)
  } data;

  ModelConfig model;  //!< model.name ("mlp", "cnn", registered), model.hidden (widths ≥ 1)

  //! training.local_epochs ≥ 1, batch_size ≥ 1, learning_rate > 0, momentum in [0, 1). The seed
  //! and proximal_mu fields are unused here: each participant's training seed derives from
  //! (job.seed, round, index), and μ comes from the strategy (strategy.proximal_mu, fedprox).
  TrainConfig training;

  //! strategy.*: the aggregation rule, client sampling (fraction_fit, min_fit_clients) and
  //! participant-side evaluation (fraction_evaluate, min_evaluate_clients).
  StrategyConfig strategy;

  struct Participants {
    std::vector<Profile> profiles;  //!< one per participant (participants.count of them)
    std::vector<PrivateKey> keys;   //!< one per participant: given, or derived from job.seed
    [[nodiscard]] std::size_t count() const { return profiles.size(); }
  } participants;

  struct Attribution {
    //! attribution.method: "exact" (≤ 16 participants per round), "tmc", "gtg", "loo",
    //! "banzhaf" or "stratified" (≤ 128 per round); attribution::parse_method accepts it.
    std::string method = "exact";
    UtilityMetric utility = UtilityMetric::accuracy;  //!< attribution.utility
    //! attribution.max_evaluations: cap on distinct coalition evaluations per round (sampling
    //! methods; hard for gtg and stratified, soft for tmc and banzhaf: attribution::EstimatorOptions);
    //! 0 = no cap (default).
    std::size_t max_evaluations = 0;
    //! attribution.truncation_tolerance ≥ 0: within-round truncation in utility units (tmc, gtg);
    //! unset = the estimator's default (0.001).
    std::optional<double> truncation_tolerance;
    //! attribution.round_truncation_tolerance ≥ 0: between-round truncation in utility units;
    //! unset = the estimator's default (gtg 0.001, others off).
    std::optional<double> round_truncation_tolerance;
    //! attribution.seed: when set, round r's estimator seed is round_seed(seed ‖ r) (both 8 bytes
    //! big-endian); unset (default) = attribution::round_seed(r, hash of w_t, the round's addresses).
    std::optional<std::uint64_t> seed;
    //! attribution.keep_artifacts (default true): write each round's start model and updates to
    //! out_dir/artifacts/ so `flywheel attribute` can recompute the values later.
    bool keep_artifacts = true;
  } attribution;

  std::uint64_t total_shares = 1'000'000'000'000'000'000ULL;  //!< shares.total, > 0, fits 64 bits

  //! training.measure_compute_time (default false): receipts carry each update's measured local
  //! training time in computeMillis. Off, they carry 0, so that a round's receipts, and with them
  //! its attribution root, depend only on the job, its data and its keys: a simulated and a
  //! deployed run of the job record the same roots.
  bool measure_compute_time = false;

  //! The EIP-712 domain receipts are signed under: a deployment job's deployment.chain_id and
  //! verifying_contract (parse_deployment_job sets it); anvil's chain id 31337 and no contract for
  //! a simulation config.
  eip712::Domain receipt_domain{.chain_id = 31337, .verifying_contract = std::nullopt};

  std::string chain_json = "{}";  //!< the "chain" section as compact JSON text
};

//! How many participants train in a round: max(⌊fraction_fit·count⌋, min_fit_clients), at most
//! count (Flower's rule).
std::size_t fit_clients_per_round(const SimulationConfig& config);

//! How many participants evaluate the new model locally in a round: 0 when fraction_evaluate is 0,
//! else max(⌊fraction_evaluate·count⌋, min_evaluate_clients), at most count.
std::size_t evaluate_clients_per_round(const SimulationConfig& config);

//! The configuration as canonical JSON: every resolved field that decides the job's results
//! (participants as addresses, never private keys; without job.rounds and chain, which do not
//! change any round's result). Checkpoints store its keccak-256 (config_hash).
std::string canonical_config_json(const SimulationConfig& config);

//! keccak256 of canonical_config_json(config).
Hash32 config_hash(const SimulationConfig& config);

//! Parses a configuration from JSON text. Errc::config, naming the JSON path and the fix, when the
//! text is not JSON, a value has the wrong type or is out of range (e.g. data.alpha ≤ 0,
//! strategy.fraction_fit outside (0, 1]), a key is unknown, a model or strategy name is not
//! registered, a profile index is not a participant, a private key is malformed or repeated, the
//! count of private keys differs from participants.count, or participants.count exceeds the
//! samples left for participants (known here when data.train_limit is set).
Result<SimulationConfig> parse_simulation_config(std::string_view json_text);

//! Reads and parses a configuration file. Errc::io when the file cannot be read; otherwise as
//! parse_simulation_config, with the file name in the message.
Result<SimulationConfig> load_simulation_config(const std::filesystem::path& file);

//! The key of simulated participant `index` when none is configured:
//! PrivateKey::from_bytes(keccak256("flywheel/simulated-participant/<seed>/<index>")), seed and
//! index in decimal. Errc::crypto in the (negligible) case that the hash is not a valid scalar.
Result<PrivateKey> simulated_participant_key(std::uint64_t seed, std::size_t index);

//! "accuracy" or "negative-loss".
std::string_view utility_name(UtilityMetric metric);

//! "iid", "dirichlet", "shards" or "quantity-skew".
std::string_view partition_name(PartitionKind kind);

}  // namespace flywheel::fedtrain
