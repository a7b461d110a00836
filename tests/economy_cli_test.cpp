// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// `flywheel revenue deposit|claim|claimable` and
// `flywheel dao deploy|delegate|propose|vote|execute` end to end: the real `flywheel` binary
// against a real anvil, with Foundry's cast as the independent reader (and, where the CLI has no
// command for it, as the job's aggregator: registerJob, recordRound). A DAO veto goes through
// propose -> vote -> queue -> execute; two holders claim their pro-rata revenue; bad inputs get a
// clear error and exit code 1.

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "chain-bridge/abi.hpp"
#include "chain-bridge/anvil.hpp"
#include "common/keccak.hpp"
#include "common/keys.hpp"
#include "common/keystore.hpp"
#include "tests/internal/run_command.hpp"

namespace flywheel {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::run_command;
using testing::TempDir;

const std::string kFlywheel = FLYWHEEL_BINARY;
const std::string kCast = std::string(FLYWHEEL_SOURCE_DIR) + "/node_modules/@foundry-rs/cast-linux-amd64/bin/cast";
constexpr std::string_view kPassword = "test-password";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The first 0x-address printed after `label` in `output`; empty when there is none.
std::string address_after(const std::string& output, const std::string& label) {
  std::smatch m;
  if (!std::regex_search(output, m, std::regex(label + R"(\s+(0x[0-9a-fA-F]{40}))"))) return {};
  return m[1].str();
}

void expect_clean_failure(const CommandResult& r, const std::string& must_mention) {
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("flywheel: error: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(must_mention), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
}

// A fresh anvil, anvil's dev accounts as keystores in a temp folder, and helpers to run flywheel
// and cast against it. Account 0 deploys and aggregates (the CLI's default dev key).
class EconomyCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto anvil = chain::AnvilProcess::start();
    ASSERT_TRUE(anvil) << anvil.error().to_string();
    anvil_.emplace(std::move(*anvil));
    std::ofstream(password_file()) << kPassword << "\n";
  }

  [[nodiscard]] std::string password_file() const { return dir_.path() + "/password"; }

  // Keystore of anvil dev account `i` (written on first use; pbkdf2 with 2 rounds, for speed).
  std::string keystore(std::size_t i) {
    const std::string path = dir_.path() + "/key" + std::to_string(i) + ".json";
    if (!std::filesystem::exists(path)) {
      EXPECT_TRUE(save_keystore(path, dev_key(i), kPassword, {.kdf = KeystoreKdf::pbkdf2, .c = 2}));
    }
    return path;
  }
  std::string wallet(std::size_t i) { return " --keystore " + keystore(i) + " --password-file " + password_file(); }
  static PrivateKey dev_key(std::size_t i) { return PrivateKey::from_hex(chain::kAnvilDevKeys[i]).value(); }
  static std::string dev_address(std::size_t i) { return to_checksum(dev_key(i).address()); }

  CommandResult flywheel(const std::string& args) {
    return run_command(kFlywheel + " " + args + " --rpc " + anvil_->url());
  }
  // Runs flywheel and requires success.
  std::string flywheel_ok(const std::string& args) {
    auto r = flywheel(args);
    EXPECT_EQ(r.exit_code, 0) << "flywheel " << args << "\n" << r.output;
    return r.output;
  }
  std::string cast(const std::string& args) {
    auto r = run_command(kCast + " " + args + " --rpc-url " + anvil_->url());
    EXPECT_EQ(r.exit_code, 0) << "cast " << args << "\n" << r.output;
    // cast prints "123 [1.23e2]" for large numbers; the first word is the value.
    const std::string out = trim(r.output);
    return out.substr(0, out.find(' '));
  }
  void cast_send(std::size_t from, const std::string& to, const std::string& call) {
    cast("send --private-key " + std::string(chain::kAnvilDevKeys[from]) + " " + to + " " + call);
  }
  // Moves anvil's clock by `seconds` and mines a block at the new time.
  void advance(std::uint64_t seconds) {
    cast("rpc evm_increaseTime " + std::to_string(seconds));
    cast("rpc evm_mine");
  }

