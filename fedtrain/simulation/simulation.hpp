// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A federated job simulated in one process: the round pipeline (fedtrain/round/pipeline.hpp)
//! with an update source whose participants are virtual: the round's sampled participants train in
//! parallel on a small thread pool and sign their receipts with their keys, exactly as participant
//! processes do, so a job gives the same models and attribution roots simulated or deployed.
//! Attribution per round with the configured estimator (exact Shapley by default; stratified, TMC,
//! GTG-Shapley, leave-one-out, Data Banzhaf) over coalition models rebuilt from the round's updates
//! with the job's own strategy (FedSV, Wang et al. 2020; GTG-Shapley, Liu et al. 2022; FedAvg,
//! McMahan et al. 2017; client sampling as in Flower's fraction_fit).
//!
//!   auto config = load_simulation_config("job.json");
//!   NullSink sink;                                   // or jobs::DurableLedgerSink for a chain
//!   auto summary = run_simulation(*config, "runs/job", sink, {.threads = 2});
//!   // summary->shares, summary->shares_root; runs/job/metrics.jsonl, attribution.json, ...

#include <cstddef>
#include <filesystem>
#include <iosfwd>

#include "common/result.hpp"
#include "fedtrain/config.hpp"
#include "fedtrain/round/round_sink.hpp"

namespace flywheel::fedtrain {

//! How a simulation runs (not what it computes: results do not depend on these).
struct SimulationOptions {
  std::size_t threads = 0;           //!< worker threads; 0 = std::thread::hardware_concurrency()
  std::ostream* progress = nullptr;  //!< where progress lines go; nullptr = std::cerr
  bool quiet = false;                //!< print nothing
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
//! and the seed attribution_seed (round_seed(round, SHA-256 of w_t, the round's
//! addresses) unless attribution.seed is set) become the round's leaves, one per job participant in job order (absent participants:
//! value 0, samples 0), whose Merkle root is the record's attribution_root; model_hash =
//! SHA-256 (hash_floats) of w_{t+1}'s float32 bytes (little-endian). Every round also evaluates w_{t+1} on
//! the test set (server side) and, when strategy.fraction_evaluate > 0, on a sample of
//! participants' own data.
//!
//! The run folder (fedtrain/round/run_folder.hpp) and the checkpoint
//! (fedtrain/round/checkpoint.hpp) are the pipeline's: metrics.jsonl and metrics.csv, rounds/
//! with every round's signed receipts, attribution.json at the end, artifacts/ with
//! attribution.keep_artifacts, and checkpoint/checkpoint.bin after every round. Randomness is
//! counter-based (every stream derives from job.seed and the round), so the round number is the
//! whole random state. Receipts carry computeMillis 0 unless training.measure_compute_time.
//! Calls sink.on_job_start, on_round per round, on_job_end in that order; a round is checkpointed
//! before the sink sees it, and a resumed run calls on_job_start, then on_round for every
//! checkpointed round again, then for the rest.
//!
//! Errors: Errc::io when out_dir or a file in it cannot be written; Errc::data when the dataset is
//! missing or malformed or a checkpoint is corrupt; Errc::config when the data cannot be split as
//! configured (validation set too large, more participants than samples, partition impossible), a
//! strategy setting is invalid, or the checkpoint was written by another configuration (its config
//! hash differs) or is past job.rounds; Errc::internal when libtorch fails; any error a sink
//! returns. Configuration and data errors are found before anything is written.
Result<JobSummary> run_simulation(const SimulationConfig& config, const std::filesystem::path& out_dir, RoundSink& sink,
                                  const SimulationOptions& options = {});

}  // namespace flywheel::fedtrain
