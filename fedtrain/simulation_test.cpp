// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/simulation.hpp"

#include <fstream>
#include <numeric>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/keys.hpp"
#include "fedtrain/internal/test_paths.hpp"

namespace flywheel::fedtrain {
namespace {

using Json = nlohmann::json;

// Keeps every event a job reports.
class RecordingSink final : public RoundSink {
 public:
  Result<void> on_job_start(const std::vector<ParticipantInfo>& participants) override {
    events.emplace_back("start");
    this->participants = participants;
    return {};
  }
  Result<void> on_round(const RoundRecord& record) override {
    events.emplace_back("round");
    rounds.push_back(record);
    if (fail_on_round == record.round) return fail(Errc::rpc, "chain unreachable");
    return {};
  }
  Result<void> on_job_end(const JobSummary& summary) override {
    events.emplace_back("end");
    this->summary = summary;
    return {};
  }

  std::vector<std::string> events;
  std::vector<ParticipantInfo> participants;
  std::vector<RoundRecord> rounds;
  JobSummary summary;
  std::uint64_t fail_on_round = 0;
};

// 3 participants on 2500 samples, 2 rounds: about a second.
SimulationConfig small_config() {
  auto config = parse_simulation_config(R"({
    "job": {"name": "small", "seed": 11, "rounds": 2},
    "data": {"partition": "iid", "validation_size": 500, "train_limit": 3000},
    "model": {"hidden": [64]},
    "training": {"learning_rate": 0.05},
    "participants": {"count": 3, "profiles": {"2": "shuffled-labels"}},
    "shares": {"total": "1000000"}
  })");
  EXPECT_TRUE(config) << config.error().to_string();
  return *config;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<Json> read_jsonl(const std::filesystem::path& path) {
  std::vector<Json> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(Json::parse(line));
  return lines;
}

class SmallSimulation : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(internal::fresh_temp_dir("fedtrain-simulation"));
    sink_ = new RecordingSink;
    std::ostringstream progress;
    auto summary = run_simulation(small_config(), *dir_ / "run1", *sink_,
                                  SimulationOptions{.progress = &progress});
    ASSERT_TRUE(summary) << summary.error().to_string();
    summary_ = new JobSummary(*summary);
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete summary_;
    delete sink_;
    delete dir_;
  }

  // Each is allocated once for the suite (gtest's shared-fixture idiom).
  static std::filesystem::path* dir_;
  static RecordingSink* sink_;
  static JobSummary* summary_;
};

std::filesystem::path* SmallSimulation::dir_ = nullptr;
RecordingSink* SmallSimulation::sink_ = nullptr;
JobSummary* SmallSimulation::summary_ = nullptr;

TEST_F(SmallSimulation, SinkSeesStartEachRoundAndEndInOrder) {
  EXPECT_EQ(sink_->events, (std::vector<std::string>{"start", "round", "round", "end"}));
  ASSERT_EQ(sink_->participants.size(), 3U);
  EXPECT_EQ(sink_->participants[2].profile, "shuffled-labels");
  EXPECT_EQ(sink_->summary.shares_root, summary_->shares_root);
}

TEST_F(SmallSimulation, ParticipantsAreTheConfiguredKeysAndHoldTheNonValidationSamples) {
  const auto config = small_config();
  std::uint64_t held = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(summary_->participants[i].address, config.participants.keys[i].address());
    held += summary_->participants[i].samples;
  }
  EXPECT_EQ(held, 2500U);
}

TEST_F(SmallSimulation, MetricsHaveOneLinePerRoundAndBeatChance) {
  const auto lines = read_jsonl(*dir_ / "run1" / "metrics.jsonl");
  ASSERT_EQ(lines.size(), 2U);
  for (std::size_t r = 0; r < 2; ++r) {
    EXPECT_EQ(lines[r]["round"], r + 1);
    EXPECT_EQ(lines[r]["participants"], 3);
    EXPECT_GT(lines[r]["test_accuracy"].get<double>(), 0.5);
    EXPECT_GT(lines[r]["seconds"].get<double>(), 0.0);
    EXPECT_GE(lines[r]["attribution_seconds"].get<double>(), 0.0);
    EXPECT_EQ(lines[r]["test_accuracy"].get<double>(), sink_->rounds[r].test_accuracy);
  }
}

