// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// `flywheel attribute`: recompute a finished run's per-round attribution from its artifacts with
// any estimator (exact Shapley, TMC, GTG-Shapley, leave-one-out, Data Banzhaf; see
// attribution/estimator.hpp for the papers) and compare with the recorded values.
#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "attribution/estimator.hpp"
#include "cli/commands.hpp"
#include "cli/job_file.hpp"
#include "common/keys.hpp"
#include "fedtrain/config.hpp"
#include "fedtrain/valuation/attribution_replay.hpp"

namespace flywheel::cli {
namespace {

struct AttributeRequest {
  std::string run_dir;
  std::string method = "exact";
  std::string export_utilities;
  std::size_t threads = 0;
};

Result<void> run_attribute(const AttributeRequest& request) {
  auto method = attribution::parse_method(request.method);
  if (!method) return fail(Errc::config, "--method: " + method.error().message);
  const std::filesystem::path run_dir = request.run_dir;
  // A deployment run's config.json is its job file, deployment section and all.
  auto job = load_job_json(run_dir / "config.json", {});
  if (!job) return tl::unexpected(with_context(job.error(), "reading the run's config.json"));
  auto config = parse_job(*job);
  if (!config) return tl::unexpected(with_context(config.error(), (run_dir / "config.json").string()));
  fedtrain::ReplayOptions options{
      .threads = request.threads, .export_utilities = request.export_utilities, .progress = &std::cerr, .output = {}};
  auto report = fedtrain::recompute_attribution(*config, run_dir, *method, options);
  if (!report) return tl::unexpected(report.error());

  std::printf("%-6s %-42s %12s %12s %12s\n", "round", "participant", request.method.c_str(), "recorded", "std_error");
  for (const auto& round : report->rounds) {
    for (std::size_t k = 0; k < round.participants.size(); ++k) {
      std::printf("%-6llu %-42s %+12.6f %+12.6f %12.6f\n", static_cast<unsigned long long>(round.round),
                  to_checksum(round.participants[k]).c_str(), round.estimate.values[k], round.recorded_values[k],
                  round.estimate.std_errors[k]);
    }
    std::printf("       %zu evaluations%s\n", round.estimate.evaluations,
                round.estimate.truncated_round ? ", round skipped (between-round truncation)" : "");
  }
  std::printf("\n%-42s %12s %12s %12s\n", "participant", "total", "recorded", "std_error");
  for (const auto& total : report->totals) {
    double recorded = 0;
    for (const auto& round : report->rounds) {
      for (std::size_t k = 0; k < round.participants.size(); ++k) {
        if (round.participants[k] == total.participant) recorded += round.recorded_values[k];
      }
    }
    std::printf("%-42s %+12.6f %+12.6f %12.6f\n", to_checksum(total.participant).c_str(), total.value, recorded,
                total.std_error);
  }
  std::printf("wrote %s\n", report->output.string().c_str());
  if (!request.export_utilities.empty()) std::printf("wrote %s\n", request.export_utilities.c_str());
  return {};
}

}  // namespace

void add_attribute_commands(CLI::App& app, Action& action) {
  static AttributeRequest request;
  auto* command =
      app.add_subcommand("attribute",
                         "Recompute a finished run's per-round attribution from its artifacts (verified against the "
                         "recorded hashes) with another estimator; writes DIR/attribution-<method>.json");
  command->add_option("--run", request.run_dir, "Run folder (holds config.json, attribution.json, artifacts/)")
      ->required();
  command->add_option("--method", request.method, "exact, tmc, gtg, loo, banzhaf or stratified (default exact)");
  command->add_option("--export-utilities", request.export_utilities,
                      "Write every evaluated coalition's utility here, one JSON line each");
  command->add_option("--threads", request.threads, "Threads evaluating coalitions (0 = one per core)");
  command->callback([&action] { action = [] { return run_attribute(request); }; });
}

}  // namespace flywheel::cli
