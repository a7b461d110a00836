// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Revenue pool and DAO bindings against the real contracts (forge artifacts) on a real anvil.
#include "chain-bridge/economy.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "chain-bridge/anvil.hpp"
#include "chain-bridge/ledger.hpp"
#include "common/keccak.hpp"

namespace flywheel::chain {
namespace {

Hash32 h(std::string_view text) { return keccak256(as_bytes(text)); }

U256 ether(std::uint64_t n) { return U256(n) * U256::from_dec("1000000000000000000").value(); }

// OpenZeppelin MerkleProof's commutative node hash: keccak256 of the sorted pair.
Hash32 hash_pair(const Hash32& a, const Hash32& b) {
  const bool a_first = std::lexicographical_compare(a.bytes.begin(), a.bytes.end(), b.bytes.begin(), b.bytes.end());
  Bytes both;
  const Hash32& lo = a_first ? a : b;
  const Hash32& hi = a_first ? b : a;
  both.insert(both.end(), lo.bytes.begin(), lo.bytes.end());
  both.insert(both.end(), hi.bytes.begin(), hi.bytes.end());
  return keccak256(both);
}

bool artifacts_present(const std::vector<std::string>& paths, std::string* missing) {
  for (const auto& p : paths) {
    if (!std::filesystem::exists(p)) {
      *missing = p;
      return false;
    }
  }
  return true;
}

#define SKIP_WITHOUT(...)                                                                  \
  do {                                                                                     \
    std::string missing_;                                                                  \
    if (!artifacts_present({__VA_ARGS__}, &missing_)) {                                    \
      GTEST_SKIP() << "no contract artifact at " << missing_                               \
                   << "; build them with `cd chain-bridge/contracts && "                   \
                      "../../node_modules/@foundry-rs/forge-linux-amd64/bin/forge build`"; \
    }                                                                                      \
  } while (false)

// A fresh anvil with signers for dev accounts 0..5.
class OnAnvil : public ::testing::Test {
 protected:
  void start_chain() {
    auto started = AnvilProcess::start();
    ASSERT_TRUE(started) << started.error().to_string();
    anvil_.emplace(std::move(*started));
    rpc_.emplace(anvil_->url());
    signers_.reserve(6);  // bindings keep pointers to these signers
    for (std::size_t i = 0; i < 6; ++i) {
      signers_.emplace_back(PrivateKey::from_hex(kAnvilDevKeys[i]).value(), *rpc_);
    }
  }

  void advance(std::uint64_t seconds) {
    ASSERT_TRUE(rpc_->increase_time(seconds));
    ASSERT_TRUE(rpc_->mine());
  }

  std::optional<AnvilProcess> anvil_;
  std::optional<RpcClient> rpc_;
  std::vector<Signer> signers_;
};

// ---- revenue pool --------------------------------------------------------------------------

// Job finalized with two holders: account 2 holds 3 shares, account 3 holds 1 (in 1e18 units).
class RevenuePool : public OnAnvil {
 protected:
  void SetUp() override {
    SKIP_WITHOUT(default_ledger_artifact_path());
    start_chain();
    auto ledger = AttributionLedger::deploy(aggregator(), default_ledger_artifact_path(), signers_[1].address());
    ASSERT_TRUE(ledger) << ledger.error().to_string();
    ledger_.emplace(*ledger);
  }

  Signer& aggregator() { return signers_[0]; }
  Signer& alice() { return signers_[2]; }
  Signer& bob() { return signers_[3]; }
  Signer& depositor() { return signers_[4]; }

  // Registers (ETH revenue, or `revenue_token`), records, proposes, finalizes, claims both.
  void finalize_job(const Address& revenue_token = Address{}) {
    const std::uint64_t window = 60;
    Result<U256> job = U256(0);
    if (revenue_token.is_zero()) {
      job = ledger_->register_job(aggregator().address(), window, "revenue test");
    } else {
      auto receipt = aggregator().send(
          ledger_->address(),
          encode_call("registerJobWithPolicy(address,uint64,string,address,uint16,uint16,uint16,"
                      "address)",
                      {AbiValue::of_address(aggregator().address()), AbiValue::of_uint(window),
                       AbiValue::of_string("erc20 revenue test"), AbiValue::of_address(aggregator().address()),
                       AbiValue::of_uint(10000), AbiValue::of_uint(0), AbiValue::of_uint(0),
                       AbiValue::of_address(revenue_token)})
              .value());
      ASSERT_TRUE(receipt) << receipt.error().to_string();
      job = ledger_->job_count();
    }
    ASSERT_TRUE(job) << job.error().to_string();
    job_ = *job;
    ASSERT_TRUE(ledger_->record_round(job_, 1, h("model"), h("attribution")));
    const Hash32 leaf_a = shares_leaf(alice().address(), ether(3));
    const Hash32 leaf_b = shares_leaf(bob().address(), ether(1));
    ASSERT_TRUE(ledger_->propose_shares(job_, hash_pair(leaf_a, leaf_b), ether(4)));
    advance(window + 1);
    auto token = ledger_->finalize(job_);
    ASSERT_TRUE(token) << token.error().to_string();
    token_ = *token;
    auto a = AttributionLedger(ledger_->address(), alice()).claim_shares(job_, ether(3), {leaf_b});
    ASSERT_TRUE(a) << a.error().to_string();
    auto b = AttributionLedger(ledger_->address(), bob()).claim_shares(job_, ether(1), {leaf_a});
    ASSERT_TRUE(b) << b.error().to_string();
  }