TEST_F(SmallSimulation, RoundShapleyValuesSumToTheGrandCoalitionGain) {
  const auto lines = read_jsonl(*dir_ / "run1" / "metrics.jsonl");
  ASSERT_EQ(lines.size(), sink_->rounds.size());
  for (std::size_t r = 0; r < lines.size(); ++r) {
    double sum = 0;
    for (const auto& leaf : sink_->rounds[r].leaves) sum += leaf.value;
    const double gain = lines[r]["utility_full"].get<double>() - lines[r]["utility_empty"].get<double>();
    EXPECT_NEAR(sum, gain, 1e-9) << "round " << r + 1;
    EXPECT_EQ(lines[r]["utility_full"].get<double>(), lines[r]["validation_accuracy"].get<double>());
  }
  // U(∅) of round 2 is the model round 1 produced.
  EXPECT_EQ(lines[1]["utility_empty"].get<double>(), lines[0]["utility_full"].get<double>());
}

TEST_F(SmallSimulation, AttributionRootIsTheMerkleRootOfTheRecordedLeaves) {
  for (const auto& record : sink_->rounds) {
    std::vector<Hash32> leaves;
    for (const auto& leaf : record.leaves) leaves.push_back(attribution::round_leaf_hash(leaf));
    EXPECT_EQ(record.attribution_root, attribution::MerkleTree(leaves).root());
    EXPECT_FALSE(record.model_hash.is_zero());
  }
  EXPECT_NE(sink_->rounds[0].model_hash, sink_->rounds[1].model_hash);
}

TEST_F(SmallSimulation, SharesSumToTheTotalAndProofsVerify) {
  EXPECT_EQ(summary_->total_shares, 1000000U);
  EXPECT_EQ(std::accumulate(summary_->shares.begin(), summary_->shares.end(), std::uint64_t{0}),
            1000000U);
  for (std::size_t i = 0; i < summary_->participants.size(); ++i) {
    const auto leaf = attribution::share_leaf_hash(summary_->participants[i].address, summary_->shares[i]);
    EXPECT_TRUE(attribution::MerkleTree::verify(summary_->share_proofs[i], summary_->shares_root, leaf));
  }
}

TEST_F(SmallSimulation, ShuffledLabelParticipantIsValuedBelowEveryHonestOne) {
  ASSERT_EQ(summary_->total_values.size(), 3U);
  EXPECT_LT(summary_->total_values[2], summary_->total_values[0]);
  EXPECT_LT(summary_->total_values[2], summary_->total_values[1]);
  EXPECT_LT(summary_->shares[2], summary_->shares[0]);
}

TEST_F(SmallSimulation, AttributionJsonMatchesTheSummary) {
  const auto doc = Json::parse(read_text(*dir_ / "run1" / "attribution.json"));
  EXPECT_EQ(doc["job"], "small");
  EXPECT_EQ(doc["seed"], 11);
  EXPECT_EQ(doc["method"], "exact");
  EXPECT_EQ(doc["utility"], "accuracy");
  EXPECT_EQ(doc["total_shares"], "1000000");
  EXPECT_EQ(doc["shares_root"], summary_->shares_root.hex());
  ASSERT_EQ(doc["participants"].size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& p = doc["participants"][i];
    EXPECT_EQ(p["address"], to_checksum(summary_->participants[i].address));
    EXPECT_EQ(p["shares"], std::to_string(summary_->shares[i]));
    EXPECT_EQ(p["total_value"].get<double>(), summary_->total_values[i]);
    EXPECT_EQ(p["share_proof"].size(), summary_->share_proofs[i].size());
  }
  ASSERT_EQ(doc["rounds"].size(), 2U);
  for (std::size_t r = 0; r < 2; ++r) {
    const auto& record = sink_->rounds[r];
    EXPECT_EQ(doc["rounds"][r]["root"], record.attribution_root.hex());
    EXPECT_EQ(doc["rounds"][r]["model_hash"], record.model_hash.hex());
    for (const auto& leaf : record.leaves) {
      EXPECT_EQ(doc["rounds"][r]["values"][to_checksum(leaf.participant)].get<double>(), leaf.value);
    }
  }
  EXPECT_FALSE(std::filesystem::exists(*dir_ / "run1" / "attribution.json.tmp"));
}

