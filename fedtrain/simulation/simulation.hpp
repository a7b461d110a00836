// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A federated job simulated in one process: the aggregator and every virtual participant share
//! the machine, the round's sampled participants train in parallel on a small thread pool, and
//! each round is attributed with the configured estimator (exact Shapley by default; TMC,
//! GTG-Shapley, leave-one-out, Data Banzhaf) over coalition models rebuilt from the
//! round's updates with the job's own strategy (FedSV, Wang et al. 2020; GTG-Shapley, Liu et al.
//! 2022; FedAvg, McMahan et al. 2017; client sampling as in Flower's fraction_fit).

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
  //! Continue from out_dir/checkpoint/ after its last completed round (a fresh start when there is
  //! none). The result is bit-identical to an uninterrupted run. Without it a run starts over and
  //! replaces any checkpoint in out_dir.
  bool resume = false;
};

//! Runs the job `config` describes and returns its summary.
//!
//! Data: Fashion-MNIST from config.data.root; the last data.validation_size samples of a seeded
//! permutation of the training set are the aggregator's validation set, the rest is partitioned
//! among the participants (per-participant class counts are printed at the start). Each round
//! fit_clients_per_round(config) participants are sampled (seeded by job seed and round; all of
//! them when fraction_fit is 1), each trains from w_t (seeded by job seed, round and participant
//! index, so the result does not depend on thread scheduling), and the strategy's aggregate() gives
//! w_{t+1}. Attribution covers the round's participants only: U(S) = the configured metric on the
//! validation set of strategy.propose(w_t, {Δ_i : i ∈ S}) (for server optimisers: one optimiser
//! step from the current state, which propose never changes), U(∅) = metric of w_t; the values
//! of attribution::estimate_checked(config.attribution.method, ...) with options.threads workers
//! and the seed internal::attribution_seed (round_seed(round, SHA-256 of w_t, the round's
//! addresses) unless attribution.seed is set) become the round's leaves, one per job participant in job order (absent participants:
//! value 0, samples 0), whose Merkle root is the record's attribution_root; model_hash =
//! SHA-256 (hash_floats) of w_{t+1}'s float32 bytes (little-endian). Every round also evaluates w_{t+1} on
//! the test set (server side) and, when strategy.fraction_evaluate > 0, on a sample of
//! participants' own data.
//!
//! Writes into `out_dir` (created when missing): metrics.jsonl (one JSON line per round) and
//! metrics.csv (the same scalars, with a header), flushed as they go; after every round whose
//! record the sink accepted, checkpoint/checkpoint.bin (model, server-optimiser state, round,
//! attribution accumulators, metrics file sizes and the config hash; written to a .tmp file, then
//! renamed); attribution.json at the end (likewise atomic; per round it adds the estimator's
//! method, seed, evaluations, std_errors, truncated and notes); with attribution.keep_artifacts,
//! artifacts/round-NNNNNN/ per round (start model, server state, updates, manifest.json; see
//! attribution_replay.hpp), written to a .tmp folder and renamed. Randomness is counter-based (every
//! stream derives from job.seed and the round), so the round number is the whole random state.
//! Calls sink.on_job_start, on_round per round, on_job_end in that order; a resumed run calls
//! on_job_start again and on_round from the first round not yet accepted.
//!
//! Errors: Errc::io when out_dir or a file in it cannot be written; Errc::data when the dataset is
//! missing or malformed or a checkpoint is corrupt; Errc::config when the data cannot be split as
//! configured (validation set too large, more participants than samples, partition impossible), a
//! strategy setting is invalid, or the checkpoint was written by another configuration (its config
//! hash differs) or is past job.rounds; Errc::internal when libtorch fails; any error a sink
//! returns. Configuration and data errors are found before anything is written.
Result<JobSummary> run_simulation(const SimulationConfig& config,
                                  const std::filesystem::path& out_dir, RoundSink& sink,
                                  const SimulationOptions& options = {});

}  // namespace flywheel::fedtrain
