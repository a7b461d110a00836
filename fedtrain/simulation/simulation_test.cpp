// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/simulation/simulation.hpp"

#include <fstream>
#include <numeric>
#include <set>
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
    auto summary = run_simulation(small_config(), *dir_ / "run1", *sink_, SimulationOptions{.progress = &progress});
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
  EXPECT_EQ(std::accumulate(summary_->shares.begin(), summary_->shares.end(), std::uint64_t{0}), 1000000U);
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

TEST_F(SmallSimulation, MetricsCsvHasTheHeaderAndOneRowPerRoundMatchingTheJsonl) {
  std::ifstream in(*dir_ / "run1" / "metrics.csv");
  std::vector<std::string> rows;
  for (std::string row; std::getline(in, row);) rows.push_back(row);
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[0].rfind("round,participants,test_accuracy,", 0), 0U);
  const auto lines = read_jsonl(*dir_ / "run1" / "metrics.jsonl");
  for (std::size_t r = 0; r < 2; ++r) {
    EXPECT_EQ(rows[r + 1].rfind(std::to_string(r + 1) + ",3," + lines[r]["test_accuracy"].dump() + ",", 0), 0U)
        << rows[r + 1];
  }
}

TEST_F(SmallSimulation, LeavesAreOnePerParticipantAndEveryoneTookPart) {
  for (const auto& record : sink_->rounds) {
    ASSERT_EQ(record.leaves.size(), 3U);
    EXPECT_EQ(record.selected, (std::vector<std::size_t>{0, 1, 2}));
    for (const auto& leaf : record.leaves) EXPECT_GT(leaf.samples, 0U);
  }
}

TEST_F(SmallSimulation, ACheckpointOfTheLastRoundIsLeftBehindAtomically) {
  EXPECT_TRUE(std::filesystem::exists(*dir_ / "run1" / "checkpoint" / "checkpoint.bin"));
  EXPECT_FALSE(std::filesystem::exists(*dir_ / "run1" / "checkpoint" / "checkpoint.bin.tmp"));
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

// ----- sampling, strategies, evaluation, checkpoints, determinism -----

// 5 participants, 2 sampled per round, a server optimiser: a few seconds at most.
SimulationConfig sampled_config(const std::string& strategy = "fedadam") {
  auto config = parse_simulation_config(R"({
    "job": {"name": "sampled", "seed": 5, "rounds": 3},
    "data": {"partition": "dirichlet", "alpha": 1.0, "validation_size": 300, "train_limit": 1500},
    "model": {"hidden": [16]},
    "training": {"learning_rate": 0.05},
    "strategy": {"name": ")" + strategy +
                                        R"(", "fraction_fit": 0.4, "min_fit_clients": 2,
                 "fraction_evaluate": 0.2, "min_evaluate_clients": 2},
    "participants": {"count": 5, "profiles": {}},
    "shares": {"total": "1000"}
  })");
  EXPECT_TRUE(config) << config.error().to_string();
  return *config;
}

// The metrics lines without the wall-clock fields.
std::vector<Json> deterministic_metrics(const std::filesystem::path& dir) {
  auto lines = read_jsonl(dir / "metrics.jsonl");
  for (auto& line : lines) {
    for (const char* key : {"seconds", "train_seconds", "attribution_seconds"}) {
      EXPECT_TRUE(line.contains(key));
      line.erase(key);
    }
  }
  return lines;
}

TEST(SampledSimulation, EachRoundTrainsTheSampledParticipantsOnlyAndAttributesThem) {
  const auto dir = internal::fresh_temp_dir("fedtrain-sampled");
  RecordingSink sink;
  auto summary = run_simulation(sampled_config(), dir, sink, SimulationOptions{.quiet = true});
  ASSERT_TRUE(summary) << summary.error().to_string();
  const auto lines = read_jsonl(dir / "metrics.jsonl");
  ASSERT_EQ(sink.rounds.size(), 3U);
  std::set<std::vector<std::size_t>> distinct;
  for (std::size_t r = 0; r < 3; ++r) {
    const auto& record = sink.rounds[r];
    ASSERT_EQ(record.selected.size(), 2U);
    distinct.insert(record.selected);
    ASSERT_EQ(record.leaves.size(), 5U);
    double sum = 0;
    for (std::size_t i = 0; i < 5; ++i) {
      const bool in = std::find(record.selected.begin(), record.selected.end(), i) != record.selected.end();
      if (!in) {
        EXPECT_EQ(record.leaves[i].value, 0.0);
        EXPECT_EQ(record.leaves[i].samples, 0U);
      } else {
        EXPECT_GT(record.leaves[i].samples, 0U);
      }
      sum += record.leaves[i].value;
    }
    EXPECT_EQ(lines[r]["participants"], 2);
    EXPECT_EQ(lines[r]["coalitions"], 4);
    EXPECT_NEAR(sum, lines[r]["utility_full"].get<double>() - lines[r]["utility_empty"].get<double>(), 1e-9);
  }
  EXPECT_GT(distinct.size(), 1U) << "the sample should change between rounds";
  std::filesystem::remove_all(dir);
}

