// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! EIP-1559 (type 2) transactions in the EIP-2718 typed envelope: signing hash, signing, raw
//! encoding, transaction hash and decoding. Access lists are always empty.

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

}  // namespace flywheel::chain
