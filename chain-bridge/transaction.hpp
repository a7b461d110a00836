// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! EIP-1559 (type 2) transactions in the EIP-2718 typed envelope, and legacy (type 0) transactions
//! with EIP-155 replay protection: signing hash, signing, raw encoding, transaction hash and
//! decoding. Access lists are always empty.
//! Signer (signer.hpp) signs and sends its transactions with sign_transaction.
//!
//!   Eip1559Transaction tx{.chain_id = 31337, .nonce = 0, .max_priority_fee_per_gas = 1'000'000'000,
//!                         .max_fee_per_gas = 30'000'000'000, .gas_limit = 21000, .to = recipient,
//!                         .value = 1};
//!   SignedTransaction stx = sign_transaction(tx, key);
//!   auto hash = rpc.send_raw_transaction(stx.raw());      // == stx.hash()
//!   assert(decode_transaction(stx.raw()).value() == stx);

#include <cstdint>
#include <optional>

#include "common/bytes.hpp"
#include "common/keys.hpp"
#include "common/u256.hpp"

namespace flywheel::chain {

//! The fields of an unsigned EIP-1559 transaction. Fees in wei per gas; value in wei.
struct Eip1559Transaction {
  std::uint64_t chain_id = 0;
  std::uint64_t nonce = 0;
  U256 max_priority_fee_per_gas;
  U256 max_fee_per_gas;
  std::uint64_t gas_limit = 0;
  std::optional<Address> to;  //!< nullopt creates a contract from `data` (init code)
  U256 value;
  Bytes data;

  //! keccak256(0x02 || rlp([chain_id, nonce, max_priority_fee_per_gas, max_fee_per_gas,
  //! gas_limit, to, value, data, access_list])): the digest the sender signs.
  [[nodiscard]] Hash32 signing_hash() const;

  bool operator==(const Eip1559Transaction&) const = default;
};

//! A transaction with its signature.
struct SignedTransaction {
  Eip1559Transaction tx;
  Signature signature;  //!< recovery_id is the EIP-1559 y_parity

  //! 0x02 || rlp([... 9 fields ..., y_parity, r, s]): what eth_sendRawTransaction takes.
  [[nodiscard]] Bytes raw() const;
  //! keccak256(raw()): the transaction hash.
  [[nodiscard]] Hash32 hash() const;
  //! The address that signed. Errc::crypto when the signature does not recover.
  [[nodiscard]] Result<Address> sender() const;

  bool operator==(const SignedTransaction&) const = default;
};

//! Signs `tx` with `key` (deterministic, RFC 6979).
SignedTransaction sign_transaction(const Eip1559Transaction& tx, const PrivateKey& key);

//! Decodes a raw type-2 transaction. Errc::parse when it is not 0x02 || rlp(list of 12 fields)
//! with canonical integers, a 0- or 20-byte `to`, an empty access list and y_parity 0 or 1.
Result<SignedTransaction> decode_transaction(ByteView raw);

//! The fields of an unsigned legacy (pre-EIP-2718, "type 0") transaction. Gas price and value in
//! wei. With `chain_id` > 0 it is signed with EIP-155 replay protection; `chain_id` 0 means the
//! original unprotected (Homestead) scheme, which most nodes refuse over RPC.
struct LegacyTransaction {
  std::uint64_t chain_id = 0;  //!< EIP-155 chain id; at most (2^64 - 36) / 2 so that v fits 64 bits
  std::uint64_t nonce = 0;
  U256 gas_price;
  std::uint64_t gas_limit = 0;
  std::optional<Address> to;  //!< nullopt creates a contract from `data` (init code)
  U256 value;
  Bytes data;

  //! rlp([nonce, gas_price, gas_limit, to, value, data, chain_id, 0, 0]) (EIP-155's "signing
  //! data"), or the first six fields only when chain_id is 0.
  [[nodiscard]] Bytes signing_payload() const;
  //! keccak256(signing_payload()): the digest the sender signs.
  [[nodiscard]] Hash32 signing_hash() const;

  bool operator==(const LegacyTransaction&) const = default;
};

//! A legacy transaction with its signature.
struct SignedLegacyTransaction {
  LegacyTransaction tx;
  Signature signature;  //!< recovery_id is the parity of the curve point's y

  //! EIP-155 v: chain_id * 2 + 35 + parity; 27 + parity when chain_id is 0.
  [[nodiscard]] std::uint64_t v() const;
  //! rlp([nonce, gas_price, gas_limit, to, value, data, v, r, s]): what eth_sendRawTransaction
  //! takes.
  [[nodiscard]] Bytes raw() const;
  //! keccak256(raw()): the transaction hash.
  [[nodiscard]] Hash32 hash() const;
  //! The address that signed. Errc::crypto when the signature does not recover.
  [[nodiscard]] Result<Address> sender() const;

  bool operator==(const SignedLegacyTransaction&) const = default;
};

//! Signs `tx` with `key` (deterministic, RFC 6979) under EIP-155 (unprotected when chain_id is 0).
SignedLegacyTransaction sign_legacy_transaction(const LegacyTransaction& tx, const PrivateKey& key);

//! Decodes a raw legacy transaction. Errc::parse when it is not rlp(list of 9 fields) with
//! canonical integers, a 0- or 20-byte `to`, and v equal to 27, 28 or chain_id * 2 + 35 or 36
//! (EIP-155).
Result<SignedLegacyTransaction> decode_legacy_transaction(ByteView raw);

}  // namespace flywheel::chain
