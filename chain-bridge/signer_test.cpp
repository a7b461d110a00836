// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// End-to-end: C++-signed EIP-1559 transactions against a real anvil. The contracts are hand-written
// EVM bytecode (opcodes spelled out next to each one).
#include "chain-bridge/signer.hpp"

#include <gtest/gtest.h>

#include "chain-bridge/abi.hpp"
#include "chain-bridge/anvil.hpp"

namespace flywheel::chain {
namespace {

// Init code that deploys `runtime` (at most 255 bytes): CODECOPY the tail, RETURN it.
// PUSH1 len PUSH1 12 PUSH1 0 CODECOPY PUSH1 len PUSH1 0 RETURN || runtime
Bytes deployer_for(const Bytes& runtime) {
  const auto n = static_cast<std::uint8_t>(runtime.size());
  Bytes code{0x60, n, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, n, 0x60, 0x00, 0xf3};
  code.insert(code.end(), runtime.begin(), runtime.end());
  return code;
}

// Runtime returning the word 42 for any call: PUSH1 2a PUSH1 0 MSTORE PUSH1 20 PUSH1 0 RETURN.
Bytes answer_runtime() { return from_hex("602a60005260206000f3").value(); }

// Runtime that reverts with Error("flywheel says no") for any call: CODECOPY the 100-byte revert
// payload appended after the 12 code bytes, then REVERT with it.
Bytes error_string_runtime() {
  const Bytes payload =
      encode_call("Error(string)", {AbiValue::of_string("flywheel says no")}).value();  // 4 + 96 = 100 bytes
  Bytes code = from_hex("6064600c60003960646000fd").value();
  code.insert(code.end(), payload.begin(), payload.end());
  return code;
}

// Runtime reverting with custom error Nope(uint256) with argument 7: the payload is appended.
Bytes custom_error_runtime() {
  const Bytes payload = encode_call("Nope(uint256)", {AbiValue::of_uint(7)}).value();  // 36 bytes
  Bytes code = from_hex("6024600c60003960246000fd").value();
  code.insert(code.end(), payload.begin(), payload.end());
  return code;
}

class SignerOnAnvil : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = AnvilProcess::start();
    ASSERT_TRUE(started) << started.error().to_string();
    anvil_.emplace(std::move(*started));
    rpc_.emplace(anvil_->url());
    SignerOptions options;
    options.known_errors = {"Nope(uint256)"};
    signer_.emplace(PrivateKey::from_hex(kAnvilDevKeys[0]).value(), *rpc_, options);
  }
  std::optional<AnvilProcess> anvil_;
  std::optional<RpcClient> rpc_;
  std::optional<Signer> signer_;
};

TEST_F(SignerOnAnvil, EthTransferToAFreshKeyLandsAndTheBalanceMatches) {
  const Address to = PrivateKey::random().address();
  const U256 amount = U256::from_dec("1234500000000000000").value();
  auto receipt = signer_->send(to, {}, amount);
  ASSERT_TRUE(receipt) << receipt.error().to_string();
  EXPECT_TRUE(receipt->status);
  EXPECT_EQ(receipt->from, signer_->address());
  EXPECT_EQ(receipt->to, to);
  EXPECT_EQ(receipt->gas_used, 21000U);
  EXPECT_EQ(rpc_->get_balance(to).value(), amount);
}

TEST_F(SignerOnAnvil, SenderPaysValuePlusGasAtTheEffectivePrice) {
  const Address me = signer_->address();
  const U256 before = rpc_->get_balance(me).value();
  auto receipt = signer_->send(PrivateKey::random().address(), {}, 1000);
  ASSERT_TRUE(receipt) << receipt.error().to_string();
  EXPECT_EQ(rpc_->get_balance(me).value(),
            before - U256(1000) - U256(receipt->gas_used) * receipt->effective_gas_price);
}

TEST_F(SignerOnAnvil, ConsecutiveTransactionsUseConsecutiveNonces) {
  const Address to = PrivateKey::random().address();
  const auto start = rpc_->get_transaction_count(signer_->address()).value();
  for (int i = 0; i < 3; ++i) {
    auto receipt = signer_->send(to, {}, 1);
    ASSERT_TRUE(receipt) << "tx " << i << ": " << receipt.error().to_string();
  }
  EXPECT_EQ(rpc_->get_transaction_count(signer_->address(), "latest").value(), start + 3);
  EXPECT_EQ(rpc_->get_balance(to).value(), U256(3));
}

TEST_F(SignerOnAnvil, DeployedContractAnswers42ToEthCall) {
  auto address = signer_->deploy(deployer_for(answer_runtime()));
  ASSERT_TRUE(address) << address.error().to_string();
  EXPECT_EQ(rpc_->get_code(*address).value(), answer_runtime());
  auto out = signer_->call(*address, from_hex("0x12345678").value());
  ASSERT_TRUE(out) << out.error().to_string();
  auto decoded = abi_decode("uint256", *out);
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  EXPECT_EQ((*decoded)[0].word, U256(42));
}

TEST_F(SignerOnAnvil, RevertingCallIsReportedAsRevertedWithItsMessage) {
  auto address = signer_->deploy(deployer_for(error_string_runtime()));
  ASSERT_TRUE(address) << address.error().to_string();
  auto out = signer_->call(*address, {});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, Errc::reverted);
  EXPECT_NE(out.error().message.find("flywheel says no"), std::string::npos) << out.error().message;
}

TEST_F(SignerOnAnvil, TransactionThatWouldRevertFailsAtEstimationWithTheNamedCustomError) {
  auto address = signer_->deploy(deployer_for(custom_error_runtime()));
  ASSERT_TRUE(address) << address.error().to_string();
  auto receipt = signer_->send(*address, {});
  ASSERT_FALSE(receipt);
  EXPECT_EQ(receipt.error().code, Errc::reverted);
  EXPECT_NE(receipt.error().message.find("Nope(7)"), std::string::npos) << receipt.error().message;
}

TEST_F(SignerOnAnvil, MinedTransactionWithStatusZeroIsRevertedWithTheReplayedReason) {
  auto address = signer_->deploy(deployer_for(error_string_runtime()));
  ASSERT_TRUE(address) << address.error().to_string();
  const auto nonce = rpc_->get_transaction_count(signer_->address()).value();
  SendOptions fixed_gas;
  fixed_gas.gas_limit = 100000;  // skip estimation, which would refuse to send
  auto receipt = signer_->send(*address, {}, 0, fixed_gas);
  ASSERT_FALSE(receipt);
  EXPECT_EQ(receipt.error().code, Errc::reverted);
  EXPECT_NE(receipt.error().message.find("flywheel says no"), std::string::npos) << receipt.error().message;
  EXPECT_NE(receipt.error().message.find("reverted in block"), std::string::npos);
  // The failed transaction was still mined and consumed its nonce; the next send must use the next.
  EXPECT_EQ(rpc_->get_transaction_count(signer_->address()).value(), nonce + 1);
  EXPECT_TRUE(signer_->send(PrivateKey::random().address(), {}, 1));
}

TEST(Signer, UnreachableNodeIsAnRpcError) {
  RpcClient rpc("http://127.0.0.1:9");  // discard port: nothing listens on loopback
  Signer signer(PrivateKey::random(), rpc);
  auto receipt = signer.send(PrivateKey::random().address(), {}, 1);
  ASSERT_FALSE(receipt);
  EXPECT_EQ(receipt.error().code, Errc::rpc);
  EXPECT_NE(receipt.error().message.find("127.0.0.1:9"), std::string::npos);
}

}  // namespace
}  // namespace flywheel::chain
