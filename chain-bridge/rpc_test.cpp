// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// RpcClient against a real anvil (started per test) and against a closed port.
#include "chain-bridge/rpc.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chain-bridge/anvil.hpp"
#include "common/keys.hpp"

namespace flywheel::chain {
namespace {

// A loopback port that nothing listens on: bound, read and released again.
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(RpcClient, UnreachableEndpointIsAnRpcErrorNamingTheUrl) {
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port());
  RpcClient rpc(url);
  auto id = rpc.chain_id();
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, Errc::rpc);
  EXPECT_NE(id.error().message.find(url), std::string::npos) << id.error().message;
  EXPECT_NE(id.error().message.find("running"), std::string::npos) << id.error().message;
}

class RpcOnAnvil : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = AnvilProcess::start();
    ASSERT_TRUE(started) << started.error().to_string();
    anvil_.emplace(std::move(*started));
    rpc_.emplace(anvil_->url());
  }
  std::optional<AnvilProcess> anvil_;
  std::optional<RpcClient> rpc_;
};

TEST_F(RpcOnAnvil, GenericRequestReturnsTheResultAsJsonText) {
  auto result = rpc_->request("eth_chainId", "[]");
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(*result, "\"0x7a69\"");
}

TEST_F(RpcOnAnvil, UnknownMethodIsAnRpcErrorWithTheNodesMessage) {
  auto result = rpc_->request("eth_noSuchMethod", "[]");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::rpc);
  EXPECT_NE(result.error().message.find("eth_noSuchMethod"), std::string::npos);
}

TEST_F(RpcOnAnvil, ParamsThatAreNotAJsonArrayAreRejectedBeforeSending) {
  EXPECT_EQ(rpc_->request("eth_chainId", "{").error().code, Errc::invalid_argument);
}

TEST_F(RpcOnAnvil, MiningAdvancesTheBlockNumber) {
  const auto before = rpc_->block_number().value();
  ASSERT_TRUE(rpc_->mine());
  EXPECT_EQ(rpc_->block_number().value(), before + 1);
}

TEST_F(RpcOnAnvil, IncreaseTimeMovesTheNextBlockTimestamp) {
  auto ts = [&]() {
    auto block = rpc_->request("eth_getBlockByNumber", R"(["latest", false])").value();
    const auto pos = block.find("\"timestamp\":\"");
    return U256::from_hex(block.substr(pos + 13, block.find('"', pos + 13) - pos - 13)).value().limbs[0];
  };
  const auto before = ts();
  ASSERT_TRUE(rpc_->increase_time(3600));
  ASSERT_TRUE(rpc_->mine());
  EXPECT_GE(ts(), before + 3600);
}

TEST_F(RpcOnAnvil, FeesAreReportedForTheLondonChain) {
  EXPECT_GT(rpc_->base_fee().value(), U256(0));
  EXPECT_GT(rpc_->gas_price().value(), U256(0));
  EXPECT_TRUE(rpc_->max_priority_fee());
}

TEST_F(RpcOnAnvil, FreshAccountHasNoCodeNoBalanceAndNonceZero) {
  const Address a = PrivateKey::random().address();
  EXPECT_TRUE(rpc_->get_code(a).value().empty());
  EXPECT_EQ(rpc_->get_balance(a).value(), U256(0));
  EXPECT_EQ(rpc_->get_transaction_count(a).value(), 0U);
}

TEST_F(RpcOnAnvil, UnknownTransactionHasNoReceipt) {
  auto receipt = rpc_->get_transaction_receipt(Hash32{});
  ASSERT_TRUE(receipt) << receipt.error().to_string();
  EXPECT_FALSE(receipt->has_value());
}

TEST_F(RpcOnAnvil, WaitingForAnUnknownTransactionTimesOut) {
  auto receipt = rpc_->wait_for_receipt(Hash32{}, std::chrono::milliseconds(100));
  ASSERT_FALSE(receipt);
  EXPECT_EQ(receipt.error().code, Errc::timeout);
}

TEST_F(RpcOnAnvil, RevertingCallIsRevertedWithTheCustomErrorSelectorAndData) {
  // Init code that reverts with the 4 bytes 0xdeadbeef:
  // PUSH4 deadbeef PUSH1 e0 SHL PUSH1 0 MSTORE PUSH1 4 PUSH1 0 REVERT
  const CallRequest create{.from = std::nullopt,
                           .to = std::nullopt,
                           .data = from_hex("63deadbeef60e01b60005260046000fd").value(),
                           .value = 0,
                           .gas = std::nullopt};
  auto out = rpc_->call(create);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::reverted);
  EXPECT_NE(out.error().message.find("custom error 0xdeadbeef"), std::string::npos) << out.error().message;
  EXPECT_EQ(to_hex(revert_data_of(out.error()).value()), "0xdeadbeef");
  EXPECT_EQ(rpc_->estimate_gas(create).error().code, Errc::reverted);
}

}  // namespace
}  // namespace flywheel::chain
