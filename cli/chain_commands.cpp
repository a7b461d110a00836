// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// `flywheel chain deploy|status` and `flywheel shares propose|finalize|claim`: the
// AttributionLedger lifecycle (docs/onchain.md) from the command line.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "chain-bridge/ledger.hpp"
#include "cli/chain_options.hpp"
#include "cli/commands.hpp"

namespace flywheel::cli {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct ChainRequest {
  ChainOptions chain;
  std::string ledger;
  std::string job;
  std::string dao;
  std::string artifact;
  std::string root;
  std::string total;
  std::optional<fs::path> run_dir;
};

// A connected client and signer and (when a ledger is named) the ledger binding.
struct Session {
  ChainSession chain;
  std::optional<chain::AttributionLedger> ledger;
};

Result<Session> connect(const ChainRequest& request, bool needs_ledger, KeyUse key_use) {
  auto c = connect_chain(request.chain, key_use, chain::attribution_ledger_errors());
  if (!c) return tl::unexpected(c.error());
  Session s{.chain = std::move(*c), .ledger = std::nullopt};
  if (needs_ledger) {
    auto address = parse_contract(*s.chain.rpc, request.ledger, "--ledger", "deploy one with `flywheel chain deploy`");
    if (!address) return tl::unexpected(address.error());
    s.ledger.emplace(*address, *s.chain.signer);
  }
  return s;
}

Result<U256> parse_job(const std::string& text) { return parse_positive(text, "--job"); }

Result<json> read_attribution(const fs::path& run_dir) {
  const fs::path file = run_dir / "attribution.json";
  std::ifstream in(file);
  if (!in) return fail(Errc::not_found, "cannot open " + file.string() + " (is --run a run folder?)");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    return fail(Errc::parse, file.string() + " is not valid JSON: " + e.what());
  }
}

Result<void> chain_deploy(const ChainRequest& request) {
  auto s = connect(request, /*needs_ledger=*/false, KeyUse::dev_key_allowed);
  if (!s) return tl::unexpected(s.error());
  Address dao = s->chain.signer->address();
  if (!request.dao.empty()) {
    auto parsed = parse_address(request.dao);
    if (!parsed) return fail(Errc::config, "--dao must be an address: " + parsed.error().message);
    dao = *parsed;
  }
  const std::string artifact = request.artifact.empty() ? chain::default_ledger_artifact_path() : request.artifact;
  auto ledger = chain::AttributionLedger::deploy(*s->chain.signer, artifact, dao);
  if (!ledger) return tl::unexpected(with_context(ledger.error(), "deploying AttributionLedger"));
  std::cout << "AttributionLedger deployed at " << to_checksum(ledger->address()) << " (dao " << to_checksum(dao)
            << ")\n"
            << to_checksum(ledger->address()) << "\n";
  return {};
}

Result<void> print_job(chain::AttributionLedger& ledger, const U256& job) {
  auto rounds = ledger.round_count(job);
  if (!rounds) return tl::unexpected(rounds.error());
  std::cout << "job " << job.to_dec() << ": " << rounds->to_dec() << " round(s) recorded\n";
  const std::uint64_t n = rounds->fits_u64() ? rounds->limbs[0] : 0;
  for (std::uint64_t r = 1; r <= n; ++r) {
    auto root = ledger.round_root(job, r);
    if (!root) return tl::unexpected(root.error());
    std::cout << "  round " << r << "  root " << root->hex() << "\n";
  }
  auto shares_root = ledger.shares_root(job);
  if (!shares_root) return tl::unexpected(shares_root.error());
  auto finalized = ledger.is_finalized(job);
  if (!finalized) return tl::unexpected(finalized.error());
  if (shares_root->is_zero()) {
    std::cout << "  shares: none proposed\n";
    return {};
  }
  auto total = ledger.total_shares(job);
  if (!total) return tl::unexpected(total.error());
  std::cout << "  shares: " << (*finalized ? "finalized" : "proposed (challenge window)") << ", root "
            << shares_root->hex() << ", total " << total->to_dec() << "\n";
  if (*finalized) {
    auto token = ledger.shares_token(job);
    if (!token) return tl::unexpected(token.error());
    std::cout << "  token " << to_checksum(*token) << "\n";
  }
  return {};
}