TEST_F(SmallSimulation, SecondRunWithOtherThreadCountWritesIdenticalAttribution) {
  NullSink sink;
  auto again = run_simulation(small_config(), *dir_ / "run2", sink, SimulationOptions{.threads = 1, .quiet = true});
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(read_text(*dir_ / "run1" / "attribution.json"), read_text(*dir_ / "run2" / "attribution.json"));
  EXPECT_EQ(again->shares, summary_->shares);
}

TEST(Simulation, SinkErrorStopsTheJobAndIsReturned) {
  const auto dir = internal::fresh_temp_dir("fedtrain-simulation-sink");
  auto config = small_config();
  config.job.rounds = 3;
  RecordingSink sink;
  sink.fail_on_round = 1;
  auto summary = run_simulation(config, dir, sink, SimulationOptions{.quiet = true});
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().code, Errc::rpc);
  EXPECT_NE(summary.error().message.find("round 1"), std::string::npos);
  EXPECT_EQ(sink.events, (std::vector<std::string>{"start", "round"}));
  std::filesystem::remove_all(dir);
}

TEST(Simulation, ValidationSetAsLargeAsTheDataIsAConfigError) {
  const auto dir = internal::fresh_temp_dir("fedtrain-simulation-validation");
  auto config = small_config();
  config.data.validation_size = 3000;
  NullSink sink;
  auto summary = run_simulation(config, dir, sink, SimulationOptions{.quiet = true});
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().code, Errc::config);
  EXPECT_NE(summary.error().message.find("data.validation_size"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Simulation, MissingDatasetIsADataError) {
  const auto dir = internal::fresh_temp_dir("fedtrain-simulation-nodata");
  auto config = small_config();
  config.data.root = dir / "no-such-dataset";
  NullSink sink;
  auto summary = run_simulation(config, dir / "out", sink, SimulationOptions{.quiet = true});
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().code, Errc::data);
  std::filesystem::remove_all(dir);
}

TEST(Simulation, OutputDirectoryThatCannotBeCreatedIsAnIoError) {
  const auto dir = internal::fresh_temp_dir("fedtrain-simulation-out");
  std::ofstream(dir / "file") << "a file, not a directory";
  NullSink sink;
  auto summary = run_simulation(small_config(), dir / "file" / "out", sink, SimulationOptions{.quiet = true});
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().code, Errc::io);
  EXPECT_NE(summary.error().message.find("file/out"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// The default quickstart job (6 participants, full data, 5 rounds), printing its progress; run on
// demand, it takes tens of seconds:
//   flywheel_fedtrain_test --gtest_also_run_disabled_tests --gtest_filter='*QuickstartJob*'
TEST(Simulation, DISABLED_QuickstartJobRunsToTheEnd) {
  const auto dir = internal::fresh_temp_dir("fedtrain-quickstart");
  auto config = parse_simulation_config("{}");
  ASSERT_TRUE(config);
  NullSink sink;
  auto summary = run_simulation(*config, dir, sink);
  ASSERT_TRUE(summary) << summary.error().to_string();
  std::cerr << read_text(dir / "metrics.jsonl");
  EXPECT_EQ(read_jsonl(dir / "metrics.jsonl").size(), 5U);
}

}  // namespace
}  // namespace flywheel::fedtrain
