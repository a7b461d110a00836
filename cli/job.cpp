// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "cli/job.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chain-bridge/anvil.hpp"
#include "chain-bridge/ledger.hpp"
#include "chain-bridge/outbox.hpp"
#include "chain-bridge/rpc.hpp"
#include "chain-bridge/signer.hpp"
#include "cli/job_file.hpp"
#include "cli/wallet.hpp"
#include "common/file_io.hpp"
#include "common/keys.hpp"
#include "common/keystore.hpp"
#include "fedtrain/data/profile.hpp"
#include "fedtrain/simulation/simulation.hpp"
#include "fedtrain/transport/protocol.hpp"
#include "jobs/ledger_session.hpp"

namespace flywheel::cli {

using jobs::annotate_report;
using jobs::ChainRequest;
using jobs::ChainSettings;
using jobs::LedgerSession;
using jobs::open_ledger_session;
using jobs::parse_chain_settings;
using jobs::records_on_chain;

const char* const kDemoConfig = R"({
  "job": {"name": "flywheel-demo", "seed": 42, "rounds": 5},
  "data": {"partition": "dirichlet", "alpha": 0.5, "validation_size": 5000},
  "model": {"name": "mlp", "hidden": [200, 200]},
  "training": {"local_epochs": 1, "batch_size": 32, "learning_rate": 0.05},
  "participants": {"count": 6, "profiles": {"5": "shuffled-labels"}},
  "attribution": {"method": "exact", "utility": "accuracy"},
  "chain": {"challenge_window": 3600}
})";

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Config: file (or the demo's), then --set overrides, then fedtrain's parser validates it all.

Result<json> load_config_json(const JobRequest& request) {
  if (request.config_file) return load_job_json(*request.config_file, request.overrides);
  if (request.mode != JobMode::demo) {
    return fail(Errc::config, "simulate needs --config FILE (see examples/fashion_mnist_quick/config.json)");
  }
  json config = json::parse(kDemoConfig);
  for (const auto& assignment : request.overrides) FLYWHEEL_TRY(apply_override(config, assignment));
  return config;
}

// ---------------------------------------------------------------------------------------------
// Run folder.

Result<fs::path> prepare_out_dir(const JobRequest& request, const std::string& job_name) {
  fs::path dir;
  if (request.resume && !request.out_dir) {
    return fail(Errc::config, "--resume needs --out DIR naming the run folder to continue");
  }
  if (request.out_dir) {
    dir = *request.out_dir;
  } else {
    const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::ostringstream name;
    name << std::put_time(&utc, "%Y%m%d-%H%M%S") << "-" << job_name;
    dir = fs::path("runs") / name.str();
  }
  std::error_code ec;
  if (request.resume) {
    if (!fs::exists(dir / "checkpoint", ec)) {
      return fail(Errc::not_found,
                  "nothing to resume in " + dir.string() + ": it has no checkpoint/ folder (run without --resume)");
    }
    return dir;
  }
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return fail(Errc::io, "run folder " + dir.string() + " already holds files; choose another --out or remove it");
  }
  fs::create_directories(dir, ec);
  if (ec) return fail(Errc::io, "cannot create run folder " + dir.string() + ": " + ec.message());
  return dir;
}

// ---------------------------------------------------------------------------------------------
// A sink that keeps what it saw (for the final tables) and passes everything on.

class RecordingSink final : public fedtrain::RoundSink {
 public:
  explicit RecordingSink(fedtrain::RoundSink& next) : next_(next) {}
  Result<void> on_job_start(const std::vector<fedtrain::ParticipantInfo>& p) override { return next_.on_job_start(p); }
  Result<void> on_round(const fedtrain::RoundRecord& record) override {
    rounds.push_back(record);
    return next_.on_round(record);
  }
  Result<void> on_job_end(const fedtrain::JobSummary& summary) override { return next_.on_job_end(summary); }
  std::vector<fedtrain::RoundRecord> rounds;

 private:
  fedtrain::RoundSink& next_;
};

// ---------------------------------------------------------------------------------------------
// Output.

std::string percent(std::uint64_t shares, std::uint64_t total) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(2)
    << (total == 0 ? 0.0 : 100.0 * static_cast<double>(shares) / static_cast<double>(total)) << "%";
  return s.str();
}

void print_rounds(const std::vector<fedtrain::RoundRecord>& rounds) {
  std::cout << "\nround  test accuracy  test loss  attribution root\n";
  for (const auto& r : rounds) {
    std::cout << std::setw(5) << r.round << "  " << std::setw(13) << std::fixed << std::setprecision(4)
              << r.test_accuracy << "  " << std::setw(9) << r.test_loss << "  " << r.attribution_root.hex() << "\n";
  }
}

