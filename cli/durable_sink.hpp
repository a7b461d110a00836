// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The round sink `flywheel simulate`/`demo` use on a chain: every round goes through the durable
//! SQLite outbox (chain-bridge/outbox.hpp) before it is sent, so a crash or an RPC outage neither
//! loses nor duplicates a recorded round.

#include <iosfwd>

#include "chain-bridge/ledger.hpp"
#include "chain-bridge/outbox.hpp"
#include "fedtrain/round_sink.hpp"

namespace flywheel::cli {

//! Plugs the outbox into fedtrain: on_job_start delivers whatever an earlier run left pending;
//! on_round enqueues the round and flushes; on_job_end flushes and proposes the shares through
//! `ledger`. Borrows the outbox, the ledger binding and `out` (progress lines), which must
//! outlive it. Errors are those of RoundOutbox::enqueue/flush and AttributionLedger, with the
//! round named; an Errc::rpc error means the record is safe in the outbox and will be delivered
//! by the next flush.
class DurableLedgerSink final : public fedtrain::RoundSink {
 public:
  DurableLedgerSink(chain::RoundOutbox& outbox, chain::AttributionLedger& ledger, U256 job_id,
                    std::ostream& out);

  Result<void> on_job_start(const std::vector<fedtrain::ParticipantInfo>& participants) override;
  Result<void> on_round(const fedtrain::RoundRecord& record) override;
  Result<void> on_job_end(const fedtrain::JobSummary& summary) override;

 private:
  Result<void> flush(const std::string& context);

  chain::RoundOutbox& outbox_;
  chain::AttributionLedger& ledger_;
  U256 job_id_;
  std::ostream& out_;
};

}  // namespace flywheel::cli
