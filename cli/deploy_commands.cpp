// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// `flywheel aggregator` and `flywheel participant`: deployment mode's two processes (wiring only;
// the logic is fedtrain/aggregator.hpp and fedtrain/participant.hpp).
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/wallet.hpp"
#include "fedtrain/aggregator.hpp"
#include "fedtrain/participant.hpp"

namespace flywheel::cli {
namespace {

struct DeployRequest {
  std::string config;
  WalletSource wallet;
  std::optional<std::string> out_dir;
  std::optional<std::string> listen;
  std::optional<std::string> aggregator;
  bool resume = false;
  std::size_t threads = 0;
  std::uint64_t hang_in_round = 0;
};

void add_wallet(CLI::App& command, DeployRequest& request) {
  command.add_option_function<std::string>(
      "--keystore", [&](const std::string& v) { request.wallet.keystore = v; },
      "Web3 v3 keystore holding this process's key");
  command.add_option_function<std::string>(
      "--password-file", [&](const std::string& v) { request.wallet.password_file = v; },
      "File whose first line is the keystore password (default: $FLYWHEEL_PASSWORD)");
}

Result<void> run_aggregator(const DeployRequest& request) {
  auto job = fedtrain::load_deployment_job(request.config);
  if (!job) return tl::unexpected(job.error());
  if (request.listen) job->deployment.listen = *request.listen;
  PrivateKey key = PrivateKey::random();
  if (request.wallet.keystore) {
    auto wallet = load_wallet(request.wallet, false);
    if (!wallet) return tl::unexpected(wallet.error());
    key = wallet->key;
  } else {
    std::cerr << "aggregator: no --keystore; acks are signed by a fresh key "
              << to_checksum(key.address()) << " for this run only\n";
  }
  const std::filesystem::path out = request.out_dir.value_or("runs/" + job->config.job.name + "-aggregator");
  fedtrain::NullSink sink;
  auto aggregator = fedtrain::Aggregator::start(
      *job, key, out, sink, {.threads = request.threads, .resume = request.resume});
  if (!aggregator) return tl::unexpected(aggregator.error());
  auto summary = (*aggregator)->run();
  if (!summary) return tl::unexpected(summary.error());
  std::cout << "shares root " << summary->shares_root.hex() << "\n";
  return {};
}

Result<void> run_participant_command(const DeployRequest& request) {
  auto job = fedtrain::load_deployment_job(request.config);
  if (!job) return tl::unexpected(job.error());
  auto wallet = load_wallet(request.wallet, false);
  if (!wallet) return tl::unexpected(wallet.error());
  fedtrain::ParticipantOptions options;
  options.aggregator = request.aggregator;
  if (request.out_dir) options.out_dir = *request.out_dir;
  options.hang_in_round = request.hang_in_round;
  auto report = fedtrain::run_participant(*job, wallet->key, options);
  if (!report) return tl::unexpected(report.error());
  return {};
}

}  // namespace

void add_deploy_commands(CLI::App& app, Action& action) {
  static DeployRequest aggregator;
  auto* agg = app.add_subcommand("aggregator", "Serve a federated job to participant processes over gRPC");
  agg->add_option("--config", aggregator.config, "Job file with a \"deployment\" section")->required();
  add_wallet(*agg, aggregator);
  agg->add_option_function<std::string>("--out", [&](const std::string& v) { aggregator.out_dir = v; },
                                        "Run folder (default runs/<job>-aggregator)");
  agg->add_option_function<std::string>("--listen", [&](const std::string& v) { aggregator.listen = v; },
                                        "host:port to serve on (overrides deployment.listen)");
  agg->add_flag("--resume", aggregator.resume, "Continue from the run folder's last completed round");
  agg->add_option("--threads", aggregator.threads, "Attribution threads (0 = one per core)");
  agg->callback([&action] { action = [] { return run_aggregator(aggregator); }; });

  static DeployRequest participant;
  auto* part = app.add_subcommand("participant", "Train for an aggregator's job as one participant");
  part->add_option("--config", participant.config, "Job file with a \"deployment\" section")->required();
  add_wallet(*part, participant);
  part->add_option_function<std::string>("--aggregator", [&](const std::string& v) { participant.aggregator = v; },
                                         "host:port of the aggregator (overrides deployment.aggregator)");
  part->add_option_function<std::string>("--out", [&](const std::string& v) { participant.out_dir = v; },
                                         "Folder for acks.jsonl (the aggregator's signed acks)");
  part->add_option("--fault-hang-round", participant.hang_in_round,
                   "Testing: stop answering after fetching this round's model")
      ->group("");
  part->callback([&action] { action = [] { return run_participant_command(participant); }; });
}

}  // namespace flywheel::cli
