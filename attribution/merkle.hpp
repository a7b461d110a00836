// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Keccak Merkle trees over attribution leaves, compatible with OpenZeppelin's MerkleProof
//! (sorted-pair hashing) and StandardMerkleTree leaves (double keccak of the ABI-encoded tuple).
//! Their roots are what goes on-chain (docs/onchain.md): a round's attribution root (recordRound)
//! over its RoundLeafs, and a job's shares root (proposeShares) over its share-claim leaves.
//!
//!   MerkleTree tree({share_leaf_hash(alice, 750), share_leaf_hash(bob, 250)});
//!   const Hash32 root = tree.root();                  // proposeShares(jobId, root, 1000)
//!   std::vector<Hash32> proof = tree.proof(1);        // what bob passes to claimShares
//!   assert(MerkleTree::verify(proof, root, share_leaf_hash(bob, 250)));

#include <cstdint>
#include <vector>

#include "common/bytes.hpp"

namespace flywheel::attribution {

//! One participant's line in a round record.
struct RoundLeaf {
  Address participant;
  //! The EIP-712 digest (common/eip712.hpp) of the participant's signed UpdateReceipt for the
  //! round; zero when the participant sent no update in the round.
  Hash32 receipt{};
  double value = 0;           //!< round Shapley value, in utility units (accuracy)
  std::uint64_t samples = 0;  //!< training samples behind the participant's update; 0 when absent
  bool operator==(const RoundLeaf&) const = default;
};

//! A round value as the signed fixed-point integer that leaves commit to: round(value * 1e18).
std::int64_t value_to_fixed(double value);

//! keccak256(keccak256(abi.encode(address participant, bytes32 receipt, int256 value_fixed,
//! uint256 samples))), value_fixed = value_to_fixed(value) (docs/onchain.md, "Round leaves").
Hash32 round_leaf_hash(const RoundLeaf& leaf);

//! keccak256(keccak256(abi.encode(address account, uint256 amount))): the share-claim leaf that
//! the AttributionLedger contract verifies.
Hash32 share_leaf_hash(const Address& account, std::uint64_t amount);

//! A Merkle tree over leaf hashes. Parents are keccak256 of the sorted pair; an odd node is carried
//! up unchanged. A tree of one leaf has that leaf as root; an empty tree has root zero.
class MerkleTree {
 public:
  explicit MerkleTree(std::vector<Hash32> leaves);

  [[nodiscard]] Hash32 root() const;
  //! Sibling hashes from leaf `index` up to the root. Aborts when index is out of range (a bug).
  [[nodiscard]] std::vector<Hash32> proof(std::size_t index) const;
  [[nodiscard]] std::size_t size() const { return levels_.empty() ? 0 : levels_.front().size(); }

  //! True when `proof` leads from `leaf` to `root` (OpenZeppelin MerkleProof.verify semantics).
  static bool verify(const std::vector<Hash32>& proof, const Hash32& root, const Hash32& leaf);

 private:
  std::vector<std::vector<Hash32>> levels_;
};

}  // namespace flywheel::attribution
