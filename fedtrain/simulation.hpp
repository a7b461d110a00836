// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A federated job simulated in one process: the aggregator and every virtual participant share
//! the machine, participants train in parallel on a small thread pool, and each round is
//! attributed with exact Shapley values over coalition models rebuilt from the round's updates
//! (FedSV, Wang et al. 2020; GTG-Shapley, Liu et al. 2022; FedAvg, McMahan et al. 2017).

#include <cstddef>
#include <filesystem>
#include <iosfwd>

#include "common/result.hpp"
#include "fedtrain/config.hpp"
#include "fedtrain/round_sink.hpp"

namespace flywheel::fedtrain {

//! How a simulation runs (not what it computes: results do not depend on these).
struct SimulationOptions {
  std::size_t threads = 0;               //!< worker threads; 0 = std::thread::hardware_concurrency()
  std::ostream* progress = nullptr;      //!< where progress lines go; nullptr = std::cerr
  bool quiet = false;                    //!< print nothing
};

//! Runs the job `config` describes and returns its summary.
//!
//! Data: Fashion-MNIST from config.data.root; the last data.validation_size samples of a seeded
//! permutation of the training set are the aggregator's validation set, the rest is partitioned
//! among the participants. Each round every participant trains from w_t (seeded by job seed,
//! round and participant index, so the result does not depend on thread scheduling); FedAvg gives
//! w_{t+1}. Attribution: U(S) = the configured metric on the validation set of
//! w_t + FedAvg({Δ_i : i ∈ S}), U(∅) = metric of w_t; exact Shapley values become the round's
//! leaves (address, value, samples) whose Merkle root is the record's attribution_root;
//! model_hash = keccak256 of w_{t+1}'s float32 bytes (little-endian).
//!
//! Writes into `out_dir` (created when missing): metrics.jsonl, one JSON line per round, flushed as
//! it goes; attribution.json at the end (written to a .tmp file, then renamed). Calls
//! sink.on_job_start, on_round per round, on_job_end in that order.
//!
//! Errors: Errc::io when out_dir or a file in it cannot be written; Errc::data when the dataset is
//! missing or malformed; Errc::config when the data cannot be split as configured (validation set
//! too large, partition impossible); Errc::internal when libtorch fails; any error a sink returns.
Result<JobSummary> run_simulation(const SimulationConfig& config,
                                  const std::filesystem::path& out_dir, RoundSink& sink,
                                  const SimulationOptions& options = {});

}  // namespace flywheel::fedtrain
