// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// What each bad input to `flywheel` gets: a message naming the problem and the fix, exit code 1,
// no stack dump, and no run folder left half-written.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "tests/internal/run_command.hpp"

namespace flywheel {
namespace {

using testing::run_command;
using testing::TempDir;

const std::string kFlywheel = FLYWHEEL_BINARY;

testing::CommandResult simulate(const TempDir& dir, const std::string& extra) {
  const std::string config = dir.path() + "/config.json";
  std::ofstream(config) << R"({"job": {"name": "t", "rounds": 1},
    "data": {"train_limit": 2000, "validation_size": 200},
    "model": {"hidden": [16]}, "participants": {"count": 3, "profiles": {}}})";
  return run_command(kFlywheel + " simulate --config " + config + " --out " + dir.path() + "/run " + extra);
}

void expect_clean_failure(const testing::CommandResult& r, const std::string& must_mention) {
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("flywheel: error: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(must_mention), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
}

TEST(CliErrors, MissingDatasetNamesThePathAndThePackage) {
  TempDir dir;
  auto r = simulate(dir, "--set data.root=/nonexistent/fashion-mnist");
  expect_clean_failure(r, "/nonexistent/fashion-mnist");
  EXPECT_NE(r.output.find("dataset-fashion-mnist"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/run/attribution.json"));
}

TEST(CliErrors, UnreachableRpcNamesTheUrl) {
  TempDir dir;
  // Port 9 (discard) on loopback: nothing listens there.
  auto r = simulate(dir, "--rpc http://127.0.0.1:9");
  expect_clean_failure(r, "http://127.0.0.1:9");
}

TEST(CliErrors, BadConfigValueNamesTheField) {
  TempDir dir;
  expect_clean_failure(simulate(dir, "--set data.alpha=0"), "data.alpha");
}

TEST(CliErrors, ADeploymentJobFileWithoutAnAllowlistIsRefusedBySimulateToo) {
  TempDir dir;
  expect_clean_failure(simulate(dir, "--set deployment.min_updates=2"), "deployment.allowlist must list");
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/run/metrics.jsonl"));
}

TEST(CliErrors, UnknownConfigKeyIsRefused) {
  TempDir dir;
  expect_clean_failure(simulate(dir, "--set training.learnig_rate=0.1"), "learnig_rate");
}

TEST(CliErrors, TooFewParticipantsIsRefused) {
  TempDir dir;
  expect_clean_failure(simulate(dir, "--set participants.count=0"), "participants.count");
}

TEST(CliErrors, MalformedOverrideIsRefused) {
  TempDir dir;
  expect_clean_failure(simulate(dir, "--set rounds"), "key.path=value");
}

TEST(CliErrors, RunFolderWithFilesIsNotOverwritten) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/run");
  std::ofstream(dir.path() + "/run/keep.txt") << "precious";
  expect_clean_failure(simulate(dir, ""), "already holds files");
  std::ifstream in(dir.path() + "/run/keep.txt");
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");
}

TEST(CliErrors, MissingConfigFileIsNamed) {
  auto r = run_command(kFlywheel + " simulate --config /nonexistent/job.json");
  expect_clean_failure(r, "/nonexistent/job.json");
}

TEST(CliErrors, SetOverridesTheJobFileOfTheAggregatorAndTheParticipantToo) {
  TempDir dir;
  const std::string job = dir.path() + "/job.json";
  std::ofstream(job) << R"({"job": {"name": "t", "rounds": 1},
    "data": {"train_limit": 2000, "validation_size": 200}, "model": {"hidden": [16]},
    "deployment": {"allowlist": ["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"]}})";
  // Each override makes the job invalid, so the error proves the override was applied.
  expect_clean_failure(run_command(kFlywheel + " aggregator --config " + job + " --out " + dir.path() +
                                   "/run --set deployment.min_updates=2"),
                       "min_updates");
  expect_clean_failure(run_command(kFlywheel + " participant --config " + job +
                                   " --keystore /nonexistent.json --set deployment.chunk_bytes=1"),
                       "chunk_bytes");
}

TEST(Cli, LogLevelErrorKeepsTheTerminalQuietWhileTheLogFileGetsEveryLine) {
  TempDir dir;
  const std::string log = dir.path() + "/flywheel.log";
  auto r = simulate(dir, "--log-level error --log-file " + log);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "");
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("round 1/1"), std::string::npos) << text;
  EXPECT_NE(text.find("Z run folder: "), std::string::npos) << "lines are stamped with the UTC time\n" << text;
}

TEST(Cli, ErrorsReachTheTerminalAndTheLogFileAtEveryLevel) {
  TempDir dir;
  const std::string log = dir.path() + "/flywheel.log";
  auto r = simulate(dir, "--log-level error --log-file " + log + " --set data.alpha=0");
  expect_clean_failure(r, "data.alpha");
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("flywheel: error: data.alpha"), std::string::npos) << text;
}

TEST(Cli, SimulateWithoutChainWritesMetricsAndAttribution) {
  TempDir dir;
  auto r = simulate(dir, "");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/run/metrics.jsonl"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/run/attribution.json"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/run/deployment.json"));
}

}  // namespace
}  // namespace flywheel
