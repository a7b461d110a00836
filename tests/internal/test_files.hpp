// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Small helpers the end-to-end tests share: deterministic test keys, reading what a run wrote,
//! and polling for a condition. Header-only; tests only.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

//! A loopback TCP port that is free now and lies below the kernel's ephemeral range, so that no
//! outgoing connection or bind(0) of another test takes it while a test restarts a server on it.
//! Starts at an offset derived from `salt` (two tests pass different salts); 0 when none is free.
inline std::uint16_t stable_free_port(unsigned salt) {
  int low = 20000;
  int ephemeral = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral;
  if (ephemeral <= low + 100) low = 1024;
  const int span = ephemeral - low;
  if (span <= 0) return 0;
  const int start =
      static_cast<int>((static_cast<unsigned>(::getpid()) * 31U + salt * 7919U) % static_cast<unsigned>(span));
  for (int k = 0; k < span; ++k) {
    const auto port = static_cast<std::uint16_t>(low + (start + k) % span);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (free) return port;
  }
  return 0;
}

}  // namespace flywheel::testing