  std::optional<AttributionLedger> ledger_;
  U256 job_;
  Address token_;
};

TEST_F(RevenuePool, EthDepositIsClaimableProRataToShares) {
  finalize_job();
  EXPECT_TRUE(revenue_token_of(*rpc_, token_).value().is_zero());
  auto deposit = deposit_revenue(depositor(), token_, ether(4));
  ASSERT_TRUE(deposit) << deposit.error().to_string();
  EXPECT_EQ(rpc_->get_balance(token_).value(), ether(4));
  EXPECT_EQ(claimable_revenue(*rpc_, token_, alice().address()).value(), ether(3));
  EXPECT_EQ(claimable_revenue(*rpc_, token_, bob().address()).value(), ether(1));
}

TEST_F(RevenuePool, ClaimingPaysEachHolderItsShareAndLeavesNothingClaimable) {
  finalize_job();
  ASSERT_TRUE(deposit_revenue(depositor(), token_, ether(4)));
  auto paid_a = claim_revenue(alice(), token_);
  ASSERT_TRUE(paid_a) << paid_a.error().to_string();
  EXPECT_EQ(*paid_a, ether(3));
  EXPECT_EQ(rpc_->get_balance(token_).value(), ether(1));
  auto paid_b = claim_revenue(bob(), token_);
  ASSERT_TRUE(paid_b) << paid_b.error().to_string();
  EXPECT_EQ(*paid_b, ether(1));
  EXPECT_TRUE(rpc_->get_balance(token_).value().is_zero());
  EXPECT_TRUE(claimable_revenue(*rpc_, token_, alice().address()).value().is_zero());
  EXPECT_TRUE(claimable_revenue(*rpc_, token_, bob().address()).value().is_zero());
}

TEST_F(RevenuePool, ASecondClaimRevertsWithNothingToClaim) {
  finalize_job();
  ASSERT_TRUE(deposit_revenue(depositor(), token_, ether(4)));
  ASSERT_TRUE(claim_revenue(alice(), token_));
  auto again = claim_revenue(alice(), token_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::reverted);
  EXPECT_NE(again.error().message.find("NothingToClaim(" + alice().address().hex() + ")"), std::string::npos)
      << again.error().message;
}

TEST_F(RevenuePool, ZeroDepositRevertsWithZeroDeposit) {
  finalize_job();
  auto zero = deposit_revenue(depositor(), token_, U256(0));
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, Errc::reverted);
  EXPECT_NE(zero.error().message.find("ZeroDeposit"), std::string::npos) << zero.error().message;
}

TEST_F(RevenuePool, Erc20DepositApprovesThenPullsTheRevenueToken) {
  const std::string mock = default_artifact_path("MockRevenueToken", "MockRevenueToken");
  SKIP_WITHOUT(mock);
  std::ifstream in(mock);
  const auto artifact = nlohmann::json::parse(in);
  auto code = from_hex(artifact.at("bytecode").at("object").get<std::string>());
  ASSERT_TRUE(code);
  auto usd = depositor().deploy(*code);
  ASSERT_TRUE(usd) << usd.error().to_string();
  ASSERT_TRUE(depositor().send(*usd, encode_call("mint(address,uint256)", {AbiValue::of_address(depositor().address()),
                                                                           AbiValue::of_uint(ether(8))})
                                         .value()));
  finalize_job(*usd);
  EXPECT_EQ(revenue_token_of(*rpc_, token_).value(), *usd);
  auto deposit = deposit_revenue(depositor(), token_, ether(8));
  ASSERT_TRUE(deposit) << deposit.error().to_string();
  EXPECT_EQ(erc20_balance_of(*rpc_, *usd, token_).value(), ether(8));
  EXPECT_EQ(claim_revenue(alice(), token_).value(), ether(6));
  EXPECT_EQ(erc20_balance_of(*rpc_, *usd, alice().address()).value(), ether(6));
  EXPECT_EQ(claimable_revenue(*rpc_, token_, bob().address()).value(), ether(2));
}

// ---- DAO -----------------------------------------------------------------------------------

constexpr std::uint64_t kVotingDelay = 60;
constexpr std::uint64_t kVotingPeriod = 300;
constexpr std::uint64_t kMinDelay = 120;
constexpr std::uint64_t kWindow = 3600;

// Governance deployed by account 0 (holding and self-delegating all FLY but 40 % given to
// account 5, who delegates too); a ledger whose dao is the timelock; job 1 with a live proposal.
class Dao : public OnAnvil {
 protected:
  void SetUp() override {
    const GovernanceArtifacts artifacts;
    SKIP_WITHOUT(default_ledger_artifact_path(), artifacts.token, artifacts.timelock, artifacts.governor);
    start_chain();
    GovernanceParams params;
    params.initial_holder = holder().address();
    params.supply = ether(1000000);
    params.min_delay_s = kMinDelay;
    params.voting_delay_s = kVotingDelay;
    params.voting_period_s = kVotingPeriod;
    params.proposal_threshold = ether(1000);
    params.quorum_percent = 4;
    auto g = deploy_governance(holder(), params, artifacts);
    ASSERT_TRUE(g) << g.error().to_string();
    gov_ = *g;
    ASSERT_TRUE(erc20_transfer(holder(), gov_.token, voter().address(), ether(400000)));
    ASSERT_TRUE(delegate_votes(holder(), gov_.token, holder().address()));
    ASSERT_TRUE(delegate_votes(voter(), gov_.token, voter().address()));

    auto ledger = AttributionLedger::deploy(aggregator(), default_ledger_artifact_path(), gov_.timelock);
    ASSERT_TRUE(ledger) << ledger.error().to_string();
    ledger_.emplace(*ledger);
    auto job = ledger_->register_job(aggregator().address(), kWindow, "dao test");
    ASSERT_TRUE(job) << job.error().to_string();
    job_ = *job;
    ASSERT_TRUE(ledger_->record_round(job_, 1, h("model"), h("attribution")));
    ASSERT_TRUE(ledger_->propose_shares(job_, h("bad root"), 1000));
    advance(1);  // delegations become past checkpoints
    governor_.emplace(gov_.governor, holder());
  }

