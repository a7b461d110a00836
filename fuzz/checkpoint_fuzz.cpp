// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Checkpoint loading (fedtrain/round/checkpoint.hpp, what `flywheel simulate --resume` and a
// resumed deployment read) on arbitrary bytes. An input is a checkpoint file without its last 32
// bytes: the target appends their Keccak-256 as save_checkpoint does, so that the fuzzer gets past
// the digest into the header and parameter blocks instead of only ever failing the digest check.
// The job is a fixed tiny one (kConfig: MLP 784-1-10, 3 participants, 3 rounds); the corpus holds
// checkpoints save_checkpoint wrote for it. Properties of a checkpoint that loads:
//   - its sizes fit the configuration (parameters, one total and sample count per participant,
//     one record per round, no round past job.rounds);
//   - writing it back with save_checkpoint and loading that gives the same checkpoint.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "common/keccak.hpp"
#include "fedtrain/config.hpp"
#include "fedtrain/round/checkpoint.hpp"
#include "fuzz/internal/check.hpp"
#include "fuzz/internal/scratch.hpp"

namespace {

using namespace flywheel;
using namespace flywheel::fedtrain;

//! The job every fuzzed checkpoint is loaded for (fuzz/internal/make_corpus.cpp writes its seeds).
constexpr std::string_view kConfig =
    R"({"job": {"name": "fuzz", "rounds": 3}, "model": {"name": "mlp", "hidden": [1]},
        "participants": {"count": 3}, "strategy": {"name": "fedavg"}})";

const SimulationConfig& config() {
  static const SimulationConfig c = parse_simulation_config(kConfig).value();
  return c;
}

bool same_floats(const std::vector<float>& x, const std::vector<float>& y) {
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0);
}

bool same(const Checkpoint& x, const Checkpoint& y) {
  if (x.round != y.round || !same_floats(x.model, y.model) || !same_floats(x.server_state, y.server_state) ||
      x.total_values != y.total_values || x.samples != y.samples || x.round_details != y.round_details ||
      x.metrics_jsonl_bytes != y.metrics_jsonl_bytes || x.metrics_csv_bytes != y.metrics_csv_bytes ||
      x.rounds.size() != y.rounds.size()) {
    return false;
  }
  for (std::size_t i = 0; i < x.rounds.size(); ++i) {
    if (record_to_json(x.rounds[i]) != record_to_json(y.rounds[i])) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path dir = fuzz::scratch_folder() / "loaded";
  std::filesystem::create_directories(dir / "checkpoint");
  {
    std::ofstream out(checkpoint_file(dir), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    const Hash32 digest = keccak256(ByteView(data, size));
    out.write(reinterpret_cast<const char*>(digest.bytes.data()), digest.size());
    FLYWHEEL_FUZZ_CHECK(out.good(), "the checkpoint file is written");
  }
  auto loaded = load_checkpoint(dir, config());
  if (!loaded || !*loaded) return 0;
  const Checkpoint& c = **loaded;
  const std::size_t n = config().participants.count();
  FLYWHEEL_FUZZ_CHECK(c.model.size() == parameter_count(config().model), "the model fits the configuration");
  FLYWHEEL_FUZZ_CHECK(c.total_values.size() == n && c.samples.size() == n, "one total and count per participant");
  FLYWHEEL_FUZZ_CHECK(c.rounds.size() == c.round && c.round <= config().job.rounds, "one record per round");

  const std::filesystem::path again_dir = fuzz::scratch_folder() / "saved";
  FLYWHEEL_FUZZ_CHECK(save_checkpoint(again_dir, config(), c).has_value(), "a loaded checkpoint saves");
  auto again = load_checkpoint(again_dir, config());
  FLYWHEEL_FUZZ_CHECK(again && *again && same(**again, c), "load(save(load(x))) == load(x)");
  return 0;
}
