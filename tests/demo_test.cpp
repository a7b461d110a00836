// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The README's main job, end to end with tiny training settings: `flywheel demo` against a real
// anvil, then an independent client (Foundry's cast) reads the ledger and must agree with the
// run folder.

#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "chain-bridge/anvil.hpp"
#include "tests/internal/run_command.hpp"

namespace flywheel {
namespace {

using nlohmann::json;
using testing::run_command;
using testing::TempDir;

const std::string kCast = std::string(FLYWHEEL_SOURCE_DIR) + "/node_modules/@foundry-rs/cast-linux-amd64/bin/cast";

// Small enough for CI, large enough that the shuffled-labels participant is clearly harmful.
const std::string kTinyJob =
    " --set job.rounds=3 --set data.train_limit=12000 --set data.validation_size=2000"
    " --set model.hidden=[64]";

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class DemoOnAnvil : public ::testing::Test {
 protected:
  void SetUp() override {
    auto anvil = chain::AnvilProcess::start();
    ASSERT_TRUE(anvil) << anvil.error().to_string();
    anvil_.emplace(std::move(*anvil));
    result_ = run_command(std::string(FLYWHEEL_BINARY) + " demo --rpc " + anvil_->url() + " --out " + dir_.path() +
                          "/run" + kTinyJob);
    ASSERT_EQ(result_.exit_code, 0) << result_.output;
    attribution_ = read_json(dir_.path() + "/run/attribution.json");
    deployment_ = read_json(dir_.path() + "/run/deployment.json");
  }

  std::string cast_call(const std::string& signature, const std::string& args) {
    auto r =
        run_command(kCast + " call --rpc-url " + anvil_->url() + " " +
                    deployment_["contracts"]["AttributionLedger"].get<std::string>() + " '" + signature + "' " + args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return trim(r.output);
  }

  TempDir dir_;
  std::optional<chain::AnvilProcess> anvil_;
  testing::CommandResult result_;
  json attribution_;
  json deployment_;
};

TEST_F(DemoOnAnvil, CastReadsTheSameRoundRootsAsTheReport) {
  const std::string job = attribution_["job_id"].get<std::string>();
  ASSERT_EQ(attribution_["rounds"].size(), 3u);
  for (const auto& round : attribution_["rounds"]) {
    const std::string on_chain =
        cast_call("roundRoot(uint256,uint256)(bytes32)", job + " " + std::to_string(round["round"].get<int>()));
    EXPECT_EQ(on_chain, round["root"].get<std::string>()) << "round " << round["round"];
  }
  EXPECT_EQ(cast_call("roundCount(uint256)(uint256)", job), "3");
  EXPECT_EQ(cast_call("sharesRoot(uint256)(bytes32)", job), attribution_["shares_root"].get<std::string>());
}

TEST_F(DemoOnAnvil, ClaimedBalancesSumToTheTotalShares) {
  const std::string job = attribution_["job_id"].get<std::string>();
  const std::string token = cast_call("sharesToken(uint256)(address)", job);
  EXPECT_EQ(token, deployment_["contracts"]["ModelShares"].get<std::string>());
  // Sum with 128-bit integers: 10^18 overflows nothing here, but balances are uint256 on-chain.
  unsigned __int128 sum = 0;
  for (const auto& p : attribution_["participants"]) {
    auto r = run_command(kCast + " call --rpc-url " + anvil_->url() + " " + token + " 'balanceOf(address)(uint256)' " +
                         p["address"].get<std::string>());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // cast prints "123 [1.23e2]" for large numbers; the first word is the value.
    const std::string balance = trim(r.output).substr(0, trim(r.output).find(' '));
    EXPECT_EQ(balance, p["shares"].get<std::string>()) << p["address"];
    sum += std::stoull(balance);
  }
  EXPECT_TRUE(sum == static_cast<unsigned __int128>(1'000'000'000'000'000'000ULL));
}

TEST_F(DemoOnAnvil, ShuffledLabelsParticipantHasTheLowestValue) {
  double lowest = 1e9;
  std::string lowest_profile;
  for (const auto& p : attribution_["participants"]) {
    if (p["total_value"].get<double>() < lowest) {
      lowest = p["total_value"].get<double>();
      lowest_profile = p["profile"].get<std::string>();
    }
  }
  EXPECT_EQ(lowest_profile, "shuffled-labels");
  EXPECT_NE(result_.output.find("on-chain balances sum to 1000000000000000000"), std::string::npos);
}

TEST_F(DemoOnAnvil, MetricsHaveOneLinePerRound) {
  std::ifstream in(dir_.path() + "/run/metrics.jsonl");
  std::string line;
  int rounds = 0;
  while (std::getline(in, line)) {
    const json m = json::parse(line);
    ++rounds;
    EXPECT_EQ(m["round"].get<int>(), rounds);
    for (const char* key : {"test_accuracy", "test_loss", "participants", "seconds"}) {
      EXPECT_TRUE(m.contains(key)) << key;
    }
  }
  EXPECT_EQ(rounds, 3);
}

}  // namespace
}  // namespace flywheel
