// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/valuation/attribution_replay.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/eip712.hpp"
#include "common/keys.hpp"
#include "fedtrain/internal/test_paths.hpp"
#include "fedtrain/round/round_sink.hpp"
#include "fedtrain/simulation/simulation.hpp"

namespace flywheel::fedtrain {
namespace {

using Json = nlohmann::json;

constexpr const char* kTinyJob = R"({
  "job": {"name": "replay", "seed": 5, "rounds": 2},
  "data": {"partition": "iid", "validation_size": 300, "train_limit": 3000},
  "model": {"hidden": [16]},
  "participants": {"count": 3, "profiles": {"2": "shuffled-labels"}},
  "shares": {"total": "1000000"}
})";

Json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return Json::parse(in);
}

// One tiny job, run once for the suite (gtest's shared-fixture idiom).
class AttributionReplay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(internal::fresh_temp_dir("fedtrain-replay"));
    auto config = parse_simulation_config(kTinyJob);
    ASSERT_TRUE(config) << config.error().to_string();
    config_ = new SimulationConfig(*config);
    NullSink sink;
    auto summary = run_simulation(*config_, *dir_ / "run", sink,
                                  SimulationOptions{.threads = 2, .progress = nullptr, .quiet = true, .resume = false});
    ASSERT_TRUE(summary) << summary.error().to_string();
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete config_;
    delete dir_;
  }
  // A copy of the run folder that a test may damage.
  static std::filesystem::path copy_of_run(const std::string& name) {
    const auto copy = *dir_ / name;
    std::filesystem::copy(*dir_ / "run", copy, std::filesystem::copy_options::recursive);
    return copy;
  }

  static std::filesystem::path* dir_;
  static SimulationConfig* config_;
};

std::filesystem::path* AttributionReplay::dir_ = nullptr;
SimulationConfig* AttributionReplay::config_ = nullptr;

TEST_F(AttributionReplay, ExactRecomputationReproducesTheRecordedValuesBitForBit) {
  auto report =
      recompute_attribution(*config_, *dir_ / "run", attribution::Method::exact,
                            ReplayOptions{.threads = 2, .export_utilities = {}, .progress = nullptr, .output = {}});
  ASSERT_TRUE(report) << report.error().to_string();
  ASSERT_EQ(report->rounds.size(), 2U);
  const Json recorded = read_json(*dir_ / "run" / "attribution.json");
  for (std::size_t t = 0; t < 2; ++t) {
    const auto& round = report->rounds[t];
    ASSERT_EQ(round.participants.size(), 3U);
    for (std::size_t k = 0; k < 3; ++k) {
      const double value = recorded["rounds"][t]["values"][to_checksum(round.participants[k])].get<double>();
      EXPECT_EQ(round.estimate.values[k], value) << "round " << t + 1 << " participant " << k;
    }
    EXPECT_EQ(round.estimate.seed, recorded["rounds"][t]["seed"].get<std::uint64_t>());
  }
  const Json written = read_json(*dir_ / "run" / "attribution-exact.json");
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(written["participants"][i]["total_value"].get<double>(),
              recorded["participants"][i]["total_value"].get<double>());
  }
}

TEST_F(AttributionReplay, TheRunRecordsEstimatorDetailsAndWritesAManifestPerRound) {
  const Json recorded = read_json(*dir_ / "run" / "attribution.json");
  const Json& round = recorded["rounds"][0];
  EXPECT_EQ(round["method"], "exact");
  EXPECT_EQ(round["evaluations"], 8);
  EXPECT_EQ(round["std_errors"].size(), 3U);
  EXPECT_EQ(round["truncated"], false);
  const Json manifest = read_json(*dir_ / "run" / "artifacts" / "round-000002" / "manifest.json");
  EXPECT_EQ(manifest["round"], 2);
  EXPECT_EQ(manifest["addresses"], round["participants"]);
  EXPECT_EQ(manifest["start_model"]["hash"], recorded["rounds"][0]["model_hash"]);
  EXPECT_EQ(std::filesystem::file_size(*dir_ / "run" / "artifacts" / "round-000001" / "start-model.bin"),
            parameter_count(config_->model) * sizeof(float));
}

