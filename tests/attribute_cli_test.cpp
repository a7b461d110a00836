// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// `flywheel attribute` end to end on real (small) simulation runs: recomputing with exact Shapley
// reproduces the run's attribution.json, --export-utilities writes one valid JSON line per
// evaluated coalition, and a bad method or exact over too many participants fail cleanly
// (docs/attribution.md, "Recomputing").

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/internal/run_command.hpp"

namespace flywheel {
namespace {

using Json = nlohmann::json;
using testing::CommandResult;
using testing::run_command;
using testing::TempDir;

const std::string kFlywheel = FLYWHEEL_BINARY;

// A 2-round job of `participants` participants on 2 000 samples with `method`: a few seconds.
CommandResult simulate(const TempDir& dir, std::size_t participants, const std::string& method) {
  const std::string config = dir.path() + "/config.json";
  std::ofstream(config) << R"({"job": {"name": "attribute-cli", "seed": 5, "rounds": 2},
    "data": {"partition": "iid", "train_limit": 2000, "validation_size": 200},
    "model": {"hidden": [16]}, "participants": {"count": )"
                        << participants << R"(, "profiles": {"1": "label-flipper"}},
    "attribution": {"method": ")"
                        << method << R"(", "max_evaluations": 200}})";
  return run_command(kFlywheel + " simulate --threads 1 --config " + config + " --out " + dir.path() + "/run");
}

Json read_json(const std::string& path) {
  std::ifstream in(path);
  return Json::parse(in);
}

void expect_clean_failure(const CommandResult& r, const std::string& must_mention) {
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("flywheel: error: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(must_mention), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
}

// One exact run shared by the tests that only read it.
class ExactRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    const auto r = simulate(*dir_, 4, "exact");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string run() { return dir_->path() + "/run"; }
  static TempDir* dir_;
};
TempDir* ExactRun::dir_ = nullptr;

TEST_F(ExactRun, RecomputingWithExactReproducesTheRecordedValues) {
  const auto r = run_command(kFlywheel + " attribute --threads 1 --run " + run() + " --method exact");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("attribution-exact.json"), std::string::npos) << r.output;
  const Json recorded = read_json(run() + "/attribution.json");
  const Json recomputed = read_json(run() + "/attribution-exact.json");
  ASSERT_EQ(recomputed["rounds"].size(), recorded["rounds"].size());
  ASSERT_EQ(recorded["rounds"].size(), 2U);
  std::size_t compared = 0;
  for (std::size_t t = 0; t < recorded["rounds"].size(); ++t) {
    const Json& want = recorded["rounds"][t]["values"];
    const Json& got = recomputed["rounds"][t]["values"];
    ASSERT_EQ(got.size(), want.size()) << "round " << t + 1;
    for (const auto& [address, value] : want.items()) {
      ASSERT_TRUE(got.contains(address)) << address;
      EXPECT_EQ(got[address].get<double>(), value.get<double>()) << "round " << t + 1 << " " << address;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 8U);
}

TEST_F(ExactRun, ExportedUtilitiesAreOneJsonLinePerCoalition) {
  const std::string file = dir_->path() + "/utilities.jsonl";
  const auto r =
      run_command(kFlywheel + " attribute --threads 1 --run " + run() + " --method exact --export-utilities " + file);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Json recorded = read_json(run() + "/attribution.json");
  std::ifstream in(file);
  std::set<std::pair<std::uint64_t, std::set<std::string>>> seen;
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) {
    ++lines;
    const Json j = Json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "line " << lines << ": " << line;
    ASSERT_TRUE(j.contains("round") && j.contains("members") && j.contains("utility")) << line;
    const auto round = j["round"].get<std::uint64_t>();
    ASSERT_GE(round, 1U);
    ASSERT_LE(round, 2U);
    const double u = j["utility"].get<double>();
    EXPECT_GE(u, 0.0) << line;
    EXPECT_LE(u, 1.0) << line;  // accuracy
    std::set<std::string> members;
    const Json& participants = recorded["rounds"][round - 1]["participants"];
    for (const auto& m : j["members"]) {
      const auto address = m.get<std::string>();
      EXPECT_NE(std::find(participants.begin(), participants.end(), address), participants.end()) << address;
      members.insert(address);
    }
    EXPECT_TRUE(seen.insert({round, members}).second) << "duplicate coalition: " << line;
  }
  EXPECT_EQ(lines, 2U * 16U);  // exact: every coalition of 4 participants, 2 rounds
}

TEST_F(ExactRun, AnUnknownMethodIsRefusedListingTheValidOnes) {
  const auto r = run_command(kFlywheel + " attribute --run " + run() + " --method nosuch");
  expect_clean_failure(r, "nosuch");
  EXPECT_NE(r.output.find("exact, tmc, gtg, loo, banzhaf, stratified"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(run() + "/attribution-nosuch.json"));
}

TEST(AttributeCli, ExactForMoreParticipantsThanItsLimitIsRefusedSuggestingASamplingMethod) {
  TempDir dir;
  const auto sim = simulate(dir, 17, "gtg");
  ASSERT_EQ(sim.exit_code, 0) << sim.output;
  const auto r = run_command(kFlywheel + " attribute --threads 1 --run " + dir.path() + "/run --method exact");
  expect_clean_failure(r, "17");
  EXPECT_NE(r.output.find("gtg"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/run/attribution-exact.json"));
}

}  // namespace
}  // namespace flywheel