  Signer& holder() { return signers_[0]; }
  Signer& aggregator() { return signers_[2]; }
  Signer& voter() { return signers_[5]; }

  // Proposes the veto, votes for it with both holders and waits out the voting period.
  void propose_and_pass() {
    proposal_ = veto_proposal(ledger_->address(), job_, "bad root");
    auto id = governor_->propose(proposal_);
    ASSERT_TRUE(id) << id.error().to_string();
    id_ = *id;
    advance(kVotingDelay + 1);
    ASSERT_TRUE(governor_->cast_vote(id_, VoteSupport::for_));
    ASSERT_TRUE(Governor(gov_.governor, voter()).cast_vote(id_, VoteSupport::against));
    advance(kVotingPeriod + 1);
  }

  Governance gov_;
  std::optional<AttributionLedger> ledger_;
  std::optional<Governor> governor_;
  U256 job_;
  Proposal proposal_;
  U256 id_;
};

TEST_F(Dao, DeploymentWiresTokenTimelockAndGovernor) {
  EXPECT_EQ(governor_->timelock().value(), gov_.timelock);
  EXPECT_EQ(governor_->token().value(), gov_.token);
  // The deployer renounced the timelock admin role; the governor holds the proposer role.
  auto has_role = [&](const Hash32& role, const Address& who) {
    auto out = rpc_->call(CallRequest{
        .from = std::nullopt,
        .to = gov_.timelock,
        .data =
            encode_call("hasRole(bytes32,address)", {AbiValue::of_bytes32(role), AbiValue::of_address(who)}).value(),
        .value = 0,
        .gas = std::nullopt});
    return out && abi_decode("bool", *out).value()[0].as_bool();
  };
  EXPECT_TRUE(has_role(h("PROPOSER_ROLE"), gov_.governor));
  EXPECT_TRUE(has_role(h("CANCELLER_ROLE"), gov_.governor));
  EXPECT_TRUE(has_role(h("EXECUTOR_ROLE"), Address{}));
  EXPECT_FALSE(has_role(Hash32{}, holder().address()));
}

TEST_F(Dao, ProposalIdComputedInCppMatchesTheGovernorsHashProposal) {
  const Proposal p = veto_proposal(ledger_->address(), job_, "bad root");
  EXPECT_EQ(governor_->hash_proposal(p).value(), p.id());
  auto id = governor_->propose(p);
  ASSERT_TRUE(id) << id.error().to_string();
  EXPECT_EQ(*id, p.id());
  EXPECT_NE(veto_proposal(ledger_->address(), job_, "other reason").id(), p.id());
}

TEST_F(Dao, NewProposalIsPendingThenActiveAfterTheVotingDelay) {
  auto id = governor_->propose(veto_proposal(ledger_->address(), job_));
  ASSERT_TRUE(id) << id.error().to_string();
  EXPECT_EQ(governor_->state(*id).value(), ProposalState::pending);
  const std::uint64_t now = latest_block_timestamp(*rpc_).value();
  EXPECT_EQ(governor_->proposal_snapshot(*id).value(), U256(now + kVotingDelay));
  advance(kVotingDelay + 1);
  EXPECT_EQ(governor_->state(*id).value(), ProposalState::active);
}

TEST_F(Dao, ExecutingBeforeTheTimelockDelayRevertsNamed) {
  propose_and_pass();
  EXPECT_EQ(governor_->state(id_).value(), ProposalState::succeeded);
  ASSERT_TRUE(governor_->queue(proposal_));
  EXPECT_EQ(governor_->state(id_).value(), ProposalState::queued);
  auto early = governor_->execute(proposal_);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, Errc::reverted);
  EXPECT_NE(early.error().message.find("TimelockUnexpectedOperationState"), std::string::npos) << early.error().message;
  EXPECT_EQ(ledger_->shares_root(job_).value(), h("bad root"));
}

