// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Deployment mode end to end: a real aggregator and real participant processes (the `flywheel`
// binary, fork/exec) on loopback, recording on a real anvil read back with Foundry's cast, and
// recomputed from the aggregator's artifacts with `flywheel attribute`. Every refusal of a bad
// update is in bad_update_test.cpp.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <iomanip>
#include <limits>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "attribution/merkle.hpp"
#include "chain-bridge/anvil.hpp"
#include "common/eip712.hpp"
#include "common/keystore.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/transport/aggregator.hpp"
#include "fedtrain/transport/protocol.hpp"
#include "tests/internal/child_process.hpp"
#include "tests/internal/deployment_jobs.hpp"
#include "tests/internal/run_command.hpp"
#include "tests/internal/test_files.hpp"

namespace flywheel::fedtrain {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

using testing::base_job;
using testing::participant_key;

using testing::read_text;
using testing::wait_until;

std::vector<json> metrics_lines(const std::filesystem::path& dir) { return testing::json_lines(dir / "metrics.jsonl"); }

// The flywheel binary as a child process, output in `log`; killed on destruction.
using Process = testing::ChildProcess;

std::unique_ptr<Process> start_flywheel(const std::vector<std::string>& args, const std::filesystem::path& log) {
  return std::make_unique<Process>(FLYWHEEL_BINARY, args, log);
}

// A run folder with a job file, keystores and a password file.
struct JobFolder {
  testing::TempDir dir;
  std::filesystem::path root{dir.path()};
  std::filesystem::path job_file = root / "job.json";
  std::filesystem::path password = root / "password";
  std::size_t participants = 0;

  JobFolder(const json& job, std::size_t n) : participants(n) {
    std::ofstream(job_file) << job.dump(2);
    std::ofstream(password) << "test-password\n";
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_TRUE(
          save_keystore(keystore(i), participant_key(i), "test-password", {.kdf = KeystoreKdf::pbkdf2, .c = 2}));
    }
  }
  [[nodiscard]] std::filesystem::path keystore(std::size_t i) const {
    return root / ("key" + std::to_string(i) + ".json");
  }
  std::unique_ptr<Process> aggregator(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"aggregator", "--config", job_file.string(), "--out", (root / "run").string(),
                                  "--threads",  "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return start_flywheel(args, root / "aggregator.log");
  }
  std::string endpoint() const {
    std::string e = read_text(root / "run" / "endpoint");
    while (!e.empty() && e.back() == '\n') e.pop_back();
    return e;
  }
  std::unique_ptr<Process> participant(std::size_t i, std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"participant",
                                  "--config",
                                  job_file.string(),
                                  "--keystore",
                                  keystore(i).string(),
                                  "--password-file",
                                  password.string(),
                                  "--aggregator",
                                  endpoint(),
                                  "--out",
                                  (root / ("p" + std::to_string(i))).string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return start_flywheel(args, root / ("participant" + std::to_string(i) + ".log"));
  }
};

TEST(Deployment, FiveParticipantProcessesCompleteAJobWithVerifiableReceiptsAndAcks) {
  JobFolder setup(base_job(5, 3), 5);
  auto aggregator = setup.aggregator();
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(setup.root / "run" / "endpoint"); }, 60s))
      << aggregator->log();
  std::vector<std::unique_ptr<Process>> participants;
  for (std::size_t i = 0; i < 5; ++i) participants.push_back(setup.participant(i));
  ASSERT_EQ(aggregator->wait(240s), 0) << aggregator->log();
  for (auto& p : participants) EXPECT_EQ(p->wait(30s), 0) << p->log();

  const auto lines = metrics_lines(setup.root / "run");
  ASSERT_EQ(lines.size(), 3U);
  for (std::size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(lines[r]["round"], r + 1);
    EXPECT_EQ(lines[r]["participants"], 5);
  }
  const json round1 = json::parse(read_text(setup.root / "run" / "rounds" / "000001.json"));
  ASSERT_EQ(round1["receipts"].size(), 5U);
  const auto aggregator_address = parse_address(round1["aggregator"].get<std::string>()).value();
  for (const auto& r : round1["receipts"]) {
    const Hash32 digest = Hash32::from_hex(r["receipt_digest"].get<std::string>()).value();
    EXPECT_EQ(eip712::recover_signer(digest, from_hex(r["signature"].get<std::string>()).value()).value(),
              parse_address(r["participant"].get<std::string>()).value());
    const eip712::UpdateAck ack{.receipt_digest = digest,
                                .aggregator = aggregator_address,
                                .round = 1,
                                .accepted_at_millis = r["ack"]["acceptedAtMillis"].get<std::uint64_t>()};
    EXPECT_EQ(eip712::recover_signer(eip712::digest(DeploymentConfig{}.domain(), ack),
                                     from_hex(r["ack_signature"].get<std::string>()).value())
                  .value(),
              aggregator_address);
  }
  EXPECT_TRUE(std::filesystem::exists(setup.root / "run" / "attribution.json"));
  EXPECT_EQ(metrics_lines(setup.root / "p0").size(), 0U);  // acks.jsonl, not metrics
  EXPECT_NE(read_text(setup.root / "p0" / "acks.jsonl").find("ack_signature"), std::string::npos);
}

