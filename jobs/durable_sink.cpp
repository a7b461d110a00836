// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "jobs/durable_sink.hpp"

#include <ostream>

namespace flywheel::jobs {
namespace {

// The chain did not answer (or not in time): the records wait in the outbox.
bool unreachable(Errc code) { return code == Errc::rpc || code == Errc::timeout; }

}  // namespace

DurableLedgerSink::DurableLedgerSink(chain::RoundOutbox& outbox, chain::AttributionLedger& ledger, U256 job_id,
                                     std::ostream& out, DurableSinkOptions options)
    : outbox_(outbox), ledger_(ledger), job_id_(job_id), out_(out), options_(options) {}

Result<bool> DurableLedgerSink::deliver(std::chrono::milliseconds deadline, const std::string& context) {
  auto report = outbox_.flush(deadline);
  if (!report) {
    if (!unreachable(report.error().code)) return tl::unexpected(with_context(report.error(), context));
    auto left = outbox_.unconfirmed_count();
    if (!left) return tl::unexpected(left.error());
    out_ << "chain unreachable (" << report.error().message << "): " << *left << " round record(s) wait in "
         << outbox_.path().string() << "\n"
         << std::flush;
    queued_ = true;
    return false;
  }
  for (const auto& e : report->confirmed) {
    out_ << "  round " << e.record.round << " of job " << e.record.job_id.to_dec();
    if (e.already_recorded) {
      out_ << " already recorded on-chain (confirmed without sending)\n";
    } else {
      out_ << " recorded on-chain (tx " << (e.tx_hash ? e.tx_hash->hex() : std::string("?")) << ", block "
           << e.block_number.value_or(0) << ")\n";
    }
  }
  if (queued_) out_ << "chain reachable again: every queued round record is delivered\n";
  queued_ = false;
  out_ << std::flush;
  return true;
}

Result<void> DurableLedgerSink::on_job_start(const std::vector<fedtrain::ParticipantInfo>&) {
  auto left = outbox_.unconfirmed_count();
  if (!left) return tl::unexpected(left.error());
  if (*left == 0) return {};
  out_ << "delivering " << *left << " round record(s) left in " << outbox_.path().string() << "\n";
  auto delivered = deliver(options_.round_flush, "delivering records left in the outbox");
  if (!delivered) return tl::unexpected(delivered.error());
  if (!*delivered) out_ << "training goes on; the records are delivered when the chain answers\n";
  return {};
}

Result<void> DurableLedgerSink::on_round(const fedtrain::RoundRecord& record) {
  const std::string context = "recording round " + std::to_string(record.round);
  auto queued = outbox_.enqueue({.job_id = job_id_,
                                 .round = record.round,
                                 .model_hash = record.model_hash,
                                 .attribution_root = record.attribution_root});
  if (!queued) return tl::unexpected(with_context(queued.error(), context));
  auto delivered = deliver(options_.round_flush, context);
  if (!delivered) return tl::unexpected(delivered.error());
  if (!*delivered) out_ << "training goes on; round " << record.round << " is delivered when the chain answers\n";
  return {};
}

Result<void> DurableLedgerSink::on_job_end(const fedtrain::JobSummary& summary) {
  // Shares are proposed only once every round is on-chain (the contract would refuse later
  // rounds while a proposal is live).
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    const auto left = options_.end_flush > spent ? options_.end_flush - spent : std::chrono::milliseconds(0);
    auto delivered = deliver(left, "delivering the last rounds");
    if (!delivered) return tl::unexpected(delivered.error());
    if (*delivered) break;
    if (left.count() == 0) {
      auto count = outbox_.unconfirmed_count();
      return fail(Errc::rpc, "the chain stayed unreachable for " + std::to_string(options_.end_flush.count() / 1000) +
                                 " s after the last round: " + std::to_string(count.value_or(0)) +
                                 " round record(s) are safe in " + outbox_.path().string() +
                                 "; run the same command with --resume when the chain answers, to deliver them "
                                 "and propose the shares");
    }
    out_ << "waiting for the chain before proposing the shares\n" << std::flush;
  }
  auto receipt = ledger_.propose_shares(job_id_, summary.shares_root, U256(summary.total_shares));
  if (!receipt) return tl::unexpected(with_context(receipt.error(), "proposing shares"));
  out_ << "shares proposed on-chain: root " << summary.shares_root.hex() << " (tx " << receipt->transaction_hash.hex()
       << ")\n";
  return {};
}

}  // namespace flywheel::jobs
