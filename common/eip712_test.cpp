// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// EIP-712 vectors: the EIP's own Mail example (digest and the signature by keccak256("cow") from
// the EIP's Example.js), and an UpdateReceipt signed by Foundry 1.7.1
// (`cast wallet sign --private-key <anvil key 0> --data --from-file receipt.json`, the JSON that
// typed_data_json() writes), whose output is pasted below.
#include "common/eip712.hpp"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/keccak.hpp"

namespace flywheel::eip712 {
namespace {

Address address(std::string_view hex) { return parse_address(hex).value(); }

Hash32 person(std::string_view name, std::string_view wallet) {
  return hash_struct(Eip712Struct{.encode_type = "Person(string name,address wallet)",
                                  .words = {encode_dynamic(as_bytes(name)), encode_address(address(wallet))}});
}

Hash32 mail_digest() {
  const Domain domain{.name = "Ether Mail",
                      .version = "1",
                      .chain_id = 1,
                      .verifying_contract = address("0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC")};
  const Hash32 mail = hash_struct(
      Eip712Struct{.encode_type = "Mail(Person from,Person to,string contents)Person(string name,address wallet)",
                   .words = {person("Cow", "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826").bytes,
                             person("Bob", "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB").bytes,
                             encode_dynamic(as_bytes("Hello, Bob!"))}});
  return signing_digest(domain_separator(domain), mail);
}

UpdateReceipt sample_receipt() {
  return UpdateReceipt{.job_id = "quickstart",
                       .round = 3,
                       .participant = address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
                       .start_model_hash = Hash32::from_hex("0x" + std::string(64, '1')).value(),
                       .update_hash = Hash32::from_hex("0x" + std::string(64, '2')).value(),
                       .samples = 600,
                       .compute_units = 1200,
                       .compute_millis = 1534};
}

PrivateKey anvil_key0() {
  return PrivateKey::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80").value();
}

TEST(Eip712, MailExampleDomainSeparatorMatchesTheSpecification) {
  const Domain domain{.name = "Ether Mail",
                      .version = "1",
                      .chain_id = 1,
                      .verifying_contract = address("0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC")};
  EXPECT_EQ(domain_separator(domain).hex(), "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f");
}

TEST(Eip712, MailExampleDigestMatchesTheSpecification) {
  EXPECT_EQ(mail_digest().hex(), "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");
}

TEST(Eip712, MailExampleSignatureByCowKeyMatchesTheSpecification) {
  const auto cow = PrivateKey::from_bytes(keccak256(as_bytes("cow")).view()).value();
  EXPECT_EQ(to_hex(sign_digest(cow, mail_digest())),
            "0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d"
            "07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b915621c");
}

TEST(Eip712, UpdateReceiptSignatureMatchesCastWalletSignData) {
  Domain domain;
  domain.chain_id = 31337;
  EXPECT_EQ(to_hex(sign_digest(anvil_key0(), digest(domain, sample_receipt()))),
            "0xc49ad0ce4cdf750ba042b99de5bfd2f2d293f260d8fcdb175dada062c6d012a5"
            "35ffde0aff506bbbb2a93c96fd78d0294059926d070ac34c5d308d40c6418bc01c");
}

TEST(Eip712, TypedDataJsonSignsIdenticallyWithCastWhenCastIsInstalled) {
  const std::filesystem::path cast =
      std::filesystem::path(FLYWHEEL_SOURCE_DIR) / "node_modules/@foundry-rs/cast-linux-amd64/bin/cast";
  if (!std::filesystem::exists(cast)) GTEST_SKIP() << "cast not installed (npm ci installs it)";
  const Domain domain{.chain_id = 7, .verifying_contract = address("0x5FbDB2315678afecb367f032d93F642f64180aa3")};
  auto receipt = sample_receipt();
  receipt.job_id = "job with spaces";
  // A folder of this run's own: a fixed name would collide with another checkout's run, or with a
  // folder another user left behind.
  std::string pattern = (std::filesystem::temp_directory_path() / "flywheel_eip712_test-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path dir = pattern;
  { std::ofstream(dir / "typed.json") << typed_data_json(domain, receipt); }
  const std::string command = cast.string() + " wallet sign --private-key " + to_hex(anvil_key0().secret()) +
                              " --data --from-file " + (dir / "typed.json").string() + " > " +
                              (dir / "sig.txt").string();
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::string printed;
  std::ifstream(dir / "sig.txt") >> printed;
  std::filesystem::remove_all(dir);
  EXPECT_EQ(printed, to_hex(sign_digest(anvil_key0(), digest(domain, receipt))));
}

TEST(Eip712, RecoverSignerReturnsTheSigningAddress) {
  const Hash32 d = digest(Domain{}, sample_receipt());
  EXPECT_EQ(recover_signer(d, sign_digest(anvil_key0(), d)).value(), anvil_key0().address());
}

TEST(Eip712, ChangingAnyReceiptFieldChangesTheDigest) {
  const Hash32 base = digest(Domain{}, sample_receipt());
  auto r = sample_receipt();
  r.round = 4;
  EXPECT_NE(digest(Domain{}, r), base);
  r = sample_receipt();
  r.compute_millis = 1535;
  EXPECT_NE(digest(Domain{}, r), base);
  Domain other_chain;
  other_chain.chain_id = 2;
  EXPECT_NE(digest(other_chain, sample_receipt()), base);
}

TEST(Eip712, MissingOrShortSignatureIsACryptoError) {
  const Hash32 d = digest(Domain{}, sample_receipt());
  EXPECT_EQ(recover_signer(d, {}).error().code, Errc::crypto);
  EXPECT_EQ(recover_signer(d, Bytes(64, 1)).error().code, Errc::crypto);
}

TEST(Eip712, AckDigestDependsOnTheReceiptDigest) {
  const UpdateAck ack{.receipt_digest = digest(Domain{}, sample_receipt()),
                      .aggregator = anvil_key0().address(),
                      .round = 3,
                      .accepted_at_millis = 1'700'000'000'000};
  auto other = ack;
  other.receipt_digest.bytes[0] ^= 1;
  EXPECT_NE(digest(Domain{}, ack), digest(Domain{}, other));
  EXPECT_EQ(std::string(kUpdateAckType).rfind("UpdateAck(bytes32 receiptDigest", 0), 0U);
}

}  // namespace
}  // namespace flywheel::eip712
