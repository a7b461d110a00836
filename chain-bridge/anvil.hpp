// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A local anvil node (Foundry's development chain) as an RAII child process, for tests and
//! `flywheel demo` (which starts one through jobs/ledger_session.hpp when given no chain URL).
//!
//!   auto anvil = AnvilProcess::start();                   // Errc::not_found: run `npm ci`
//!   RpcClient rpc(anvil->url());                          // chain id 31337
//!   Signer signer(*PrivateKey::from_hex(kAnvilDevKeys[0]), rpc);  // a funded dev account
//!   // the destructor stops the node and removes its log folder

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace flywheel::chain {

//! The private keys of anvil's ten default accounts (mnemonic "test test test test test test
//! test test test test test junk", m/44'/60'/0'/0/i). Public knowledge: never use them on a real
//! network. Account 0 is 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266.
inline constexpr std::array<std::string_view, 10> kAnvilDevKeys = {
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
};

//! How to start anvil.
struct AnvilOptions {
  std::uint64_t chain_id = 31337;
  std::optional<std::string> binary;    //!< default: $FLYWHEEL_ANVIL, else the npm-installed one
  std::vector<std::string> extra_args;  //!< e.g. {"--block-time", "1"}
  //! Listen on this port instead of a free one (to restart a node at the same URL).
  std::optional<std::uint16_t> port;
  std::chrono::milliseconds startup_timeout{20000};
};

//! A running anvil on 127.0.0.1 at a free port (or options.port). Move-only; the destructor stops
//! it (SIGTERM, then SIGKILL after 5 s) and reaps it. Output goes to a log file in a private temp
//! directory, which is removed with the process.
class AnvilProcess {
 public:
  //! Finds the binary, picks a free port (unless options.port), starts anvil and waits until
  //! eth_chainId answers.
  //! Errors: Errc::not_found when the binary is missing (run scripts/test or `npm ci`);
  //! Errc::io when it cannot be started or exits early (the message quotes its log);
  //! Errc::timeout when it does not answer within options.startup_timeout.
  static Result<AnvilProcess> start(const AnvilOptions& options = {});

  AnvilProcess(AnvilProcess&& other) noexcept;
  AnvilProcess& operator=(AnvilProcess&& other) noexcept;
  AnvilProcess(const AnvilProcess&) = delete;
  AnvilProcess& operator=(const AnvilProcess&) = delete;
  ~AnvilProcess();

  //! "http://127.0.0.1:<port>".
  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  //! The file anvil's stdout and stderr go to.
  [[nodiscard]] std::string log_path() const { return dir_ + "/anvil.log"; }

  //! Stops the process now (idempotent); the destructor calls it.
  void stop();

 private:
  AnvilProcess() = default;

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string url_;
  std::string dir_;
};

//! Where start() looks for anvil: $FLYWHEEL_ANVIL if set, else the npm-installed binary under the
//! source tree. Does not check that the file exists.
std::string default_anvil_path();

}  // namespace flywheel::chain
