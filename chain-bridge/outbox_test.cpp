// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The durable outbox against the real AttributionLedger on a real anvil, with real faults: a
// process SIGKILLed between broadcast and receipt, anvil stopped and restarted from its dumped
// state, and two outboxes racing for the same rounds.
#include "chain-bridge/outbox.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <thread>

#include "chain-bridge/anvil.hpp"
#include "chain-bridge/ledger.hpp"
#include "common/keccak.hpp"

namespace flywheel::chain {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

Hash32 h(std::string_view text) { return keccak256(as_bytes(text)); }

OutboxRecord record(const U256& job, std::uint64_t round, std::string_view tag = "") {
  return {.job_id = job,
          .round = round,
          .model_hash = h("model " + std::to_string(round) + std::string(tag)),
          .attribution_root = h("root " + std::to_string(round) + std::string(tag))};
}

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "flywheel-outbox-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

SignerOptions signer_options() {
  SignerOptions o;
  o.known_errors = attribution_ledger_errors();
  o.receipt_timeout = milliseconds(10000);
  return o;
}

OutboxOptions quick_options() {
  OutboxOptions o;
  o.flush_deadline = milliseconds(3000);
  o.initial_backoff = milliseconds(50);
  o.max_backoff = milliseconds(500);
  o.receipt_timeout = milliseconds(5000);
  return o;
}

// Outbox behaviour that needs no chain: the signer points at a closed port.
class OutboxStorage : public ::testing::Test {
 protected:
  TempDir dir_;
  RpcClient rpc_{"http://127.0.0.1:9"};
  Signer signer_{PrivateKey::from_hex(kAnvilDevKeys[0]).value(), rpc_};
  Address ledger_ = Address::from_hex("0x5FbDB2315678afecb367f032d93F642f64180aa3").value();
};

TEST_F(OutboxStorage, EnqueueingTheSameRecordTwiceKeepsOneEntry) {
  auto outbox = RoundOutbox::open(dir_.path() / "outbox.sqlite", ledger_, signer_);
  ASSERT_TRUE(outbox) << outbox.error().to_string();
  ASSERT_TRUE(outbox->enqueue(record(1, 1)));
  ASSERT_TRUE(outbox->enqueue(record(1, 1)));
  auto all = outbox->entries().value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].record, record(1, 1));
  EXPECT_EQ(all[0].state, OutboxState::pending);
  EXPECT_GT(all[0].created_at, 0);
}

TEST_F(OutboxStorage, AConflictingRecordForAnEnqueuedRoundIsRejected) {
  auto outbox = RoundOutbox::open(dir_.path() / "outbox.sqlite", ledger_, signer_).value();
  ASSERT_TRUE(outbox.enqueue(record(1, 1)));
  auto conflict = outbox.enqueue(record(1, 1, " other"));
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, Errc::invalid_argument);
  EXPECT_EQ(outbox.entry(1, 1).value()->record, record(1, 1));
}

TEST_F(OutboxStorage, RoundZeroIsRejected) {
  auto outbox = RoundOutbox::open(dir_.path() / "outbox.sqlite", ledger_, signer_).value();
  EXPECT_EQ(outbox.enqueue(record(1, 0)).error().code, Errc::invalid_argument);
}

TEST_F(OutboxStorage, EntriesSurviveReopeningTheFileInRoundOrder) {
  const fs::path file = dir_.path() / "outbox.sqlite";
  {
    auto outbox = RoundOutbox::open(file, ledger_, signer_).value();
    for (std::uint64_t r : {3, 1, 2}) ASSERT_TRUE(outbox.enqueue(record(12, r)));
    ASSERT_TRUE(outbox.enqueue(record(2, 1)));
  }
  auto outbox = RoundOutbox::open(file, ledger_, signer_).value();
  auto all = outbox.entries().value();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].record, record(2, 1));  // job 2 sorts before job 12
  EXPECT_EQ(all[1].record, record(12, 1));
  EXPECT_EQ(all[3].record, record(12, 3));
  EXPECT_EQ(outbox.unconfirmed_count().value(), 4u);
}