// The same job file runs both ways, through the same round pipeline (fedtrain/round/pipeline.hpp):
// `flywheel simulate` with the participants' keystores gives the deployed run's selections, model
// hashes, receipts and attribution roots in every round.
void expect_the_models_of_its_simulation(const json& job, std::size_t n) {
  JobFolder setup(job, n);
  auto aggregator = setup.aggregator();
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(setup.root / "run" / "endpoint"); }, 60s))
      << aggregator->log();
  std::vector<std::unique_ptr<Process>> participants;
  for (std::size_t i = 0; i < n; ++i) participants.push_back(setup.participant(i));
  ASSERT_EQ(aggregator->wait(240s), 0) << aggregator->log();
  for (auto& p : participants) EXPECT_EQ(p->wait(30s), 0) << p->log();

  std::string keystores;
  for (std::size_t i = n; i-- > 0;) keystores += " --keystore " + setup.keystore(i).string();  // any order
  const auto simulated = testing::run_command(
      std::string(FLYWHEEL_BINARY) + " simulate --threads 2 --config " + setup.job_file.string() + " --out " +
      (setup.root / "simulated").string() + keystores + " --password-file " + setup.password.string());
  ASSERT_EQ(simulated.exit_code, 0) << simulated.output;
  EXPECT_NE(simulated.output.find("deployment job file: its " + std::to_string(n) +
                                  " allowlisted participants train in this process"),
            std::string::npos)
      << simulated.output;

  const auto deployed = metrics_lines(setup.root / "run");
  const auto alone = metrics_lines(setup.root / "simulated");
  const std::size_t rounds = job["job"]["rounds"].get<std::size_t>();
  ASSERT_EQ(deployed.size(), rounds);
  ASSERT_EQ(alone.size(), rounds);
  const std::size_t per_round = job["deployment"]["min_updates"].get<std::size_t>();
  for (std::size_t r = 0; r < rounds; ++r) {
    ASSERT_TRUE(deployed[r].contains("selected") && alone[r].contains("selected"));
    EXPECT_EQ(deployed[r]["selected"].size(), per_round) << "round " << r + 1;
    EXPECT_EQ(deployed[r]["selected"], alone[r]["selected"]) << "round " << r + 1;
    EXPECT_EQ(deployed[r]["model_hash"], alone[r]["model_hash"]) << "round " << r + 1;
    EXPECT_EQ(deployed[r]["test_accuracy"], alone[r]["test_accuracy"]) << "round " << r + 1;
    EXPECT_EQ(deployed[r]["attribution_root"], alone[r]["attribution_root"]) << "round " << r + 1;
    char name[32];
    std::snprintf(name, sizeof name, "%06zu.json", r + 1);
    const json a = json::parse(read_text(setup.root / "run" / "rounds" / name));
    const json b = json::parse(read_text(setup.root / "simulated" / "rounds" / name));
    EXPECT_EQ(a["receipts_root"], b["receipts_root"]) << "round " << r + 1;
    EXPECT_EQ(a["leaves"], b["leaves"]) << "round " << r + 1;
  }
  const json deployed_report = json::parse(read_text(setup.root / "run" / "attribution.json"));
  const json simulated_report = json::parse(read_text(setup.root / "simulated" / "attribution.json"));
  EXPECT_EQ(deployed_report["shares_root"], simulated_report["shares_root"]);
  // Both run folders keep the job file as run (deployment section and all), and the replay reads it.
  for (const char* run : {"run", "simulated"}) {
    const auto replay = testing::run_command(std::string(FLYWHEEL_BINARY) + " attribute --threads 2 --run " +
                                             (setup.root / run).string());
    EXPECT_EQ(replay.exit_code, 0) << run << ": " << replay.output;
  }
}

