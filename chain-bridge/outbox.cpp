// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Transactional outbox (C. Richardson, "Microservices Patterns", ch. 3) for AttributionLedger
// rounds, in SQLite with write-ahead logging (sqlite.org/wal.html). Delivery is at-least-once on
// the wire but exactly-once on-chain: the contract accepts each round once, and every attempt
// starts by reading the chain (roundCount, roundRoot, roundModelHash) so that a record already
// there is confirmed instead of re-sent.
#include "chain-bridge/outbox.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string_view>
#include <system_error>
#include <thread>

#include <nlohmann/json.hpp>

#include "chain-bridge/abi.hpp"
#include "chain-bridge/internal/sqlite.hpp"

namespace flywheel::chain {
namespace {

using internal::Database;
using internal::Statement;
using internal::Transaction;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS outbox_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS round_records (
  job_id           TEXT    NOT NULL,
  round            INTEGER NOT NULL CHECK (round > 0),
  model_hash       TEXT    NOT NULL,
  attribution_root TEXT    NOT NULL,
  state            TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'confirmed', 'failed')),
  tx_hash          TEXT,
  nonce            INTEGER,
  attempts         INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT    NOT NULL DEFAULT '',
  already_recorded INTEGER NOT NULL DEFAULT 0,
  block_number     INTEGER,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  PRIMARY KEY (job_id, round)
);
)sql";

// Job ids are decimal text; ordering by length first sorts them numerically.
constexpr std::string_view kColumns =
    "job_id, round, model_hash, attribution_root, state, tx_hash, nonce, attempts, last_error, "
    "already_recorded, block_number, created_at, updated_at";
constexpr std::string_view kOrder = " ORDER BY length(job_id), job_id, round";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string record_name(const OutboxRecord& r) {
  return "round " + std::to_string(r.round) + " of job " + r.job_id.to_dec();
}

Result<OutboxState> parse_state(const std::string& text) {
  if (text == "pending") return OutboxState::pending;
  if (text == "sent") return OutboxState::sent;
  if (text == "confirmed") return OutboxState::confirmed;
  if (text == "failed") return OutboxState::failed;
  return fail(Errc::parse, "outbox holds an unknown state '" + text + "'");
}

Result<OutboxEntry> read_entry(const Statement& row) {
  OutboxEntry e;
  auto job = U256::from_dec(row.text(0));
  auto model = Hash32::from_hex(row.text(2));
  auto root = Hash32::from_hex(row.text(3));
  auto state = parse_state(row.text(4));
  if (!job || !model || !root || !state) {
    return fail(Errc::parse, "outbox row for job " + row.text(0) + " round " + row.text(1) + " is corrupt");
  }
  e.record = {.job_id = *job,
              .round = static_cast<std::uint64_t>(row.integer(1)),
              .model_hash = *model,
              .attribution_root = *root};
  e.state = *state;
  if (!row.is_null(5)) {
    auto tx = Hash32::from_hex(row.text(5));
    if (!tx) return fail(Errc::parse, "outbox row has a corrupt tx_hash");
    e.tx_hash = *tx;
  }
  if (!row.is_null(6)) e.nonce = static_cast<std::uint64_t>(row.integer(6));
  e.attempts = static_cast<std::uint64_t>(row.integer(7));
  e.last_error = row.text(8);
  e.already_recorded = row.integer(9) != 0;
  if (!row.is_null(10)) e.block_number = static_cast<std::uint64_t>(row.integer(10));
  e.created_at = row.integer(11);
  e.updated_at = row.integer(12);
  return e;
}

bool is_transient(Errc code) { return code == Errc::rpc || code == Errc::timeout; }

// True when `error` is the ledger's RoundOutOfOrder(expected, got) revert, as the signer decodes
// it ("RoundOutOfOrder(2, 1)"), with expected > `round`: the round is taken, by a transaction
// that may not be in the latest block yet.
bool ledger_expects_a_later_round(const Error& error, std::uint64_t round) {
  constexpr std::string_view kName = "RoundOutOfOrder(";
  const auto at = error.message.find(kName);
  if (at == std::string::npos) return false;
  std::uint64_t expected = 0;
  const char* first = error.message.data() + at + kName.size();
  const char* last = error.message.data() + error.message.size();
  const auto parsed = std::from_chars(first, last, expected);
  return parsed.ec == std::errc() && expected > round;
}