TEST(SampledSimulation, ParticipantSideEvaluationIsReportedWhenAsked) {
  const auto dir = internal::fresh_temp_dir("fedtrain-participant-eval");
  NullSink sink;
  auto config = sampled_config("fedavg");
  config.job.rounds = 1;
  ASSERT_TRUE(run_simulation(config, dir, sink, SimulationOptions{.quiet = true}));
  const auto line = read_jsonl(dir / "metrics.jsonl").at(0);
  EXPECT_EQ(line["participant_evaluations"], 2);
  EXPECT_GT(line["participant_accuracy"].get<double>(), 0.1);
  EXPECT_GT(line["participant_loss"].get<double>(), 0.0);
  config.strategy.fraction_evaluate = 0;
  ASSERT_TRUE(run_simulation(config, dir, sink, SimulationOptions{.quiet = true}));
  EXPECT_TRUE(read_jsonl(dir / "metrics.jsonl").at(0)["participant_accuracy"].is_null());
  std::filesystem::remove_all(dir);
}

// U(N) must be the utility of the model the strategy really produced, for every kind of strategy:
// the coalition model is the job's strategy applied to the members' updates.
TEST(SampledSimulation, GrandCoalitionModelIsTheRoundsModelForEveryStrategyKind) {
  for (const char* strategy : {"fedavgm", "fedyogi", "fedmedian", "krum", "fedprox"}) {
    const auto dir = internal::fresh_temp_dir(std::string("fedtrain-strategy-") + strategy);
    NullSink sink;
    auto config = sampled_config(strategy);
    config.job.rounds = 2;
    config.strategy.fraction_evaluate = 0;
    auto summary = run_simulation(config, dir, sink, SimulationOptions{.quiet = true});
    ASSERT_TRUE(summary) << strategy << ": " << summary.error().to_string();
    const auto lines = read_jsonl(dir / "metrics.jsonl");
    ASSERT_EQ(lines.size(), 2U);
    for (const auto& line : lines) {
      EXPECT_EQ(line["utility_full"].get<double>(), line["validation_accuracy"].get<double>()) << strategy;
    }
    EXPECT_EQ(lines[1]["utility_empty"].get<double>(), lines[0]["utility_full"].get<double>()) << strategy;
    std::filesystem::remove_all(dir);
  }
}

TEST(SampledSimulation, SameSeedAndConfigGiveIdenticalMetricsAndModels) {
  const auto dir = internal::fresh_temp_dir("fedtrain-determinism");
  NullSink sink;
  ASSERT_TRUE(run_simulation(sampled_config(), dir / "a", sink, SimulationOptions{.threads = 2, .quiet = true}));
  ASSERT_TRUE(run_simulation(sampled_config(), dir / "b", sink, SimulationOptions{.threads = 1, .quiet = true}));
  const auto a = deterministic_metrics(dir / "a");
  ASSERT_EQ(a.size(), 3U);
  EXPECT_EQ(a, deterministic_metrics(dir / "b"));
  EXPECT_EQ(read_text(dir / "a" / "attribution.json"), read_text(dir / "b" / "attribution.json"));
  auto other = sampled_config();
  other.job.seed = 6;
  ASSERT_TRUE(run_simulation(other, dir / "c", sink, SimulationOptions{.quiet = true}));
  EXPECT_NE(a, deterministic_metrics(dir / "c"));
  std::filesystem::remove_all(dir);
}

TEST(SampledSimulation, InterruptedAndResumedRunEndsBitIdenticalToAnUninterruptedOne) {
  const auto dir = internal::fresh_temp_dir("fedtrain-resume");
  const auto config = sampled_config();
  RecordingSink straight;
  ASSERT_TRUE(run_simulation(config, dir / "straight", straight, SimulationOptions{.quiet = true}));

  // Interrupted: the sink fails on round 2. Round 2 was checkpointed before the sink saw it, so
  // the run continues after round 2 and hands the sink rounds 1 and 2 again before round 3.
  RecordingSink failing;
  failing.fail_on_round = 2;
  auto stopped = run_simulation(config, dir / "resumed", failing, SimulationOptions{.quiet = true});
  ASSERT_FALSE(stopped);
  EXPECT_FALSE(std::filesystem::exists(dir / "resumed" / "attribution.json"));

  RecordingSink rest;
  std::ostringstream progress;
  auto resumed =
      run_simulation(config, dir / "resumed", rest, SimulationOptions{.progress = &progress, .resume = true});
  ASSERT_TRUE(resumed) << resumed.error().to_string();
  EXPECT_NE(progress.str().find("continuing after round 2"), std::string::npos) << progress.str();
  EXPECT_EQ(rest.events, (std::vector<std::string>{"start", "round", "round", "round", "end"}));
  ASSERT_EQ(rest.rounds.size(), straight.rounds.size());
  for (std::size_t r = 0; r < rest.rounds.size(); ++r) {
    EXPECT_EQ(rest.rounds[r].round, r + 1);
    EXPECT_EQ(rest.rounds[r].model_hash, straight.rounds[r].model_hash) << "round " << r + 1;
    EXPECT_EQ(rest.rounds[r].attribution_root, straight.rounds[r].attribution_root) << "round " << r + 1;
  }
  EXPECT_EQ(read_text(dir / "resumed" / "attribution.json"), read_text(dir / "straight" / "attribution.json"));
  EXPECT_EQ(deterministic_metrics(dir / "resumed"), deterministic_metrics(dir / "straight"));
  EXPECT_EQ(resumed->shares, straight.summary.shares);
  std::ifstream csv(dir / "resumed" / "metrics.csv");
  std::size_t rows = 0;
  for (std::string row; std::getline(csv, row);) ++rows;
  EXPECT_EQ(rows, 4U);
  std::filesystem::remove_all(dir);
}