TEST(Deployment, AJobTrainsTheSameModelEveryRoundAsItsSimulation) {
  expect_the_models_of_its_simulation(base_job(3, 3), 3);
}

// Rounds of 2 of 4: both modes select with internal::sample_sorted on the sample stream.
TEST(Deployment, AJobSamplingParticipantsSelectsAndTrainsAsItsSimulation) {
  json job = base_job(4, 3);
  job["strategy"]["fraction_fit"] = 0.5;
  job["deployment"]["min_updates"] = 2;
  expect_the_models_of_its_simulation(job, 4);
}

TEST(Deployment, AParticipantKilledMidRoundLetsTheRoundCloseAtQuorum) {
  json job = base_job(5, 3);
  job["deployment"]["min_updates"] = 4;
  // Round 1 must see all 5 (it closes as soon as they are in); round 2 waits out the deadline for
  // the hung participant. 20 s leaves a loaded 2-core machine, 6 processes on it, room for round 1.
  job["deployment"]["round_timeout_s"] = 20;
  job["deployment"]["liveness_s"] = 5;
  JobFolder setup(job, 5);
  auto aggregator = setup.aggregator();
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(setup.root / "run" / "endpoint"); }, 60s));
  std::vector<std::unique_ptr<Process>> participants;
  for (std::size_t i = 0; i < 5; ++i) {
    participants.push_back(setup.participant(
        i, i == 0 ? std::vector<std::string>{"--fault-hang-round", "2"} : std::vector<std::string>{}));
  }
  ASSERT_TRUE(wait_until([&] { return participants[0]->log().find("hanging") != std::string::npos; }, 120s))
      << participants[0]->log();
  participants[0]->kill_now();
  ASSERT_EQ(aggregator->wait(240s), 0) << aggregator->log();
  const auto lines = metrics_lines(setup.root / "run");
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[0]["participants"], 5);
  EXPECT_EQ(lines[1]["participants"], 4);
  EXPECT_EQ(lines[2]["participants"], 4);
  for (std::size_t i = 1; i < 5; ++i) EXPECT_EQ(participants[i]->wait(30s), 0) << participants[i]->log();
}

// Runs `setup`'s job with an aggregator and every participant to the end; the aggregator's exit code.
int run_job(const JobFolder& setup) {
  auto aggregator = setup.aggregator();
  if (!wait_until([&] { return std::filesystem::exists(setup.root / "run" / "endpoint"); }, 60s)) return -1;
  std::vector<std::unique_ptr<Process>> participants;
  for (std::size_t i = 0; i < setup.participants; ++i) participants.push_back(setup.participant(i));
  const int code = aggregator->wait(240s);
  for (auto& p : participants) EXPECT_EQ(p->wait(30s), 0) << p->log();
  if (code != 0) ADD_FAILURE() << aggregator->log();
  return code;
}

TEST(Deployment, AFreeRiderProcessSendsTheGlobalModelBackAndIsValuedLowest) {
  json job = base_job(3, 2);
  job["participants"]["profiles"] = {{"2", "free-rider"}};
  JobFolder setup(job, 3);
  ASSERT_EQ(run_job(setup), 0);
  const std::string rider = to_checksum(participant_key(2).address());
  // Its receipts commit to an all-zero update: Δ = 0 is "the global model sent back unchanged".
  const std::vector<float> zeros(parameter_count(ModelConfig{.name = "mlp", .hidden = {16}}), 0.0F);
  const json round1 = json::parse(read_text(setup.root / "run" / "rounds" / "000001.json"));
  bool seen = false;
  for (const auto& r : round1["receipts"]) {
    if (r["participant"] != rider) continue;
    seen = true;
    EXPECT_EQ(r["receipt"]["updateHash"], hash_floats(zeros).hex());
  }
  EXPECT_TRUE(seen);
  const json report = json::parse(read_text(setup.root / "run" / "attribution.json"));
  double rider_value = 0;
  std::vector<double> honest;
  for (const auto& p : report["participants"]) {
    const double value = p["total_value"].get<double>();
    if (p["address"] == rider) {
      rider_value = value;
    } else {
      honest.push_back(value);
    }
  }
  ASSERT_EQ(honest.size(), 2U);
  for (double v : honest) EXPECT_LT(rider_value, v);
}

