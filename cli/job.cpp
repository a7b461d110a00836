// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "cli/job.hpp"

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
#include "cli/durable_sink.hpp"
#include "common/keys.hpp"
#include "fedtrain/profile.hpp"
#include "fedtrain/simulation.hpp"

namespace flywheel::cli {

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

Result<json> read_json_file(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return fail(Errc::not_found, "cannot open config file " + file.string());
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    return fail(Errc::config, "config file " + file.string() + " is not valid JSON: " + e.what());
  }
}

Result<void> apply_override(json& config, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    return fail(Errc::config, "--set expects key.path=value, got '" + assignment + "'");
  }
  const std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  json value;
  try {
    value = json::parse(text);
  } catch (const json::exception&) {
    value = text;  // a bare word is a string: --set data.partition=iid
  }
  json* node = &config;
  std::stringstream parts(path);
  std::string key;
  while (std::getline(parts, key, '.')) {
    if (key.empty()) return fail(Errc::config, "--set key '" + path + "' has an empty part");
    if (!node->is_object()) *node = json::object();
    node = &(*node)[key];
  }
  *node = std::move(value);
  return {};
}

Result<json> load_config_json(const JobRequest& request) {
  json config;
  if (request.config_file) {
    auto loaded = read_json_file(*request.config_file);
    if (!loaded) return tl::unexpected(loaded.error());
    config = std::move(*loaded);
  } else if (request.mode == JobMode::demo) {
    config = json::parse(kDemoConfig);
  } else {
    return fail(Errc::config, "simulate needs --config FILE (see examples/quickstart/config.json)");
  }
  for (const auto& assignment : request.overrides) FLYWHEEL_TRY(apply_override(config, assignment));
  return config;
}

// The "chain" section is the CLI's: fedtrain only carries it.
struct ChainSettings {
  std::optional<std::string> rpc;
  std::optional<Address> ledger;
  std::optional<std::string> aggregator_key;
  std::optional<Address> dao;
  std::uint64_t challenge_window = 3600;
};

Result<ChainSettings> parse_chain_settings(const json& config) {
  ChainSettings out;
  if (!config.contains("chain")) return out;
  const json& chain = config["chain"];
  if (!chain.is_object()) return fail(Errc::config, "chain must be an object");
  for (const auto& [key, value] : chain.items()) {
    if (key == "rpc") {
      if (!value.is_string()) return fail(Errc::config, "chain.rpc must be a URL string");
      out.rpc = value.get<std::string>();
    } else if (key == "ledger") {
      auto a = value.is_string() ? parse_address(value.get<std::string>())
                                 : fail(Errc::parse, "not a string");
      if (!a) return fail(Errc::config, "chain.ledger must be a contract address: " + a.error().message);
      out.ledger = *a;
    } else if (key == "dao") {
      auto a = value.is_string() ? parse_address(value.get<std::string>())
                                 : fail(Errc::parse, "not a string");
      if (!a) return fail(Errc::config, "chain.dao must be an address: " + a.error().message);
      out.dao = *a;
    } else if (key == "aggregator_key") {
      if (!value.is_string()) return fail(Errc::config, "chain.aggregator_key must be a hex string");
      out.aggregator_key = value.get<std::string>();
    } else if (key == "challenge_window") {
      if (!value.is_number_unsigned()) {
        return fail(Errc::config, "chain.challenge_window must be a whole number of seconds");
      }
      out.challenge_window = value.get<std::uint64_t>();
    } else {
      return fail(Errc::config, "unknown key chain." + key +
                                    " (known: rpc, ledger, dao, aggregator_key, challenge_window)");
    }
  }
  return out;
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
      return fail(Errc::not_found, "nothing to resume in " + dir.string() +
                                       ": it has no checkpoint/ folder (run without --resume)");
    }
    return dir;
  }
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    return fail(Errc::io, "run folder " + dir.string() +
                              " already holds files; choose another --out or remove it");
  }
  fs::create_directories(dir, ec);
  if (ec) return fail(Errc::io, "cannot create run folder " + dir.string() + ": " + ec.message());
  return dir;
}