  // `flywheel chain deploy` (dao: `dao`, or the deployer when empty); the ledger's address.
  std::string deploy_ledger(const std::string& dao = {}) {
    const std::string out = flywheel_ok("chain deploy" + (dao.empty() ? "" : " --dao " + dao));
    return address_after(out, "AttributionLedger deployed at");
  }

  // `flywheel dao deploy` with short delays, then account 0 delegates its FLY to itself.
  void deploy_dao() {
    const std::string out =
        flywheel_ok("dao deploy --voting-delay " + std::to_string(kVotingDelay) + " --voting-period " +
                    std::to_string(kVotingPeriod) + " --min-delay " + std::to_string(kMinDelay));
    token_ = address_after(out, "FlywheelToken");
    timelock_ = address_after(out, "TimelockController");
    governor_ = address_after(out, "FlywheelGovernor");
    ASSERT_FALSE(token_.empty() || timelock_.empty() || governor_.empty()) << out;
    flywheel_ok("dao delegate --token " + token_);
  }

  static constexpr std::uint64_t kVotingDelay = 60;
  static constexpr std::uint64_t kVotingPeriod = 300;
  static constexpr std::uint64_t kMinDelay = 120;

  TempDir dir_;
  std::optional<chain::AnvilProcess> anvil_;
  std::string token_;
  std::string timelock_;
  std::string governor_;
};

// ---- DAO veto ------------------------------------------------------------------------------

// A ledger whose DAO is the timelock, and job 1 (aggregator: account 0) with a live proposal.
class DaoCli : public EconomyCli {
 protected:
  void SetUp() override {
    EconomyCli::SetUp();
    ASSERT_NO_FATAL_FAILURE(deploy_dao());
    ledger_ = deploy_ledger(timelock_);
    ASSERT_FALSE(ledger_.empty());
    cast_send(0, ledger_, "'registerJob(address,uint64,string)' " + dev_address(0) + " 3600 veto");
    cast_send(
        0, ledger_,
        "'recordRound(uint256,uint256,bytes32,bytes32)' 1 1 0x" + std::string(64, '1') + " 0x" + std::string(64, '2'));
    flywheel_ok("shares propose --ledger " + ledger_ + " --job 1 --root " + kBadRoot + " --total 1000");
    advance(1);  // the delegation becomes a past checkpoint, so it counts for proposing
  }

  [[nodiscard]] std::string veto_target() const {
    return " --governor " + governor_ + " --ledger " + ledger_ + " --job 1 --reason 'bad root'";
  }
  // `flywheel dao propose`; the proposal id it prints.
  std::string propose() {
    const std::string out = flywheel_ok("dao propose" + veto_target());
    std::smatch m;
    EXPECT_TRUE(std::regex_search(out, m, std::regex(R"(proposal id (\d+))"))) << out;
    return m.empty() ? std::string() : m[1].str();
  }

  const std::string kBadRoot = "0x" + std::string(64, 'b');
  std::string ledger_;
};

TEST_F(DaoCli, VetoGoesThroughProposeVoteQueueExecuteAndClearsTheProposal) {
  ASSERT_EQ(cast("call " + ledger_ + " 'sharesRoot(uint256)(bytes32)' 1"), kBadRoot);
  const std::string id = propose();
  ASSERT_FALSE(id.empty());
  advance(kVotingDelay + 1);
  const std::string voted = flywheel_ok("dao vote --governor " + governor_ + " --proposal " + id);
  EXPECT_NE(voted.find("voted for on proposal " + id), std::string::npos) << voted;
  advance(kVotingPeriod + 1);
  const std::string queued = flywheel_ok("dao execute" + veto_target());
  EXPECT_NE(queued.find("queued in the timelock"), std::string::npos) << queued;
  EXPECT_NE(queued.find("waiting for the timelock delay"), std::string::npos) << queued;
  // Still live until the timelock runs it.
  EXPECT_EQ(cast("call " + ledger_ + " 'sharesRoot(uint256)(bytes32)' 1"), kBadRoot);
  advance(kMinDelay + 1);
  const std::string executed = flywheel_ok("dao execute" + veto_target());
  EXPECT_NE(executed.find("executed"), std::string::npos) << executed;
  EXPECT_EQ(cast("call " + ledger_ + " 'sharesRoot(uint256)(bytes32)' 1"), "0x" + std::string(64, '0'));
  EXPECT_EQ(cast("call " + ledger_ + " 'totalShares(uint256)(uint256)' 1"), "0");
  // The aggregator may propose again.
  flywheel_ok("shares propose --ledger " + ledger_ + " --job 1 --root 0x" + std::string(64, 'c') + " --total 1000");
}

