// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! How a job gets onto a chain, for every command that runs one (`flywheel simulate`, `demo` and
//! `aggregator`): the job config's "chain" section, and one set-up: connect (or start anvil),
//! deploy or reuse the AttributionLedger, register the job and write deployment.json, or re-attach
//! to the job deployment.json names on --resume after checking that the chain still holds it;
//! then the run folder's outbox and the DurableLedgerSink (jobs/durable_sink.hpp).
//!
//!   auto settings = jobs::parse_chain_settings(config.chain_json);
//!   auto session = jobs::open_ledger_session(*settings, {.rpc = url}, config.job.name, run_dir, std::cout);
//!   fedtrain::run_simulation(config, run_dir, *(*session)->sink);

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "chain-bridge/anvil.hpp"
#include "chain-bridge/ledger.hpp"
#include "chain-bridge/outbox.hpp"
#include "chain-bridge/rpc.hpp"
#include "chain-bridge/signer.hpp"
#include "common/keys.hpp"
#include "jobs/durable_sink.hpp"

namespace flywheel::jobs {

//! The job config's "chain" section (fedtrain only carries it as text).
struct ChainSettings {
  std::optional<std::string> rpc;             //!< chain.rpc: JSON-RPC URL
  std::optional<Address> ledger;              //!< chain.ledger: reuse this AttributionLedger
  std::optional<std::string> aggregator_key;  //!< chain.aggregator_key: hex key sending records
  std::optional<Address> dao;                 //!< chain.dao: the ledger's DAO (default the aggregator)
  std::uint64_t challenge_window = 3600;      //!< chain.challenge_window, seconds
};

//! Parses the "chain" section given as JSON text (SimulationConfig::chain_json; "" or "{}" = all
//! defaults). Errc::config naming the key for an unknown key or a value of the wrong type.
Result<ChainSettings> parse_chain_settings(std::string_view chain_json);

//! What the command line adds to the chain section.
struct ChainRequest {
  std::optional<std::string> rpc;  //!< --rpc: overrides chain.rpc
  bool resume = false;             //!< re-attach to the job in out_dir/deployment.json when it exists
  //! With no URL from --rpc, chain.rpc or a resumed deployment.json: start a local anvil (the
  //! demo) instead of failing.
  bool start_anvil = false;
  //! The key that sends the records when chain.aggregator_key is not set (the aggregator's
  //! keystore); default anvil's dev account 0.
  std::optional<PrivateKey> signer_key;
};

//! True when a job with these settings records on-chain: --rpc or chain.rpc is given, anvil may be
//! started, or a resumed run folder holds deployment.json.
bool records_on_chain(const ChainSettings& settings, const ChainRequest& request, const std::filesystem::path& out_dir);

//! A job's link to its ledger: the node (and the anvil it started, if any), the signer, the
//! ledger binding, the run folder's outbox and the sink fedtrain reports rounds to. Not movable:
//! the sink borrows the members next to it.
struct LedgerSession {
  std::optional<chain::AnvilProcess> anvil;
  std::unique_ptr<chain::RpcClient> rpc;
  std::unique_ptr<chain::Signer> aggregator;
  std::optional<chain::AttributionLedger> ledger;
  std::optional<chain::RoundOutbox> outbox;
  std::optional<DurableLedgerSink> sink;
  std::uint64_t chain_id = 0;
  U256 job_id;
  nlohmann::json deployment;  //!< what deployment.json holds

  LedgerSession() = default;
  LedgerSession(const LedgerSession&) = delete;
  LedgerSession& operator=(const LedgerSession&) = delete;
};

//! Connects to the chain (URL from request.rpc, settings.rpc, a resumed deployment.json, or a
//! started anvil), then either re-attaches to the ledger and job id of out_dir/deployment.json
//! (request.resume and the file exists) or uses settings.ledger (else deploys an
//! AttributionLedger, DAO settings.dao or the aggregator), registers the job `job_name` and writes
//! out_dir/deployment.json (atomically); finally opens out_dir/outbox.sqlite and the sink.
//! Before it re-attaches or reuses a ledger it checks that the chain still holds it: the chain id
//! deployment.json recorded, code at the ledger's address, the job id registered, and every round
//! the outbox confirmed with its root on-chain; a reset chain is reported as such.
//! Progress lines go to `out`. Errors: Errc::config for a bad key, when no URL is known and anvil
//! may not be started, or when the chain no longer holds the ledger, the job or a confirmed round
//! (the message says the chain was reset or is another chain, and what to do); Errc::rpc when the
//! chain cannot be reached; Errc::parse for a malformed deployment.json; errors of deploying,
//! registering and opening the outbox, with context.
Result<std::unique_ptr<LedgerSession>> open_ledger_session(const ChainSettings& settings, const ChainRequest& request,
                                                           const std::string& job_name,
                                                           const std::filesystem::path& out_dir, std::ostream& out,
                                                           DurableSinkOptions sink_options = {});

//! Adds the job's on-chain identity (job_id, chain_id, ledger) to out_dir/attribution.json.
//! Errc::not_found / Errc::config when it cannot be read or parsed, Errc::io when it cannot be
//! written.
Result<void> annotate_report(const std::filesystem::path& out_dir, const LedgerSession& session);

}  // namespace flywheel::jobs
