// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// AttributionLedger binding against the real contract (forge artifact) on a real anvil.
#include "chain-bridge/ledger.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "chain-bridge/anvil.hpp"
#include "common/keccak.hpp"

namespace flywheel::chain {
namespace {

Hash32 h(std::string_view text) { return keccak256(as_bytes(text)); }

class LedgerOnAnvil : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(default_ledger_artifact_path())) {
      GTEST_SKIP() << "no AttributionLedger artifact at " << default_ledger_artifact_path()
                   << "; build it with `cd chain-bridge/contracts && "
                      "../../node_modules/@foundry-rs/forge-linux-amd64/bin/forge build`";
    }
    auto started = AnvilProcess::start();
    ASSERT_TRUE(started) << started.error().to_string();
    anvil_.emplace(std::move(*started));
    rpc_.emplace(anvil_->url());
    aggregator_.emplace(PrivateKey::from_hex(kAnvilDevKeys[0]).value(), *rpc_);
    dao_.emplace(PrivateKey::from_hex(kAnvilDevKeys[1]).value(), *rpc_);
    outsider_.emplace(PrivateKey::from_hex(kAnvilDevKeys[2]).value(), *rpc_);
    auto ledger = AttributionLedger::deploy(*aggregator_, default_ledger_artifact_path(), dao_->address());
    ASSERT_TRUE(ledger) << ledger.error().to_string();
    ledger_.emplace(*ledger);
  }

  U256 register_job(std::uint64_t window = 3600) {
    auto job = ledger_->register_job(aggregator_->address(), window, "fashion-mnist test");
    EXPECT_TRUE(job) << job.error().to_string();
    return job.value_or(U256(0));
  }

  std::optional<AnvilProcess> anvil_;
  std::optional<RpcClient> rpc_;
  std::optional<Signer> aggregator_;
  std::optional<Signer> dao_;
  std::optional<Signer> outsider_;
  std::optional<AttributionLedger> ledger_;
};

TEST_F(LedgerOnAnvil, RegisteringJobsReturnsConsecutiveIdsFromTheEvent) {
  EXPECT_EQ(ledger_->job_count().value(), U256(0));
  EXPECT_EQ(register_job(), U256(1));
  EXPECT_EQ(register_job(), U256(2));
  EXPECT_EQ(ledger_->job_count().value(), U256(2));
}

TEST_F(LedgerOnAnvil, RecordedRoundsAreReadableThroughEthCall) {
  const U256 job = register_job();
  ASSERT_TRUE(ledger_->record_round(job, 1, h("model 1"), h("root 1")));
  ASSERT_TRUE(ledger_->record_round(job, 2, h("model 2"), h("root 2")));
  EXPECT_EQ(ledger_->round_root(job, 1).value(), h("root 1"));
  EXPECT_EQ(ledger_->round_root(job, 2).value(), h("root 2"));
  EXPECT_EQ(ledger_->round_model_hash(job, 2).value(), h("model 2"));
  EXPECT_EQ(ledger_->round_count(job).value(), U256(2));
  EXPECT_TRUE(ledger_->round_root(job, 3).value().is_zero());
}