Result<void> write_json_atomically(const fs::path& file, const json& value) {
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << value.dump(2) << "\n";
    if (!out) return fail(Errc::io, "cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) return fail(Errc::io, "cannot rename " + tmp.string() + ": " + ec.message());
  return {};
}

// ---------------------------------------------------------------------------------------------
// Sinks: one that keeps what it saw (for the final tables), one that writes to the ledger.

class RecordingSink final : public fedtrain::RoundSink {
 public:
  explicit RecordingSink(fedtrain::RoundSink& next) : next_(next) {}
  Result<void> on_job_start(const std::vector<fedtrain::ParticipantInfo>& p) override {
    return next_.on_job_start(p);
  }
  Result<void> on_round(const fedtrain::RoundRecord& record) override {
    rounds.push_back(record);
    return next_.on_round(record);
  }
  Result<void> on_job_end(const fedtrain::JobSummary& summary) override {
    return next_.on_job_end(summary);
  }
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
    std::cout << std::setw(5) << r.round << "  " << std::setw(13) << std::fixed
              << std::setprecision(4) << r.test_accuracy << "  " << std::setw(9) << r.test_loss
              << "  " << r.attribution_root.hex() << "\n";
  }
}

void print_participants(const fedtrain::JobSummary& summary,
                        const std::vector<std::optional<U256>>& balances) {
  std::cout << "\n" << std::left << std::setw(44) << "participant" << std::setw(17) << "profile"
            << std::right << std::setw(8) << "samples" << std::setw(15) << "Shapley value"
            << std::setw(22) << "shares" << std::setw(9) << "" << std::setw(22)
            << (balances.empty() ? "" : "token balance") << "\n";
  for (std::size_t i = 0; i < summary.participants.size(); ++i) {
    const auto& p = summary.participants[i];
    std::cout << std::left << std::setw(44) << to_checksum(p.address) << std::setw(17) << p.profile
              << std::right << std::setw(8) << p.samples << std::setw(15) << std::fixed
              << std::setprecision(6) << summary.total_values[i] << std::setw(22)
              << summary.shares[i] << std::setw(9) << percent(summary.shares[i], summary.total_shares);
    if (i < balances.size()) {
      std::cout << std::setw(22) << (balances[i] ? balances[i]->to_dec() : std::string("?"));
    }
    std::cout << "\n";
  }
}

// ---------------------------------------------------------------------------------------------

struct ChainSession {
  std::optional<chain::AnvilProcess> anvil;
  std::unique_ptr<chain::RpcClient> rpc;
  std::unique_ptr<chain::Signer> aggregator;
  std::optional<chain::AttributionLedger> ledger;
  std::uint64_t chain_id = 0;
  U256 job_id;
  json deployment;
};