void print_participants(const fedtrain::JobSummary& summary, const std::vector<std::optional<U256>>& balances) {
  std::cout << "\n"
            << std::left << std::setw(44) << "participant" << std::setw(17) << "profile" << std::right << std::setw(8)
            << "samples" << std::setw(15) << "Shapley value" << std::setw(22) << "shares" << std::setw(9) << ""
            << std::setw(22) << (balances.empty() ? "" : "token balance") << "\n";
  for (std::size_t i = 0; i < summary.participants.size(); ++i) {
    const auto& p = summary.participants[i];
    std::cout << std::left << std::setw(44) << to_checksum(p.address) << std::setw(17) << p.profile << std::right
              << std::setw(8) << p.samples << std::setw(15) << std::fixed << std::setprecision(6)
              << summary.total_values[i] << std::setw(22) << summary.shares[i] << std::setw(9)
              << percent(summary.shares[i], summary.total_shares);
    if (i < balances.size()) {
      std::cout << std::setw(22) << (balances[i] ? balances[i]->to_dec() : std::string("?"));
    }
    std::cout << "\n";
  }
}

// ---------------------------------------------------------------------------------------------

// Demo only: past the challenge window, finalize, then every participant claims with its key.
Result<std::vector<std::optional<U256>>> finalize_and_claim(LedgerSession& session, const ChainSettings& settings,
                                                            const fedtrain::SimulationConfig& config,
                                                            const fedtrain::JobSummary& summary) {
  std::cout << "\nadvancing the chain clock past the " << settings.challenge_window << " s challenge window\n";
  FLYWHEEL_TRY(session.rpc->increase_time(settings.challenge_window + 1));
  FLYWHEEL_TRY(session.rpc->mine());
  auto token = session.ledger->finalize(session.job_id);
  if (!token) return tl::unexpected(with_context(token.error(), "finalizing shares"));
  std::cout << "shares finalized; ModelShares token at " << to_checksum(*token) << "\n";
  session.deployment["contracts"]["ModelShares"] = to_checksum(*token);

  std::vector<std::optional<U256>> balances;
  for (std::size_t i = 0; i < summary.participants.size(); ++i) {
    if (summary.shares[i] > 0) {
      chain::SignerOptions options;
      options.known_errors = chain::attribution_ledger_errors();
      chain::Signer participant(config.participants.keys[i], *session.rpc, options);
      chain::AttributionLedger ledger(session.ledger->address(), participant);
      auto claimed = ledger.claim_shares(session.job_id, U256(summary.shares[i]), summary.share_proofs[i]);
      if (!claimed) {
        return tl::unexpected(
            with_context(claimed.error(), "claim of " + to_checksum(summary.participants[i].address)));
      }
      std::cout << "  " << to_checksum(summary.participants[i].address) << " claimed " << summary.shares[i]
                << " shares (gas " << claimed->gas_used << ")\n";
    }
    auto balance = chain::erc20_balance_of(*session.rpc, *token, summary.participants[i].address);
    if (!balance) return tl::unexpected(with_context(balance.error(), "reading a token balance"));
    balances.emplace_back(*balance);
  }
  return balances;
}

// A deployment job file runs here too, as one process: its deployment section is checked as the
// aggregator checks it (fedtrain::parse_deployment_job, which also gives the receipts the
// deployment's EIP-712 domain); its allowlisted participants train here. With their keystores the
// receipts are signed as the participant processes sign them, so the rounds' roots equal a
// deployed run's.
Result<fedtrain::SimulationConfig> deployment_job_config(const json& config_json, const JobRequest& request) {
  auto job = fedtrain::parse_deployment_job(config_json.dump());
  if (!job) return tl::unexpected(job.error());
  const auto& allowlist = job->deployment.allowlist;
  std::cout
      << "deployment job file: its " << allowlist.size()
      << " allowlisted participants train in this process (the rest of the deployment section is not used here)\n";
  if (request.keystores.empty()) {
    std::cout << "no --keystore given: receipts are signed with keys derived from job.seed, whose addresses differ "
                 "from the allowlist (and so do the attribution roots)\n";
    return std::move(job->config);
  }
  auto password = read_password(request.password_file);
  if (!password) return tl::unexpected(password.error());
  std::vector<std::optional<PrivateKey>> keys(allowlist.size());
  for (const auto& file : request.keystores) {
    auto key = load_keystore(file, *password);
    if (!key) return tl::unexpected(with_context(key.error(), file.string()));
    const auto it = std::find(allowlist.begin(), allowlist.end(), key->address());
    if (it == allowlist.end()) {
      return fail(Errc::config, "keystore " + file.string() + " holds " + to_checksum(key->address()) +
                                    ", which is not on deployment.allowlist");
    }
    keys[static_cast<std::size_t>(it - allowlist.begin())] = *key;
  }
  job->config.participants.keys.clear();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!keys[i]) {
      return fail(Errc::config, "no --keystore for allowlisted participant " + std::to_string(i) + " " +
                                    to_checksum(allowlist[i]) + "; give one per participant, or none");
    }
    job->config.participants.keys.push_back(*keys[i]);
  }
  return std::move(job->config);
}