TEST_F(OutboxStorage, AFileBelongsToTheLedgerItWasCreatedFor) {
  const fs::path file = dir_.path() / "outbox.sqlite";
  ASSERT_TRUE(RoundOutbox::open(file, ledger_, signer_));
  auto other = RoundOutbox::open(file, Address::from_hex("0x" + std::string(40, '1')).value(), signer_);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::config);
}

TEST_F(OutboxStorage, FlushWithTheChainDownKeepsRecordsPendingAndReturnsRpc) {
  OutboxOptions options = quick_options();
  options.flush_deadline = milliseconds(300);
  auto outbox = RoundOutbox::open(dir_.path() / "outbox.sqlite", ledger_, signer_, options).value();
  ASSERT_TRUE(outbox.enqueue(record(1, 1)));
  auto flushed = outbox.flush();
  ASSERT_FALSE(flushed);
  EXPECT_EQ(flushed.error().code, Errc::rpc);
  EXPECT_EQ(outbox.entry(1, 1).value()->state, OutboxState::pending);
}

// ---------------------------------------------------------------------------------------------

class OutboxOnAnvil : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(default_ledger_artifact_path())) {
      GTEST_SKIP() << "no AttributionLedger artifact at " << default_ledger_artifact_path()
                   << "; build it with `cd chain-bridge/contracts && "
                      "../../node_modules/@foundry-rs/forge-linux-amd64/bin/forge build`";
    }
    start_chain(AnvilOptions());
  }

  void start_chain(AnvilOptions options) {
    auto started = AnvilProcess::start(options);
    ASSERT_TRUE(started) << started.error().to_string();
    anvil_.emplace(std::move(*started));
    rpc_ = std::make_unique<RpcClient>(anvil_->url());
    aggregator_ = std::make_unique<Signer>(key(), *rpc_, signer_options());
    auto ledger = AttributionLedger::deploy(*aggregator_, default_ledger_artifact_path(), aggregator_->address());
    ASSERT_TRUE(ledger) << ledger.error().to_string();
    ledger_.emplace(*ledger);
    auto job = ledger_->register_job(aggregator_->address(), 3600, "outbox test");
    ASSERT_TRUE(job) << job.error().to_string();
    job_ = *job;
  }

  static PrivateKey key() { return PrivateKey::from_hex(kAnvilDevKeys[0]).value(); }

  Result<RoundOutbox> open_outbox(const std::string& name, OutboxOptions options = quick_options()) {
    return RoundOutbox::open(dir_.path() / name, ledger_->address(), *aggregator_, std::move(options));
  }

  std::uint64_t sent_transactions() { return rpc_->get_transaction_count(aggregator_->address(), "latest").value(); }

  void expect_on_chain(std::uint64_t rounds, std::string_view tag = "") {
    EXPECT_EQ(ledger_->round_count(job_).value(), U256(rounds));
    for (std::uint64_t r = 1; r <= rounds; ++r) {
      EXPECT_EQ(ledger_->round_root(job_, r).value(), record(job_, r, tag).attribution_root) << r;
      EXPECT_EQ(ledger_->round_model_hash(job_, r).value(), record(job_, r, tag).model_hash) << r;
    }
  }

  // Runs `body` in a forked child that is expected to die by SIGKILL (a crash); fails the test
  // if it exits any other way.
  void run_child_until_killed(const std::function<void()>& body) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      body();
      ::_exit(3);  // the crash did not happen
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child did not crash as planned (status " << status << ")";
  }

  TempDir dir_;
  std::optional<AnvilProcess> anvil_;
  std::unique_ptr<RpcClient> rpc_;
  std::unique_ptr<Signer> aggregator_;
  std::optional<AttributionLedger> ledger_;
  U256 job_;
};