Result<void> chain_status(const ChainRequest& request) {
  auto s = connect(request, /*needs_ledger=*/true, KeyUse::read_only);
  if (!s) return tl::unexpected(s.error());
  auto count = s->ledger->job_count();
  if (!count) return tl::unexpected(count.error());
  std::cout << "ledger " << to_checksum(s->ledger->address()) << " on " << request.chain.rpc << ": " << count->to_dec()
            << " job(s)\n";
  if (!request.job.empty()) {
    auto job = parse_job(request.job);
    if (!job) return tl::unexpected(job.error());
    if (*job > *count) return fail(Errc::not_found, "job " + job->to_dec() + " does not exist");
    return print_job(*s->ledger, *job);
  }
  const std::uint64_t jobs = count->fits_u64() ? count->limbs[0] : 0;
  for (std::uint64_t j = 1; j <= jobs; ++j) FLYWHEEL_TRY(print_job(*s->ledger, U256(j)));
  return {};
}

Result<void> shares_propose(const ChainRequest& request) {
  auto job = parse_job(request.job);
  if (!job) return tl::unexpected(job.error());
  std::string root_text = request.root;
  std::string total_text = request.total;
  if (request.run_dir) {
    auto doc = read_attribution(*request.run_dir);
    if (!doc) return tl::unexpected(doc.error());
    if (!doc->contains("shares_root") || !doc->contains("total_shares")) {
      return fail(Errc::parse, "attribution.json lacks shares_root or total_shares");
    }
    root_text = (*doc)["shares_root"].get<std::string>();
    total_text = (*doc)["total_shares"].get<std::string>();
  }
  if (root_text.empty() || total_text.empty()) {
    return fail(Errc::config, "give --run DIR, or both --root and --total");
  }
  auto root = Hash32::from_hex(root_text);
  if (!root) return fail(Errc::config, "shares root must be 32 bytes of hex: " + root.error().message);
  auto total = U256::from_dec(total_text);
  if (!total) return fail(Errc::config, "total shares must be a decimal integer: " + total.error().message);
  auto s = connect(request, /*needs_ledger=*/true, KeyUse::dev_key_allowed);
  if (!s) return tl::unexpected(s.error());
  auto receipt = s->ledger->propose_shares(*job, *root, *total);
  if (!receipt) return tl::unexpected(with_context(receipt.error(), "proposing shares"));
  std::cout << "shares proposed for job " << job->to_dec() << ": root " << root->hex() << ", total " << total->to_dec()
            << " (tx " << receipt->transaction_hash.hex() << ")\n";
  return {};
}

Result<void> shares_finalize(const ChainRequest& request) {
  auto job = parse_job(request.job);
  if (!job) return tl::unexpected(job.error());
  auto s = connect(request, /*needs_ledger=*/true, KeyUse::dev_key_allowed);
  if (!s) return tl::unexpected(s.error());
  auto token = s->ledger->finalize(*job);
  if (!token) return tl::unexpected(with_context(token.error(), "finalizing shares"));
  std::cout << "shares of job " << job->to_dec() << " finalized; ModelShares token at " << to_checksum(*token) << "\n";
  return {};
}

