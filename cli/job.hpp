// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The wiring behind `flywheel simulate` and `flywheel demo`: loads a job config, connects (or
//! starts) a chain when one is configured, plugs the chain bridge into fedtrain's round sink
//! (jobs/ledger_session.hpp, jobs/durable_sink.hpp), runs the job and, for the demo, carries the
//! shares through the challenge window to the claims.
//!
//!   FLYWHEEL_TRY(run_job({.mode = JobMode::demo, .out_dir = "runs/demo"}));  // kDemoConfig on anvil

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace flywheel::cli {

//! How far a job goes.
enum class JobMode {
  simulate,  //!< train, attribute, record rounds and propose shares when a chain is configured
  demo,      //!< simulate on a chain (anvil started unless --rpc), then finalize and claim
};

//! What the command line says about a job.
struct JobRequest {
  JobMode mode = JobMode::simulate;
  std::optional<std::filesystem::path> config_file;  //!< the demo has a built-in config
  std::vector<std::string> overrides;                //!< "key.path=value", applied in order
  std::optional<std::filesystem::path> out_dir;      //!< default: a fresh folder under runs/
  std::optional<std::string> rpc;                    //!< overrides chain.rpc
  std::size_t threads = 0;                           //!< 0 = one per core
  bool resume = false;  //!< continue the run in out_dir from its last checkpoint (simulate only)
  //! simulate with a deployment job file: the allowlisted participants' keystores (any order),
  //! so the receipts are signed as the participant processes sign them.
  std::vector<std::filesystem::path> keystores;
  std::optional<std::filesystem::path> password_file;  //!< the keystores' password (--password-file)
};

//! The config `flywheel demo` runs when no --config is given: 6 participants, Dirichlet(0.5),
//! 5 rounds, participant 5 with shuffled labels.
extern const char* const kDemoConfig;

//! Runs the job and prints its progress and final tables to stdout. Errors name the problem and
//! the fix: Errc::config for a bad config or override, Errc::io when the run folder exists and is
//! not empty, Errc::rpc when the chain cannot be reached, any error of training or the ledger.
Result<void> run_job(const JobRequest& request);

}  // namespace flywheel::cli