// What the chain says about one round.
struct ChainRound {
  bool recorded = false;
  Hash32 model_hash;
  Hash32 attribution_root;
};

}  // namespace

std::string_view outbox_state_name(OutboxState state) {
  switch (state) {
    case OutboxState::pending:
      return "pending";
    case OutboxState::sent:
      return "sent";
    case OutboxState::confirmed:
      return "confirmed";
    case OutboxState::failed:
      return "failed";
  }
  return "?";
}

struct RoundOutbox::Impl {
  std::filesystem::path path;
  Address ledger;
  Signer* signer = nullptr;
  OutboxOptions options;
  mutable Database db;

  // ---- storage -------------------------------------------------------------------------------

  Result<std::vector<OutboxEntry>> select(std::string_view where, const std::vector<std::string>& args) const {
    auto stmt = db.prepare("SELECT " + std::string(kColumns) + " FROM round_records " + std::string(where) +
                           std::string(kOrder));
    if (!stmt) return tl::unexpected(stmt.error());
    for (std::size_t i = 0; i < args.size(); ++i) stmt->bind(static_cast<int>(i + 1), std::string_view(args[i]));
    std::vector<OutboxEntry> out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return tl::unexpected(row.error());
      if (!*row) break;
      auto e = read_entry(*stmt);
      if (!e) return tl::unexpected(e.error());
      out.push_back(std::move(*e));
    }
    return out;
  }

  Result<std::optional<OutboxEntry>> find(const U256& job, std::uint64_t round) const {
    auto rows = select("WHERE job_id = ?1 AND round = ?2", {job.to_dec(), std::to_string(round)});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty()) return std::optional<OutboxEntry>();
    return std::optional<OutboxEntry>(rows->front());
  }

  // Writes the delivery fields of `e` in one transaction.
  Result<void> store(const OutboxEntry& e) {
    auto tx = Transaction::begin(db);
    if (!tx) return tl::unexpected(tx.error());
    auto stmt = db.prepare(
        "UPDATE round_records SET state = ?1, tx_hash = ?2, nonce = ?3, attempts = ?4, "
        "last_error = ?5, already_recorded = ?6, block_number = ?7, updated_at = ?8 "
        "WHERE job_id = ?9 AND round = ?10");
    if (!stmt) return tl::unexpected(stmt.error());
    stmt->bind(1, outbox_state_name(e.state))
        .bind_optional(2, e.tx_hash ? std::optional<std::string>(e.tx_hash->hex()) : std::nullopt)
        .bind_optional(3, e.nonce ? std::optional<std::int64_t>(static_cast<std::int64_t>(*e.nonce)) : std::nullopt)
        .bind(4, static_cast<std::int64_t>(e.attempts))
        .bind(5, std::string_view(e.last_error))
        .bind(6, std::int64_t{e.already_recorded ? 1 : 0})
        .bind_optional(
            7, e.block_number ? std::optional<std::int64_t>(static_cast<std::int64_t>(*e.block_number)) : std::nullopt)
        .bind(8, unix_now())
        .bind(9, std::string_view(e.record.job_id.to_dec()))
        .bind(10, static_cast<std::int64_t>(e.record.round));
    FLYWHEEL_TRY(stmt->run());
    return tx->commit();
  }

  // ---- chain ---------------------------------------------------------------------------------

  Result<std::vector<AbiValue>> view(std::string_view signature, const std::vector<AbiValue>& args,
                                     std::string_view returns) {
    auto data = encode_call(signature, args);
    if (!data) return tl::unexpected(data.error());
    auto out = signer->call(ledger, *data);
    if (!out) return tl::unexpected(with_context(out.error(), std::string(signature)));
    auto decoded = abi_decode(returns, *out);
    if (!decoded) {
      return fail(Errc::rpc, std::string(signature) + " returned undecodable data (is " + ledger.hex() +
                                 " an AttributionLedger?): " + decoded.error().message);
    }
    return decoded;
  }

  Result<ChainRound> read_chain(const OutboxRecord& r) {
    const std::vector<AbiValue> job = {AbiValue::of_uint(r.job_id)};
    auto count = view("roundCount(uint256)", job, "uint256");
    if (!count) return tl::unexpected(count.error());
    ChainRound out;
    if ((*count)[0].word < U256(r.round)) return out;
    const std::vector<AbiValue> args = {AbiValue::of_uint(r.job_id), AbiValue::of_uint(r.round)};
    auto root = view("roundRoot(uint256,uint256)", args, "bytes32");
    if (!root) return tl::unexpected(root.error());
    auto model = view("roundModelHash(uint256,uint256)", args, "bytes32");
    if (!model) return tl::unexpected(model.error());
    out.recorded = true;
    out.attribution_root = (*root)[0].fixed;
    out.model_hash = (*model)[0].fixed;
    return out;
  }

  // Whether the node still knows a transaction (mined or in its pool).
  Result<bool> node_knows(const Hash32& tx_hash) {
    auto found = signer->rpc().request("eth_getTransactionByHash", nlohmann::json::array({tx_hash.hex()}).dump());
    if (!found) return tl::unexpected(found.error());
    return *found != "null";
  }

  // ---- delivery ------------------------------------------------------------------------------

  // Settles `e` against what the chain holds; true when the entry is now final (confirmed).
  Result<bool> settle_from_chain(OutboxEntry& e, FlushReport& report) {
    auto chain = read_chain(e.record);
    if (!chain) return tl::unexpected(chain.error());
    if (!chain->recorded) return false;
    if (chain->attribution_root != e.record.attribution_root || chain->model_hash != e.record.model_hash) {
      e.state = OutboxState::failed;
      e.last_error = "conflict: " + record_name(e.record) + " is on-chain with root " + chain->attribution_root.hex() +
                     " and model hash " + chain->model_hash.hex() + ", the outbox holds root " +
                     e.record.attribution_root.hex() + " and model hash " + e.record.model_hash.hex();
      FLYWHEEL_TRY(store(e));
      return fail(Errc::reverted, e.last_error);
    }
    // Did our own transaction put it there, or someone else's (or an earlier run's)?
    bool ours = false;
    if (e.tx_hash) {
      auto receipt = signer->rpc().get_transaction_receipt(*e.tx_hash);
      if (!receipt) return tl::unexpected(receipt.error());
      if (*receipt && (*receipt)->status) {
        ours = true;
        e.block_number = (*receipt)->block_number;
      }
    }
    e.state = OutboxState::confirmed;
    e.already_recorded = !ours;
    e.last_error.clear();
    FLYWHEEL_TRY(store(e));
    report.confirmed.push_back(e);
    return true;
  }

  // Marks `e` failed with `error` unless the chain shows the round landed anyway (a racing
  // bridge makes our transaction revert with RoundOutOfOrder); returns the outcome. The racing
  // transaction may still be pending when ours is estimated against the pending state, while
  // roundRoot reads the latest block: when the revert says the ledger already expects a later
  // round, wait (up to receipt_timeout) for that transaction to be mined before judging.
  Result<void> settle_rejection(OutboxEntry& e, const Error& error, FlushReport& report) {
    auto settled = settle_from_chain(e, report);
    if (!settled) return tl::unexpected(settled.error());
    if (!*settled && ledger_expects_a_later_round(error, e.record.round)) {
      const auto until = std::chrono::steady_clock::now() + options.receipt_timeout;
      while (!*settled && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(signer->options().poll_interval);
        settled = settle_from_chain(e, report);
        if (!settled) return tl::unexpected(settled.error());
      }
    }
    if (*settled) return {};
    e.state = OutboxState::failed;
    e.last_error = error.message;
    FLYWHEEL_TRY(store(e));
    return tl::unexpected(with_context(error, "recording " + record_name(e.record)));
  }

  Result<void> deliver(OutboxEntry& e, FlushReport& report) {
    auto settled = settle_from_chain(e, report);
    if (!settled) return tl::unexpected(settled.error());
    if (*settled) return {};

    if (e.state == OutboxState::sent && e.tx_hash) {
      auto receipt = signer->rpc().get_transaction_receipt(*e.tx_hash);
      if (!receipt) return tl::unexpected(receipt.error());
      if (*receipt) {
        // Mined but the round is not on-chain: it reverted (or the chain moved under it). Resend:
        // estimation then either names the reason or succeeds.
        if (!(*receipt)->status) e.last_error = "transaction " + e.tx_hash->hex() + " reverted";
      } else {
        auto known = node_knows(*e.tx_hash);
        if (!known) return tl::unexpected(known.error());
        if (*known) {
          // Still in the pool: wait for it rather than racing it with a second transaction.
          auto mined =
              signer->rpc().wait_for_receipt(*e.tx_hash, options.receipt_timeout, signer->options().poll_interval);
          if (!mined) return tl::unexpected(mined.error());
          auto again = settle_from_chain(e, report);
          if (!again) return tl::unexpected(again.error());
          if (*again) return {};
        } else {
          // The node lost it (restarted without its pool): our local nonce may be ahead.
          signer->reset_nonce();
        }
      }
    }

    auto calldata =
        encode_call("recordRound(uint256,uint256,bytes32,bytes32)",
                    {AbiValue::of_uint(e.record.job_id), AbiValue::of_uint(e.record.round),
                     AbiValue::of_bytes32(e.record.model_hash), AbiValue::of_bytes32(e.record.attribution_root)});
    if (!calldata) return tl::unexpected(calldata.error());
    auto pending = signer->broadcast(ledger, *calldata);
    if (!pending) {
      if (pending.error().code == Errc::reverted) {
        return settle_rejection(e, pending.error(), report);
      }
      e.last_error = pending.error().message;
      FLYWHEEL_TRY(store(e));
      return tl::unexpected(pending.error());
    }
    // The hash is durable before anything waits on it: after a crash the next flush finds it.
    e.state = OutboxState::sent;
    e.tx_hash = pending->hash;
    e.nonce = pending->nonce;
    e.attempts += 1;
    e.last_error.clear();
    FLYWHEEL_TRY(store(e));
    if (options.after_broadcast) options.after_broadcast(e);

    auto receipt = signer->wait_for(*pending);
    if (!receipt) {
      if (receipt.error().code == Errc::reverted) {
        return settle_rejection(e, receipt.error(), report);
      }
      e.last_error = receipt.error().message;
      FLYWHEEL_TRY(store(e));
      return tl::unexpected(receipt.error());
    }
    e.state = OutboxState::confirmed;
    e.already_recorded = false;
    e.block_number = receipt->block_number;
    FLYWHEEL_TRY(store(e));
    report.confirmed.push_back(e);
    return {};
  }

  Result<void> flush_once(FlushReport& report) {
    auto open = select("WHERE state != 'confirmed'", {});
    if (!open) return tl::unexpected(open.error());
    for (OutboxEntry& e : *open) {
      if (e.state == OutboxState::failed) {
        return fail(Errc::reverted, record_name(e.record) + " failed and blocks later rounds: " + e.last_error +
                                        " (fix the cause, then retry it, or start a new job)");
      }
      FLYWHEEL_TRY(deliver(e, report));
    }
    return {};
  }
};

