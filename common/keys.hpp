// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! secp256k1 keys, recoverable ECDSA signatures and Ethereum addresses (EIP-55 checksums),
//! built on libsecp256k1 with its recovery module.
//! The key every signer in Flywheel holds: participants (receipts, joins), the aggregator (acks)
//! and every account that sends a transaction.
//!
//!   auto key = PrivateKey::from_hex(hex);                 // Errc::parse / Errc::crypto
//!   Signature sig = key->sign(digest);                    // RFC 6979 nonce, low-s
//!   auto signer = recover_address(digest, sig);           // == key->address()
//!   std::string shown = to_checksum(key->address());      // "0x…" in EIP-55 mixed case

#include <memory>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace flywheel {

//! A recoverable ECDSA signature: r, s (low-s normalised) and the recovery id (0 or 1).
struct Signature {
  std::array<std::uint8_t, 32> r{};
  std::array<std::uint8_t, 32> s{};
  std::uint8_t recovery_id = 0;

  //! 65 bytes r || s || v with v = recovery_id + 27 (the eth_sign / EIP-712 convention).
  [[nodiscard]] Bytes to_rsv() const;
  //! Parses 65 bytes r || s || v where v is 0, 1, 27 or 28. Errc::parse otherwise.
  static Result<Signature> from_rsv(ByteView rsv);
  bool operator==(const Signature&) const = default;
};

//! A secp256k1 private key: a plain copyable value (32 bytes); never printed by logging.
class PrivateKey {
 public:
  //! Errc::crypto when `secret` is not 32 bytes or not a valid scalar (0 or ≥ the group order).
  static Result<PrivateKey> from_bytes(ByteView secret);
  //! Hex with or without 0x. Errc::parse / Errc::crypto as for from_hex and from_bytes.
  static Result<PrivateKey> from_hex(std::string_view hex);
  //! A fresh key from the operating system's random source (getrandom). Aborts if none.
  static PrivateKey random();

  //! The 32 secret bytes.
  [[nodiscard]] const std::array<std::uint8_t, 32>& secret() const { return secret_; }
  //! The 64-byte uncompressed public key without the 0x04 prefix (x || y).
  [[nodiscard]] Bytes public_key() const;
  //! keccak256(public_key)[12..32].
  [[nodiscard]] Address address() const;
  //! Signs a 32-byte digest (RFC 6979 nonces, low-s). Deterministic; thread-safe.
  [[nodiscard]] Signature sign(const Hash32& digest) const;

 private:
  std::array<std::uint8_t, 32> secret_{};
};

//! Recovers the signer's address from a digest and signature. Errc::crypto when the signature is
//! malformed, has a high s (EIP-2: only the low-s form of a signature is valid, so that no
//! signature has a second valid twin) or does not recover to a valid point.
Result<Address> recover_address(const Hash32& digest, const Signature& signature);

//! EIP-55 mixed-case checksum form of an address, with 0x.
std::string to_checksum(const Address& address);

//! Parses an address from 40 hex digits, with or without 0x. Accepts all-lower or all-upper
//! case; mixed case must carry a valid EIP-55 checksum. Errc::parse otherwise.
Result<Address> parse_address(std::string_view text);

//! EIP-191 personal-message digest: keccak256("\x19Ethereum Signed Message:\n" + len + message).
Hash32 personal_message_digest(ByteView message);

}  // namespace flywheel
