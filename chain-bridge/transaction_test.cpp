// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// EIP-1559 transactions compared byte for byte with Foundry 1.7.1's `cast mktx` (offline, every
// field given); the hashes are `cast keccak <raw>` and match `cast decode-transaction`. Legacy
// transactions: the example of EIP-155 itself (signing data, signing hash, v, r, s and the signed
// transaction, copied from the EIP text) and `cast mktx --legacy`.
#include "chain-bridge/transaction.hpp"

#include <gtest/gtest.h>

#include "chain-bridge/abi.hpp"

namespace flywheel::chain {
namespace {

PrivateKey dev_key() {
  return PrivateKey::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80").value();
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
  EXPECT_EQ(signed_tx.hash().hex(), "0xa23b52004fe574000765fbe20a311b2785a318c9dbe6b0bf6a4c1f8936f57ff3");
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
  tx.data =
      encode_call("transfer(address,uint256)", {AbiValue::of_address(to_addr()), AbiValue::of_uint(1000)}).value();
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
  EXPECT_EQ(signed_tx.hash().hex(), "0xcc81ae9292d87eadbaf6777e18c646b1f06e42a47dd97b6a44868b021b0dc2b2");
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

// ---- legacy transactions, EIP-155 ---------------------------------------------------------

PrivateKey eip155_key() {
  return PrivateKey::from_hex("0x4646464646464646464646464646464646464646464646464646464646464646").value();
}

// The example of EIP-155: nonce 9, gas price 20 gwei, gas 21000, to 0x3535...35, value 1 ether,
// empty data, chain id 1.
LegacyTransaction eip155_example() {
  LegacyTransaction tx;
  tx.chain_id = 1;
  tx.nonce = 9;
  tx.gas_price = U256::from_dec("20000000000").value();
  tx.gas_limit = 21000;
  tx.to = parse_address("0x3535353535353535353535353535353535353535").value();
  tx.value = U256::from_dec("1000000000000000000").value();
  return tx;
}

constexpr std::string_view kEip155SignedTx =
    "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a0"
    "28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b"
    "3800ccf555c9f3dc64214b297fb1966a3b6d83";

TEST(Eip155, SigningDataAndHashMatchTheEipExample) {
  const LegacyTransaction tx = eip155_example();
  EXPECT_EQ(to_hex(tx.signing_payload()),
            "0xec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
            "80018080");
  EXPECT_EQ(tx.signing_hash().hex(), "0xdaf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
}

TEST(Eip155, SignatureMatchesTheEipExampleVRS) {
  const SignedLegacyTransaction signed_tx = sign_legacy_transaction(eip155_example(), eip155_key());
  EXPECT_EQ(signed_tx.v(), 37U);
  // The decimal r and s printed in EIP-155.
  constexpr std::string_view kR = "18515461264373351373200002665853028612451056578545711640558177340181847433846";
  constexpr std::string_view kS = "46948507304638947509940763649030358759909902576025900602547168820602576006531";
  const U256 r = U256::from_dec(kR).value();
  const U256 s = U256::from_dec(kS).value();
  EXPECT_EQ(U256::from_be_bytes(signed_tx.signature.r).value(), r);
  EXPECT_EQ(U256::from_be_bytes(signed_tx.signature.s).value(), s);
}

TEST(Eip155, SignedTransactionIsTheEipExampleByteForByte) {
  const SignedLegacyTransaction signed_tx = sign_legacy_transaction(eip155_example(), eip155_key());
  EXPECT_EQ(to_hex(signed_tx.raw()), kEip155SignedTx);
  // cast keccak <the EIP's signed transaction>
  EXPECT_EQ(signed_tx.hash().hex(), "0x33469b22e9f636356c4160a87eb19df52b7412e8eac32a4a55ffe88ea8350788");
}

TEST(Eip155, SignedContractCallIsByteIdenticalToCastMktxLegacy) {
  // cast mktx --legacy --private-key <dev key> --chain 31337 --nonce 5 --gas-limit 100000
  //   --gas-price 3000000000 <to> "transfer(address,uint256)" <to> 1000 --value 7
  LegacyTransaction tx;
  tx.chain_id = 31337;
  tx.nonce = 5;
  tx.gas_price = 3000000000;
  tx.gas_limit = 100000;
  tx.to = to_addr();
  tx.value = 7;
  tx.data =
      encode_call("transfer(address,uint256)", {AbiValue::of_address(to_addr()), AbiValue::of_uint(1000)}).value();
  const SignedLegacyTransaction signed_tx = sign_legacy_transaction(tx, dev_key());
  EXPECT_EQ(to_hex(signed_tx.raw()),
            "0xf8aa0584b2d05e00830186a09470997970c51812dc3a010c7d01b50e0d17dc79c807b844a9059cbb00"
            "000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8000000000000000000000000"
            "00000000000000000000000000000000000003e882f4f69fedb901fd032cd1c99e5729aaddf8ccb8904702"
            "93feb6124e537e91f353e0f1a017baade78f94eba8c55b87de7d1a8c7d8146d2df89b049604d9446b9b3b3"
            "b61d");
  EXPECT_EQ(signed_tx.v(), 31337U * 2 + 35 + signed_tx.signature.recovery_id);
  EXPECT_EQ(signed_tx.hash().hex(), "0xdf65cb404be5580392cb4f3ca9677218664e5fbd5ebc03db68f308bf210df419");
}

TEST(Eip155, DecodingTheEipExampleGivesBackTheFieldsChainIdAndSender) {
  auto decoded = decode_legacy_transaction(from_hex(kEip155SignedTx).value());
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  EXPECT_EQ(decoded->tx, eip155_example());
  EXPECT_EQ(decoded->v(), 37U);
  EXPECT_EQ(decoded->sender().value(), eip155_key().address());
  EXPECT_EQ(to_hex(decoded->raw()), kEip155SignedTx);
}

TEST(Eip155, ChainIdZeroSignsTheSixFieldHomesteadFormWithV27Or28) {
  LegacyTransaction tx = eip155_example();
  tx.chain_id = 0;
  // Six fields only: the EIP's signing data without its trailing chain id, 0, 0 (0x01 0x80 0x80).
  EXPECT_EQ(to_hex(tx.signing_payload()),
            "0xe9098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a7640000"
            "80");
  const SignedLegacyTransaction signed_tx = sign_legacy_transaction(tx, eip155_key());
  EXPECT_TRUE(signed_tx.v() == 27 || signed_tx.v() == 28);
  auto decoded = decode_legacy_transaction(signed_tx.raw());
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  EXPECT_EQ(decoded->tx.chain_id, 0U);
  EXPECT_EQ(decoded->sender().value(), eip155_key().address());
}

TEST(Eip155, DecodingRejectsTypedTransactionsBadVAndTruncation) {
  EXPECT_EQ(decode_legacy_transaction(from_hex(kTransferRaw).value()).error().code, Errc::parse);
  Bytes raw = from_hex(kEip155SignedTx).value();
  Bytes bad_v = raw;
  ASSERT_EQ(raw[43], 0x25);  // v = 37
  bad_v[43] = 0x24;          // v = 36: chain id 0 under EIP-155, which does not exist
  EXPECT_EQ(decode_legacy_transaction(bad_v).error().code, Errc::parse);
  raw.pop_back();
  EXPECT_EQ(decode_legacy_transaction(raw).error().code, Errc::parse);
}

}  // namespace
}  // namespace flywheel::chain