TEST_F(OutboxOnAnvil, FlushRecordsSeveralRoundsBackToBackInOrder) {
  auto outbox = open_outbox("outbox.sqlite").value();
  const std::uint64_t before = sent_transactions();
  for (std::uint64_t r = 1; r <= 5; ++r) ASSERT_TRUE(outbox.enqueue(record(job_, r)));
  auto report = outbox.flush();
  ASSERT_TRUE(report) << report.error().to_string();
  ASSERT_EQ(report->confirmed.size(), 5u);
  expect_on_chain(5);
  EXPECT_EQ(sent_transactions(), before + 5);
  for (std::uint64_t r = 1; r <= 5; ++r) {
    const OutboxEntry e = outbox.entry(job_, r).value().value();
    EXPECT_EQ(e.state, OutboxState::confirmed);
    EXPECT_FALSE(e.already_recorded);
    EXPECT_EQ(e.attempts, 1u);
    EXPECT_EQ(e.nonce, before + r - 1);  // consecutive nonces
    ASSERT_TRUE(e.tx_hash);
    EXPECT_TRUE(rpc_->get_transaction_receipt(*e.tx_hash).value()->status);
  }
}

TEST_F(OutboxOnAnvil, FlushingAgainSendsNothing) {
  auto outbox = open_outbox("outbox.sqlite").value();
  ASSERT_TRUE(outbox.enqueue(record(job_, 1)));
  ASSERT_TRUE(outbox.flush());
  const std::uint64_t before = sent_transactions();
  auto again = outbox.flush();
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_TRUE(again->confirmed.empty());
  ASSERT_TRUE(outbox.enqueue(record(job_, 1)));  // re-enqueueing a confirmed record is a no-op
  ASSERT_TRUE(outbox.flush());
  EXPECT_EQ(sent_transactions(), before);
}

TEST_F(OutboxOnAnvil, CrashBetweenBroadcastAndReceiptNeitherLosesNorDuplicatesTheRound) {
  const std::string file = "crash.sqlite";
  {
    auto outbox = open_outbox(file).value();
    ASSERT_TRUE(outbox.enqueue(record(job_, 1)));
    ASSERT_TRUE(outbox.flush());
    ASSERT_TRUE(outbox.enqueue(record(job_, 2)));
  }
  const std::uint64_t before = sent_transactions();
  // The child process owns its own connection, client and signer, and dies by SIGKILL right
  // after the transaction hash is committed, before it reads the receipt.
  run_child_until_killed([&] {
    RpcClient rpc(anvil_->url());
    Signer signer(key(), rpc, signer_options());
    OutboxOptions options = quick_options();
    options.after_broadcast = [](const OutboxEntry&) { ::raise(SIGKILL); };
    auto outbox = RoundOutbox::open(dir_.path() / file, ledger_->address(), signer, options);
    if (outbox) (void)outbox->flush();
  });

  auto outbox = open_outbox(file).value();
  const OutboxEntry crashed = outbox.entry(job_, 2).value().value();
  EXPECT_EQ(crashed.state, OutboxState::sent);  // the hash was durable before the crash
  ASSERT_TRUE(crashed.tx_hash);
  EXPECT_EQ(sent_transactions(), before + 1);

  ASSERT_TRUE(outbox.enqueue(record(job_, 3)));
  auto report = outbox.flush();
  ASSERT_TRUE(report) << report.error().to_string();
  const OutboxEntry recovered = outbox.entry(job_, 2).value().value();
  EXPECT_EQ(recovered.state, OutboxState::confirmed);
  EXPECT_FALSE(recovered.already_recorded);  // it was our own transaction that landed
  EXPECT_EQ(recovered.attempts, 1u);
  EXPECT_EQ(sent_transactions(), before + 2);  // round 2's original transaction and round 3
  expect_on_chain(3);
}

