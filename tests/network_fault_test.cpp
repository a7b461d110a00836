// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Deployment mode across real network faults: the aggregator runs in one network namespace and
// each participant in its own, joined by veth pairs (tests/internal/network_lab.hpp), so a test
// cuts or degrades one participant's link while real `flywheel` processes talk real gRPC over it.
// Needs root and iproute2; elsewhere every test skips, saying why.
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/keystore.hpp"
#include "tests/internal/child_process.hpp"
#include "tests/internal/deployment_jobs.hpp"
#include "tests/internal/network_lab.hpp"
#include "tests/internal/run_command.hpp"
#include "tests/internal/test_files.hpp"

namespace flywheel::fedtrain {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::NetworkLab;
using testing::participant_key;
using testing::read_text;
using testing::wait_until;

constexpr const char* kPort = "50051";  // each namespace has its own ports: any fixed one is free

// A job folder (job file, keystores, password) whose aggregator and participants run in `lab`.
struct NetJob {
  testing::TempDir dir;
  std::filesystem::path root{dir.path()};
  std::filesystem::path run = root / "run";
  std::size_t participants;

  NetJob(json job, std::size_t n) : participants(n) {
    job["deployment"]["listen"] = std::string("0.0.0.0:") + kPort;
    std::ofstream(root / "job.json") << job.dump(2);
    std::ofstream(root / "password") << "test-password\n";
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_TRUE(
          save_keystore(keystore(i), participant_key(i), "test-password", {.kdf = KeystoreKdf::pbkdf2, .c = 2}));
    }
  }
  [[nodiscard]] std::filesystem::path keystore(std::size_t i) const {
    return root / ("key" + std::to_string(i) + ".json");
  }
  [[nodiscard]] std::filesystem::path participant_log(std::size_t i) const {
    return root / ("participant" + std::to_string(i) + ".log");
  }
  std::unique_ptr<ChildProcess> aggregator(const NetworkLab& lab) const {
    return std::make_unique<ChildProcess>(
        lab.ip_binary(),
        lab.in_aggregator({FLYWHEEL_BINARY, "aggregator", "--config", (root / "job.json").string(), "--out",
                           run.string(), "--threads", "1"}),
        root / "aggregator.log");
  }
  std::unique_ptr<ChildProcess> participant(const NetworkLab& lab, std::size_t i) const {
    return std::make_unique<ChildProcess>(
        lab.ip_binary(),
        lab.in_participant(i, {FLYWHEEL_BINARY, "participant", "--config", (root / "job.json").string(), "--keystore",
                               keystore(i).string(), "--password-file", (root / "password").string(), "--aggregator",
                               NetworkLab::aggregator_address_for(i) + ":" + kPort, "--out",
                               (root / ("p" + std::to_string(i))).string()}),
        participant_log(i));
  }
  [[nodiscard]] std::vector<json> metrics() const { return testing::json_lines(run / "metrics.jsonl"); }
  [[nodiscard]] json round_file(std::size_t round) const {
    char name[32];
    std::snprintf(name, sizeof name, "%06zu.json", round);
    return json::parse(read_text(run / "rounds" / name));
  }
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Whether round `round`'s record holds a receipt signed by participant i.
bool round_has_receipt_of(const NetJob& job, std::size_t round, std::size_t i) {
  const std::string address = lower(participant_key(i).address().hex());
  const json record = job.round_file(round);
  for (const auto& r : record["receipts"]) {
    if (lower(r["participant"].get<std::string>()) == address) return true;
  }
  return false;
}

TEST(NetworkFault, AParticipantCutOffWhileUploadingIsLeftOutAndRejoinsALaterRound) {
  constexpr std::size_t kParticipants = 4;
  // Ten rounds: after the link heals, the participant's TCP waits out its retransmission backoff
  // (seconds) before it hears that its stalled push was cancelled; the job must still be running.
  json job = testing::base_job(kParticipants, 10);
  // A 784-64-10 MLP: 203,560 bytes each way per round, 0.8 s on the 2 Mbit/s links below, so an
  // upload lasts long enough to be cut half-way and the rounds after the cut outlast the outage.
  job["model"]["hidden"] = json::array({64});
  job["deployment"]["min_updates"] = 3;
  job["deployment"]["round_timeout_s"] = 10;
  job["deployment"]["liveness_s"] = 3;
  job["deployment"]["stream_idle_timeout_s"] = 4;
  constexpr long long kModelBytes = (784 * 64 + 64 + 64 * 10 + 10) * 4;

  std::string why;
  auto lab = NetworkLab::create(kParticipants, &why);
  if (!lab) GTEST_SKIP() << why;
  for (std::size_t i = 0; i < kParticipants; ++i) {
    if (!lab->limit_rate(i, 2000, &why)) GTEST_SKIP() << "cannot slow the links down (tbf): " << why;
  }
  NetJob setup(job, kParticipants);
  auto aggregator = setup.aggregator(*lab);
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(setup.run / "endpoint"); }, 60s)) << aggregator->log();
  std::vector<std::unique_ptr<ChildProcess>> participants;
  for (std::size_t i = 0; i < kParticipants; ++i) participants.push_back(setup.participant(*lab, i));

  // Round 2 opens with all four selected. Participant 0 fetches the model and trains, and once a
  // quarter of its update is on the wire its link goes down: the rest of the update goes nowhere.
  ASSERT_TRUE(wait_until([&] { return aggregator->log().find("round 2 opened") != std::string::npos; }, 180s))
      << aggregator->log();
  const long long before = lab->bytes_sent(0);
  ASSERT_GE(before, 0);
  ASSERT_TRUE(wait_until([&] { return lab->bytes_sent(0) - before > kModelBytes / 4; }, 60s)) << participants[0]->log();
  ASSERT_TRUE(lab->partition(0, &why)) << why;
  const long long uploaded = lab->bytes_sent(0) - before;
  const auto cut_at = std::chrono::steady_clock::now();
  // The round closes at its deadline with the other three (the quorum); then the link heals.
  ASSERT_TRUE(wait_until([&] { return setup.metrics().size() >= 2; }, 120s)) << aggregator->log();
  const double cut_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - cut_at).count();
  ASSERT_TRUE(lab->heal(0, &why)) << why;

  ASSERT_EQ(aggregator->wait(300s), 0) << aggregator->log();
  for (std::size_t i = 0; i < kParticipants; ++i) {
    EXPECT_EQ(participants[i]->wait(60s), 0) << "participant " << i << ":\n" << participants[i]->log();
  }
  const auto lines = setup.metrics();
  ASSERT_EQ(lines.size(), 10U) << aggregator->log();
  EXPECT_EQ(lines[0]["participants"], 4);
  EXPECT_EQ(lines[1]["participants"], 3) << aggregator->log();
  EXPECT_FALSE(round_has_receipt_of(setup, 2, 0));
  EXPECT_NE(aggregator->log().find("round 2: closing with 3 of 4 updates"), std::string::npos) << aggregator->log();
  // Back on the network, participant 0 is selected again and its update is in a later round.
  std::size_t back_in = 0;
  for (std::size_t r = 3; r <= 10 && back_in == 0; ++r) {
    if (round_has_receipt_of(setup, r, 0)) back_in = r;
  }
  EXPECT_GT(back_in, 2U) << "participant 0 took part in no round after the partition\n" << participants[0]->log();
  EXPECT_NE(participants[0]->log().find("job done"), std::string::npos) << participants[0]->log();
  std::cout << "participant 0 cut off after " << uploaded << " of " << kModelBytes << " update bytes, for " << cut_s
            << " s; round 2 closed with " << lines[1]["participants"] << " participants after " << lines[1]["seconds"]
            << " s; participant 0 back in round " << back_in << "\n"
            << "participant 0 said:\n"
            << participants[0]->log();
}

