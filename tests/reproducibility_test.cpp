// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// What docs/reproducibility.md promises, checked with the real binary on this machine's CPU by
// forcing the math libraries' CPU dispatch the way other CPUs would choose it:
// - no thread variable changes the demo's first round (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS,
//   MKL_NUM_THREADS unset or set);
// - no kernel variable changes a job (OPENBLAS_CORETYPE as OpenBLAS picks it on Intel AVX-512,
//   AMD Zen, AVX-only and SSE3-only CPUs; OPENBLAS_L2_SIZE; oneDNN's ISA cap and fp32 math mode;
//   ATen's CPU capability), for the MLP (OpenBLAS) and the CNN (oneDNN), under both kernel
//   families (fedtrain/model/math_kernels.hpp);
// - a machine of the other kernel family replays a run's merges bit for bit, its accuracy values
//   exactly and its negative-loss values within the documented 1e-6;
// - a kernel family that does not exist is refused.

#include <cmath>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

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

// Every variable the math libraries read, cleared so that each run states its own.
const std::string kClean =
    "env -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS -u MKL_NUM_THREADS -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
    "-u DNNL_MAX_CPU_ISA -u ONEDNN_MAX_CPU_ISA -u ONEDNN_DEFAULT_FPMATH_MODE -u ATEN_CPU_CAPABILITY "
    "-u FLYWHEEL_KERNELS ";

Json read_json(const std::string& path) {
  std::ifstream in(path);
  return Json::parse(in);
}

// What a run records of its rounds: every model hash and attribution root, in order.
std::vector<std::string> fingerprint(const std::string& run) {
  std::vector<std::string> out;
  const Json recorded = read_json(run + "/attribution.json");
  for (const auto& r : recorded.at("rounds")) {
    out.push_back(r.at("model_hash").get<std::string>() + " " + r.at("root").get<std::string>());
  }
  return out;
}

// One round of a small job (`model`: "mlp" or "cnn") with `env` set: its fingerprint.
std::vector<std::string> one_round(const TempDir& dir, const std::string& tag, const std::string& model,
                                   const std::string& env) {
  const std::string run = dir.path() + "/" + tag;
  const CommandResult r = run_command(
      kClean + env + " " + kFlywheel + " simulate --threads 2 --config " + FLYWHEEL_SOURCE_DIR +
      "/examples/fashion_mnist_quick/config.json --out " + run +
      " --set job.rounds=1 --set participants.count=4 --set data.train_limit=4000 --set data.validation_size=400"
      " --set model.name=" +
      model + " --set model.hidden=[32]");
  EXPECT_EQ(r.exit_code, 0) << tag << ": " << r.output;
  if (r.exit_code != 0) return {};
  return fingerprint(run);
}

// The variables other CPUs would set by themselves, as pairs (name of the case, assignments).
const std::vector<std::pair<std::string, std::string>> kOtherCpus = {
    {"openblas-skylakex", "OPENBLAS_CORETYPE=SkylakeX"},        // Intel AVX-512 (OpenBLAS's own pick there)
    {"openblas-cooperlake", "OPENBLAS_CORETYPE=Cooperlake"},    // Intel AVX-512 with BF16
    {"openblas-zen", "OPENBLAS_CORETYPE=Zen"},                  // AMD Zen
    {"openblas-sandybridge", "OPENBLAS_CORETYPE=Sandybridge"},  // AVX without FMA
    {"openblas-prescott", "OPENBLAS_CORETYPE=Prescott"},        // SSE3 only
    {"openblas-l2", "OPENBLAS_L2_SIZE=4096"},
    {"onednn-sse41", "DNNL_MAX_CPU_ISA=SSE41"},
    {"onednn-avx512", "ONEDNN_MAX_CPU_ISA=AVX512_CORE"},
    {"onednn-bf16", "ONEDNN_DEFAULT_FPMATH_MODE=BF16"},
    {"aten-default", "ATEN_CPU_CAPABILITY=default"},
    {"aten-avx512", "ATEN_CPU_CAPABILITY=avx512"},
    {"threads", "OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2"},
};

void expect_no_variable_changes_a_bit(const std::string& model, const std::string& family) {
  TempDir dir;
  const auto reference = one_round(dir, "reference", model, family);
  ASSERT_EQ(reference.size(), 1u);
  for (const auto& [tag, env] : kOtherCpus) {
    EXPECT_EQ(one_round(dir, tag, model, family + " " + env), reference) << model << " with " << env;
  }
}