// A simulation config; the demo's participants claim with anvil's funded dev accounts 1..n unless
// keys are given.
Result<fedtrain::SimulationConfig> simulation_config(json config_json, const JobRequest& request) {
  if (!request.keystores.empty()) {
    return fail(Errc::config,
                "--keystore signs for the participants of a deployment job file; a simulation "
                "config names its keys in participants.private_keys");
  }
  json& participants = config_json["participants"];
  if (participants.is_null()) participants = json::object();
  if (request.mode == JobMode::demo && participants.is_object() && !participants.contains("private_keys")) {
    const json& count_json = participants.contains("count") ? participants["count"] : json(6);
    if (!count_json.is_number_unsigned()) {
      return fail(Errc::config, "participants.count must be a positive whole number");
    }
    const auto count = count_json.get<std::size_t>();
    if (count + 1 > chain::kAnvilDevKeys.size()) {
      return fail(Errc::config, "the demo has " + std::to_string(chain::kAnvilDevKeys.size() - 1) +
                                    " funded dev accounts for participants; participants.count is " +
                                    std::to_string(count) + " (set participants.private_keys)");
    }
    json keys = json::array();
    for (std::size_t i = 1; i <= count; ++i) keys.push_back(chain::kAnvilDevKeys[i]);
    participants["private_keys"] = keys;
  }
  return fedtrain::parse_simulation_config(config_json.dump());
}

}  // namespace

Result<void> run_job(const JobRequest& request) {
  auto config_json = load_config_json(request);
  if (!config_json) return tl::unexpected(config_json.error());
  auto settings = parse_chain_settings(config_json->contains("chain") ? (*config_json)["chain"].dump() : "{}");
  if (!settings) return tl::unexpected(settings.error());
  const ChainRequest chain_request{.rpc = request.rpc,
                                   .resume = request.resume,
                                   .start_anvil = request.mode == JobMode::demo,
                                   .signer_key = std::nullopt};

  auto config = config_json->is_object() && config_json->contains("deployment")
                    ? deployment_job_config(*config_json, request)
                    : simulation_config(*config_json, request);
  if (!config) return tl::unexpected(config.error());
  auto out_dir = prepare_out_dir(request, config->job.name);
  if (!out_dir) return tl::unexpected(out_dir.error());
  std::cout << "run folder: " << out_dir->string() << "\n";
  if (!request.resume) FLYWHEEL_TRY(write_json_atomically(*out_dir / "config.json", *config_json));

  fedtrain::NullSink null_sink;
  std::unique_ptr<LedgerSession> session;
  if (records_on_chain(*settings, chain_request, *out_dir)) {
    auto opened = open_ledger_session(*settings, chain_request, config->job.name, *out_dir, std::cout);
    if (!opened) return tl::unexpected(opened.error());
    session = std::move(*opened);
  }
  RecordingSink sink(session ? static_cast<fedtrain::RoundSink&>(*session->sink) : null_sink);

  fedtrain::SimulationOptions options;
  options.threads = request.threads;
  options.resume = request.resume;
  options.progress = &std::cout;
  auto summary = fedtrain::run_simulation(*config, *out_dir, sink, options);
  if (!summary) return tl::unexpected(summary.error());

  std::vector<std::optional<U256>> balances;
  if (session) {
    FLYWHEEL_TRY(annotate_report(*out_dir, *session));
    if (request.mode == JobMode::demo) {
      auto claimed = finalize_and_claim(*session, *settings, *config, *summary);
      if (!claimed) return tl::unexpected(claimed.error());
      balances = std::move(*claimed);
      session->deployment["shares_token"] = session->deployment["contracts"]["ModelShares"];
      FLYWHEEL_TRY(write_json_atomically(*out_dir / "deployment.json", session->deployment));
    }
  }

  print_rounds(sink.rounds);
  print_participants(*summary, balances);
  if (!balances.empty()) {
    U256 sum;
    for (const auto& b : balances) sum = sum + b.value_or(U256{});
    std::cout << "\non-chain balances sum to " << sum.to_dec() << " of " << summary->total_shares << " shares"
              << (sum == U256(summary->total_shares) ? "" : "  <-- MISMATCH") << "\n";
    if (sum != U256(summary->total_shares)) {
      return fail(Errc::internal, "claimed balances do not sum to the total shares");
    }
  }
  std::cout << "\nwrote " << (*out_dir / "metrics.jsonl").string() << ", " << (*out_dir / "attribution.json").string()
            << (session ? ", " + (*out_dir / "deployment.json").string() : std::string()) << "\n";
  if (session && session->anvil) {
    std::cout << "stopping anvil (pid " << session->anvil->pid() << ")\n";
  }
  return {};
}

}  // namespace flywheel::cli
