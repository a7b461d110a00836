// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// AnvilProcess against the real npm-installed anvil binary.
#include "chain-bridge/anvil.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "chain-bridge/rpc.hpp"
#include "common/keys.hpp"

namespace flywheel::chain {
namespace {

TEST(AnvilProcess, StartsAndAnswersWithChainId31337) {
  auto anvil = AnvilProcess::start();
  ASSERT_TRUE(anvil) << anvil.error().to_string();
  EXPECT_GT(anvil->pid(), 0);
  EXPECT_EQ(anvil->url(), "http://127.0.0.1:" + std::to_string(anvil->port()));
  RpcClient rpc(anvil->url());
  auto id = rpc.chain_id();
  ASSERT_TRUE(id) << id.error().to_string();
  EXPECT_EQ(*id, 31337U);
}

TEST(AnvilProcess, HonoursACustomChainId) {
  AnvilOptions options;
  options.chain_id = 4242;
  auto anvil = AnvilProcess::start(options);
  ASSERT_TRUE(anvil) << anvil.error().to_string();
  EXPECT_EQ(RpcClient(anvil->url()).chain_id().value(), 4242U);
}

TEST(AnvilProcess, DestructorStopsTheProcessAndRemovesItsLog) {
  pid_t pid = -1;
  std::string log;
  {
    auto anvil = AnvilProcess::start();
    ASSERT_TRUE(anvil) << anvil.error().to_string();
    pid = anvil->pid();
    log = anvil->log_path();
    EXPECT_TRUE(std::filesystem::exists(log));
  }
  // The child was reaped, so the PID no longer names a process of ours.
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_FALSE(std::filesystem::exists(log));
}

TEST(AnvilProcess, MovedFromObjectNoLongerOwnsTheProcess) {
  auto anvil = AnvilProcess::start();
  ASSERT_TRUE(anvil) << anvil.error().to_string();
  const pid_t pid = anvil->pid();
  AnvilProcess moved = std::move(*anvil);
  anvil->stop();  // must not touch the moved process
  EXPECT_EQ(moved.pid(), pid);
  EXPECT_EQ(::kill(pid, 0), 0);
  EXPECT_TRUE(RpcClient(moved.url()).chain_id());
}

TEST(AnvilProcess, MissingBinaryIsNotFoundAndSaysHowToInstall) {
  AnvilOptions options;
  options.binary = "/nonexistent/anvil";
  auto anvil = AnvilProcess::start(options);
  ASSERT_FALSE(anvil);
  EXPECT_EQ(anvil.error().code, Errc::not_found);
  EXPECT_NE(anvil.error().message.find("npm ci"), std::string::npos);
}

TEST(AnvilProcess, DevKeyZeroIsTheFundedDefaultAccount) {
  auto anvil = AnvilProcess::start();
  ASSERT_TRUE(anvil) << anvil.error().to_string();
  RpcClient rpc(anvil->url());
  for (std::string_view hex : kAnvilDevKeys) {
    const Address a = PrivateKey::from_hex(hex).value().address();
    auto balance = rpc.get_balance(a);
    ASSERT_TRUE(balance) << balance.error().to_string();
    EXPECT_EQ(balance->to_dec(), "10000000000000000000000") << a.hex();  // 10,000 ETH each
  }
  EXPECT_EQ(to_checksum(PrivateKey::from_hex(kAnvilDevKeys[0]).value().address()),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
}

}  // namespace
}  // namespace flywheel::chain
