// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The small deployment job the deployment tests run (tests/deployment_test.cpp,
//! tests/bad_update_test.cpp): participants with keys from one key family, an IID split of 1,200
//! Fashion-MNIST samples, a 16-unit MLP, and an aggregator on a free loopback port.

#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "common/keys.hpp"
#include "tests/internal/test_files.hpp"

namespace flywheel::testing {

//! The key of test participant `i`.
inline PrivateKey participant_key(std::size_t i) { return family_key(0x42, i); }

//! A deployment job "deploy-test" for `participants` (all of them needed per round) and `rounds`.
inline nlohmann::json base_job(std::size_t participants, std::uint64_t rounds) {
  nlohmann::json j = nlohmann::json::parse(R"({
    "job": {"name": "deploy-test", "seed": 7},
    "data": {"partition": "iid", "validation_size": 200, "train_limit": 1200},
    "model": {"name": "mlp", "hidden": [16]},
    "training": {"local_epochs": 1, "batch_size": 32, "learning_rate": 0.05},
    "deployment": {"listen": "127.0.0.1:0", "start_timeout_s": 60, "round_timeout_s": 60,
                   "liveness_s": 5}
  })");
  j["job"]["rounds"] = rounds;
  j["deployment"]["min_updates"] = participants;
  for (std::size_t i = 0; i < participants; ++i) {
    j["deployment"]["allowlist"].push_back(participant_key(i).address().hex());
  }
  return j;
}

}  // namespace flywheel::testing
