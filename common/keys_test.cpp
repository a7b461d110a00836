// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Key, address and signature vectors: EIP-55's own examples; anvil's first dev account; signatures
// cross-checked against Foundry 1.7.1 (`cast wallet sign --no-hash`, `cast wallet sign` for
// EIP-191), whose outputs are pasted below.
#include "common/keys.hpp"

#include <gtest/gtest.h>

#include "common/keccak.hpp"

namespace flywheel {
namespace {

constexpr std::string_view kDevKey0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

PrivateKey dev_key() { return PrivateKey::from_hex(kDevKey0).value(); }

TEST(PrivateKey, AnvilDevKeyZeroHasTheWellKnownAddress) {
  EXPECT_EQ(to_checksum(dev_key().address()), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
}

TEST(PrivateKey, AnvilDevKeyOneHasTheWellKnownAddress) {
  auto key = PrivateKey::from_hex("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
  ASSERT_TRUE(key);
  EXPECT_EQ(to_checksum(key->address()), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
}

TEST(PrivateKey, PublicKeyHashesToTheAddress) {
  const PrivateKey key = dev_key();
  const Bytes pub = key.public_key();
  ASSERT_EQ(pub.size(), 64U);
  const Hash32 h = keccak256(pub);
  EXPECT_TRUE(std::equal(h.bytes.begin() + 12, h.bytes.end(), key.address().bytes.begin()));
}

TEST(PrivateKey, ZeroOrOversizedOrWrongLengthSecretsAreRejected) {
  EXPECT_EQ(PrivateKey::from_bytes(Bytes(32, 0)).error().code, Errc::crypto);
  EXPECT_EQ(PrivateKey::from_bytes(Bytes(31, 1)).error().code, Errc::crypto);
  // The group order n itself is not a valid scalar.
  EXPECT_EQ(PrivateKey::from_hex("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141").error().code,
            Errc::crypto);
  EXPECT_EQ(PrivateKey::from_hex("0xzz").error().code, Errc::parse);
}

TEST(PrivateKey, RandomKeysDiffer) { EXPECT_NE(PrivateKey::random().address(), PrivateKey::random().address()); }

TEST(Signature, SigningADigestMatchesCastWalletSign) {
  const Hash32 digest = keccak256(as_bytes("flywheel"));
  ASSERT_EQ(digest.hex(), "0xc95f3bdab35dfa2917630969bd6b885e8f31f9a992fc7f5818823a11bb1ee0fd");
  EXPECT_EQ(to_hex(dev_key().sign(digest).to_rsv()),
            "0x27620bbdbc878aaba7dcbb49ca5caf933f0f778c5b38fa18ce5c4024a0839bf9"
            "638f89c91beeb3d5c33f40565b375e4df719a405b655aa81a65d6372e32e4bba1c");
}

TEST(Signature, PersonalMessageDigestAndSignatureMatchCast) {
  const Hash32 digest = personal_message_digest(as_bytes("hello flywheel"));
  EXPECT_EQ(digest.hex(), "0x256766e81b1875edbdb71dbe9231e5c7600651e7f365a805020e0e04b459ae1c");
  EXPECT_EQ(to_hex(dev_key().sign(digest).to_rsv()),
            "0xae0fdf1a89ff3c7ca75e03231a677fb7660c33da0cc8ab5404898a31133d25d0"
            "356eba69f5c6850c452b8526751861f240e1717a5096208118d429c205fd79eb1c");
}

TEST(Signature, RecoverReturnsTheSignersAddress) {
  const PrivateKey key = PrivateKey::random();
  const Hash32 digest = keccak256(as_bytes("round 7"));
  auto recovered = recover_address(digest, key.sign(digest));
  ASSERT_TRUE(recovered) << recovered.error().to_string();
  EXPECT_EQ(*recovered, key.address());
}

TEST(Signature, RecoveryWithAWrongDigestGivesAnotherAddress) {
  const PrivateKey key = dev_key();
  const Signature sig = key.sign(keccak256(as_bytes("round 7")));
  auto recovered = recover_address(keccak256(as_bytes("round 8")), sig);
  // Recovery may also fail outright; either way it must not yield the signer.
  if (recovered) {
    EXPECT_NE(*recovered, key.address());
  }
}

TEST(Signature, SignaturesAreLowS) {
  // Half the group order, n / 2; a low-s signature has s <= n / 2.
  const Bytes half = from_hex("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0").value();
  for (int i = 0; i < 32; ++i) {
    const Signature sig = dev_key().sign(keccak256(as_bytes(std::to_string(i))));
    EXPECT_LE(Bytes(sig.s.begin(), sig.s.end()), half);
  }
}

TEST(Signature, RsvRoundTripsAndAcceptsBothVConventions) {
  const Signature sig = dev_key().sign(keccak256(as_bytes("x")));
  EXPECT_EQ(Signature::from_rsv(sig.to_rsv()).value(), sig);
  Bytes raw = sig.to_rsv();
  raw[64] -= 27;
  EXPECT_EQ(Signature::from_rsv(raw).value(), sig);
  raw[64] = 29;
  EXPECT_EQ(Signature::from_rsv(raw).error().code, Errc::parse);
  EXPECT_EQ(Signature::from_rsv(Bytes(64, 0)).error().code, Errc::parse);
}

TEST(Signature, ZeroSignatureDoesNotRecover) {
  EXPECT_EQ(recover_address(keccak256(as_bytes("x")), Signature{}).error().code, Errc::crypto);
}

// The examples listed in EIP-55 itself.
constexpr std::string_view kEip55Vectors[] = {
    "0x52908400098527886E0F7030069857D2E4169EE7", "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77", "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
};

TEST(Eip55, ChecksumReproducesTheEipExamples) {
  for (std::string_view v : kEip55Vectors) {
    auto addr = parse_address(v);
    ASSERT_TRUE(addr) << v << ": " << addr.error().to_string();
    EXPECT_EQ(to_checksum(*addr), v);
  }
}

TEST(Eip55, MixedCaseWithABrokenChecksumIsRejected) {
  auto r = parse_address("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::parse);
  EXPECT_NE(r.error().message.find("checksum"), std::string::npos);
}

TEST(Eip55, AllLowerAndAllUpperCaseAreAcceptedWithoutChecksum) {
  EXPECT_TRUE(parse_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"));
  EXPECT_TRUE(parse_address("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED"));
}

TEST(Eip55, WrongLengthOrNonHexAddressesAreRejected) {
  EXPECT_FALSE(parse_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea"));
  EXPECT_FALSE(parse_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaedff"));
  EXPECT_FALSE(parse_address("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg"));
}

// EIP-2: (r, n − s) with the other recovery id recovers the same signer; only the low-s form is
// accepted, so a signer has one valid signature per message.
TEST(RecoverAddress, RefusesTheHighSTwinOfAValidSignature) {
  const auto key = PrivateKey::from_hex(std::string(32 * 2, '1')).value();
  const Hash32 digest = keccak256(as_bytes(std::string_view("flywheel")));
  const Signature low = key.sign(digest);
  ASSERT_EQ(recover_address(digest, low).value(), key.address());
  // n − s, big-endian, with n the secp256k1 group order.
  static constexpr std::uint8_t kOrder[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                              0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
                                              0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
  Signature high = low;
  int borrow = 0;
  for (int k = 31; k >= 0; --k) {
    const int d = kOrder[k] - low.s[k] - borrow;
    borrow = d < 0 ? 1 : 0;
    high.s[k] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
  }
  high.recovery_id = static_cast<std::uint8_t>(low.recovery_id ^ 1);
  auto refused = recover_address(digest, high);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::crypto);
  EXPECT_NE(refused.error().message.find("EIP-2"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace flywheel
