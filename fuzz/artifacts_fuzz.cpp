// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Round artifacts (fedtrain/valuation/attribution_replay.hpp: what a job keeps per round and
// `flywheel attribute` reads back) on an arbitrary manifest. The round folder holds the real
// files of a fixed round (fuzz/internal/fixtures.hpp: start model, two participants' updates,
// written by write_round_artifacts once per process); each input replaces its manifest.json and
// internal::load_round reads the round, as recompute_attribution does before it estimates anything.
// Properties: the manifest is what an attacker controls, the signed receipts are not forgeable, so
// whatever a manifest says, a round that loads is the round the participants signed:
//   - the participants are the recorded ones, in order;
//   - the start model and every update are bit for bit the files the receipts commit to;
//   - the samples are those of the signed receipts, and each receipt digest is the signed one;
//   - it read only files of its round folder: every file the manifest names is a plain name
//     (a path could name "/dev/zero", whose read never ends).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/eip712.hpp"
#include "fedtrain/valuation/attribution_replay.hpp"
#include "fedtrain/valuation/internal/round_inputs.hpp"
#include "fuzz/internal/check.hpp"
#include "fuzz/internal/fixtures.hpp"
#include "fuzz/internal/scratch.hpp"

namespace {

using namespace flywheel;

// Every "file" the manifest names, wherever it is.
void check_file_names(const nlohmann::json& node) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "file" && value.is_string()) {
        const auto name = value.get<std::string>();
        FLYWHEEL_FUZZ_CHECK(name.find('/') == std::string::npos && name != "." && name != "..",
                            "a round that loads names only files of its folder");
      }
      check_file_names(value);
    }
  } else if (node.is_array()) {
    for (const auto& value : node) check_file_names(value);
  }
}

bool same_floats(const std::vector<float>& x, const std::vector<float>& y) {
  return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0);
}

// The run folder with the fixture's round written once.
const std::filesystem::path& run_dir() {
  static const std::filesystem::path dir = [] {
    const auto d = fuzz::scratch_folder() / "run";
    FLYWHEEL_FUZZ_CHECK(fedtrain::write_round_artifacts(d, fuzz::round_fixture().artifacts()).has_value(),
                        "the fixture's round is written");
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::RoundFixture& round = fuzz::round_fixture();
  const auto manifest = run_dir() / "artifacts" / "round-000001" / "manifest.json";
  {
    std::ofstream out(manifest, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    FLYWHEEL_FUZZ_CHECK(out.good(), "the manifest is written");
  }
  auto inputs = fedtrain::internal::load_round(run_dir(), fuzz::RoundFixture::kRound, round.recorded(),
                                               fedtrain::hash_floats(round.start), round.start.size());
  if (!inputs) return 0;
  FLYWHEEL_FUZZ_CHECK(inputs->addresses == round.addresses(), "the round's participants are the recorded ones");
  FLYWHEEL_FUZZ_CHECK(same_floats(inputs->start, round.start), "the start model is the one the receipts name");
  FLYWHEEL_FUZZ_CHECK(inputs->updates.size() == round.updates.size(), "one update per participant");
  FLYWHEEL_FUZZ_CHECK(inputs->samples == round.samples, "samples are the signed ones");
  for (std::size_t k = 0; k < round.updates.size(); ++k) {
    FLYWHEEL_FUZZ_CHECK(same_floats(inputs->updates[k], round.updates[k]), "each update is the signed one");
    FLYWHEEL_FUZZ_CHECK(inputs->receipt_digests[k] == eip712::digest(round.domain, round.receipt(k)),
                        "each receipt digest is the signed receipt's");
  }
  check_file_names(nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size)));
  return 0;
}