TEST(Deployment, TheAggregatorAttributesWithTheJobsMethod) {
  json job = base_job(3, 1);
  job["attribution"] = {{"method", "loo"}};
  JobFolder setup(job, 3);
  ASSERT_EQ(run_job(setup), 0);
  const json report = json::parse(read_text(setup.root / "run" / "attribution.json"));
  ASSERT_EQ(report["rounds"].size(), 1U);
  EXPECT_EQ(report["rounds"][0]["method"], "loo");
  EXPECT_EQ(report["rounds"][0]["evaluations"], 3 + 2);  // U(N), U(∅) and U(N∖{i}) for each i
}

TEST(Deployment, AnAggregatorKilledMidJobResumesAndRecordsEveryRoundOnce) {
  json job = base_job(3, 5);
  // A quorum of 2, yet every round has all 3: the first round after --resume waits for every
  // participant to rejoin (up to start_timeout_s), as round 1 does.
  job["deployment"]["min_updates"] = 2;
  // A fixed port so that participants find the restarted aggregator at the same address.
  const int port = testing::stable_free_port(1);
  ASSERT_NE(port, 0);
  job["deployment"]["listen"] = "127.0.0.1:" + std::to_string(port);
  JobFolder setup(job, 3);
  auto aggregator = setup.aggregator();
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(setup.root / "run" / "endpoint"); }, 60s));
  std::vector<std::unique_ptr<Process>> participants;
  for (std::size_t i = 0; i < 3; ++i) participants.push_back(setup.participant(i));
  ASSERT_TRUE(wait_until([&] { return metrics_lines(setup.root / "run").size() >= 2; }, 120s)) << aggregator->log();
  aggregator->kill_now();
  std::this_thread::sleep_for(500ms);
  auto resumed = setup.aggregator({"--resume"});
  ASSERT_EQ(resumed->wait(240s), 0) << resumed->log();
  for (auto& p : participants) EXPECT_EQ(p->wait(30s), 0) << p->log();
  const auto lines = metrics_lines(setup.root / "run");
  ASSERT_EQ(lines.size(), 5U) << read_text(setup.root / "run" / "metrics.jsonl");
  for (std::size_t r = 0; r < 5; ++r) {
    EXPECT_EQ(lines[r]["round"], r + 1);
    EXPECT_EQ(lines[r]["participants"], 3) << "round " << r + 1 << "\n" << resumed->log();
  }
  // A participant whose round was redone after the restart counts it once.
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NE(participants[i]->log().find("job done (5 updates accepted"), std::string::npos) << participants[i]->log();
  }
  EXPECT_NE(resumed->log().find("resume: continuing after round"), std::string::npos);
}

// ---- a participant pointed at the wrong place ------------------------------------------------

// What a participant prints and returns when the aggregator's address is wrong: at once when
// retrying cannot help, "retrying" lines while it might.
std::unique_ptr<Process> participant_at(const JobFolder& setup, const std::string& address) {
  return start_flywheel({"participant", "--config", setup.job_file.string(), "--keystore", setup.keystore(0).string(),
                         "--password-file", setup.password.string(), "--aggregator", address},
                        setup.root / "participant0.log");
}

TEST(ParticipantAddress, ANameThatDoesNotResolveFailsAtOnceNamingIt) {
  JobFolder setup(base_job(1, 1), 1);
  auto p = participant_at(setup, "no-such-aggregator.invalid:50051");
  const int code = p->wait(30s);
  if (code != 1 && p->log().find("DNS resolution failed") != std::string::npos &&
      p->log().find("Domain name not found") == std::string::npos) {
    // No resolver answered (a machine without DNS): that is an outage, rightly retried.
    GTEST_SKIP() << "no DNS resolver answers on this machine, so a missing name cannot be told apart:\n" << p->log();
  }
  ASSERT_EQ(code, 1) << p->log();
  EXPECT_NE(p->log().find("no-such-aggregator.invalid:50051 does not resolve"), std::string::npos) << p->log();
}

