// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// A GetChallenge flood for a participant's address while it joins. Addresses are public, so anyone
// can ask challenges for one; an aggregator that kept a few outstanding nonces per address let such
// a flood push the participant's own nonce out before its signed join arrived, and the job never
// started. Challenges now store nothing (docs/security.md): the participant joins through the
// flood and the job completes.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/keystore.hpp"
#include "fedtrain/transport/protocol.hpp"
#include "tests/internal/child_process.hpp"
#include "tests/internal/deployment_jobs.hpp"
#include "tests/internal/run_command.hpp"
#include "tests/internal/test_files.hpp"

namespace flywheel::fedtrain {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::participant_key;
using testing::read_text;
using testing::wait_until;

TEST(JoinFlood, AParticipantJoinsThroughAFloodOfChallengesForItsAddress) {
  testing::TempDir dir;
  const std::filesystem::path root = dir.path();
  const auto job = testing::base_job(2, 2);
  std::ofstream(root / "job.json") << job.dump(2);
  std::ofstream(root / "password") << "test-password\n";
  for (std::size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(save_keystore(root / ("key" + std::to_string(i) + ".json"), participant_key(i), "test-password",
                              {.kdf = KeystoreKdf::pbkdf2, .c = 2}));
  }
  ChildProcess aggregator(
      FLYWHEEL_BINARY,
      {"aggregator", "--config", (root / "job.json").string(), "--out", (root / "run").string(), "--threads", "1"},
      root / "aggregator.log");
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(root / "run" / "endpoint"); }, 60s)) << aggregator.log();
  std::string endpoint = read_text(root / "run" / "endpoint");
  while (!endpoint.empty() && endpoint.back() == '\n') endpoint.pop_back();

  // Eight threads ask challenges for participant 0's address back to back.
  std::atomic<bool> flooding = true;
  std::atomic<long> asked = 0;
  std::vector<std::thread> flood;
  for (int t = 0; t < 8; ++t) {
    flood.emplace_back([&] {
      auto client = TransportClient::connect(endpoint).value();
      while (flooding) {
        if (client.challenge("deploy-test", participant_key(0).address(), 5)) ++asked;
      }
    });
  }
  const auto stop_flood = [&] {
    flooding = false;
    for (auto& t : flood) t.join();
    flood.clear();
  };
  auto start = [&](std::size_t i, int attempt) {
    return std::make_unique<ChildProcess>(
        FLYWHEEL_BINARY,
        std::vector<std::string>{"participant", "--config", (root / "job.json").string(), "--keystore",
                                 (root / ("key" + std::to_string(i) + ".json")).string(), "--password-file",
                                 (root / "password").string(), "--aggregator", endpoint},
        root / ("participant" + std::to_string(i) + "-" + std::to_string(attempt) + ".log"));
  };
  std::vector<std::unique_ptr<ChildProcess>> participants;
  ASSERT_TRUE(wait_until([&] { return asked > 1000; }, 60s)) << asked << " challenges asked";
  participants.push_back(start(0, 0));
  participants.push_back(start(1, 0));
  const std::string joined = "participant 0 " + to_checksum(participant_key(0).address()) + " joined";
  ASSERT_TRUE(wait_until([&] { return aggregator.log().find(joined) != std::string::npos; }, 120s))
      << aggregator.log() << "\nparticipant 0:\n"
      << participants[0]->log();
  stop_flood();
  ASSERT_EQ(aggregator.wait(240s), 0) << aggregator.log() << "\nparticipant 0:\n" << participants[0]->log();
  EXPECT_EQ(participants[0]->wait(30s), 0) << participants[0]->log();
  EXPECT_EQ(participants[1]->wait(30s), 0) << participants[1]->log();
  EXPECT_EQ(testing::json_lines(root / "run" / "metrics.jsonl").size(), 2U);
  EXPECT_EQ(participants[0]->log().find("BAD_CHALLENGE"), std::string::npos) << participants[0]->log();
}

}  // namespace
}  // namespace flywheel::fedtrain