TEST_F(LedgerOnAnvil, RecordingARoundTwiceRevertsWithTheNamedCustomError) {
  const U256 job = register_job();
  ASSERT_TRUE(ledger_->record_round(job, 1, h("model 1"), h("root 1")));
  ASSERT_TRUE(ledger_->record_round(job, 2, h("model 2"), h("root 2")));
  auto again = ledger_->record_round(job, 2, h("model 2"), h("root 2"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::reverted);
  EXPECT_NE(again.error().message.find("RoundOutOfOrder(3, 2)"), std::string::npos) << again.error().message;
}

TEST_F(LedgerOnAnvil, OnlyTheAggregatorMayRecordRounds) {
  const U256 job = register_job();
  AttributionLedger as_outsider(ledger_->address(), *outsider_);
  auto r = as_outsider.record_round(job, 1, h("m"), h("r"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::reverted);
  EXPECT_NE(r.error().message.find("NotAggregator(1, " + outsider_->address().hex() + ")"), std::string::npos)
      << r.error().message;
}

TEST_F(LedgerOnAnvil, ProposeWaitFinalizeAndClaimMintsTheShares) {
  const U256 job = register_job(/*window=*/60);
  ASSERT_TRUE(ledger_->record_round(job, 1, h("model 1"), h("root 1")));
  const U256 amount = U256::from_dec("1000000000000000000").value();
  // A one-leaf tree: the root is the leaf and the proof is empty.
  const Hash32 root = shares_leaf(aggregator_->address(), amount);
  ASSERT_TRUE(ledger_->propose_shares(job, root, amount));
  EXPECT_EQ(ledger_->shares_root(job).value(), root);
  EXPECT_EQ(ledger_->total_shares(job).value(), amount);

  auto early = ledger_->finalize(job);
  ASSERT_FALSE(early);
  EXPECT_NE(early.error().message.find("ChallengeWindowOpen"), std::string::npos) << early.error().message;

  ASSERT_TRUE(rpc_->increase_time(61));
  ASSERT_TRUE(rpc_->mine());
  auto token = ledger_->finalize(job);
  ASSERT_TRUE(token) << token.error().to_string();
  EXPECT_EQ(ledger_->shares_token(job).value(), *token);
  EXPECT_TRUE(ledger_->is_finalized(job).value());

  ASSERT_TRUE(ledger_->claim_shares(job, amount, {}));
  EXPECT_TRUE(ledger_->has_claimed(job, aggregator_->address()).value());
  EXPECT_EQ(erc20_balance_of(*rpc_, *token, aggregator_->address()).value(), amount);
  EXPECT_EQ(erc20_total_supply(*rpc_, *token).value(), amount);
}

TEST_F(LedgerOnAnvil, DaoVetoClearsTheProposal) {
  const U256 job = register_job();
  ASSERT_TRUE(ledger_->record_round(job, 1, h("model 1"), h("root 1")));
  ASSERT_TRUE(ledger_->propose_shares(job, h("shares"), 100));
  auto not_dao = ledger_->veto(job);
  ASSERT_FALSE(not_dao);
  EXPECT_NE(not_dao.error().message.find("NotDao"), std::string::npos);
  ASSERT_TRUE(AttributionLedger(ledger_->address(), *dao_).veto(job));
  EXPECT_TRUE(ledger_->shares_root(job).value().is_zero());
}

TEST(AttributionLedgerBinding, MissingArtifactIsNotFoundWithTheBuildCommand) {
  RpcClient rpc("http://127.0.0.1:9");
  Signer signer(PrivateKey::random(), rpc);
  auto ledger = AttributionLedger::deploy(signer, "/nonexistent/AttributionLedger.json", Address{});
  ASSERT_FALSE(ledger);
  EXPECT_EQ(ledger.error().code, Errc::not_found);
  EXPECT_NE(ledger.error().message.find("forge build"), std::string::npos);
}

// Keeps attribution_ledger_errors() in step with the contract: every error in the artifact's ABI
// must be known, or reverts would only show a selector.
TEST(AttributionLedgerBinding, KnownErrorsCoverEveryErrorInTheArtifactAbi) {
  std::ifstream in(default_ledger_artifact_path());
  if (!in) GTEST_SKIP() << "no artifact at " << default_ledger_artifact_path();
  const auto artifact = nlohmann::json::parse(in);
  const auto& known = attribution_ledger_errors();
  for (const auto& entry : artifact.at("abi")) {
    if (entry.at("type") != "error") continue;
    std::string sig = entry.at("name").get<std::string>() + "(";
    bool first = true;
    for (const auto& input : entry.at("inputs")) {
      if (!first) sig += ",";
      sig += input.at("type").get<std::string>();
      first = false;
    }
    sig += ")";
    EXPECT_NE(std::find(known.begin(), known.end(), sig), known.end()) << sig;
  }
}

}  // namespace
}  // namespace flywheel::chain