TEST_F(OutboxOnAnvil, CrashWhileTheTransactionIsStillInThePoolWaitsForItInsteadOfResending) {
  // Mine only when asked, so the crashed process's transaction sits in the node's pool.
  ASSERT_TRUE(rpc_->request("evm_setAutomine", "[false]"));
  const std::string file = "pool.sqlite";
  {
    auto outbox = open_outbox(file).value();
    ASSERT_TRUE(outbox.enqueue(record(job_, 1)));
  }
  const std::uint64_t before = sent_transactions();
  run_child_until_killed([&] {
    RpcClient rpc(anvil_->url());
    Signer signer(key(), rpc, signer_options());
    OutboxOptions options = quick_options();
    options.after_broadcast = [](const OutboxEntry&) { ::raise(SIGKILL); };
    auto outbox = RoundOutbox::open(dir_.path() / file, ledger_->address(), signer, options);
    if (outbox) (void)outbox->flush();
  });
  EXPECT_EQ(sent_transactions(), before);  // not mined yet
  EXPECT_EQ(rpc_->get_transaction_count(aggregator_->address(), "pending").value(), before + 1);

  auto outbox = open_outbox(file).value();
  // A block arrives while the restarted outbox waits for the pooled transaction.
  auto miner = std::async(std::launch::async, [this] {
    std::this_thread::sleep_for(milliseconds(500));
    RpcClient rpc(anvil_->url());
    return rpc.mine();
  });
  auto report = outbox.flush();
  ASSERT_TRUE(miner.get());
  ASSERT_TRUE(report) << report.error().to_string();
  const OutboxEntry e = outbox.entry(job_, 1).value().value();
  EXPECT_EQ(e.state, OutboxState::confirmed);
  EXPECT_FALSE(e.already_recorded);
  EXPECT_EQ(e.attempts, 1u);
  EXPECT_EQ(sent_transactions(), before + 1);  // the pooled transaction, nothing else
  expect_on_chain(1);
}

TEST_F(OutboxOnAnvil, RecordsSurviveAShortRpcOutageAcrossAnvilRestart) {
  // Restartable chain: fixed port, state dumped on exit and loaded on start.
  const std::string state = (dir_.path() / "anvil-state.json").string();
  AnvilOptions restartable;
  restartable.extra_args = {"--state", state};
  anvil_.reset();
  start_chain(restartable);
  ASSERT_FALSE(HasFatalFailure());
  const std::uint16_t port = anvil_->port();

  auto outbox = open_outbox("outage.sqlite").value();
  ASSERT_TRUE(outbox.enqueue(record(job_, 1)));
  ASSERT_TRUE(outbox.flush());
  ASSERT_TRUE(outbox.enqueue(record(job_, 2)));
  ASSERT_TRUE(outbox.enqueue(record(job_, 3)));

  anvil_->stop();  // SIGTERM: anvil writes its state file and exits
  auto down = outbox.flush();
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, Errc::rpc) << down.error().to_string();
  EXPECT_EQ(outbox.entry(job_, 2).value()->state, OutboxState::pending);
  EXPECT_EQ(outbox.entry(job_, 3).value()->state, OutboxState::pending);
  EXPECT_EQ(outbox.unconfirmed_count().value(), 2u);

  AnvilOptions again = restartable;
  again.port = port;
  auto restarted = AnvilProcess::start(again);
  ASSERT_TRUE(restarted) << restarted.error().to_string();
  anvil_.emplace(std::move(*restarted));
  auto up = outbox.flush();
  ASSERT_TRUE(up) << up.error().to_string();
  EXPECT_EQ(up->confirmed.size(), 2u);
  expect_on_chain(3);
  EXPECT_EQ(sent_transactions(), 2u /*deploy, register*/ + 3u);
}

// An outage while flush() is retrying: anvil is stopped with records pending and restarted on
// the same port from its saved state after `outage`; one flush() call rides it out.
class OutboxThroughOutage : public OutboxOnAnvil {
 protected:
  void SetUp() override {
    if (!fs::exists(default_ledger_artifact_path())) {
      GTEST_SKIP() << "no AttributionLedger artifact at " << default_ledger_artifact_path();
    }
    restartable_.extra_args = {"--state", (dir_.path() / "anvil-state.json").string()};
    start_chain(restartable_);
  }