Result<void> shares_claim(const ChainRequest& request) {
  auto job = parse_job(request.job);
  if (!job) return tl::unexpected(job.error());
  if (!request.run_dir) return fail(Errc::config, "claim needs --run DIR (with attribution.json)");
  auto doc = read_attribution(*request.run_dir);
  if (!doc) return tl::unexpected(doc.error());
  auto s = connect(request, /*needs_ledger=*/true, KeyUse::keystore_required);
  if (!s) return tl::unexpected(s.error());
  const Address me = s->chain.signer->address();
  try {
    for (const auto& p : doc->at("participants")) {
      auto address = parse_address(p.at("address").get<std::string>());
      if (!address || *address != me) continue;
      auto amount = U256::from_dec(p.at("shares").get<std::string>());
      if (!amount) return fail(Errc::parse, "participant shares is not a decimal integer");
      std::vector<Hash32> proof;
      for (const auto& h : p.at("share_proof")) {
        auto node = Hash32::from_hex(h.get<std::string>());
        if (!node) return fail(Errc::parse, "share_proof holds a malformed hash");
        proof.push_back(*node);
      }
      auto receipt = s->ledger->claim_shares(*job, *amount, proof);
      if (!receipt) return tl::unexpected(with_context(receipt.error(), "claiming shares"));
      std::cout << to_checksum(me) << " claimed " << amount->to_dec() << " shares of job " << job->to_dec() << " (tx "
                << receipt->transaction_hash.hex() << ")\n";
      return {};
    }
  } catch (const json::exception& e) {
    return fail(Errc::parse, std::string("attribution.json participants are malformed: ") + e.what());
  }
  return fail(Errc::not_found,
              to_checksum(me) + " is not a participant in " + (*request.run_dir / "attribution.json").string());
}

void add_connection(CLI::App& command, ChainRequest& request, bool ledger, bool keystore) {
  add_chain_options(command, request.chain, keystore);
  if (ledger) {
    command.add_option("--ledger", request.ledger, "AttributionLedger address")->required();
  }
}

}  // namespace

void add_chain_commands(CLI::App& app, Action& action) {
  static ChainRequest request;  // must outlive parsing

  auto* chain = app.add_subcommand("chain", "Deploy and inspect the AttributionLedger");
  chain->require_subcommand(1);
  auto* deploy = chain->add_subcommand("deploy",
                                       "Deploy an AttributionLedger and print its address (without --keystore: anvil's "
                                       "dev account 0)");
  add_connection(*deploy, request, false, true);
  deploy->add_option("--dao", request.dao, "Account allowed to veto proposals (default: deployer)");
  deploy->add_option("--artifact", request.artifact, "Forge artifact of AttributionLedger (default: the built one)");
  deploy->callback([&action] { action = [] { return chain_deploy(request); }; });

  auto* status =
      chain->add_subcommand("status", "Print the ledger's jobs, recorded rounds and roots, and shares state");
  add_connection(*status, request, true, false);
  status->add_option("--job", request.job, "Only this job id");
  status->callback([&action] { action = [] { return chain_status(request); }; });

  auto* shares = app.add_subcommand("shares", "Propose, finalize and claim a job's model shares");
  shares->require_subcommand(1);
  auto* propose = shares->add_subcommand(
      "propose", "Propose the shares root (opens the challenge window); the job's aggregator only");
  add_connection(*propose, request, true, true);
  propose->add_option("--job", request.job, "Job id")->required();
  propose->add_option_function<std::string>(
      "--run", [](const std::string& v) { request.run_dir = v; },
      "Run folder whose attribution.json gives shares_root and total_shares");
  propose->add_option("--root", request.root, "Shares Merkle root (instead of --run)");
  propose->add_option("--total", request.total, "Total shares (instead of --run)");
  propose->callback([&action] { action = [] { return shares_propose(request); }; });

  auto* finalize =
      shares->add_subcommand("finalize", "Finalize the proposal after its challenge window; deploys the shares token");
  add_connection(*finalize, request, true, true);
  finalize->add_option("--job", request.job, "Job id")->required();
  finalize->callback([&action] { action = [] { return shares_finalize(request); }; });

  auto* claim = shares->add_subcommand(
      "claim", "Claim the keystore account's shares with its proof from a run's attribution.json");
  add_connection(*claim, request, true, true);
  claim->add_option("--job", request.job, "Job id")->required();
  claim
      ->add_option_function<std::string>(
          "--run", [](const std::string& v) { request.run_dir = v; },
          "Run folder with attribution.json (participants[].address/shares/share_proof)")
      ->required();
  claim->callback([&action] { action = [] { return shares_claim(request); }; });
}

}  // namespace flywheel::cli
