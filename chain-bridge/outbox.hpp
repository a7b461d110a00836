// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The durable outbox between training and the AttributionLedger (transactional outbox pattern):
//! every round record is first committed to a SQLite file, then delivered with recordRound, and
//! before anything is (re)sent the chain is asked whether the round is already there. A crash
//! between broadcast and receipt, an RPC outage or a second bridge racing for the same round
//! therefore never loses a record and never records one twice.
//! jobs/durable_sink.hpp plugs it into training as a RoundSink.
//!
//!   auto outbox = RoundOutbox::open(run_dir / "outbox.sqlite", ledger.address(), signer);
//!   FLYWHEEL_TRY(outbox->enqueue({.job_id = job, .round = 3, .model_hash = h, .attribution_root = root}));
//!   auto flushed = outbox->flush();     // Errc::rpc / Errc::timeout: the record stays queued
//!   // flushed->confirmed: the entries this flush delivered or found already recorded

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain-bridge/signer.hpp"
#include "common/u256.hpp"

namespace flywheel::chain {

//! What goes on-chain for one round: recordRound(jobId, round, modelHash, attributionRoot).
struct OutboxRecord {
  U256 job_id;
  std::uint64_t round = 0;  //!< 1-based, consecutive per job
  Hash32 model_hash;
  Hash32 attribution_root;
  bool operator==(const OutboxRecord&) const = default;
};

//! Where a record is in its delivery.
enum class OutboxState {
  pending,    //!< committed locally, no transaction broadcast (or the last one was lost)
  sent,       //!< a transaction was broadcast; its hash is stored, its receipt not yet seen
  confirmed,  //!< the chain holds this round with this root (final)
  failed,     //!< the chain rejected it or holds a different root; needs an operator (retry())
};

//! "pending", "sent", "confirmed", "failed".
std::string_view outbox_state_name(OutboxState state);

//! A record and its delivery bookkeeping, as stored.
struct OutboxEntry {
  OutboxRecord record;
  OutboxState state = OutboxState::pending;
  std::optional<Hash32> tx_hash;       //!< the last broadcast transaction
  std::optional<std::uint64_t> nonce;  //!< its sender nonce
  std::uint64_t attempts = 0;          //!< broadcasts so far
  std::string last_error;              //!< why the last attempt failed; empty when it did not
  //! For confirmed entries: true when the round was found on-chain without our transaction
  //! landing (another bridge, or an earlier run of this one, recorded it).
  bool already_recorded = false;
  std::optional<std::uint64_t> block_number;  //!< block of our transaction's receipt
  std::int64_t created_at = 0;                //!< unix seconds
  std::int64_t updated_at = 0;                //!< unix seconds
};

//! What one flush() delivered.
struct FlushReport {
  std::vector<OutboxEntry> confirmed;  //!< entries that became confirmed during this flush
};

//! How an outbox retries and waits.
struct OutboxOptions {
  //! flush() retries transport errors (Errc::rpc, Errc::timeout) with exponential backoff until
  //! this much time has passed since it started; then it returns the last error.
  std::chrono::milliseconds flush_deadline{60000};
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{5000};
  //! How long one attempt waits for a receipt before counting as a timeout (then retried).
  std::chrono::milliseconds receipt_timeout{30000};
  //! Fault-injection hook: called after a transaction's hash is durably stored (state sent) and
  //! before waiting for its receipt. Tests kill the process here to simulate a crash.
  std::function<void(const OutboxEntry&)> after_broadcast;
};

//! A SQLite-backed outbox for one AttributionLedger, sending through one Signer (the jobs'
//! aggregator; it must outlive the outbox). Several outboxes (processes) may deliver the same
//! rounds: the one whose transaction lands records it, the others confirm it as already
//! recorded. Not thread-safe: use one outbox from one thread at a time.
class RoundOutbox {
 public:
  //! Opens or creates the outbox file (WAL journal, synchronous=FULL). A file is bound to the
  //! ledger address it was created for. Errors: Errc::io when the file cannot be opened or
  //! initialised; Errc::config when it belongs to another ledger.
  static Result<RoundOutbox> open(const std::filesystem::path& file, const Address& ledger, Signer& signer,
                                  OutboxOptions options = {});

  RoundOutbox(RoundOutbox&&) noexcept;
  RoundOutbox& operator=(RoundOutbox&&) noexcept;
  ~RoundOutbox();

  //! The ledger it delivers to.
  [[nodiscard]] const Address& ledger() const;
  //! The SQLite file.
  [[nodiscard]] const std::filesystem::path& path() const;

  //! Commits `record` as pending. Idempotent: enqueuing the same record again is a no-op.
  //! Errors: Errc::invalid_argument when round is 0 or the outbox already holds a different
  //! model hash or root for the same (job, round); Errc::io from SQLite.
  Result<void> enqueue(const OutboxRecord& record);

  //! Delivers every pending or sent entry, in (job, round) order. For each: reads roundCount and
  //! roundRoot/roundModelHash from the chain first — if the round is there with the same values
  //! it is confirmed without sending; if it is there with different ones the entry fails
  //! (Errc::reverted, "conflict"); if a transaction was sent before, its receipt is checked (and
  //! awaited while the node still knows it); otherwise recordRound is broadcast, its hash stored,
  //! and only then is the receipt awaited. Transport errors are retried with backoff until
  //! options.flush_deadline; entries stay pending/sent and the error is returned (Errc::rpc or
  //! Errc::timeout). Errc::reverted when the chain rejects a record (the entry is then failed)
  //! or when a failed entry blocks delivery; Errc::io from SQLite.
  Result<FlushReport> flush();
  //! flush() retrying for at most `deadline` instead of options.flush_deadline (0: one attempt).
  Result<FlushReport> flush(std::chrono::milliseconds deadline);

  //! All entries in (job, round) order. Errc::io from SQLite.
  [[nodiscard]] Result<std::vector<OutboxEntry>> entries() const;
  //! One entry; nullopt when the outbox does not hold it. Errc::io from SQLite.
  [[nodiscard]] Result<std::optional<OutboxEntry>> entry(const U256& job_id, std::uint64_t round) const;
  //! Number of entries not yet confirmed (pending, sent or failed).
  [[nodiscard]] Result<std::size_t> unconfirmed_count() const;

  //! Puts a failed entry back to pending so the next flush() tries it again (after the operator
  //! fixed the cause). Errc::not_found when there is no such failed entry.
  Result<void> retry(const U256& job_id, std::uint64_t round);

 private:
  struct Impl;
  explicit RoundOutbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace flywheel::chain