TEST_F(DaoCli, VoteBeforeVotingOpensIsRefused) {
  const std::string id = propose();
  expect_clean_failure(flywheel("dao vote --governor " + governor_ + " --proposal " + id), "proposal is Pending");
}

TEST_F(DaoCli, VoteAfterVotingClosedIsRefused) {
  const std::string id = propose();
  advance(kVotingDelay + kVotingPeriod + 2);
  expect_clean_failure(flywheel("dao vote --governor " + governor_ + " --proposal " + id),
                       "votes are only accepted while it is Active");
}

TEST_F(DaoCli, ExecuteWhileVotingIsOpenIsRefused) {
  propose();
  advance(kVotingDelay + 1);
  expect_clean_failure(flywheel("dao execute" + veto_target()), "proposal is Active");
}

TEST_F(DaoCli, ExecuteOfAProposalThatWasNeverMadeNamesTheFlags) {
  expect_clean_failure(flywheel("dao execute" + veto_target()),
                       "--ledger, --job and --reason must match `dao propose`");
}

TEST_F(DaoCli, VoteWithAnUnknownSupportValueIsRefused) {
  const std::string id = propose();
  expect_clean_failure(flywheel("dao vote --governor " + governor_ + " --proposal " + id + " --support maybe"),
                       "--support must be for, against or abstain");
}

TEST_F(EconomyCli, DaoCommandsRefuseAnAddressWithoutContract) {
  expect_clean_failure(
      flywheel("dao propose --governor " + dev_address(3) + " --ledger " + dev_address(4) + " --job 1"),
      "--governor: no contract at");
}

// ---- revenue -------------------------------------------------------------------------------

// The double-hashed leaf of the shares tree (AttributionLedger's format).
Hash32 share_leaf(const Address& account, std::uint64_t amount) {
  const Bytes encoded = chain::abi_encode({chain::AbiValue::of_address(account), chain::AbiValue::of_uint(amount)});
  return keccak256(keccak256(encoded).view());
}

// Job 1 of a fresh ledger, paid in FLY (the DAO's ERC-20, held by account 0), window 0 and
// finalized, with accounts 1 and 2 holding 600 and 400 of its 1,000 shares (claimed through
// `flywheel shares claim` with an attribution.json written here).
class RevenueCli : public EconomyCli {
 protected:
  void SetUp() override {
    EconomyCli::SetUp();
    ASSERT_NO_FATAL_FAILURE(deploy_dao());
    ledger_ = deploy_ledger();
    ASSERT_FALSE(ledger_.empty());
    cast_send(0, ledger_,
              "'registerJobWithPolicy(address,uint64,string,address,uint16,uint16,uint16,"
              "address)' " +
                  dev_address(0) + " 0 revenue " + dev_address(0) + " 10000 0 0 " + token_);
    cast_send(
        0, ledger_,
        "'recordRound(uint256,uint256,bytes32,bytes32)' 1 1 0x" + std::string(64, '1') + " 0x" + std::string(64, '2'));
    const Hash32 a = share_leaf(dev_key(1).address(), 600);
    const Hash32 b = share_leaf(dev_key(2).address(), 400);
    Bytes pair;
    const Hash32& lo = a.hex() < b.hex() ? a : b;
    const Hash32& hi = a.hex() < b.hex() ? b : a;
    pair.insert(pair.end(), lo.view().begin(), lo.view().end());
    pair.insert(pair.end(), hi.view().begin(), hi.view().end());
    const Hash32 root = keccak256(pair);
    run_dir_ = dir_.path() + "/run";
    std::filesystem::create_directories(run_dir_);
    json doc;
    doc["shares_root"] = root.hex();
    doc["total_shares"] = "1000";
    doc["participants"] = json::array({{{"address", dev_address(1)}, {"shares", "600"}, {"share_proof", {b.hex()}}},
                                       {{"address", dev_address(2)}, {"shares", "400"}, {"share_proof", {a.hex()}}}});
    std::ofstream(run_dir_ + "/attribution.json") << doc.dump(2);
    flywheel_ok("shares propose --ledger " + ledger_ + " --job 1 --run " + run_dir_);
    flywheel_ok("shares finalize --ledger " + ledger_ + " --job 1");
    for (std::size_t i : {1, 2}) {
      flywheel_ok("shares claim --ledger " + ledger_ + " --job 1 --run " + run_dir_ + wallet(i));
    }
    shares_ = cast("call " + ledger_ + " 'sharesToken(uint256)(address)' 1");
  }

