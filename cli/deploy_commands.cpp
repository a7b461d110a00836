// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// `flywheel aggregator` and `flywheel participant`: deployment mode's two processes (wiring only;
// the logic is fedtrain/transport/aggregator.hpp and fedtrain/transport/participant.hpp; the chain set-up is the one
// `flywheel simulate` uses, jobs/ledger_session.hpp and jobs/durable_sink.hpp).
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/job_file.hpp"
#include "cli/wallet.hpp"
#include "common/file_io.hpp"
#include "fedtrain/transport/aggregator.hpp"
#include "fedtrain/transport/participant.hpp"
#include "jobs/ledger_session.hpp"

namespace flywheel::cli {

using jobs::annotate_report;
using jobs::ChainRequest;
using jobs::LedgerSession;
using jobs::open_ledger_session;
using jobs::parse_chain_settings;
using jobs::records_on_chain;
namespace {

struct DeployRequest {
  std::string config;
  WalletSource wallet;
  std::optional<std::string> out_dir;
  std::optional<std::string> listen;
  std::optional<std::string> aggregator;
  std::optional<std::string> rpc;
  bool resume = false;
  std::size_t threads = 0;
  std::uint64_t hang_in_round = 0;
  std::string data_parallel;           // "", "mpi" or "nccl"
  std::vector<std::string> overrides;  // --set key.path=value
};

// The job file with the --set overrides, parsed as a deployment job.
Result<fedtrain::DeploymentJob> load_job(const DeployRequest& request, nlohmann::json* as_run = nullptr) {
  auto json = load_job_json(request.config, request.overrides);
  if (!json) return tl::unexpected(json.error());
  auto job = fedtrain::parse_deployment_job(json->dump());
  if (!job) return tl::unexpected(with_context(job.error(), request.config));
  if (as_run != nullptr) *as_run = std::move(*json);
  return job;
}

void add_set_option(CLI::App& command, DeployRequest& request) {
  command.add_option("--set", request.overrides,
                     "Override a job file value: key.path=value (JSON value or bare string); repeatable, "
                     "e.g. --set job.rounds=3");
}

void add_wallet(CLI::App& command, DeployRequest& request) {
  command.add_option_function<std::string>(
      "--keystore", [&](const std::string& v) { request.wallet.keystore = v; },
      "Web3 v3 keystore holding this process's key");
  command.add_option_function<std::string>(
      "--password-file", [&](const std::string& v) { request.wallet.password_file = v; },
      "File whose first line is the keystore password (default: $FLYWHEEL_PASSWORD)");
}

Result<void> run_aggregator(const DeployRequest& request) {
  nlohmann::json as_run;
  auto job = load_job(request, &as_run);
  if (!job) return tl::unexpected(job.error());
  if (request.listen) job->deployment.listen = *request.listen;
  auto settings = parse_chain_settings(job->config.chain_json);
  if (!settings) return tl::unexpected(settings.error());
  PrivateKey key = PrivateKey::random();
  if (request.wallet.keystore) {
    auto wallet = load_wallet(request.wallet, false);
    if (!wallet) return tl::unexpected(wallet.error());
    key = wallet->key;
  } else {
    std::cerr << "aggregator: no --keystore; acks are signed by a fresh key " << to_checksum(key.address())
              << " for this run only\n";
  }
  const std::filesystem::path out = request.out_dir.value_or("runs/" + job->config.job.name + "-aggregator");
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) return fail(Errc::io, "cannot create run folder " + out.string() + ": " + ec.message());
  if (!request.resume || !std::filesystem::exists(out / "config.json", ec)) {
    // The job file as run (with its --set overrides); `flywheel attribute --run` reads it.
    FLYWHEEL_TRY(write_json_atomically(out / "config.json", as_run));
  }

