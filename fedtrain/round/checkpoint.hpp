// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The one checkpoint format of a run, simulated or deployed: everything the round pipeline
//! (fedtrain/round/pipeline.hpp) needs to continue a job after its last completed round with a
//! result bit-identical to an uninterrupted run. One file, run_dir/checkpoint/checkpoint.bin:
//!
//!   "FWCKPT01"  8 bytes magic
//!   u64         length of the JSON header
//!   header      {"version", "config_hash", "content_hash", "round", "model_hash", "total_values",
//!               "samples", "metrics_jsonl_bytes", "metrics_csv_bytes", "rounds": [RoundRecord],
//!               "round_details": [estimator details per round]}
//!   u64 + f32…  the global model after `round`
//!   u64 + f32…  the strategy's server state
//!   32 bytes    Keccak-256 of everything before it
//!
//! integers little-endian. Written to a .tmp file and renamed, so a checkpoint that exists is whole.
//!
//!   Checkpoint c{.round = 3, .model = w, .server_state = strategy.state(), ...};
//!   FLYWHEEL_TRY(save_checkpoint(run_dir, config, c));
//!   auto loaded = load_checkpoint(run_dir, config);  // std::nullopt when there is none

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "fedtrain/config.hpp"
#include "fedtrain/round/round_sink.hpp"

namespace flywheel::fedtrain {

//! A job's state after its last completed round.
struct Checkpoint {
  std::uint64_t round = 0;                            //!< the last completed round (1-based)
  std::vector<float> model;                           //!< w_{round+1}, the next round's start model
  std::vector<float> server_state;                    //!< Strategy::state() after the round
  std::vector<double> total_values;                   //!< Σ of every round's values, one per job participant
  std::vector<std::uint64_t> samples;                 //!< training samples per participant, as last reported
  std::vector<RoundRecord> rounds;                    //!< every completed round, in order
  std::vector<nlohmann::ordered_json> round_details;  //!< the estimator's details per round
  std::uint64_t metrics_jsonl_bytes = 0;              //!< metrics.jsonl's size after the round's line
  std::uint64_t metrics_csv_bytes = 0;                //!< metrics.csv's size after the round's row
};

//! The checkpoint file of `run_dir`.
std::filesystem::path checkpoint_file(const std::filesystem::path& run_dir);

//! Writes `checkpoint` for the job `config` atomically (replacing the last one). Errc::io when the
//! file cannot be written.
Result<void> save_checkpoint(const std::filesystem::path& run_dir, const SimulationConfig& config,
                             const Checkpoint& checkpoint);

//! Reads run_dir's checkpoint; std::nullopt when there is none. Errors: Errc::data "checkpoint …
//! is corrupt (why); delete it to start over" for a file that is not a Flywheel checkpoint, fails
//! its digest, is truncated or whose sizes do not fit `config` (model parameters, participants);
//! Errc::data when it is in the format of an older Flywheel (checkpoint/state.json); Errc::config
//! when another configuration wrote it (the config hashes differ; both are named) or it is past
//! job.rounds.
Result<std::optional<Checkpoint>> load_checkpoint(const std::filesystem::path& run_dir, const SimulationConfig& config);

//! A RoundRecord as the checkpoint and the round files store it, and back.
nlohmann::ordered_json record_to_json(const RoundRecord& record);
Result<RoundRecord> record_from_json(const nlohmann::ordered_json& json);

}  // namespace flywheel::fedtrain