TEST(ParticipantAddress, AnHttpServerIsNotAnAggregatorAndFailsAtOnce) {
  // A server that answers every connection as an HTTP/1.1 server would: 404.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 8), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  std::atomic<bool> serving = true;
  std::thread server([&] {
    while (serving) {
      pollfd ready{.fd = listener, .events = POLLIN, .revents = 0};
      if (::poll(&ready, 1, 100) <= 0) continue;
      const int connection = ::accept(listener, nullptr, nullptr);
      if (connection < 0) continue;
      char request[4096];
      (void)::recv(connection, request, sizeof request, 0);
      const std::string reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)::send(connection, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(connection);
    }
  });
  JobFolder setup(base_job(1, 1), 1);
  auto p = participant_at(setup, "127.0.0.1:" + std::to_string(ntohs(address.sin_port)));
  const int code = p->wait(30s);
  serving = false;
  server.join();
  ::close(listener);
  ASSERT_EQ(code, 1) << p->log();
  EXPECT_NE(p->log().find("is not a Flywheel aggregator"), std::string::npos) << p->log();
}

TEST(ParticipantAddress, AnAggregatorNotYetListeningIsRetriedAndSaidSo) {
  JobFolder setup(base_job(1, 1), 1);
  const int port = testing::stable_free_port(3);
  ASSERT_NE(port, 0);
  auto p = participant_at(setup, "127.0.0.1:" + std::to_string(port));
  EXPECT_TRUE(wait_until([&] { return p->log().find("retrying for up to") != std::string::npos; }, 60s)) << p->log();
  EXPECT_NE(p->log().find("cannot reach the aggregator"), std::string::npos) << p->log();
  EXPECT_EQ(p->wait(1s), -1) << "a participant gave up on an aggregator that may still start\n" << p->log();
}

// ---- on a chain: real anvil, read back with cast ------------------------------------------------