  // On a chain (--rpc, chain.rpc, or a resumed run that recorded on one) every round goes
  // through the run folder's outbox to the job's ledger, exactly as `flywheel simulate` does.
  const ChainRequest chain_request{
      .rpc = request.rpc,
      .resume = request.resume,
      .start_anvil = false,
      .signer_key = request.wallet.keystore ? std::optional<PrivateKey>(key) : std::nullopt};
  std::unique_ptr<LedgerSession> session;
  if (records_on_chain(*settings, chain_request, out)) {
    auto opened = open_ledger_session(*settings, chain_request, job->config.job.name, out, std::cout);
    if (!opened) return tl::unexpected(opened.error());
    session = std::move(*opened);
  }
  fedtrain::NullSink null_sink;
  fedtrain::RoundSink& sink = session ? static_cast<fedtrain::RoundSink&>(*session->sink) : null_sink;
  auto aggregator =
      fedtrain::Aggregator::start(*job, key, out, sink, {.threads = request.threads, .resume = request.resume});
  if (!aggregator) return tl::unexpected(aggregator.error());
  auto summary = (*aggregator)->run();
  if (!summary) return tl::unexpected(summary.error());
  if (session) FLYWHEEL_TRY(annotate_report(out, *session));
  return {};
}

Result<void> run_participant_command(const DeployRequest& request) {
  auto job = load_job(request);
  if (!job) return tl::unexpected(job.error());
  auto wallet = load_wallet(request.wallet, false);
  if (!wallet) return tl::unexpected(wallet.error());
  fedtrain::ParticipantOptions options;
  options.aggregator = request.aggregator;
  if (request.out_dir) options.out_dir = *request.out_dir;
  options.hang_in_round = request.hang_in_round;
  std::unique_ptr<fedtrain::DataParallelGroup> group;
  if (!request.data_parallel.empty()) {
    auto joined = request.data_parallel == "nccl" ? fedtrain::nccl_group() : fedtrain::mpi_group();
    if (!joined) return tl::unexpected(joined.error());
    group = std::move(*joined);
    // Ranks other than 0 only train; rank 0 is the participant the aggregator sees.
    if (group->rank() > 0) return fedtrain::run_participant_rank(*job, wallet->key, *group);
    options.data_parallel = group.get();
  }
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
  add_set_option(*agg, aggregator);
  agg->add_option_function<std::string>(
      "--out", [&](const std::string& v) { aggregator.out_dir = v; }, "Run folder (default runs/<job>-aggregator)");
  agg->add_option_function<std::string>(
      "--listen", [&](const std::string& v) { aggregator.listen = v; },
      "host:port to serve on (overrides deployment.listen)");
  agg->add_flag("--resume", aggregator.resume, "Continue from the run folder's last completed round");
  agg->add_option_function<std::string>(
      "--rpc", [&](const std::string& v) { aggregator.rpc = v; },
      "Record every round on this chain (overrides chain.rpc)");
  agg->add_option("--threads", aggregator.threads, "Attribution threads (0 = one per core)");
  agg->callback([&action] { action = [] { return run_aggregator(aggregator); }; });

  static DeployRequest participant;
  auto* part = app.add_subcommand("participant", "Train for an aggregator's job as one participant");
  part->add_option("--config", participant.config, "Job file with a \"deployment\" section")->required();
  add_wallet(*part, participant);
  add_set_option(*part, participant);
  part->add_option_function<std::string>(
      "--aggregator", [&](const std::string& v) { participant.aggregator = v; },
      "host:port of the aggregator (overrides deployment.aggregator)");
  part->add_option_function<std::string>(
      "--out", [&](const std::string& v) { participant.out_dir = v; },
      "Folder for acks.jsonl (the aggregator's signed acks)");
  part->add_option("--fault-hang-round", participant.hang_in_round,
                   "Testing: stop answering after fetching this round's model")
      ->group("");
  part->add_option("--data-parallel", participant.data_parallel,
                   "Run as an MPI job (mpirun -np N flywheel participant ...): every rank trains a slice of "
                   "each minibatch and gradients are summed with MPI (mpi, CPU) or NCCL (nccl, GPUs)")
      ->check(CLI::IsMember({"mpi", "nccl"}));
  part->callback([&action] { action = [] { return run_participant_command(participant); }; });
}

}  // namespace flywheel::cli
