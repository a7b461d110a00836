// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// EIP-1559 transactions compared byte for byte with Foundry 1.7.1's `cast mktx` (offline, every
// field given); the hashes are `cast keccak <raw>` and match `cast decode-transaction`.
#include "chain-bridge/transaction.hpp"

#include <gtest/gtest.h>

#include "chain-bridge/abi.hpp"

namespace flywheel::chain {
namespace {

PrivateKey dev_key() {
  return PrivateKey::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
      .value();
}
Address to_addr() { return parse_address("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").value(); }

// cast mktx --private-key K --chain 31337 --nonce 0 --gas-limit 21000 --gas-price 2000000000
//   --priority-gas-price 1000000000 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --value 1
constexpr std::string_view kTransferRaw =
    "0x02f86c827a6980843b9aca0084773594008252089470997970c51812dc3a010c7d01b50e0d17dc79c80180c080a0"
    "7ca003a6a2adcce9641e808dcecdedf7c37ca5f48c326a17e25406471de8d1eea053a15f6568f6cf8ccf47cb2f7758"
    "5c4b71ba3a579bfcc82de7a528889b92a705";

Eip1559Transaction transfer_tx() {
  Eip1559Transaction tx;
  tx.chain_id = 31337;
  tx.nonce = 0;
  tx.max_priority_fee_per_gas = 1000000000;
  tx.max_fee_per_gas = 2000000000;
  tx.gas_limit = 21000;
  tx.to = to_addr();
  tx.value = 1;
  return tx;
}

TEST(Eip1559, SignedTransferIsByteIdenticalToCastMktx) {
  const SignedTransaction signed_tx = sign_transaction(transfer_tx(), dev_key());
  EXPECT_EQ(to_hex(signed_tx.raw()), kTransferRaw);
  EXPECT_EQ(signed_tx.hash().hex(),
            "0xa23b52004fe574000765fbe20a311b2785a318c9dbe6b0bf6a4c1f8936f57ff3");
}

TEST(Eip1559, SignedContractCallIsByteIdenticalToCastMktx) {
  // cast mktx ... --chain 31337 --nonce 7 --gas-limit 100000 --gas-price 30000000000
  //   --priority-gas-price 1500000000 <to> "transfer(address,uint256)" <to> 1000 --value 0
  Eip1559Transaction tx;
  tx.chain_id = 31337;
  tx.nonce = 7;
  tx.max_priority_fee_per_gas = 1500000000;
  tx.max_fee_per_gas = U256::from_dec("30000000000").value();
  tx.gas_limit = 100000;
  tx.to = to_addr();
  tx.data = encode_call("transfer(address,uint256)",
                        {AbiValue::of_address(to_addr()), AbiValue::of_uint(1000)})
                .value();
  EXPECT_EQ(to_hex(sign_transaction(tx, dev_key()).raw()),
            "0x02f8b3827a69078459682f008506fc23ac00830186a09470997970c51812dc3a010c7d01b50e0d17dc7"
            "9c880b844a9059cbb00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c80000"
            "0000000000000000000000000000000000000000000000000000000003e8c001a0e4d2d3238086e7d4a8d"
            "513aa1e7251c2dd091dab64f6f9f6a881aa847780612da06c50d4ae656b0cb74dce556d5646b3daa7be52"
            "a240808c4cffd1a0c3a4370f06");
}

TEST(Eip1559, SignedContractCreationIsByteIdenticalToCastMktx) {
  // cast mktx ... --chain 1 --nonce 3 --gas-limit 60000 --gas-price 20000000000
  //   --priority-gas-price 0 --create 0x600a600c600039600a6000f3602a60005260206000f3
  Eip1559Transaction tx;
  tx.chain_id = 1;
  tx.nonce = 3;
  tx.max_priority_fee_per_gas = 0;
  tx.max_fee_per_gas = U256::from_dec("20000000000").value();
  tx.gas_limit = 60000;
  tx.data = from_hex("600a600c600039600a6000f3602a60005260206000f3").value();
  const SignedTransaction signed_tx = sign_transaction(tx, dev_key());
  EXPECT_EQ(to_hex(signed_tx.raw()),
            "0x02f8690103808504a817c80082ea60808096600a600c600039600a6000f3602a60005260206000f3c0"
            "01a0b840071523f528e8c112fd43e0cc9ecc53729b36eb121b48454d4855c3e72401a053610ee7bf6ade"
            "037d0b1ea2b05075cd5137d09fc082c9cd23cbc0148908c73f");
  EXPECT_EQ(signed_tx.hash().hex(),
            "0xcc81ae9292d87eadbaf6777e18c646b1f06e42a47dd97b6a44868b021b0dc2b2");
}

TEST(Eip1559, DecodingCastsRawTransactionGivesBackTheFieldsAndSender) {
  auto decoded = decode_transaction(from_hex(kTransferRaw).value());
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  EXPECT_EQ(decoded->tx, transfer_tx());
  EXPECT_EQ(decoded->sender().value(), dev_key().address());
  EXPECT_EQ(to_hex(decoded->raw()), kTransferRaw);
}

TEST(Eip1559, DecodingRejectsOtherTypesAndTruncation) {
  Bytes raw = from_hex(kTransferRaw).value();
  raw[0] = 0x01;
  EXPECT_EQ(decode_transaction(raw).error().code, Errc::parse);
  raw[0] = 0x02;
  raw.pop_back();
  EXPECT_EQ(decode_transaction(raw).error().code, Errc::parse);
}

TEST(Eip1559, ChangingAnyFieldChangesTheSigningHash) {
  const Hash32 base = transfer_tx().signing_hash();
  Eip1559Transaction tx = transfer_tx();
  tx.nonce = 1;
  EXPECT_NE(tx.signing_hash(), base);
  tx = transfer_tx();
  tx.chain_id = 1;
  EXPECT_NE(tx.signing_hash(), base);
  tx = transfer_tx();
  tx.to.reset();
  EXPECT_NE(tx.signing_hash(), base);
}

}  // namespace
}  // namespace flywheel::chain