const std::string kCast = std::string(FLYWHEEL_SOURCE_DIR) + "/node_modules/@foundry-rs/cast-linux-amd64/bin/cast";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class DeploymentOnChain : public ::testing::Test {
 protected:
  void SetUp() override {
    auto anvil = chain::AnvilProcess::start();
    ASSERT_TRUE(anvil) << anvil.error().to_string();
    anvil_.emplace(std::move(*anvil));
  }
  // Reads the ledger named in the run's deployment.json.
  std::string cast_call(const std::filesystem::path& run, const std::string& signature, const std::string& args) {
    const json deployment = json::parse(read_text(run / "deployment.json"));
    auto r = testing::run_command(kCast + " call --rpc-url " + anvil_->url() + " " +
                                  deployment["contracts"]["AttributionLedger"].get<std::string>() + " '" + signature +
                                  "' " + args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return trim(r.output);
  }
  // Every round on the chain must be the report's, and there must be exactly `rounds` of them.
  void expect_chain_matches_report(const std::filesystem::path& run, std::size_t rounds) {
    const json report = json::parse(read_text(run / "attribution.json"));
    const std::string job = report["job_id"].get<std::string>();
    ASSERT_EQ(report["rounds"].size(), rounds);
    EXPECT_EQ(cast_call(run, "roundCount(uint256)(uint256)", job), std::to_string(rounds));
    for (const auto& round : report["rounds"]) {
      const std::string r = std::to_string(round["round"].get<int>());
      EXPECT_EQ(cast_call(run, "roundRoot(uint256,uint256)(bytes32)", job + " " + r), round["root"].get<std::string>())
          << "round " << r;
      EXPECT_EQ(cast_call(run, "roundModelHash(uint256,uint256)(bytes32)", job + " " + r),
                round["model_hash"].get<std::string>())
          << "round " << r;
    }
    EXPECT_EQ(cast_call(run, "sharesRoot(uint256)(bytes32)", job), report["shares_root"].get<std::string>());
  }
  // The rounds of the RoundRecorded events the ledger emitted for `job`, in order.
  std::vector<std::uint64_t> recorded_rounds(const std::filesystem::path& run, const std::string& job) {
    const json deployment = json::parse(read_text(run / "deployment.json"));
    std::ostringstream job_topic;
    job_topic << "0x" << std::setw(64) << std::setfill('0') << std::hex << std::stoull(job);
    auto r =
        testing::run_command(kCast + " logs --json --rpc-url " + anvil_->url() + " --from-block 0 --address " +
                             deployment["contracts"]["AttributionLedger"].get<std::string>() +
                             " 'RoundRecorded(uint256 indexed,uint256 indexed,bytes32,bytes32)' " + job_topic.str());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::vector<std::uint64_t> out;
    for (const auto& log : json::parse(r.output)) {
      out.push_back(std::stoull(log["topics"][2].get<std::string>(), nullptr, 16));
    }
    return out;
  }

  std::optional<chain::AnvilProcess> anvil_;
};

TEST_F(DeploymentOnChain, AnAggregatorWithAnRpcRecordsEveryRoundAsItsReportSays) {
  JobFolder setup(base_job(3, 3), 3);
  auto aggregator = setup.aggregator({"--rpc", anvil_->url()});
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(setup.root / "run" / "endpoint"); }, 60s))
      << aggregator->log();
  std::vector<std::unique_ptr<Process>> participants;
  for (std::size_t i = 0; i < 3; ++i) participants.push_back(setup.participant(i));
  ASSERT_EQ(aggregator->wait(240s), 0) << aggregator->log();
  for (auto& p : participants) EXPECT_EQ(p->wait(30s), 0) << p->log();
  expect_chain_matches_report(setup.root / "run", 3);
  const json report = json::parse(read_text(setup.root / "run" / "attribution.json"));
  EXPECT_EQ(recorded_rounds(setup.root / "run", report["job_id"].get<std::string>()),
            (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(DeploymentOnChain, AnAggregatorKilledMidJobResumesAndPutsEveryRoundOnChainExactlyOnce) {
  json job = base_job(3, 5);
  // A fixed port (another than the plain resume test's), so participants find the restarted aggregator.
  const int port = testing::stable_free_port(2);
  ASSERT_NE(port, 0);
  job["deployment"]["listen"] = "127.0.0.1:" + std::to_string(port);
  JobFolder setup(job, 3);
  auto aggregator = setup.aggregator({"--rpc", anvil_->url()});
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(setup.root / "run" / "endpoint"); }, 60s))
      << aggregator->log();
  std::vector<std::unique_ptr<Process>> participants;
  for (std::size_t i = 0; i < 3; ++i) participants.push_back(setup.participant(i));
  ASSERT_TRUE(wait_until([&] { return metrics_lines(setup.root / "run").size() >= 2; }, 120s)) << aggregator->log();
  aggregator->kill_now();
  std::this_thread::sleep_for(500ms);
  // No --rpc: the resumed aggregator re-attaches to the ledger and job of the run's deployment.json.
  auto resumed = setup.aggregator({"--resume"});
  ASSERT_EQ(resumed->wait(240s), 0) << resumed->log();
  for (auto& p : participants) EXPECT_EQ(p->wait(30s), 0) << p->log();
  EXPECT_NE(resumed->log().find("resuming job"), std::string::npos) << resumed->log();
  expect_chain_matches_report(setup.root / "run", 5);
  const json report = json::parse(read_text(setup.root / "run" / "attribution.json"));
  EXPECT_EQ(recorded_rounds(setup.root / "run", report["job_id"].get<std::string>()),
            (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
}

// ---- recomputing a deployment's attribution from the aggregator's artifacts ---------------------

// One deployment run (an aggregator and three participant processes), shared by the suite.
class DeploymentReplay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setup_ = new JobFolder(base_job(3, 2), 3);
    auto aggregator = setup_->aggregator();
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(setup_->root / "run" / "endpoint"); }, 60s))
        << aggregator->log();
    std::vector<std::unique_ptr<Process>> participants;
    for (std::size_t i = 0; i < 3; ++i) participants.push_back(setup_->participant(i));
    ASSERT_EQ(aggregator->wait(240s), 0) << aggregator->log();
    for (auto& p : participants) ASSERT_EQ(p->wait(30s), 0) << p->log();
  }
  static void TearDownTestSuite() {
    delete setup_;
    setup_ = nullptr;
  }
  static std::filesystem::path run() { return setup_->root / "run"; }
  // A copy of the run folder that a test may damage.
  static std::filesystem::path copy_of_run(const std::string& name) {
    const auto copy = setup_->root / name;
    std::filesystem::copy(run(), copy, std::filesystem::copy_options::recursive);
    return copy;
  }
  static testing::CommandResult attribute(const std::filesystem::path& dir) {
    return testing::run_command(std::string(FLYWHEEL_BINARY) + " attribute --threads 2 --method exact --run " +
                                dir.string() + " 2>&1");
  }

  static JobFolder* setup_;
};

