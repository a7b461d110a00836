// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "attribution/merkle.hpp"

#include <gtest/gtest.h>

#include "common/keccak.hpp"

namespace flywheel::attribution {
namespace {

Address address_of_byte(std::uint8_t b) {
  Address a;
  a.bytes.fill(b);
  return a;
}

Hash32 h(std::string_view hex) { return *Hash32::from_hex(hex); }

// Expected values computed independently with Foundry's cast:
//   cast keccak $(cast keccak $(cast abi-encode "f(address,uint256)" 0x1111…1111 600))
TEST(ShareLeafHash, MatchesDoubleKeccakOfAbiEncoding) {
  EXPECT_EQ(share_leaf_hash(address_of_byte(0x11), 600),
            h("0x6614643305998bf49b8a31772c2220ca6beceb99220b6a0e0d27e3d81a060017"));
  EXPECT_EQ(share_leaf_hash(address_of_byte(0x22), 400),
            h("0xadf962fa973456cff969295a2bcb4737b47871984dae691fa83b76efbe27aa64"));
}

// Expected values computed independently with Foundry's cast:
//   cast keccak $(cast keccak $(cast abi-encode 'f(address,bytes32,int256,uint256)' --
//     0x1111…1111 0xabab…abab -250000000000000000 1234))   (one line)
TEST(RoundLeafHash, EncodesTheReceiptDigestAndNegativeValuesAsTwosComplement) {
  Hash32 receipt;
  receipt.bytes.fill(0xab);
  const RoundLeaf leaf{.participant = address_of_byte(0x11), .receipt = receipt, .value = -0.25, .samples = 1234};
  EXPECT_EQ(value_to_fixed(-0.25), -250000000000000000);
  EXPECT_EQ(round_leaf_hash(leaf), h("0x69b3a90de7137d69a98108e1c05d3c490e2adf799a690dc9e41fb97f5790152b"));
}

// cast abi-encode 'f(address,bytes32,int256,uint256)' 0x1111…1111 0x00…00 0 0, hashed twice.
TEST(RoundLeafHash, AnAbsentParticipantCommitsToAZeroReceipt) {
  const RoundLeaf leaf{.participant = address_of_byte(0x11)};
  EXPECT_TRUE(leaf.receipt.is_zero());
  EXPECT_EQ(round_leaf_hash(leaf), h("0xda8b49eb1dfbf8734f01554e1d27979eb9124693e60eb4e90800d81cf5bd8d71"));
}

TEST(RoundLeafHash, AnotherReceiptGivesAnotherLeaf) {
  RoundLeaf leaf{.participant = address_of_byte(0x11), .value = 0.5, .samples = 10};
  const Hash32 without = round_leaf_hash(leaf);
  leaf.receipt.bytes[31] = 1;
  EXPECT_NE(round_leaf_hash(leaf), without);
}

TEST(MerkleTree, TwoLeafRootMatchesSortedPairHash) {
  MerkleTree tree({share_leaf_hash(address_of_byte(0x11), 600), share_leaf_hash(address_of_byte(0x22), 400)});
  EXPECT_EQ(tree.root(), h("0x2d54af7259b427e1d56036b34f47f1ec5d3a730d3e89e43b8848973d5690bcd3"));
}

TEST(MerkleTree, EveryLeafProvesAgainstTheRoot) {
  for (std::size_t n = 1; n <= 13; ++n) {
    std::vector<Hash32> leaves;
    for (std::size_t i = 0; i < n; ++i) leaves.push_back(share_leaf_hash(address_of_byte(i + 1), i * 7));
    MerkleTree tree(leaves);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_TRUE(MerkleTree::verify(tree.proof(i), tree.root(), leaves[i])) << n << " leaves, leaf " << i;
    }
  }
}

TEST(MerkleTree, TamperedLeafOrProofFails) {
  std::vector<Hash32> leaves;
  for (std::uint8_t i = 1; i <= 6; ++i) leaves.push_back(share_leaf_hash(address_of_byte(i), i));
  MerkleTree tree(leaves);
  // Another amount for the same account.
  EXPECT_FALSE(MerkleTree::verify(tree.proof(2), tree.root(), share_leaf_hash(address_of_byte(3), 4)));
  // A proof for another leaf.
  EXPECT_FALSE(MerkleTree::verify(tree.proof(1), tree.root(), leaves[2]));
  auto proof = tree.proof(2);
  proof[0].bytes[0] ^= 1;
  EXPECT_FALSE(MerkleTree::verify(proof, tree.root(), leaves[2]));
}

TEST(MerkleTree, SingleLeafIsItsOwnRoot) {
  const Hash32 leaf = share_leaf_hash(address_of_byte(9), 1);
  MerkleTree tree({leaf});
  EXPECT_EQ(tree.root(), leaf);
  EXPECT_TRUE(tree.proof(0).empty());
}

TEST(MerkleTree, EmptyTreeHasZeroRoot) { EXPECT_TRUE(MerkleTree({}).root().is_zero()); }

}  // namespace
}  // namespace flywheel::attribution