TEST_F(Dao, VetoPassedQueuedAndExecutedInsideTheWindowClearsTheLedgerProposal) {
  propose_and_pass();
  ASSERT_TRUE(governor_->queue(proposal_));
  const U256 eta = governor_->proposal_eta(id_).value();
  const std::uint64_t now = latest_block_timestamp(*rpc_).value();
  ASSERT_TRUE(eta.fits_u64());
  advance(eta.limbs[0] - now + 1);
  auto executed = governor_->execute(proposal_);
  ASSERT_TRUE(executed) << executed.error().to_string();
  EXPECT_EQ(governor_->state(id_).value(), ProposalState::executed);
  EXPECT_TRUE(ledger_->shares_root(job_).value().is_zero());
  EXPECT_FALSE(ledger_->is_finalized(job_).value());
}

TEST_F(Dao, VotingTwiceRevertsWithGovernorAlreadyCastVote) {
  auto id = governor_->propose(veto_proposal(ledger_->address(), job_));
  ASSERT_TRUE(id);
  advance(kVotingDelay + 1);
  ASSERT_TRUE(governor_->cast_vote(*id, VoteSupport::for_));
  auto again = governor_->cast_vote(*id, VoteSupport::for_);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("GovernorAlreadyCastVote"), std::string::npos) << again.error().message;
}

TEST(GovernanceBinding, MissingArtifactIsNotFoundWithTheBuildCommand) {
  RpcClient rpc("http://127.0.0.1:9");
  Signer signer(PrivateKey::random(), rpc);
  GovernanceParams params;
  params.initial_holder = signer.address();
  GovernanceArtifacts artifacts;
  artifacts.token = "/nonexistent/FlywheelToken.json";
  auto g = deploy_governance(signer, params, artifacts);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, Errc::not_found);
  EXPECT_NE(g.error().message.find("forge build"), std::string::npos);
}

TEST(GovernanceBinding, VetoProposalCallsLedgerVetoWithTheJobId) {
  const Address ledger = Address::from_hex("0x5FbDB2315678afecb367f032d93F642f64180aa3").value();
  const Proposal p = veto_proposal(ledger, U256(7), "reason");
  ASSERT_EQ(p.targets.size(), 1U);
  EXPECT_EQ(p.targets[0], ledger);
  EXPECT_EQ(p.values[0], U256(0));
  EXPECT_EQ(p.calldatas[0], encode_call("veto(uint256)", {AbiValue::of_uint(7)}).value());
  EXPECT_EQ(p.description, "Veto job 7 of AttributionLedger 0x5FbDB2315678afecb367f032d93F642f64180aa3: reason");
  EXPECT_EQ(p.description_hash(), h(p.description));
}

// Every custom error in the artifacts' ABIs must be known, or reverts would only show a selector.
TEST(GovernanceBinding, KnownErrorsCoverEveryErrorInTheArtifactAbis) {
  const GovernanceArtifacts a;
  const std::vector<std::pair<std::string, const std::vector<std::string>*>> sources = {
      {a.token, &governance_errors()},
      {a.timelock, &governance_errors()},
      {a.governor, &governance_errors()},
      {default_artifact_path("ModelShares", "ModelShares"), &model_shares_errors()}};
  for (const auto& [path, known] : sources) {
    std::ifstream in(path);
    if (!in) GTEST_SKIP() << "no artifact at " << path;
    const auto artifact = nlohmann::json::parse(in);
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
      EXPECT_NE(std::find(known->begin(), known->end(), sig), known->end()) << path << ": " << sig;
    }
  }
}

}  // namespace
}  // namespace flywheel::chain
