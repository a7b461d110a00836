// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not NIST SHA3-256's 0x06).
//! Reference: FIPS 202 permutation Keccak-f[1600]; Ethereum Yellow Paper, appendix on KEC.
//! It is the hash of everything the EVM recomputes: addresses, ABI selectors, EIP-712 digests,
//! transaction hashes, Merkle leaves and roots (bulk content digests use common/sha256.hpp).
//!
//!   Hash32 h = keccak256(as_bytes("hello"));
//!   Keccak256 hasher;                                     // the same digest, piece by piece
//!   hasher.update(as_bytes("hel"));
//!   hasher.update(as_bytes("lo"));
//!   assert(hasher.finish() == h);

#include <array>
#include <cstddef>
#include <cstdint>

#include "common/bytes.hpp"

namespace flywheel {

//! Keccak-256 of `data`. Thread-safe, never fails.
Hash32 keccak256(ByteView data);

//! Keccak-256 of the concatenation of two byte strings.
Hash32 keccak256(ByteView a, ByteView b);

//! Incremental Keccak-256: feeding a message in any number of pieces through update() and then
//! calling finish() gives the same digest as keccak256() of the whole message. Lets a receiver hash
//! a stream chunk by chunk as it arrives. Not thread-safe (one instance per stream); never fails.
class Keccak256 {
 public:
  //! The sponge block size in bytes (rate 1088 bits); update() is fastest with whole multiples.
  static constexpr std::size_t kRateBytes = 136;

  //! Absorbs the next `data.size()` bytes of the message; any size, including empty.
  void update(ByteView data);

  //! Pads, squeezes and returns the digest of everything passed to update() since construction
  //! or the previous finish(); the hasher is then reset to hash a new message.
  [[nodiscard]] Hash32 finish();

 private:
  std::array<std::uint64_t, 25> state_{};        // lane (x, y) at index x + 5 * y
  std::array<std::uint8_t, kRateBytes> tail_{};  // bytes of a not yet complete block
  std::size_t tail_size_ = 0;
};

}  // namespace flywheel