RoundOutbox::RoundOutbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RoundOutbox::RoundOutbox(RoundOutbox&&) noexcept = default;
RoundOutbox& RoundOutbox::operator=(RoundOutbox&&) noexcept = default;
RoundOutbox::~RoundOutbox() = default;

const Address& RoundOutbox::ledger() const { return impl_->ledger; }
const std::filesystem::path& RoundOutbox::path() const { return impl_->path; }

Result<RoundOutbox> RoundOutbox::open(const std::filesystem::path& file, const Address& ledger, Signer& signer,
                                      OutboxOptions options) {
  auto db = Database::open(file.string());
  if (!db) return tl::unexpected(db.error());
  auto impl = std::make_unique<Impl>(
      Impl{.path = file, .ledger = ledger, .signer = &signer, .options = std::move(options), .db = std::move(*db)});
  // WAL keeps readers and the writer apart; FULL syncs every commit, so a state change that
  // returned is on disk even if the machine loses power right after.
  auto mode = impl->db.prepare("PRAGMA journal_mode=WAL");
  if (!mode) return tl::unexpected(mode.error());
  FLYWHEEL_TRY(mode->run());
  FLYWHEEL_TRY(impl->db.exec("PRAGMA synchronous=FULL"));
  FLYWHEEL_TRY(impl->db.exec(kSchema));

  auto tx = Transaction::begin(impl->db);
  if (!tx) return tl::unexpected(tx.error());
  auto bound = impl->db.prepare("SELECT value FROM outbox_meta WHERE key = 'ledger'");
  if (!bound) return tl::unexpected(bound.error());
  auto row = bound->step();
  if (!row) return tl::unexpected(row.error());
  if (*row) {
    const std::string existing = bound->text(0);
    if (existing != ledger.hex()) {
      return fail(Errc::config, "outbox " + file.string() + " belongs to ledger " + existing + ", not " + ledger.hex() +
                                    "; use another outbox file");
    }
  } else {
    auto insert = impl->db.prepare("INSERT INTO outbox_meta (key, value) VALUES ('ledger', ?1)");
    if (!insert) return tl::unexpected(insert.error());
    insert->bind(1, std::string_view(ledger.hex()));
    FLYWHEEL_TRY(insert->run());
  }
  FLYWHEEL_TRY(tx->commit());
  return RoundOutbox(std::move(impl));
}

