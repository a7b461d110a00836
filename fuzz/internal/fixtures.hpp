// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The fixed jobs the file-reading fuzz targets decode for, shared with the corpus generator
//! (fuzz/internal/make_corpus.cpp) so that its seeds are files the real writers produced for the
//! very job the target loads them for.
//!
//!   auto config = fuzz::checkpoint_config();          // what checkpoint_fuzz loads against
//!   const fuzz::RoundFixture& round = fuzz::round_fixture();
//!   write_round_artifacts(run_dir, round.artifacts());  // what artifacts_fuzz reads back

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/eip712.hpp"
#include "common/keys.hpp"
#include "fedtrain/config.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/valuation/attribution_replay.hpp"

namespace flywheel::fuzz {

//! The job of checkpoint_fuzz: an MLP 784-1-10 (805 parameters, so seeds stay small), three
//! participants, three rounds.
inline const fedtrain::SimulationConfig& checkpoint_config() {
  static const fedtrain::SimulationConfig config =
      fedtrain::parse_simulation_config(
          R"({"job": {"name": "fuzz", "rounds": 3}, "model": {"name": "mlp", "hidden": [1]},
              "participants": {"count": 3}, "strategy": {"name": "fedavg"}})")
          .value();
  return config;
}

//! Round 1 of a two-participant job with four-parameter models, its receipts signed by two fixed
//! test keys: what artifacts_fuzz reads with internal::load_round.
struct RoundFixture {
  static constexpr std::uint64_t kRound = 1;
  eip712::Domain domain{.name = "Flywheel", .version = "1", .chain_id = 31337, .verifying_contract = std::nullopt};
  std::vector<float> start{0.5F, -1.0F, 2.0F, 0.25F};
  std::vector<std::vector<float>> updates{{0.125F, 0.0F, -0.5F, 1.0F}, {-0.25F, 0.75F, 0.0F, 3.0F}};
  std::vector<PrivateKey> keys{PrivateKey::from_hex(std::string(64, '1')).value(),
                               PrivateKey::from_hex(std::string(64, '2')).value()};
  std::vector<std::uint64_t> samples{10, 20};

  [[nodiscard]] std::vector<Address> addresses() const { return {keys[0].address(), keys[1].address()}; }

  //! The EIP-712 receipt participant k signs.
  [[nodiscard]] eip712::UpdateReceipt receipt(std::size_t k) const {
    return {.job_id = "fuzz",
            .round = kRound,
            .participant = keys[k].address(),
            .start_model_hash = fedtrain::hash_floats(start),
            .update_hash = fedtrain::hash_floats(updates[k]),
            .samples = samples[k],
            .compute_units = samples[k],
            .compute_millis = 0};
  }

  //! The round as write_round_artifacts takes it (borrows this fixture's vectors).
  [[nodiscard]] fedtrain::RoundArtifacts artifacts() const {
    fedtrain::RoundArtifacts out{.round = kRound,
                                 .strategy = "fedavg",
                                 .model = "mlp",
                                 .domain = domain,
                                 .start_model = start,
                                 .server_state = {},
                                 .participants = addresses(),
                                 .updates = {updates[0], updates[1]},
                                 .receipts = {}};
    for (std::size_t k = 0; k < keys.size(); ++k) {
      out.receipts.push_back({.receipt = receipt(k),
                              .signature = eip712::sign_digest(keys[k], eip712::digest(domain, receipt(k))),
                              .ack = std::nullopt,
                              .ack_signature = {}});
    }
    return out;
  }

  //! attribution.json's record of the round, as load_round checks it (its participants).
  [[nodiscard]] nlohmann::ordered_json recorded() const {
    nlohmann::ordered_json participants = nlohmann::ordered_json::array();
    for (const auto& a : addresses()) participants.push_back(to_checksum(a));
    return {{"round", kRound}, {"participants", participants}};
  }
};

//! The one RoundFixture.
inline const RoundFixture& round_fixture() {
  static const RoundFixture fixture;
  return fixture;
}

}  // namespace flywheel::fuzz