  void ride_out(milliseconds outage) {
    OutboxOptions options = quick_options();
    options.flush_deadline = outage + milliseconds(30000);
    options.max_backoff = milliseconds(1000);
    auto outbox = open_outbox("outage.sqlite", options).value();
    ASSERT_TRUE(outbox.enqueue(record(job_, 1)));
    ASSERT_TRUE(outbox.flush());
    ASSERT_TRUE(outbox.enqueue(record(job_, 2)));
    ASSERT_TRUE(outbox.enqueue(record(job_, 3)));

    const std::uint16_t port = anvil_->port();
    anvil_->stop();
    const auto started = std::chrono::steady_clock::now();
    // flush() runs on a worker thread; anvil is restarted from this thread because its child
    // process is tied to the thread that forks it (PR_SET_PDEATHSIG).
    auto flushing = std::async(std::launch::async, [&] { return outbox.flush(); });
    std::this_thread::sleep_for(outage);
    EXPECT_EQ(flushing.wait_for(seconds(0)), std::future_status::timeout) << "flush() returned during the outage";
    AnvilOptions again = restartable_;
    again.port = port;
    auto restarted = AnvilProcess::start(again);
    ASSERT_TRUE(restarted) << restarted.error().to_string();
    anvil_.emplace(std::move(*restarted));
    auto report = flushing.get();
    const auto took = std::chrono::steady_clock::now() - started;
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_GE(took, outage);
    EXPECT_EQ(report->confirmed.size(), 2u);
    expect_on_chain(3);
    EXPECT_EQ(sent_transactions(), 2u /*deploy, register*/ + 3u);
  }

  AnvilOptions restartable_;
};

TEST_F(OutboxThroughOutage, FlushRidesOutATwoSecondAnvilOutage) { ride_out(milliseconds(2000)); }

// The scenario: anvil stopped for 30 s. Slow by design.
TEST_F(OutboxThroughOutage, SlowFlushRidesOutAThirtySecondAnvilOutage) { ride_out(milliseconds(30000)); }

TEST_F(OutboxOnAnvil, TwoOutboxesRacingSequentiallyRecordOnceAndTheSecondSeesAlreadyRecorded) {
  auto first = open_outbox("a.sqlite").value();
  auto second = open_outbox("b.sqlite").value();
  ASSERT_TRUE(first.enqueue(record(job_, 1)));
  ASSERT_TRUE(second.enqueue(record(job_, 1)));
  ASSERT_TRUE(first.flush());
  const std::uint64_t before = sent_transactions();
  auto report = second.flush();
  ASSERT_TRUE(report) << report.error().to_string();
  ASSERT_EQ(report->confirmed.size(), 1u);
  EXPECT_TRUE(report->confirmed[0].already_recorded);
  EXPECT_EQ(second.entry(job_, 1).value()->state, OutboxState::confirmed);
  EXPECT_EQ(sent_transactions(), before);  // the chain was read first: nothing sent
  expect_on_chain(1);
}

TEST_F(OutboxOnAnvil, TwoOutboxesRacingConcurrentlyLandEachRoundExactlyOnce) {
  // Two bridges, each with its own client and signer for the same aggregator key, flushing the
  // same three rounds at the same time.
  RpcClient rpc_b(anvil_->url());
  Signer signer_b(key(), rpc_b, signer_options());
  OutboxOptions options = quick_options();
  options.flush_deadline = milliseconds(20000);
  auto a = open_outbox("a.sqlite", options).value();
  auto b = RoundOutbox::open(dir_.path() / "b.sqlite", ledger_->address(), signer_b, options).value();
  for (std::uint64_t r = 1; r <= 3; ++r) {
    ASSERT_TRUE(a.enqueue(record(job_, r)));
    ASSERT_TRUE(b.enqueue(record(job_, r)));
  }
  auto fa = std::async(std::launch::async, [&] { return a.flush(); });
  auto fb = std::async(std::launch::async, [&] { return b.flush(); });
  auto ra = fa.get();
  auto rb = fb.get();
  ASSERT_TRUE(ra) << ra.error().to_string();
  ASSERT_TRUE(rb) << rb.error().to_string();
  expect_on_chain(3);
  for (std::uint64_t r = 1; r <= 3; ++r) {
    const OutboxEntry ea = a.entry(job_, r).value().value();
    const OutboxEntry eb = b.entry(job_, r).value().value();
    EXPECT_EQ(ea.state, OutboxState::confirmed);
    EXPECT_EQ(eb.state, OutboxState::confirmed);
    // Exactly one of the two bridges' transactions recorded the round.
    EXPECT_NE(ea.already_recorded, eb.already_recorded) << "round " << r;
  }
}

