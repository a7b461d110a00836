// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Small helpers the end-to-end tests share: deterministic test keys, reading what a run wrote,
//! and polling for a condition. Header-only; tests only.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/keys.hpp"

namespace flywheel::testing {

//! Participant i's key in a test file's own key family `family` (secret = family, 0, ..., i + 1):
//! distinct per test file, identical across runs.
inline PrivateKey family_key(std::uint8_t family, std::size_t i) {
  Bytes secret(32, 0);
  secret[0] = family;
  secret[31] = static_cast<std::uint8_t>(i + 1);
  return PrivateKey::from_bytes(secret).value();
}

//! The whole file as text; empty when it cannot be read.
inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

//! Every non-empty line of a JSON-lines file (metrics.jsonl, acks.jsonl), parsed.
inline std::vector<nlohmann::json> json_lines(const std::filesystem::path& file) {
  std::vector<nlohmann::json> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

//! Polls `done` every 50 ms until it holds or `timeout` passes; its last value.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

}  // namespace flywheel::testing
