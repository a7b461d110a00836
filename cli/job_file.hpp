// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A job file as every command reads it (`simulate`, `demo`, `aggregator`, `participant`; and
//! `attribute`, the run's config.json): the JSON, then each `--set key.path=value` in order. The
//! value is JSON when it parses as JSON, else a bare string: `--set job.rounds=10`,
//! `--set data.partition=iid`, `--set deployment.allowlist='["0x…"]'`.
//!
//!   auto job = load_job_json(file, request.overrides);  // the JSON with every --set applied
//!   auto config = parse_job(*job);                       // a simulation or deployment job's config
//!   auto deployment = fedtrain::parse_deployment_job(job->dump());  // aggregator, participant

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "fedtrain/config.hpp"

namespace flywheel::cli {

//! Applies one "key.path=value" to `config`, creating objects on the way. Errc::config for an
//! assignment without '=' or key, or a key with an empty part.
Result<void> apply_override(nlohmann::json& config, const std::string& assignment);

//! The job a job file describes: a deployment job file (with a "deployment" section) through
//! fedtrain::parse_deployment_job, whose config carries the deployment's EIP-712 domain; any other
//! through fedtrain::parse_simulation_config. Their errors.
Result<fedtrain::SimulationConfig> parse_job(const nlohmann::json& job);

//! Reads `file` (Errc::not_found when it cannot be read, Errc::config when it is not JSON) and
//! applies `overrides` in order.
Result<nlohmann::json> load_job_json(const std::filesystem::path& file, const std::vector<std::string>& overrides);

}  // namespace flywheel::cli