Result<ChainSession> open_chain(const JobRequest& request, const ChainSettings& settings,
                                const std::string& job_name, const fs::path& out_dir) {
  ChainSession session;
  std::optional<json> resumed_deployment;
  if (request.resume && fs::exists(out_dir / "deployment.json")) {
    auto loaded = read_json_file(out_dir / "deployment.json");
    if (!loaded) return tl::unexpected(loaded.error());
    resumed_deployment = std::move(*loaded);
  }
  std::string url;
  if (request.rpc) {
    url = *request.rpc;
  } else if (settings.rpc) {
    url = *settings.rpc;
  } else if (resumed_deployment) {
    url = (*resumed_deployment)["rpc_url"].get<std::string>();
  } else {
    std::cout << "starting anvil on 127.0.0.1 ...\n";
    auto anvil = chain::AnvilProcess::start();
    if (!anvil) return tl::unexpected(with_context(anvil.error(), "starting anvil"));
    session.anvil = std::move(*anvil);
    url = session.anvil->url();
    std::cout << "anvil running at " << url << " (pid " << session.anvil->pid() << ")\n";
  }
  session.rpc = std::make_unique<chain::RpcClient>(url);
  auto chain_id = session.rpc->chain_id();
  if (!chain_id) return tl::unexpected(with_context(chain_id.error(), "connecting to " + url));
  session.chain_id = *chain_id;

  // Without a configured key the aggregator is anvil's first well-known dev account.
  auto key = PrivateKey::from_hex(settings.aggregator_key.value_or(std::string(chain::kAnvilDevKeys[0])));
  if (!key) return fail(Errc::config, "chain.aggregator_key is not a valid private key: " + key.error().message);
  chain::SignerOptions signer_options;
  signer_options.known_errors = chain::attribution_ledger_errors();
  session.aggregator = std::make_unique<chain::Signer>(*key, *session.rpc, signer_options);
  const Address aggregator = session.aggregator->address();

  if (resumed_deployment) {
    // A resumed run keeps recording into the job it registered; the outbox in the run folder
    // knows what already landed.
    auto ledger = parse_address((*resumed_deployment)["contracts"]["AttributionLedger"].get<std::string>());
    auto job_id = U256::from_dec((*resumed_deployment)["job_id"].get<std::string>());
    if (!ledger || !job_id) return fail(Errc::parse, "deployment.json of the run is malformed");
    session.ledger.emplace(*ledger, *session.aggregator);
    session.job_id = *job_id;
    session.deployment = *resumed_deployment;
    std::cout << "resuming job " << job_id->to_dec() << " on ledger " << to_checksum(*ledger) << "\n";
    return session;
  }
  if (settings.ledger) {
    session.ledger.emplace(*settings.ledger, *session.aggregator);
  } else {
    const Address dao = settings.dao.value_or(aggregator);
    auto ledger = chain::AttributionLedger::deploy(*session.aggregator,
                                                   chain::default_ledger_artifact_path(), dao);
    if (!ledger) return tl::unexpected(with_context(ledger.error(), "deploying AttributionLedger"));
    session.ledger.emplace(std::move(*ledger));
    std::cout << "AttributionLedger deployed at " << to_checksum(session.ledger->address()) << "\n";
  }
  auto job_id = session.ledger->register_job(aggregator, settings.challenge_window, job_name);
  if (!job_id) return tl::unexpected(with_context(job_id.error(), "registering the job"));
  session.job_id = *job_id;
  std::cout << "job " << job_id->to_dec() << " registered; aggregator " << to_checksum(aggregator)
            << ", challenge window " << settings.challenge_window << " s\n";

  session.deployment = {
      {"chain_id", session.chain_id},
      {"rpc_url", url},
      {"started_anvil", session.anvil.has_value()},
      {"contracts", {{"AttributionLedger", to_checksum(session.ledger->address())}}},
      {"job_id", job_id->to_dec()},
      {"aggregator", to_checksum(aggregator)},
      {"dao", to_checksum(settings.dao.value_or(aggregator))},
      {"challenge_window", settings.challenge_window},
  };
  FLYWHEEL_TRY(write_json_atomically(out_dir / "deployment.json", session.deployment));
  return session;
}

// Adds the on-chain identity of the job to the attribution report fedtrain wrote.
Result<void> annotate_report(const fs::path& out_dir, const ChainSession& session) {
  auto report = read_json_file(out_dir / "attribution.json");
  if (!report) return tl::unexpected(report.error());
  (*report)["job_id"] = session.job_id.to_dec();
  (*report)["chain_id"] = session.chain_id;
  (*report)["ledger"] = to_checksum(session.ledger->address());
  return write_json_atomically(out_dir / "attribution.json", *report);
}