TEST(NetworkFault, AJobOverSlowLossyLinksCompletesEveryRoundWithEveryone) {
  constexpr std::size_t kParticipants = 3;
  json job = testing::base_job(kParticipants, 3);
  job["model"]["hidden"] = json::array({64});  // 203,560 bytes each way per round
  job["deployment"]["round_timeout_s"] = 120;
  constexpr double kModelBits = (784 * 64 + 64 + 64 * 10 + 10) * 4 * 8.0;
  constexpr int kRateKbit = 2000;

  std::string why;
  auto lab = NetworkLab::create(kParticipants, &why);
  if (!lab) GTEST_SKIP() << why;
  std::vector<testing::Impairment> applied;
  for (std::size_t i = 0; i < kParticipants; ++i) {
    applied.push_back(lab->impair(i, /*delay_ms=*/40, /*loss_percent=*/10, kRateKbit));
  }
  if (!applied[0].delay && !applied[0].loss) {
    GTEST_SKIP() << "neither delay nor loss can be produced in this kernel: " << applied[0].not_done;
  }
  std::cout << "links: " << applied[0].method << "\n";
  if (!applied[0].not_done.empty()) std::cout << "not available here: " << applied[0].not_done << "\n";

  NetJob setup(job, kParticipants);
  auto aggregator = setup.aggregator(*lab);
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(setup.run / "endpoint"); }, 60s)) << aggregator->log();
  std::vector<std::unique_ptr<ChildProcess>> participants;
  for (std::size_t i = 0; i < kParticipants; ++i) participants.push_back(setup.participant(*lab, i));
  ASSERT_EQ(aggregator->wait(400s), 0) << aggregator->log();
  for (std::size_t i = 0; i < kParticipants; ++i) {
    EXPECT_EQ(participants[i]->wait(60s), 0) << "participant " << i << ":\n" << participants[i]->log();
  }
  const auto lines = setup.metrics();
  ASSERT_EQ(lines.size(), 3U);
  for (std::size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(lines[r]["participants"], 3) << "round " << r + 1;
    for (std::size_t i = 0; i < kParticipants; ++i) {
      EXPECT_TRUE(round_has_receipt_of(setup, r + 1, i)) << "round " << r + 1 << ", participant " << i;
    }
    std::cout << "round " << r + 1 << ": " << lines[r]["seconds"] << " s\n";
  }
  if (applied[0].method.rfind("tbf", 0) == 0) {
    // The model goes down and the update up a 2 Mbit/s link: no round can be quicker than that.
    const double floor_s = 2 * kModelBits / (kRateKbit * 1000.0);
    for (std::size_t r = 1; r < 3; ++r)
      EXPECT_GT(lines[r]["seconds"].get<double>(), 0.8 * floor_s) << "round " << r + 1;
  }
  if (applied[0].loss) {
    long dropped = 0;
    for (std::size_t i = 0; i < kParticipants; ++i) dropped += lab->dropped_packets(i);
    // Without netem the drops are counted by the cBPF filter's action; netem counts its own.
    if (applied[0].method.rfind("netem", 0) != 0) {
      EXPECT_GT(dropped, 0) << "the loss filter dropped nothing";
    }
    std::cout << "packets dropped on the links: " << dropped << "\n";
  }
}

}  // namespace
}  // namespace flywheel::fedtrain