TEST(SampledSimulation, ResumingACheckpointOfAnotherConfigIsAConfigErrorThatChangesNothing) {
  const auto dir = internal::fresh_temp_dir("fedtrain-resume-other");
  auto config = sampled_config("fedavg");
  config.job.rounds = 1;
  NullSink sink;
  ASSERT_TRUE(run_simulation(config, dir, sink, SimulationOptions{.quiet = true}));
  const auto metrics_before = read_text(dir / "metrics.jsonl");
  config.job.rounds = 2;
  config.training.learning_rate = 0.1;
  auto resumed = run_simulation(config, dir, sink, SimulationOptions{.quiet = true, .resume = true});
  ASSERT_FALSE(resumed);
  EXPECT_EQ(resumed.error().code, Errc::config);
  EXPECT_NE(resumed.error().message.find("another configuration"), std::string::npos) << resumed.error().message;
  EXPECT_NE(resumed.error().message.find("config hash"), std::string::npos);
  EXPECT_EQ(read_text(dir / "metrics.jsonl"), metrics_before);
  std::filesystem::remove_all(dir);
}

TEST(SampledSimulation, ResumeWithoutACheckpointStartsAtRoundOne) {
  const auto dir = internal::fresh_temp_dir("fedtrain-resume-none");
  auto config = sampled_config("fedavg");
  config.job.rounds = 1;
  RecordingSink sink;
  ASSERT_TRUE(run_simulation(config, dir, sink, SimulationOptions{.quiet = true, .resume = true}));
  ASSERT_EQ(sink.rounds.size(), 1U);
  EXPECT_EQ(sink.rounds[0].round, 1U);
  std::filesystem::remove_all(dir);
}

TEST(SampledSimulation, ACorruptCheckpointIsADataError) {
  const auto dir = internal::fresh_temp_dir("fedtrain-resume-corrupt");
  auto config = sampled_config("fedavg");
  config.job.rounds = 1;
  NullSink sink;
  ASSERT_TRUE(run_simulation(config, dir, sink, SimulationOptions{.quiet = true}));
  std::filesystem::resize_file(dir / "checkpoint" / "checkpoint.bin", 100);
  config.job.rounds = 2;
  auto resumed = run_simulation(config, dir, sink, SimulationOptions{.quiet = true, .resume = true});
  ASSERT_FALSE(resumed);
  EXPECT_EQ(resumed.error().code, Errc::data);
  std::filesystem::remove_all(dir);
}

TEST(Simulation, MoreShardsThanSamplesIsAConfigErrorAndWritesNothing) {
  const auto dir = internal::fresh_temp_dir("fedtrain-simulation-shards");
  auto config = small_config();
  config.data.train_limit = 600;
  config.data.partition = PartitionKind::shards;
  config.data.shards_per_participant = 50;
  NullSink sink;
  auto summary = run_simulation(config, dir / "out", sink, SimulationOptions{.quiet = true});
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().code, Errc::config);
  EXPECT_NE(summary.error().message.find("participants.count"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "out"));
  std::filesystem::remove_all(dir);
}

TEST(Simulation, CnnJobLearns) {
  const auto dir = internal::fresh_temp_dir("fedtrain-simulation-cnn");
  auto config = parse_simulation_config(R"({
    "job": {"rounds": 1},
    "data": {"partition": "iid", "validation_size": 200, "train_limit": 2200},
    "model": {"name": "cnn", "hidden": [32, 16]},
    "training": {"local_epochs": 1, "batch_size": 10, "learning_rate": 0.1},
    "participants": {"count": 2, "profiles": {}}
  })");
  ASSERT_TRUE(config) << config.error().to_string();
  NullSink sink;
  auto summary = run_simulation(*config, dir, sink, SimulationOptions{.quiet = true});
  ASSERT_TRUE(summary) << summary.error().to_string();
  const auto line = read_jsonl(dir / "metrics.jsonl").at(0);
  EXPECT_GT(line["test_accuracy"].get<double>(), 0.4);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace flywheel::fedtrain