// Demo only: past the challenge window, finalize, then every participant claims with its key.
Result<std::vector<std::optional<U256>>> finalize_and_claim(ChainSession& session,
                                                            const ChainSettings& settings,
                                                            const fedtrain::SimulationConfig& config,
                                                            const fedtrain::JobSummary& summary) {
  std::cout << "\nadvancing the chain clock past the " << settings.challenge_window
            << " s challenge window\n";
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
      auto claimed = ledger.claim_shares(session.job_id, U256(summary.shares[i]),
                                         summary.share_proofs[i]);
      if (!claimed) {
        return tl::unexpected(with_context(
            claimed.error(), "claim of " + to_checksum(summary.participants[i].address)));
      }
      std::cout << "  " << to_checksum(summary.participants[i].address) << " claimed "
                << summary.shares[i] << " shares (gas " << claimed->gas_used << ")\n";
    }
    auto balance = chain::erc20_balance_of(*session.rpc, *token, summary.participants[i].address);
    if (!balance) return tl::unexpected(with_context(balance.error(), "reading a token balance"));
    balances.emplace_back(*balance);
  }
  return balances;
}

}  // namespace

Result<void> run_job(const JobRequest& request) {
  auto config_json = load_config_json(request);
  if (!config_json) return tl::unexpected(config_json.error());
  auto settings = parse_chain_settings(*config_json);
  if (!settings) return tl::unexpected(settings.error());
  const bool on_chain = request.mode == JobMode::demo || request.rpc || settings->rpc;

  // The demo's participants claim with anvil's funded dev accounts 1..n unless keys are given.
  json& participants = (*config_json)["participants"];
  if (participants.is_null()) participants = json::object();
  if (request.mode == JobMode::demo && participants.is_object() &&
      !participants.contains("private_keys")) {
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

  auto config = fedtrain::parse_simulation_config(config_json->dump());
  if (!config) return tl::unexpected(config.error());
  auto out_dir = prepare_out_dir(request, config->job.name);
  if (!out_dir) return tl::unexpected(out_dir.error());
  std::cout << "run folder: " << out_dir->string() << "\n";
  if (!request.resume) FLYWHEEL_TRY(write_json_atomically(*out_dir / "config.json", *config_json));

  std::optional<ChainSession> session;
  if (on_chain) {
    auto opened = open_chain(request, *settings, config->job.name, *out_dir);
    if (!opened) return tl::unexpected(opened.error());
    session.emplace(std::move(*opened));
  }

  fedtrain::NullSink null_sink;
  // Every round record goes through a durable outbox in the run folder, so a crash or an RPC
  // outage never loses or doubles a record.
  std::optional<chain::RoundOutbox> outbox;
  std::optional<DurableLedgerSink> ledger_sink;
  if (session) {
    auto opened = chain::RoundOutbox::open(*out_dir / "outbox.sqlite", session->ledger->address(),
                                           *session->aggregator);
    if (!opened) return tl::unexpected(with_context(opened.error(), "opening the outbox"));
    outbox.emplace(std::move(*opened));
    ledger_sink.emplace(*outbox, *session->ledger, session->job_id, std::cout);
  }
  RecordingSink sink(ledger_sink ? static_cast<fedtrain::RoundSink&>(*ledger_sink) : null_sink);

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
    std::cout << "\non-chain balances sum to " << sum.to_dec() << " of " << summary->total_shares
              << " shares" << (sum == U256(summary->total_shares) ? "" : "  <-- MISMATCH") << "\n";
    if (sum != U256(summary->total_shares)) {
      return fail(Errc::internal, "claimed balances do not sum to the total shares");
    }
  }
  std::cout << "\nwrote " << (*out_dir / "metrics.jsonl").string() << ", "
            << (*out_dir / "attribution.json").string()
            << (session ? ", " + (*out_dir / "deployment.json").string() : std::string()) << "\n";
  if (session && session->anvil) {
    std::cout << "stopping anvil (pid " << session->anvil->pid() << ")\n";
  }
  return {};
}

}  // namespace flywheel::cli
