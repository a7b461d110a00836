// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// A data-parallel participant in a real deployment: the same job runs twice on loopback, once with
// participant 0 as a two-rank MPI job (`mpirun -np 2 flywheel participant --data-parallel mpi`) and
// once as one process. The ranks sum their gradients before every step, so both runs must reach the
// same models within float rounding: the same per-round test accuracy and training loss.
#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/keystore.hpp"
#include "tests/internal/child_process.hpp"
#include "tests/internal/run_command.hpp"
#include "tests/internal/test_files.hpp"

namespace flywheel {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

PrivateKey participant_key(std::size_t i) { return testing::family_key(0x5d, i); }

using testing::read_text;

std::vector<json> metrics(const std::filesystem::path& run) { return testing::json_lines(run / "metrics.jsonl"); }

// What a run left: its metrics per round and participant 0's output.
struct Outcome {
  std::vector<json> rounds;
  std::string participant0_log;
};

// One deployment of a two-participant job on loopback; participant 0 runs as a two-rank MPI job
// when `data_parallel`, else as one process.
Outcome run_job(const std::filesystem::path& root, bool data_parallel) {
  std::filesystem::create_directories(root);
  const auto job_file = root / "job.json";
  json job = json::parse(R"({
    "job": {"name": "data-parallel-deploy", "seed": 11, "rounds": 2},
    "data": {"partition": "iid", "validation_size": 200, "train_limit": 1400},
    "model": {"name": "mlp", "hidden": [32]},
    "training": {"local_epochs": 2, "batch_size": 32, "learning_rate": 0.05, "momentum": 0.5},
    "attribution": {"method": "exact"},
    "deployment": {"listen": "127.0.0.1:0", "min_updates": 2, "start_timeout_s": 120, "round_timeout_s": 240}
  })");
  for (std::size_t i = 0; i < 2; ++i) {
    job["deployment"]["allowlist"].push_back(participant_key(i).address().hex());
    EXPECT_TRUE(save_keystore(root / ("key" + std::to_string(i) + ".json"), participant_key(i), "pw",
                              {.kdf = KeystoreKdf::pbkdf2, .c = 2}));
  }
  std::ofstream(job_file) << job.dump(2);
  std::ofstream(root / "password") << "pw\n";

  testing::ChildProcess aggregator(FLYWHEEL_BINARY,
                                   {"aggregator", "--config", job_file.string(), "--out", (root / "run").string()},
                                   root / "aggregator.log");
  const auto until = std::chrono::steady_clock::now() + 60s;
  while (!std::filesystem::exists(root / "run" / "endpoint") && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(100ms);
  }
  std::string endpoint = read_text(root / "run" / "endpoint");
  while (!endpoint.empty() && endpoint.back() == '\n') endpoint.pop_back();
  EXPECT_FALSE(endpoint.empty()) << aggregator.log();

  auto participant_args = [&](std::size_t i) {
    return std::vector<std::string>{"participant",
                                    "--config",
                                    job_file.string(),
                                    "--keystore",
                                    (root / ("key" + std::to_string(i) + ".json")).string(),
                                    "--password-file",
                                    (root / "password").string(),
                                    "--aggregator",
                                    endpoint};
  };
  std::unique_ptr<testing::ChildProcess> first;
  if (data_parallel) {
    // As root OpenMPI needs explicit consent; --oversubscribe lets 2 ranks share a busy machine;
    // shared-memory copies rather than CMA (process_vm_readv), which containers often forbid.
    std::vector<std::string> args{"--allow-run-as-root",
                                  "--oversubscribe",
                                  "--bind-to",
                                  "none",
                                  "--mca",
                                  "btl_vader_single_copy_mechanism",
                                  "none",
                                  "-np",
                                  "2",
                                  FLYWHEEL_BINARY};
    auto rest = participant_args(0);
    args.insert(args.end(), rest.begin(), rest.end());
    args.insert(args.end(), {"--data-parallel", "mpi"});
    first = std::make_unique<testing::ChildProcess>(FLYWHEEL_MPIEXEC, args, root / "participant0.log");
  } else {
    first = std::make_unique<testing::ChildProcess>(FLYWHEEL_BINARY, participant_args(0), root / "participant0.log");
  }
  testing::ChildProcess second(FLYWHEEL_BINARY, participant_args(1), root / "participant1.log");
  EXPECT_EQ(aggregator.wait(300s), 0) << aggregator.log();
  // The participants end once the aggregator has told them the job is done: wait for that, with a
  // bound that only catches one that never ends. How long ending takes is not this test's
  // business: under the sanitizers (docs/sanitizers.md) each MPI rank finalises OpenMPI and then
  // LeakSanitizer checks its heap; the two-rank participant ended 85 s after the aggregator there
  // (0.4 s for the one-process participant), past the 60 s this test used to allow.
  EXPECT_EQ(first->wait(300s), 0) << first->log();
  EXPECT_EQ(second.wait(300s), 0) << second.log();
  return {metrics(root / "run"), first->log()};
}

TEST(DataParallelParticipant, ATwoRankMpiParticipantTrainsTheSameModelsAsOneProcess) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist")) {
    GTEST_SKIP() << "Fashion-MNIST is not installed (Debian dataset-fashion-mnist)";
  }
  testing::TempDir dir;
  const Outcome parallel = run_job(std::filesystem::path(dir.path()) / "mpi", true);
  const Outcome single = run_job(std::filesystem::path(dir.path()) / "single", false);
  EXPECT_NE(parallel.participant0_log.find("training data-parallel on 2 ranks (mpi all-reduce)"), std::string::npos)
      << parallel.participant0_log;
  ASSERT_EQ(parallel.rounds.size(), 2U);
  ASSERT_EQ(single.rounds.size(), 2U);
  for (std::size_t r = 0; r < 2; ++r) {
    // Float rounding of a two-part gradient sum moves a test prediction or two at most.
    EXPECT_NEAR(parallel.rounds[r]["test_accuracy"].get<double>(), single.rounds[r]["test_accuracy"].get<double>(),
                2e-3)
        << "round " << r + 1;
    EXPECT_NEAR(parallel.rounds[r]["test_loss"].get<double>(), single.rounds[r]["test_loss"].get<double>(), 1e-3)
        << "round " << r + 1;
  }
}

}  // namespace
}  // namespace flywheel