TEST(ForcedCpuDispatch, ChangesNoBitOfAnMlpJob) { expect_no_variable_changes_a_bit("mlp", ""); }

TEST(ForcedCpuDispatch, ChangesNoBitOfACnnJob) { expect_no_variable_changes_a_bit("cnn", ""); }

TEST(ForcedCpuDispatch, ChangesNoBitOfAJobOnTheBaselineKernelsEither) {
  expect_no_variable_changes_a_bit("mlp", "FLYWHEEL_KERNELS=baseline");
  expect_no_variable_changes_a_bit("cnn", "FLYWHEEL_KERNELS=baseline");
}

TEST(ThreadVariables, LeaveTheDemosFirstRoundRootAndModelUnchanged) {
  TempDir dir;
  // Unset (the binary run directly), set as scripts once did, and oversubscribed.
  const std::vector<std::string> settings = {"", "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1",
                                             "OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=3 MKL_NUM_THREADS=4",
                                             "OPENBLAS_NUM_THREADS=8 OMP_NUM_THREADS=8 MKL_NUM_THREADS=8"};
  std::vector<std::string> reference;
  for (std::size_t k = 0; k < settings.size(); ++k) {
    const std::string run = dir.path() + "/demo" + std::to_string(k);
    const CommandResult r =
        run_command(kClean + settings[k] + " " + kFlywheel + " demo --out " + run + " --set job.rounds=1");
    ASSERT_EQ(r.exit_code, 0) << settings[k] << ": " << r.output;
    const auto rounds = fingerprint(run);
    ASSERT_EQ(rounds.size(), 1u);
    if (k == 0) {
      reference = rounds;
    } else {
      EXPECT_EQ(rounds, reference) << "with " << settings[k];
    }
  }
}

// A run on this machine's kernels, replayed by `flywheel attribute` on the baseline kernels (what a
// CPU without AVX2 runs): the replay itself checks every merge against the recorded model hash.
class OtherFamilyReplay : public ::testing::TestWithParam<std::string> {};

TEST_P(OtherFamilyReplay, GivesTheMergesBitForBitAndTheValuesWithinTheDocumentedTolerance) {
  TempDir dir;
  const std::string model = GetParam();
  for (const std::string utility : {"accuracy", "negative-loss"}) {
    const std::string run = dir.path() + "/" + utility;
    CommandResult r = run_command(
        kClean + kFlywheel + " simulate --threads 2 --config " + FLYWHEEL_SOURCE_DIR +
        "/examples/fashion_mnist_quick/config.json --out " + run +
        " --set job.rounds=3 --set participants.count=5 --set data.train_limit=6000 --set data.validation_size=600"
        " --set model.hidden=[32] --set model.name=" +
        model + " --set attribution.utility=" + utility);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    r = run_command(kClean + "FLYWHEEL_KERNELS=baseline " + kFlywheel + " attribute --threads 2 --run " + run);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const Json replay = read_json(run + "/attribution-exact.json");
    EXPECT_EQ(replay.at("kernels"), "baseline");
    const Json recorded = read_json(run + "/attribution.json");
    if (recorded.at("kernels") != "baseline") {
      EXPECT_NE(r.output.find("computed with the " + recorded.at("kernels").get<std::string>() + " kernels"),
                std::string::npos)
          << r.output;
    }
    ASSERT_EQ(replay.at("rounds").size(), 3u);
    for (const auto& round : replay.at("rounds")) {
      const auto& values = round.at("values");
      const auto& kept = round.at("recorded_values");
      ASSERT_EQ(values.size(), 5u);
      ASSERT_EQ(values.size(), kept.size());
      for (const auto& [address, value] : values.items()) {
        const double a = value.get<double>();
        const double b = kept.at(address).get<double>();
        if (utility == "accuracy") {
          EXPECT_EQ(a, b) << model << " round " << round.at("round") << " " << address;
        } else {
          EXPECT_LE(std::abs(a - b), 1e-6) << model << " round " << round.at("round") << " " << address;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, OtherFamilyReplay, ::testing::Values("mlp", "cnn"));

TEST(KernelFamily, ThatDoesNotExistIsRefusedNamingTheChoices) {
  const CommandResult r = run_command(kClean + "FLYWHEEL_KERNELS=avx512 " + kFlywheel + " keys --help");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("flywheel: error: FLYWHEEL_KERNELS is \"avx512\"; it takes auto, avx2 or baseline"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace flywheel
