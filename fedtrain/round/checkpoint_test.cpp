// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/round/checkpoint.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "common/file_io.hpp"
#include "fedtrain/internal/test_paths.hpp"
#include "fedtrain/round/run_folder.hpp"

namespace flywheel::fedtrain {
namespace {

SimulationConfig two_participants() {
  auto config = parse_simulation_config(R"({
    "job": {"name": "checkpoint-test", "seed": 3, "rounds": 4},
    "model": {"name": "mlp", "hidden": [4]},
    "participants": {"count": 2}
  })");
  EXPECT_TRUE(config) << config.error().to_string();
  return *config;
}

Checkpoint after_round_one(const SimulationConfig& config) {
  RoundRecord record;
  record.round = 1;
  record.model_hash.bytes[0] = 0xAB;
  record.attribution_root.bytes[31] = 0xCD;
  record.selected = {0, 1};
  record.test_accuracy = 0.5;
  record.test_loss = 1.25;
  for (std::size_t i = 0; i < 2; ++i) {
    record.leaves.push_back({.participant = config.participants.keys[i].address(),
                             .receipt = Hash32{},
                             .value = 0.125 * static_cast<double>(i + 1),
                             .samples = 10 + i});
  }
  return Checkpoint{.round = 1,
                    .model = std::vector<float>(parameter_count(config.model), 0.5F),
                    .server_state = {1.0F, 2.0F},
                    .total_values = {0.125, 0.25},
                    .samples = {10, 11},
                    .rounds = {record},
                    .round_details = {nlohmann::ordered_json{{"method", "exact"}}},
                    .metrics_jsonl_bytes = 7,
                    .metrics_csv_bytes = 9};
}

class CheckpointFile : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_ = internal::fresh_temp_dir("fedtrain-checkpoint");
};

TEST_F(CheckpointFile, ASavedCheckpointLoadsBackFieldForField) {
  const auto config = two_participants();
  const auto saved = after_round_one(config);
  ASSERT_TRUE(save_checkpoint(dir_, config, saved));
  auto loaded = load_checkpoint(dir_, config);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  ASSERT_TRUE(loaded->has_value());
  const Checkpoint& c = **loaded;
  EXPECT_EQ(c.round, 1U);
  EXPECT_EQ(c.model, saved.model);
  EXPECT_EQ(c.server_state, saved.server_state);
  EXPECT_EQ(c.total_values, saved.total_values);
  EXPECT_EQ(c.samples, saved.samples);
  ASSERT_EQ(c.rounds.size(), 1U);
  EXPECT_EQ(c.rounds[0].model_hash, saved.rounds[0].model_hash);
  EXPECT_EQ(c.rounds[0].attribution_root, saved.rounds[0].attribution_root);
  EXPECT_EQ(c.rounds[0].leaves, saved.rounds[0].leaves);
  EXPECT_EQ(c.rounds[0].selected, saved.rounds[0].selected);
  EXPECT_EQ(c.round_details, saved.round_details);
  EXPECT_EQ(c.metrics_jsonl_bytes, 7U);
  EXPECT_EQ(c.metrics_csv_bytes, 9U);
}

// FedAvg keeps no server state: its checkpoints hold an empty float block, whose zero-length copy
// once handed memcpy a null pointer (UBSan, scripts/sanitize address) when a job resumed.
TEST_F(CheckpointFile, AnEmptyServerStateLoadsBackEmpty) {
  const auto config = two_participants();
  auto saved = after_round_one(config);
  saved.server_state.clear();
  ASSERT_TRUE(save_checkpoint(dir_, config, saved));
  auto loaded = load_checkpoint(dir_, config);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_TRUE((*loaded)->server_state.empty());
  EXPECT_EQ((*loaded)->model, saved.model);
}

TEST_F(CheckpointFile, NoCheckpointIsNotAnError) {
  auto loaded = load_checkpoint(dir_, two_participants());
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_FALSE(loaded->has_value());
}