TEST_F(AttributionReplay, ATamperedUpdateIsRefusedNamingTheFile) {
  const auto run = copy_of_run("tampered");
  std::filesystem::remove(run / "attribution-exact.json");  // another test may have written it
  const Json manifest = read_json(run / "artifacts" / "round-000001" / "manifest.json");
  const auto update = run / "artifacts" / "round-000001" / manifest["updates"][1]["file"].get<std::string>();
  {
    std::fstream file(update, std::ios::binary | std::ios::in | std::ios::out);
    file.seekp(40);
    const float changed = 0.5F;
    file.write(reinterpret_cast<const char*>(&changed), sizeof changed);
  }
  auto report = recompute_attribution(*config_, run, attribution::Method::exact);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, Errc::data);
  EXPECT_NE(report.error().message.find(update.filename().string()), std::string::npos) << report.error().message;
  EXPECT_EQ(report.error().message.rfind(
                "round 1: receipt of " + manifest["addresses"][1].get<std::string>() + " does not match its update", 0),
            0U)
      << report.error().message;
  EXPECT_FALSE(std::filesystem::exists(run / "attribution-exact.json"));
}

TEST_F(AttributionReplay, EachUpdateKeepsAReceiptSignedByItsParticipantThatTheLeafCommitsTo) {
  const Json recorded = read_json(*dir_ / "run" / "attribution.json");
  const Json manifest = read_json(*dir_ / "run" / "artifacts" / "round-000001" / "manifest.json");
  ASSERT_EQ(manifest["receipts"].size(), 3U);
  const eip712::Domain domain{
      .name = "Flywheel", .version = "1", .chain_id = 31337, .verifying_contract = std::nullopt};
  for (std::size_t k = 0; k < 3; ++k) {
    const Json& kept = manifest["receipts"][k];
    const std::string address = manifest["addresses"][k].get<std::string>();
    const eip712::UpdateReceipt receipt{
        .job_id = "replay",
        .round = 1,
        .participant = Address::from_hex(address).value(),
        .start_model_hash = Hash32::from_hex(manifest["start_model"]["hash"].get<std::string>()).value(),
        .update_hash = Hash32::from_hex(manifest["updates"][k]["hash"].get<std::string>()).value(),
        .samples = manifest["samples"][k].get<std::uint64_t>(),
        .compute_units = manifest["samples"][k].get<std::uint64_t>(),  // one local epoch
        .compute_millis = 0};
    const Hash32 digest = eip712::digest(domain, receipt);
    EXPECT_EQ(kept["digest"].get<std::string>(), digest.hex());
    EXPECT_EQ(eip712::recover_signer(digest, from_hex(kept["signature"].get<std::string>()).value()).value(),
              receipt.participant);
    EXPECT_EQ(recorded["rounds"][0]["receipts"][address].get<std::string>(), digest.hex());
  }
}

TEST_F(AttributionReplay, ATamperedReceiptIsRefusedAsNotMatchingItsUpdate) {
  const auto run = copy_of_run("tampered-receipt");
  const auto file = run / "artifacts" / "round-000002" / "manifest.json";
  Json manifest = read_json(file);
  manifest["receipts"][2]["receipt"]["samples"] =
      manifest["receipts"][2]["receipt"]["samples"].get<std::uint64_t>() + 1;
  manifest["samples"][2] = manifest["receipts"][2]["receipt"]["samples"];
  std::ofstream(file) << manifest.dump(2);
  auto report = recompute_attribution(*config_, run, attribution::Method::loo);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, Errc::data);
  EXPECT_EQ(report.error().message.rfind(
                "round 2: receipt of " + manifest["addresses"][2].get<std::string>() + " does not match its update", 0),
            0U)
      << report.error().message;
}

TEST_F(AttributionReplay, AnAlteredRecordedValueNoLongerGivesTheRecordedRoot) {
  const auto run = copy_of_run("altered-value");
  Json recorded = read_json(run / "attribution.json");
  auto& values = recorded["rounds"][0]["values"];
  const std::string first = values.begin().key();
  values[first] = values[first].get<double>() + 0.01;
  std::ofstream(run / "attribution.json") << recorded.dump(2);
  auto report = recompute_attribution(*config_, run, attribution::Method::loo);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, Errc::data);
  EXPECT_NE(report.error().message.find("recorded root"), std::string::npos) << report.error().message;
}