TEST_F(OutboxOnAnvil, ADifferentRootOnChainIsAConflictThatFailsTheEntry) {
  ASSERT_TRUE(ledger_->record_round(job_, 1, record(job_, 1, " x").model_hash, record(job_, 1, " x").attribution_root));
  auto outbox = open_outbox("outbox.sqlite").value();
  ASSERT_TRUE(outbox.enqueue(record(job_, 1)));
  ASSERT_TRUE(outbox.enqueue(record(job_, 2)));
  auto flushed = outbox.flush();
  ASSERT_FALSE(flushed);
  EXPECT_EQ(flushed.error().code, Errc::reverted);
  EXPECT_NE(flushed.error().message.find("conflict"), std::string::npos) << flushed.error().message;
  EXPECT_EQ(outbox.entry(job_, 1).value()->state, OutboxState::failed);
  // The failed round blocks later ones instead of letting them land out of order.
  auto again = outbox.flush();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::reverted);
  EXPECT_EQ(outbox.entry(job_, 2).value()->state, OutboxState::pending);
  EXPECT_EQ(ledger_->round_count(job_).value(), U256(1));
}

TEST_F(OutboxOnAnvil, ARejectedRecordFailsWithTheNamedReasonAndCanBeRetried) {
  auto outbox = open_outbox("outbox.sqlite").value();
  const U256 unknown_job = job_ + U256(7);
  ASSERT_TRUE(outbox.enqueue(record(unknown_job, 1)));
  auto flushed = outbox.flush();
  ASSERT_FALSE(flushed);
  EXPECT_EQ(flushed.error().code, Errc::reverted);
  EXPECT_NE(flushed.error().message.find("UnknownJob"), std::string::npos) << flushed.error().message;
  const OutboxEntry failed = outbox.entry(unknown_job, 1).value().value();
  EXPECT_EQ(failed.state, OutboxState::failed);
  EXPECT_NE(failed.last_error.find("UnknownJob"), std::string::npos);
  ASSERT_TRUE(outbox.retry(unknown_job, 1));
  EXPECT_EQ(outbox.entry(unknown_job, 1).value()->state, OutboxState::pending);
  EXPECT_EQ(outbox.retry(unknown_job, 1).error().code, Errc::not_found);
}

TEST_F(OutboxOnAnvil, AStaleNonceAfterAnotherWalletUsedTheKeyIsRecovered) {
  auto outbox = open_outbox("outbox.sqlite").value();
  ASSERT_TRUE(outbox.enqueue(record(job_, 1)));
  ASSERT_TRUE(outbox.flush());
  // Another wallet with the same key moves the account's nonce behind the outbox's back.
  Signer other(key(), *rpc_, signer_options());
  ASSERT_TRUE(other.send(other.address(), {}, U256(1)));
  ASSERT_TRUE(other.send(other.address(), {}, U256(1)));
  ASSERT_TRUE(outbox.enqueue(record(job_, 2)));
  auto report = outbox.flush();
  ASSERT_TRUE(report) << report.error().to_string();
  expect_on_chain(2);
}

}  // namespace
}  // namespace flywheel::chain
