// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Recomputing a finished job's attribution from its artifacts (`flywheel attribute`): the
//! per-round games of FedSV (Wang et al. 2020) re-evaluated from the start model and updates the
//! simulation kept, with any estimator of attribution/estimator.hpp (exact Shapley, TMC, GTG-
//! Shapley, leave-one-out, Data Banzhaf).
//!
//! Artifacts (written by run_simulation when attribution.keep_artifacts is true), per round t in
//! out_dir/artifacts/round-NNNNNN/ (t zero-padded to 6 digits):
//!   start-model.bin    w_t, float32 little-endian, no header
//!   server-state.bin   the strategy's server state before the round (server optimisers only)
//!   0x<address>.bin    each participant's update Δ_i (lower-case hex address)
//!   manifest.json      {"round", "strategy", "model", "parameters", "start_model": {file, hash},
//!                       "server_state": {file, hash, floats} | null, "addresses": [checksummed],
//!                       "samples": [...], "updates": [{file, hash}]}; hashes are keccak256 of the
//!                       file's bytes.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <vector>

#include "attribution/estimator.hpp"
#include "attribution/job_value.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"
#include "fedtrain/config.hpp"

namespace flywheel::fedtrain {

//! How a replay runs.
struct ReplayOptions {
  std::size_t threads = 0;                   //!< estimator threads; 0 = hardware concurrency
  //! When non-empty, one JSON line per evaluated coalition is written here:
  //! {"round": t, "members": ["0x..", ...], "utility": u}, rounds in order, coalitions by mask.
  std::filesystem::path export_utilities;
  std::ostream* progress = nullptr;          //!< progress lines; nullptr = silent
};

//! One recomputed round.
struct ReplayRound {
  std::uint64_t round = 0;
  std::vector<Address> participants;         //!< the round's participants, in the estimate's order
  attribution::Estimate estimate;            //!< the recomputed values
  std::vector<double> recorded_values;       //!< the values attribution.json holds for them
};

//! A recomputed job.
struct ReplayReport {
  attribution::Method method = attribution::Method::exact;
  std::vector<ReplayRound> rounds;
  std::vector<attribution::ParticipantValue> totals;  //!< per participant, in order of first appearance
  std::filesystem::path output;              //!< run_dir/attribution-<method>.json
};

//! Recomputes every round of the job in `run_dir` with `method` and writes
//! run_dir/attribution-<method>.json (atomically). Before estimating a round it checks that the
//! start model, server state and every update hash to what the manifest says, that the
//! participants match attribution.json, that w_1 is the configured initial model and w_t is the
//! previous round's model_hash, and that aggregating the updates gives the round's model_hash.
//! For the job's own method and seed the values equal the recorded ones bit for bit.
//!
//! Errors: Errc::invalid_argument when `method` is exact and a round has more than
//! attribution::kMaxExactParticipants participants; Errc::io when attribution.json or an artifact
//! is missing (names the file and says keep_artifacts must have been on) or the output cannot be
//! written; Errc::data when a hash does not match, a file has the wrong size or a manifest or
//! attribution.json is malformed; Errc::config / Errc::data for dataset problems as
//! run_simulation; Errc::internal when libtorch fails.
Result<ReplayReport> recompute_attribution(const SimulationConfig& config,
                                           const std::filesystem::path& run_dir,
                                           attribution::Method method,
                                           const ReplayOptions& options = {});

}  // namespace flywheel::fedtrain
