// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "jobs/ledger_session.hpp"

#include <ostream>

#include "common/file_io.hpp"

namespace flywheel::jobs {

namespace fs = std::filesystem;
using nlohmann::json;

Result<ChainSettings> parse_chain_settings(std::string_view chain_json) {
  ChainSettings out;
  json chain;
  try {
    chain = chain_json.empty() ? json::object() : json::parse(chain_json);
  } catch (const json::exception& e) {
    return fail(Errc::config, std::string("chain is not valid JSON: ") + e.what());
  }
  if (chain.is_null()) return out;
  if (!chain.is_object()) return fail(Errc::config, "chain must be an object");
  for (const auto& [key, value] : chain.items()) {
    if (key == "rpc") {
      if (!value.is_string()) return fail(Errc::config, "chain.rpc must be a URL string");
      out.rpc = value.get<std::string>();
    } else if (key == "ledger") {
      auto a = value.is_string() ? parse_address(value.get<std::string>()) : fail(Errc::parse, "not a string");
      if (!a) return fail(Errc::config, "chain.ledger must be a contract address: " + a.error().message);
      out.ledger = *a;
    } else if (key == "dao") {
      auto a = value.is_string() ? parse_address(value.get<std::string>()) : fail(Errc::parse, "not a string");
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
      return fail(Errc::config,
                  "unknown key chain." + key + " (known: rpc, ledger, dao, aggregator_key, challenge_window)");
    }
  }
  return out;
}

bool records_on_chain(const ChainSettings& settings, const ChainRequest& request, const fs::path& out_dir) {
  std::error_code ec;
  return request.rpc || settings.rpc || request.start_anvil ||
         (request.resume && fs::exists(out_dir / "deployment.json", ec));
}

namespace {

// What a reset chain looks like, said once.
std::string reset_hint(const std::string& url) {
  return "; was the chain at " + url +
         " reset, or is this another chain? The round records stay in "
         "outbox.sqlite; to record the job again, start it in a fresh run folder";
}

// Checks that the chain still holds `ledger` (code at its address) and, when given, that job
// `job_id` is registered there and every round the session's outbox (when open) confirmed has its
// root on-chain.
Result<void> check_chain_holds(LedgerSession& session, const Address& ledger, const std::optional<U256>& job_id,
                               const std::string& url) {
  auto code = session.rpc->get_code(ledger);
  if (!code) return tl::unexpected(with_context(code.error(), "reading the ledger's code at " + url));
  if (code->empty()) {
    return fail(Errc::config,
                "the AttributionLedger " + to_checksum(ledger) + " has no code on the chain" + reset_hint(url));
  }
  if (!job_id) return {};
  auto count = session.ledger->job_count();
  if (!count) return tl::unexpected(with_context(count.error(), "reading the ledger's job count"));
  if (*count < *job_id) {
    return fail(Errc::config, "job " + job_id->to_dec() + " is not registered on the ledger " + to_checksum(ledger) +
                                  " (it holds " + count->to_dec() + " jobs)" + reset_hint(url));
  }
  if (!session.outbox) return {};
  auto entries = session.outbox->entries();
  if (!entries) return tl::unexpected(entries.error());
  for (const auto& e : *entries) {
    if (e.state != chain::OutboxState::confirmed || e.record.job_id != *job_id) continue;
    auto root = session.ledger->round_root(*job_id, U256(e.record.round));
    if (!root) return tl::unexpected(with_context(root.error(), "reading round " + std::to_string(e.record.round)));
    if (*root != e.record.attribution_root) {
      return fail(Errc::config, "the chain no longer holds round " + std::to_string(e.record.round) + " of job " +
                                    job_id->to_dec() + " (the outbox confirmed root " +
                                    e.record.attribution_root.hex() + ", the ledger returns " + root->hex() + ")" +
                                    reset_hint(url));
    }
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<LedgerSession>> open_ledger_session(const ChainSettings& settings, const ChainRequest& request,
                                                           const std::string& job_name, const fs::path& out_dir,
                                                           std::ostream& out, DurableSinkOptions sink_options) {
  auto session = std::make_unique<LedgerSession>();
  std::optional<json> resumed_deployment;
  std::error_code ec;
  if (request.resume && fs::exists(out_dir / "deployment.json", ec)) {
    auto loaded = read_json_file(out_dir / "deployment.json");
    if (!loaded) return tl::unexpected(loaded.error());
    resumed_deployment = std::move(*loaded);
  }
  std::string url;
  if (request.rpc) {
    url = *request.rpc;
  } else if (settings.rpc) {
    url = *settings.rpc;
  } else if (resumed_deployment && resumed_deployment->value("rpc_url", json()).is_string()) {
    url = (*resumed_deployment)["rpc_url"].get<std::string>();
  } else if (request.start_anvil) {
    out << "starting anvil on 127.0.0.1 ...\n";
    auto anvil = chain::AnvilProcess::start();
    if (!anvil) return tl::unexpected(with_context(anvil.error(), "starting anvil"));
    session->anvil.emplace(std::move(*anvil));
    url = session->anvil->url();
    out << "anvil running at " << url << " (pid " << session->anvil->pid() << ")\n";
  } else {
    return fail(Errc::config, "no chain to record on: give --rpc URL or chain.rpc");
  }
  session->rpc = std::make_unique<chain::RpcClient>(url);
  auto chain_id = session->rpc->chain_id();
  if (!chain_id) return tl::unexpected(with_context(chain_id.error(), "connecting to " + url));
  session->chain_id = *chain_id;

  // The key that sends the records: chain.aggregator_key, else the caller's (the aggregator's
  // keystore), else anvil's first well-known dev account.
  PrivateKey key;
  if (settings.aggregator_key) {
    auto parsed = PrivateKey::from_hex(*settings.aggregator_key);
    if (!parsed)
      return fail(Errc::config, "chain.aggregator_key is not a valid private key: " + parsed.error().message);
    key = *parsed;
  } else if (request.signer_key) {
    key = *request.signer_key;
  } else {
    key = PrivateKey::from_hex(std::string(chain::kAnvilDevKeys[0])).value();
  }
  chain::SignerOptions signer_options;
  signer_options.known_errors = chain::attribution_ledger_errors();
  session->aggregator = std::make_unique<chain::Signer>(key, *session->rpc, signer_options);
  const Address aggregator = session->aggregator->address();

  if (resumed_deployment) {
    // A resumed run keeps recording into the job it registered; the outbox in the run folder
    // knows what already landed.
    std::optional<Address> ledger;
    std::optional<U256> job_id;
    try {
      auto a = parse_address((*resumed_deployment)["contracts"]["AttributionLedger"].get<std::string>());
      auto j = U256::from_dec((*resumed_deployment)["job_id"].get<std::string>());
      if (a) ledger = *a;
      if (j) job_id = *j;
    } catch (const json::exception&) {
    }
    if (!ledger || !job_id) {
      return fail(Errc::parse, (out_dir / "deployment.json").string() +
                                   " is malformed (needs contracts.AttributionLedger and job_id)");
    }
    if (const auto recorded = resumed_deployment->value("chain_id", json());
        recorded.is_number_unsigned() && recorded.get<std::uint64_t>() != session->chain_id) {
      return fail(Errc::config, (out_dir / "deployment.json").string() + " records chain id " + recorded.dump() +
                                    ", but the node at " + url + " serves chain id " +
                                    std::to_string(session->chain_id) + "; give the job's chain with --rpc");
    }
    session->ledger.emplace(*ledger, *session->aggregator);
    session->job_id = *job_id;
    session->deployment = *resumed_deployment;
    out << "resuming job " << job_id->to_dec() << " on ledger " << to_checksum(*ledger) << "\n";
  } else {
    if (settings.ledger) {
      session->ledger.emplace(*settings.ledger, *session->aggregator);
      FLYWHEEL_TRY(check_chain_holds(*session, *settings.ledger, std::nullopt, url));
    } else {
      const Address dao = settings.dao.value_or(aggregator);
      auto ledger = chain::AttributionLedger::deploy(*session->aggregator, chain::default_ledger_artifact_path(), dao);
      if (!ledger) return tl::unexpected(with_context(ledger.error(), "deploying AttributionLedger"));
      session->ledger.emplace(std::move(*ledger));
      out << "AttributionLedger deployed at " << to_checksum(session->ledger->address()) << "\n";
    }
    auto job_id = session->ledger->register_job(aggregator, settings.challenge_window, job_name);
    if (!job_id) return tl::unexpected(with_context(job_id.error(), "registering the job"));
    session->job_id = *job_id;
    out << "job " << job_id->to_dec() << " registered; aggregator " << to_checksum(aggregator) << ", challenge window "
        << settings.challenge_window << " s\n";
    session->deployment = {
        {"chain_id", session->chain_id},
        {"rpc_url", url},
        {"started_anvil", session->anvil.has_value()},
        {"contracts", {{"AttributionLedger", to_checksum(session->ledger->address())}}},
        {"job_id", job_id->to_dec()},
        {"aggregator", to_checksum(aggregator)},
        {"dao", to_checksum(settings.dao.value_or(aggregator))},
        {"challenge_window", settings.challenge_window},
    };
    FLYWHEEL_TRY(write_json_atomically(out_dir / "deployment.json", session->deployment));
  }

  // Every round record goes through a durable outbox in the run folder, so a crash or an RPC
  // outage never loses or doubles a record.
  auto outbox = chain::RoundOutbox::open(out_dir / "outbox.sqlite", session->ledger->address(), *session->aggregator);
  if (!outbox) return tl::unexpected(with_context(outbox.error(), "opening the outbox"));
  session->outbox.emplace(std::move(*outbox));
  if (resumed_deployment) {
    FLYWHEEL_TRY(check_chain_holds(*session, session->ledger->address(), session->job_id, url));
  }
  session->sink.emplace(*session->outbox, *session->ledger, session->job_id, out, sink_options);
  return session;
}

Result<void> annotate_report(const fs::path& out_dir, const LedgerSession& session) {
  auto report = read_json_file(out_dir / "attribution.json");
  if (!report) return tl::unexpected(report.error());
  (*report)["job_id"] = session.job_id.to_dec();
  (*report)["chain_id"] = session.chain_id;
  (*report)["ledger"] = to_checksum(session.ledger->address());
  return write_json_atomically(out_dir / "attribution.json", *report);
}

}  // namespace flywheel::jobs