Result<void> RoundOutbox::enqueue(const OutboxRecord& record) {
  if (record.round == 0) {
    return fail(Errc::invalid_argument, "rounds are 1-based; cannot enqueue round 0");
  }
  auto tx = Transaction::begin(impl_->db);
  if (!tx) return tl::unexpected(tx.error());
  auto existing = impl_->find(record.job_id, record.round);
  if (!existing) return tl::unexpected(existing.error());
  if (*existing) {
    if ((*existing)->record == record) return tx->commit();
    return fail(Errc::invalid_argument, "the outbox already holds " + record_name(record) + " with root " +
                                            (*existing)->record.attribution_root.hex() + " and model hash " +
                                            (*existing)->record.model_hash.hex() +
                                            "; a round is recorded once and cannot change");
  }
  auto insert = impl_->db.prepare(
      "INSERT INTO round_records (job_id, round, model_hash, attribution_root, state, created_at, "
      "updated_at) VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)");
  if (!insert) return tl::unexpected(insert.error());
  insert->bind(1, std::string_view(record.job_id.to_dec()))
      .bind(2, static_cast<std::int64_t>(record.round))
      .bind(3, std::string_view(record.model_hash.hex()))
      .bind(4, std::string_view(record.attribution_root.hex()))
      .bind(5, unix_now());
  FLYWHEEL_TRY(insert->run());
  return tx->commit();
}