  std::string fly_balance(std::size_t account) {
    return cast("call " + token_ + " 'balanceOf(address)(uint256)' " + dev_address(account));
  }
  [[nodiscard]] std::string job() const { return " --ledger " + ledger_ + " --job 1"; }

  std::string ledger_;
  std::string run_dir_;
  std::string shares_;
};

TEST_F(RevenueCli, TwoHoldersClaimTheirProRataPartsOfADeposit) {
  ASSERT_EQ(cast("call " + shares_ + " 'balanceOf(address)(uint256)' " + dev_address(1)), "600");
  const std::string deposited = flywheel_ok("revenue deposit" + job() + " --amount 1000000");
  EXPECT_NE(deposited.find("deposited 1000000 base units of ERC-20 " + token_), std::string::npos) << deposited;
  EXPECT_EQ(cast("call " + token_ + " 'balanceOf(address)(uint256)' " + shares_), "1000000");

  const std::string claimable = flywheel_ok("revenue claimable" + job() + " --account " + dev_address(1));
  EXPECT_NE(claimable.find(dev_address(1) + " can claim 600000 "), std::string::npos) << claimable;

  const std::string first = flywheel_ok("revenue claim" + job() + wallet(1));
  EXPECT_NE(first.find(dev_address(1) + " claimed 600000 "), std::string::npos) << first;
  const std::string second = flywheel_ok("revenue claim" + job() + wallet(2));
  EXPECT_NE(second.find(dev_address(2) + " claimed 400000 "), std::string::npos) << second;

  EXPECT_EQ(fly_balance(1), "600000");
  EXPECT_EQ(fly_balance(2), "400000");
  EXPECT_EQ(cast("call " + token_ + " 'balanceOf(address)(uint256)' " + shares_), "0");
  const std::string after = flywheel_ok("revenue claimable" + job() + " --account " + dev_address(1));
  EXPECT_NE(after.find(" can claim 0 "), std::string::npos) << after;
}

TEST_F(RevenueCli, ClaimWithNothingClaimableIsRefused) {
  flywheel_ok("revenue deposit" + job() + " --amount 1000");
  flywheel_ok("revenue claim" + job() + wallet(1));
  auto again = flywheel("revenue claim" + job() + wallet(1));
  expect_clean_failure(again, "NothingToClaim(");
  // A non-holder has never had anything to claim.
  expect_clean_failure(flywheel("revenue claim" + job() + wallet(3)), "NothingToClaim");
  EXPECT_EQ(fly_balance(1), "600");
}

TEST_F(RevenueCli, ClaimWithoutKeystoreIsRefused) {
  expect_clean_failure(flywheel("revenue claim" + job()), "needs --keystore");
}

TEST_F(RevenueCli, DepositOfZeroIsRefused) {
  expect_clean_failure(flywheel("revenue deposit" + job() + " --amount 0"),
                       "--amount must be a positive decimal integer");
}

TEST_F(RevenueCli, RevenueOfAJobWithoutSharesTokenIsRefused) {
  expect_clean_failure(flywheel("revenue claimable --ledger " + ledger_ + " --job 2 --account " + dev_address(1)),
                       "has no shares token yet");
}

}  // namespace
}  // namespace flywheel
