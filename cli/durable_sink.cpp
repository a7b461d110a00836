// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "cli/durable_sink.hpp"

#include <ostream>

namespace flywheel::cli {

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

}  // namespace flywheel::cli