Result<FlushReport> RoundOutbox::flush() { return flush(impl_->options.flush_deadline); }

Result<FlushReport> RoundOutbox::flush(std::chrono::milliseconds within) {
  FlushReport report;
  const auto deadline = Clock::now() + within;
  auto backoff = impl_->options.initial_backoff;
  for (;;) {
    auto once = impl_->flush_once(report);
    if (once) return report;
    if (!is_transient(once.error().code)) return tl::unexpected(once.error());
    // The node may have restarted or another wallet used the key: re-read the nonce next time.
    impl_->signer->reset_nonce();
    if (Clock::now() + backoff > deadline) {
      auto left = unconfirmed_count();
      return tl::unexpected(with_context(once.error(), "chain unreachable until the flush deadline; " +
                                                           (left ? std::to_string(*left) : std::string("some")) +
                                                           " record(s) stay in the outbox " + impl_->path.string() +
                                                           " for the next flush"));
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, impl_->options.max_backoff);
  }
}

Result<std::vector<OutboxEntry>> RoundOutbox::entries() const { return impl_->select("", {}); }

Result<std::optional<OutboxEntry>> RoundOutbox::entry(const U256& job_id, std::uint64_t round) const {
  return impl_->find(job_id, round);
}

Result<std::size_t> RoundOutbox::unconfirmed_count() const {
  auto rows = impl_->select("WHERE state != 'confirmed'", {});
  if (!rows) return tl::unexpected(rows.error());
  return rows->size();
}

Result<void> RoundOutbox::retry(const U256& job_id, std::uint64_t round) {
  auto found = impl_->find(job_id, round);
  if (!found) return tl::unexpected(found.error());
  if (!*found || (*found)->state != OutboxState::failed) {
    return fail(Errc::not_found,
                "the outbox holds no failed round " + std::to_string(round) + " of job " + job_id.to_dec());
  }
  OutboxEntry e = **found;
  e.state = OutboxState::pending;
  return impl_->store(e);
}

}  // namespace flywheel::chain