TEST_F(AttributionReplay, MissingArtifactsAreAnIoErrorThatNamesKeepArtifacts) {
  const auto run = copy_of_run("missing");
  std::filesystem::remove_all(run / "artifacts" / "round-000002");
  auto report = recompute_attribution(*config_, run, attribution::Method::loo);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, Errc::io);
  EXPECT_NE(report.error().message.find("keep_artifacts"), std::string::npos) << report.error().message;
}

// A manifest names its files; a path there would make the replay read any file, and "/dev/zero"
// never ends. Here the file outside the round folder even holds the right bytes, so only the
// name rule refuses it.
TEST_F(AttributionReplay, AManifestNamingAFileOutsideItsRoundFolderIsMalformed) {
  const auto run = copy_of_run("escaping-path");
  const auto round = run / "artifacts" / "round-000001";
  Json manifest = read_json(round / "manifest.json");
  std::filesystem::copy_file(round / manifest["start_model"]["file"].get<std::string>(), run / "elsewhere.bin");
  manifest["start_model"]["file"] = "../../elsewhere.bin";
  std::ofstream(round / "manifest.json") << manifest.dump(2);
  auto report = recompute_attribution(*config_, run, attribution::Method::loo);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, Errc::data);
  EXPECT_NE(report.error().message.find("\"../../elsewhere.bin\" is not a file name"), std::string::npos)
      << report.error().message;
}

TEST_F(AttributionReplay, ExportWritesOneLinePerCoalitionEachRound) {
  const auto path = *dir_ / "utilities.jsonl";
  auto report =
      recompute_attribution(*config_, *dir_ / "run", attribution::Method::exact,
                            ReplayOptions{.threads = 2, .export_utilities = path, .progress = nullptr, .output = {}});
  ASSERT_TRUE(report) << report.error().to_string();
  std::ifstream in(path);
  std::size_t lines[3] = {0, 0, 0};
  for (std::string line; std::getline(in, line);) {
    const Json j = Json::parse(line);
    const auto round = j["round"].get<std::size_t>();
    ASSERT_TRUE(round == 1 || round == 2) << line;
    ++lines[round];
    EXPECT_LE(j["members"].size(), 3U);
    EXPECT_TRUE(j["utility"].is_number());
  }
  EXPECT_EQ(lines[1], 8U);
  EXPECT_EQ(lines[2], 8U);
}

TEST_F(AttributionReplay, LeaveOneOutNeedsNPlusTwoEvaluationsAndWritesItsOwnFile) {
  auto report = recompute_attribution(*config_, *dir_ / "run", attribution::Method::loo);
  ASSERT_TRUE(report) << report.error().to_string();
  EXPECT_EQ(report->rounds[0].estimate.evaluations, 5U);
  EXPECT_TRUE(std::filesystem::exists(*dir_ / "run" / "attribution-loo.json"));
}

TEST(AttributionReplayErrors, ExactWithMoreThanSixteenParticipantsInARoundIsRefused) {
  const auto dir = internal::fresh_temp_dir("fedtrain-replay-wide");
  Json doc;
  doc["rounds"] = Json::array();
  Json round;
  round["round"] = 1;
  round["model_hash"] = std::string(66, '0').replace(1, 1, "x");
  round["participants"] = Json::array();
  for (int i = 0; i < 17; ++i) round["participants"].push_back("0x" + std::string(40, 'a'));
  doc["rounds"].push_back(round);
  std::ofstream(dir / "attribution.json") << doc.dump();
  auto config = parse_simulation_config("{}");
  ASSERT_TRUE(config);
  auto report = recompute_attribution(*config, dir, attribution::Method::exact);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code, Errc::invalid_argument);
  EXPECT_NE(report.error().message.find("gtg"), std::string::npos) << report.error().message;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace flywheel::fedtrain