JobFolder* DeploymentReplay::setup_ = nullptr;

TEST_F(DeploymentReplay, LeavesCommitToTheReceiptsTheParticipantsSigned) {
  const json report = json::parse(read_text(run() / "attribution.json"));
  const json round1 = json::parse(read_text(run() / "rounds" / "000001.json"));
  const json manifest = json::parse(read_text(run() / "artifacts" / "round-000001" / "manifest.json"));
  ASSERT_EQ(manifest["receipts"].size(), 3U);
  for (std::size_t k = 0; k < 3; ++k) {
    const std::string address = round1["receipts"][k]["participant"].get<std::string>();
    EXPECT_EQ(report["rounds"][0]["receipts"][address], round1["receipts"][k]["receipt_digest"]);
    EXPECT_EQ(manifest["receipts"][k]["digest"], round1["receipts"][k]["receipt_digest"]);
    EXPECT_EQ(manifest["receipts"][k]["ack_signature"], round1["receipts"][k]["ack_signature"]);
  }
  std::vector<Hash32> leaves;
  // One leaf per participant in job order (docs/onchain.md).
  const json& round = report["rounds"][0];
  for (const auto& participant : report["participants"]) {
    const std::string address = participant["address"].get<std::string>();
    leaves.push_back(attribution::round_leaf_hash(
        {.participant = parse_address(address).value(),
         .receipt = Hash32::from_hex(round["receipts"][address].get<std::string>()).value(),
         .value = round["values"][address].get<double>(),
         .samples = round["samples"][address].get<std::uint64_t>()}));
  }
  EXPECT_EQ(attribution::MerkleTree(leaves).root().hex(), report["rounds"][0]["root"].get<std::string>());
}

TEST_F(DeploymentReplay, AnUntouchedRunRecomputesTheRecordedValuesBitForBit) {
  const auto copy = copy_of_run("untouched");
  const auto r = attribute(copy);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json recorded = json::parse(read_text(copy / "attribution.json"));
  const json recomputed = json::parse(read_text(copy / "attribution-exact.json"));
  ASSERT_EQ(recomputed["rounds"].size(), 2U);
  for (std::size_t t = 0; t < 2; ++t) {
    ASSERT_EQ(recomputed["rounds"][t]["values"].size(), 3U);
    for (const auto& [address, value] : recomputed["rounds"][t]["values"].items()) {
      EXPECT_EQ(value.get<double>(), recorded["rounds"][t]["values"][address].get<double>())
          << "round " << t + 1 << " " << address;
    }
  }
}

TEST_F(DeploymentReplay, ATamperedUpdateFileIsRefusedAsNotMatchingItsReceipt) {
  const auto copy = copy_of_run("tampered-update");
  const json manifest = json::parse(read_text(copy / "artifacts" / "round-000001" / "manifest.json"));
  const auto update = copy / "artifacts" / "round-000001" / manifest["updates"][1]["file"].get<std::string>();
  {
    std::fstream file(update, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(64);
    const float changed = 0.75F;
    file.write(reinterpret_cast<const char*>(&changed), sizeof changed);
  }
  const auto r = attribute(copy);
  EXPECT_NE(r.exit_code, 0) << r.output;
  const std::string expected =
      "round 1: receipt of " + manifest["addresses"][1].get<std::string>() + " does not match its update";
  EXPECT_NE(r.output.find(expected), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(copy / "attribution-exact.json"));
}

TEST_F(DeploymentReplay, ATamperedReceiptIsRefusedAsNotMatchingItsUpdate) {
  const auto copy = copy_of_run("tampered-receipt");
  const auto file = copy / "artifacts" / "round-000002" / "manifest.json";
  json manifest = json::parse(read_text(file));
  // Claim more compute than was signed for.
  auto& receipt = manifest["receipts"][0]["receipt"];
  receipt["computeUnits"] = receipt["computeUnits"].get<std::uint64_t>() * 10;
  std::ofstream(file) << manifest.dump(2);
  const auto r = attribute(copy);
  EXPECT_NE(r.exit_code, 0) << r.output;
  const std::string expected =
      "round 2: receipt of " + manifest["addresses"][0].get<std::string>() + " does not match its update";
  EXPECT_NE(r.output.find(expected), std::string::npos) << r.output;
}

}  // namespace
}  // namespace flywheel::fedtrain
