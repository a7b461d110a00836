// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "cli/durable_sink.hpp"

#include <fstream>
#include <ostream>

#include "common/file_io.hpp"

namespace flywheel::cli {

namespace fs = std::filesystem;
using nlohmann::json;

DurableLedgerSink::DurableLedgerSink(chain::RoundOutbox& outbox, chain::AttributionLedger& ledger,
                                     U256 job_id, std::ostream& out)
    : outbox_(outbox), ledger_(ledger), job_id_(job_id), out_(out) {}

Result<void> DurableLedgerSink::flush(const std::string& context) {
  auto report = outbox_.flush();
  if (!report) return tl::unexpected(with_context(report.error(), context));
  for (const auto& e : report->confirmed) {
    out_ << "  round " << e.record.round << " of job " << e.record.job_id.to_dec();
    if (e.already_recorded) {
      out_ << " already recorded on-chain (confirmed without sending)\n";
    } else {
      out_ << " recorded on-chain (tx " << (e.tx_hash ? e.tx_hash->hex() : std::string("?"))
           << ", block " << e.block_number.value_or(0) << ")\n";
    }
  }
  return {};
}

Result<void> DurableLedgerSink::on_job_start(const std::vector<fedtrain::ParticipantInfo>&) {
  auto left = outbox_.unconfirmed_count();
  if (!left) return tl::unexpected(left.error());
  if (*left == 0) return {};
  out_ << "delivering " << *left << " round record(s) left in " << outbox_.path().string()
       << "\n";
  return flush("delivering records left in the outbox");
}

Result<void> DurableLedgerSink::on_round(const fedtrain::RoundRecord& record) {
  const std::string context = "recording round " + std::to_string(record.round);
  auto queued = outbox_.enqueue({.job_id = job_id_,
                                 .round = record.round,
                                 .model_hash = record.model_hash,
                                 .attribution_root = record.attribution_root});
  if (!queued) return tl::unexpected(with_context(queued.error(), context));
  return flush(context);
}

Result<void> DurableLedgerSink::on_job_end(const fedtrain::JobSummary& summary) {
  // Shares are proposed only once every round is on-chain (the contract would refuse later
  // rounds while a proposal is live).
  FLYWHEEL_TRY(flush("delivering the last rounds"));
  auto receipt = ledger_.propose_shares(job_id_, summary.shares_root, U256(summary.total_shares));
  if (!receipt) return tl::unexpected(with_context(receipt.error(), "proposing shares"));
  out_ << "shares proposed on-chain: root " << summary.shares_root.hex() << " (tx "
       << receipt->transaction_hash.hex() << ")\n";
  return {};
}

Result<json> read_json_file(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return fail(Errc::not_found, "cannot open " + file.string());
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    return fail(Errc::config, file.string() + " is not valid JSON: " + e.what());
  }
}

Result<void> write_json_atomically(const fs::path& file, const json& value) {
  return write_atomically(file, value.dump(2) + "\n");
}

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

bool records_on_chain(const ChainSettings& settings, const ChainRequest& request, const fs::path& out_dir) {
  std::error_code ec;
  return request.rpc || settings.rpc || request.start_anvil ||
         (request.resume && fs::exists(out_dir / "deployment.json", ec));
}

Result<std::unique_ptr<LedgerSession>> open_ledger_session(const ChainSettings& settings,
                                                           const ChainRequest& request,
                                                           const std::string& job_name,
                                                           const fs::path& out_dir, std::ostream& out) {
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
    if (!parsed) return fail(Errc::config, "chain.aggregator_key is not a valid private key: " + parsed.error().message);
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
    session->ledger.emplace(*ledger, *session->aggregator);
    session->job_id = *job_id;
    session->deployment = *resumed_deployment;
    out << "resuming job " << job_id->to_dec() << " on ledger " << to_checksum(*ledger) << "\n";
  } else {
    if (settings.ledger) {
      session->ledger.emplace(*settings.ledger, *session->aggregator);
    } else {
      const Address dao = settings.dao.value_or(aggregator);
      auto ledger = chain::AttributionLedger::deploy(*session->aggregator,
                                                     chain::default_ledger_artifact_path(), dao);
      if (!ledger) return tl::unexpected(with_context(ledger.error(), "deploying AttributionLedger"));
      session->ledger.emplace(std::move(*ledger));
      out << "AttributionLedger deployed at " << to_checksum(session->ledger->address()) << "\n";
    }
    auto job_id = session->ledger->register_job(aggregator, settings.challenge_window, job_name);
    if (!job_id) return tl::unexpected(with_context(job_id.error(), "registering the job"));
    session->job_id = *job_id;
    out << "job " << job_id->to_dec() << " registered; aggregator " << to_checksum(aggregator)
        << ", challenge window " << settings.challenge_window << " s\n";
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
  auto outbox = chain::RoundOutbox::open(out_dir / "outbox.sqlite", session->ledger->address(),
                                         *session->aggregator);
  if (!outbox) return tl::unexpected(with_context(outbox.error(), "opening the outbox"));
  session->outbox.emplace(std::move(*outbox));
  session->sink.emplace(*session->outbox, *session->ledger, session->job_id, out);
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

}  // namespace flywheel::cli