TEST_F(CheckpointFile, AFlippedByteIsADataErrorNamingTheDigest) {
  const auto config = two_participants();
  ASSERT_TRUE(save_checkpoint(dir_, config, after_round_one(config)));
  auto bytes = read_file(checkpoint_file(dir_)).value();
  bytes[bytes.size() / 2] ^= 0x01;
  ASSERT_TRUE(write_atomically(checkpoint_file(dir_), bytes));
  auto loaded = load_checkpoint(dir_, config);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::data);
  EXPECT_NE(loaded.error().message.find("digest mismatch"), std::string::npos) << loaded.error().message;
  EXPECT_NE(loaded.error().message.find("delete it to start over"), std::string::npos);
}

TEST_F(CheckpointFile, ATruncatedFileIsADataError) {
  const auto config = two_participants();
  ASSERT_TRUE(save_checkpoint(dir_, config, after_round_one(config)));
  std::filesystem::resize_file(checkpoint_file(dir_), 20);
  auto loaded = load_checkpoint(dir_, config);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::data);
}

TEST_F(CheckpointFile, AnotherConfigurationsCheckpointIsAConfigErrorNamingBothHashes) {
  auto config = two_participants();
  ASSERT_TRUE(save_checkpoint(dir_, config, after_round_one(config)));
  const std::string written = config_hash(config).hex();
  config.training.learning_rate = 0.5;
  auto loaded = load_checkpoint(dir_, config);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::config);
  EXPECT_NE(loaded.error().message.find(written), std::string::npos) << loaded.error().message;
  EXPECT_NE(loaded.error().message.find(config_hash(config).hex()), std::string::npos);
}

TEST_F(CheckpointFile, ACheckpointPastJobRoundsIsAConfigError) {
  auto config = two_participants();
  ASSERT_TRUE(save_checkpoint(dir_, config, after_round_one(config)));
  config.job.rounds = 0;  // rounds are not in the config hash
  auto loaded = load_checkpoint(dir_, config);
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::config);
  EXPECT_NE(loaded.error().message.find("raise job.rounds"), std::string::npos) << loaded.error().message;
}

TEST_F(CheckpointFile, TheOlderDeploymentFormatIsRefusedWithWhatToDo) {
  std::filesystem::create_directories(dir_ / "checkpoint");
  std::ofstream(dir_ / "checkpoint" / "state.json") << "{}";
  auto loaded = load_checkpoint(dir_, two_participants());
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::data);
  EXPECT_NE(loaded.error().message.find("fresh run folder"), std::string::npos) << loaded.error().message;
}

TEST(RunFolderFiles, ResumingCutsTheMetricsBackToTheCheckpointAndAppends) {
  const auto dir = internal::fresh_temp_dir("fedtrain-run-folder");
  {
    auto folder = RunFolder::open(dir, nullptr);
    ASSERT_TRUE(folder) << folder.error().to_string();
    ASSERT_TRUE((*folder)->append_metrics({{"round", 1}, {"test_accuracy", 0.5}}));
  }
  Checkpoint at_one;
  at_one.round = 1;
  at_one.metrics_jsonl_bytes = std::filesystem::file_size(dir / "metrics.jsonl");
  at_one.metrics_csv_bytes = std::filesystem::file_size(dir / "metrics.csv");
  {
    auto folder = RunFolder::open(dir, &at_one);
    ASSERT_TRUE(folder);
    ASSERT_TRUE((*folder)->append_metrics({{"round", 2}, {"test_accuracy", nullptr}}));
  }
  // A line of a round after the checkpoint (the run died before checkpointing it) is dropped.
  {
    auto folder = RunFolder::open(dir, &at_one);
    ASSERT_TRUE(folder);
    ASSERT_TRUE((*folder)->append_metrics({{"round", 2}, {"test_accuracy", 0.75}}));
    EXPECT_EQ((*folder)->metrics_jsonl_bytes(), std::filesystem::file_size(dir / "metrics.jsonl"));
  }
  EXPECT_EQ(read_file(dir / "metrics.jsonl").value(),
            "{\"round\":1,\"test_accuracy\":0.5}\n{\"round\":2,\"test_accuracy\":0.75}\n");
  const std::string csv = read_file(dir / "metrics.csv").value();
  EXPECT_EQ(csv.substr(0, csv.find('\n')), kMetricsCsvColumns);
  EXPECT_NE(csv.find("\n2,,0.75,"), std::string::npos) << csv;
  Checkpoint longer = at_one;
  longer.metrics_jsonl_bytes += 1000;
  auto refused = RunFolder::open(dir, &longer);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::data);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace flywheel::fedtrain
