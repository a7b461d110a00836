// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include <memory>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/job.hpp"

namespace flywheel::cli {

namespace {

void add_job_options(CLI::App& command, JobRequest& request) {
  command.add_option_function<std::string>(
      "--out", [&](const std::string& v) { request.out_dir = v; },
      "Run folder for metrics.jsonl, attribution.json, deployment.json (default: a fresh folder "
      "under runs/)");
  command.add_option_function<std::string>(
      "--rpc", [&](const std::string& v) { request.rpc = v; },
      "JSON-RPC URL of an EVM chain to use instead of the config's chain.rpc");
  command.add_option("--set", request.overrides,
                     "Override a config value: key.path=value (JSON value or bare string); "
                     "repeatable, e.g. --set job.rounds=3");
  command.add_option("--threads", request.threads, "Worker threads for local training (0 = one per core)");
}

}  // namespace

void add_job_commands(CLI::App& app, Action& action) {
  // The requests must outlive parsing; the app owns nothing of ours, so keep them alive here.
  static JobRequest simulate;
  simulate.mode = JobMode::simulate;
  auto* simulate_cmd =
      app.add_subcommand("simulate",
                         "Run a whole federated job in one process: aggregator and virtual participants, attribution "
                         "per round; rounds are recorded on-chain when the config's chain.rpc (or --rpc) is set");
  simulate_cmd
      ->add_option_function<std::string>(
          "--config", [](const std::string& v) { simulate.config_file = v; }, "Job config (JSON)")
      ->required();
  add_job_options(*simulate_cmd, simulate);
  simulate_cmd->add_flag("--resume", simulate.resume,
                         "Continue the job in --out from its last completed round (checkpoint/); "
                         "on a chain, keep recording into the job deployment.json names");
  simulate_cmd->add_option("--keystore", simulate.keystores,
                           "With a deployment job file: an allowlisted participant's keystore (repeat, one per "
                           "participant), so receipts and attribution roots are those of a deployed run");
  simulate_cmd->add_option_function<std::string>(
      "--password-file", [](const std::string& v) { simulate.password_file = v; },
      "File whose first line is the keystores' password (default: $FLYWHEEL_PASSWORD)");
  simulate_cmd->callback([&action] { action = [] { return run_job(simulate); }; });

  static JobRequest demo;
  demo.mode = JobMode::demo;
  auto* demo_cmd =
      app.add_subcommand("demo",
                         "The whole loop on a local chain: start anvil (unless --rpc), deploy, train 6 participants "
                         "for 5 rounds, record every round, propose shares, pass the challenge window, finalize, "
                         "claim with each participant's key, print the table");
  demo_cmd->add_option_function<std::string>(
      "--config", [](const std::string& v) { demo.config_file = v; },
      "Job config (JSON) instead of the built-in demo job");
  add_job_options(*demo_cmd, demo);
  demo_cmd->callback([&action] { action = [] { return run_job(demo); }; });
}

}  // namespace flywheel::cli
