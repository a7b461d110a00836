// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "attribution/merkle.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "common/keccak.hpp"

namespace flywheel::attribution {

namespace {

// ABI encoding of the static types a leaf holds: each value one 32-byte big-endian word.
void append_word_u64(Bytes& out, std::uint64_t v) {
  for (int i = 0; i < 24; ++i) out.push_back(0);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void append_word_i64(Bytes& out, std::int64_t v) {
  // Two's complement sign extension to 256 bits.
  const std::uint8_t fill = v < 0 ? 0xff : 0x00;
  for (int i = 0; i < 24; ++i) out.push_back(fill);
  const auto u = static_cast<std::uint64_t>(v);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(u >> shift));
}

void append_word_address(Bytes& out, const Address& a) {
  for (int i = 0; i < 12; ++i) out.push_back(0);
  out.insert(out.end(), a.bytes.begin(), a.bytes.end());
}

// OpenZeppelin StandardMerkleTree leaves hash twice, so a leaf can never be mistaken for an inner
// node (a 64-byte preimage).
Hash32 double_keccak(const Bytes& encoded) {
  const Hash32 inner = keccak256(encoded);
  return keccak256(inner.view());
}

Hash32 hash_pair(const Hash32& a, const Hash32& b) {
  return a < b ? keccak256(a.view(), b.view()) : keccak256(b.view(), a.view());
}

}  // namespace

std::int64_t value_to_fixed(double value) { return std::llround(value * 1e18); }

Hash32 round_leaf_hash(const RoundLeaf& leaf) {
  Bytes encoded;
  encoded.reserve(128);
  append_word_address(encoded, leaf.participant);
  encoded.insert(encoded.end(), leaf.receipt.bytes.begin(), leaf.receipt.bytes.end());
  append_word_i64(encoded, value_to_fixed(leaf.value));
  append_word_u64(encoded, leaf.samples);
  return double_keccak(encoded);
}

Hash32 share_leaf_hash(const Address& account, std::uint64_t amount) {
  Bytes encoded;
  encoded.reserve(64);
  append_word_address(encoded, account);
  append_word_u64(encoded, amount);
  return double_keccak(encoded);
}

MerkleTree::MerkleTree(std::vector<Hash32> leaves) {
  if (leaves.empty()) return;
  levels_.push_back(std::move(leaves));
  while (levels_.back().size() > 1) {
    const auto& below = levels_.back();
    std::vector<Hash32> above;
    above.reserve((below.size() + 1) / 2);
    for (std::size_t i = 0; i + 1 < below.size(); i += 2) above.push_back(hash_pair(below[i], below[i + 1]));
    if (below.size() % 2 == 1) above.push_back(below.back());
    levels_.push_back(std::move(above));
  }
}

Hash32 MerkleTree::root() const { return levels_.empty() ? Hash32{} : levels_.back().front(); }

std::vector<Hash32> MerkleTree::proof(std::size_t index) const {
  assert(index < size());
  std::vector<Hash32> out;
  for (std::size_t level = 0; level + 1 < levels_.size(); ++level) {
    const auto& nodes = levels_[level];
    const std::size_t sibling = index ^ 1;
    // A node without a sibling is carried up unchanged and contributes nothing to the proof.
    if (sibling < nodes.size()) out.push_back(nodes[sibling]);
    index /= 2;
  }
  return out;
}

bool MerkleTree::verify(const std::vector<Hash32>& proof, const Hash32& root, const Hash32& leaf) {
  Hash32 node = leaf;
  for (const auto& sibling : proof) node = hash_pair(node, sibling);
  return node == root;
}

}  // namespace flywheel::attribution
