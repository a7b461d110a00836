// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The bridge from training to the chain: a RoundSink (fedtrain/round/round_sink.hpp) that sends every
//! finished round through the durable SQLite outbox (chain-bridge/outbox.hpp) first, so a crash or
//! an RPC outage neither loses nor duplicates a recorded round, and training never waits on the
//! chain: while the chain is unreachable, rounds queue in the outbox (with a status line) and are
//! delivered when it returns; the job's end waits for them before it proposes the shares.
//!
//!   jobs::DurableLedgerSink sink(outbox, ledger, job_id, std::cout);
//!   auto summary = fedtrain::run_simulation(config, run_dir, sink);

#include <chrono>
#include <iosfwd>
#include <string>

#include "chain-bridge/ledger.hpp"
#include "chain-bridge/outbox.hpp"
#include "common/u256.hpp"
#include "fedtrain/round/round_sink.hpp"

namespace flywheel::jobs {

//! How long the sink waits for the chain.
struct DurableSinkOptions {
  //! on_round tries the chain once, retrying for at most this long, so that an outage costs a
  //! round no more than one failed attempt (the rounds wait in the outbox).
  std::chrono::milliseconds round_flush{0};
  //! on_job_end retries delivering the queued rounds for at most this long before it gives up
  //! (the records stay in the outbox; the command's --resume delivers them).
  std::chrono::milliseconds end_flush{std::chrono::minutes(10)};
};

//! Plugs the outbox into fedtrain: on_job_start delivers whatever an earlier run left pending (or
//! says it is queued when the chain is unreachable); on_round enqueues the round and tries to
//! flush; on_job_end delivers every queued round, then proposes the shares through `ledger`.
//! Borrows the outbox, the ledger binding and `out` (progress lines), which must outlive it.
//! Handing it a round again is harmless (the outbox's enqueue is idempotent). Errors: an
//! unreachable chain (Errc::rpc, Errc::timeout) is an error only at the job's end, after
//! options.end_flush; a record the chain rejects (Errc::reverted: a conflicting root) and
//! Errc::io from the outbox are errors at once; errors of proposing the shares.
class DurableLedgerSink final : public fedtrain::RoundSink {
 public:
  DurableLedgerSink(chain::RoundOutbox& outbox, chain::AttributionLedger& ledger, U256 job_id, std::ostream& out,
                    DurableSinkOptions options = {});

  Result<void> on_job_start(const std::vector<fedtrain::ParticipantInfo>& participants) override;
  Result<void> on_round(const fedtrain::RoundRecord& record) override;
  Result<void> on_job_end(const fedtrain::JobSummary& summary) override;

 private:
  // One flush with `deadline`: true when everything is delivered, false when the chain is
  // unreachable (the status line printed), an error otherwise.
  Result<bool> deliver(std::chrono::milliseconds deadline, const std::string& context);

  chain::RoundOutbox& outbox_;
  chain::AttributionLedger& ledger_;
  U256 job_id_;
  std::ostream& out_;
  DurableSinkOptions options_;
  bool queued_ = false;  // the last attempt left rounds in the outbox
};

}  // namespace flywheel::jobs
