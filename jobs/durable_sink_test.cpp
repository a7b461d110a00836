// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The job's link to the chain against a real anvil: rounds keep coming while the chain is down
// (they wait in the outbox and are delivered when it returns), the job's end waits for them, and a
// chain that was reset under a resumed job is reported as such.
#include "jobs/durable_sink.hpp"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "common/keccak.hpp"
#include "jobs/ledger_session.hpp"

namespace flywheel::jobs {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

fedtrain::RoundRecord round_record(std::uint64_t round) {
  fedtrain::RoundRecord r;
  r.round = round;
  r.model_hash = keccak256(as_bytes("model " + std::to_string(round)));
  r.attribution_root = keccak256(as_bytes("root " + std::to_string(round)));
  return r;
}

fedtrain::JobSummary summary() {
  fedtrain::JobSummary s;
  s.total_shares = 1000;
  s.shares_root = keccak256(as_bytes("shares"));
  return s;
}

// A fresh folder (mkdtemp), removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "flywheel-jobs-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class ChainLink : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(chain::default_ledger_artifact_path())) {
      GTEST_SKIP() << "no AttributionLedger artifact at " << chain::default_ledger_artifact_path()
                   << " (build the contracts: scripts/setup)";
    }
    options_.extra_args = {"--state", (dir_.path() / "anvil-state.json").string()};
    start_anvil();
  }
  void start_anvil() {
    auto anvil = chain::AnvilProcess::start(options_);
    ASSERT_TRUE(anvil) << anvil.error().to_string();
    anvil_.emplace(std::move(*anvil));
    options_.port = anvil_->port();
  }
  Result<std::unique_ptr<LedgerSession>> open(bool resume, DurableSinkOptions sink = {}) {
    return open_ledger_session(
        ChainSettings{},
        ChainRequest{.rpc = anvil_->url(), .resume = resume, .start_anvil = false, .signer_key = std::nullopt},
        "chain-link", dir_.path(), log_, sink);
  }

  TempDir dir_;
  chain::AnvilOptions options_;
  std::optional<chain::AnvilProcess> anvil_;
  std::ostringstream log_;
};

TEST_F(ChainLink, RoundsQueueWhileTheChainIsDownAndAreDeliveredWhenItReturns) {
  auto session = open(false);
  ASSERT_TRUE(session) << session.error().to_string();
  auto& sink = *(*session)->sink;
  ASSERT_TRUE(sink.on_job_start({}));
  ASSERT_TRUE(sink.on_round(round_record(1)));

  anvil_.reset();  // the chain goes away (its state is saved)
  const auto started = Clock::now();
  auto during = sink.on_round(round_record(2));
  ASSERT_TRUE(during) << during.error().to_string();
  EXPECT_LT(Clock::now() - started, 10s) << "a round waited on the chain";
  EXPECT_NE(log_.str().find("chain unreachable"), std::string::npos) << log_.str();
  EXPECT_NE(log_.str().find("training goes on"), std::string::npos) << log_.str();
  EXPECT_EQ((*session)->outbox->unconfirmed_count().value(), 1U);

  start_anvil();  // back at the same URL with its state
  ASSERT_TRUE(sink.on_round(round_record(3)));
  EXPECT_NE(log_.str().find("chain reachable again"), std::string::npos) << log_.str();
  EXPECT_EQ((*session)->outbox->unconfirmed_count().value(), 0U);
  ASSERT_TRUE(sink.on_job_end(summary()));
  auto& ledger = *(*session)->ledger;
  for (std::uint64_t r = 1; r <= 3; ++r) {
    EXPECT_EQ(ledger.round_root((*session)->job_id, U256(r)).value(), round_record(r).attribution_root);
  }
  EXPECT_EQ(ledger.shares_root((*session)->job_id).value(), summary().shares_root);
}

TEST_F(ChainLink, AJobEndingWhileTheChainIsDownKeepsItsRecordsAndSaysHowToDeliverThem) {
  auto session = open(false, DurableSinkOptions{.round_flush = 0ms, .end_flush = 1500ms});
  ASSERT_TRUE(session) << session.error().to_string();
  auto& sink = *(*session)->sink;
  ASSERT_TRUE(sink.on_round(round_record(1)));
  anvil_.reset();
  ASSERT_TRUE(sink.on_round(round_record(2)));
  auto ended = sink.on_job_end(summary());
  ASSERT_FALSE(ended);
  EXPECT_EQ(ended.error().code, Errc::rpc);
  EXPECT_NE(ended.error().message.find("--resume"), std::string::npos) << ended.error().message;
  EXPECT_EQ((*session)->outbox->unconfirmed_count().value(), 1U);
}

TEST_F(ChainLink, AResumedJobOnAChainThatWasResetIsRefusedNamingTheReset) {
  {
    auto session = open(false);
    ASSERT_TRUE(session) << session.error().to_string();
    ASSERT_TRUE((*session)->sink->on_round(round_record(1)));
  }
  anvil_.reset();
  options_.extra_args.clear();  // a fresh chain at the same URL: the ledger is gone
  start_anvil();
  auto resumed = open(true);
  ASSERT_FALSE(resumed);
  EXPECT_EQ(resumed.error().code, Errc::config);
  EXPECT_NE(resumed.error().message.find("reset"), std::string::npos) << resumed.error().message;
  EXPECT_NE(resumed.error().message.find("fresh run folder"), std::string::npos) << resumed.error().message;
}

TEST_F(ChainLink, AResumedJobOnTheSameChainReattaches) {
  {
    auto session = open(false);
    ASSERT_TRUE(session) << session.error().to_string();
    ASSERT_TRUE((*session)->sink->on_round(round_record(1)));
  }
  auto resumed = open(true);
  ASSERT_TRUE(resumed) << resumed.error().to_string();
  EXPECT_NE(log_.str().find("resuming job"), std::string::npos) << log_.str();
}

}  // namespace
}  // namespace flywheel::jobs
