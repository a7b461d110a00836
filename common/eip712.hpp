// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! EIP-712 typed structured data hashing and signing (https://eips.ethereum.org/EIPS/eip-712):
//! digest = keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct(message)), with
//! hashStruct(s) = keccak256(typeHash ‖ encodeData(s)) and typeHash = keccak256(encodeType).
//!
//! Two layers: a small generic encoder (Eip712Struct: a type string and its 32-byte encoded
//! member words, enough for the EIP's Mail example and any flat or nested struct), and the typed
//! messages Flywheel signs: UpdateReceipt (a participant's signed update) and UpdateAck (the
//! aggregator's acknowledgement). Signatures are 65-byte r ‖ s ‖ v, v ∈ {27, 28}, as
//! `eth_signTypedData_v4` and `cast wallet sign --data` produce.
//!
//!   eip712::Domain domain{.chain_id = 31337, .verifying_contract = ledger_address};
//!   const Hash32 d = eip712::digest(domain, receipt);       // receipt: an eip712::UpdateReceipt
//!   Bytes signature = eip712::sign_digest(key, d);          // 65 bytes r ‖ s ‖ v
//!   auto signer = eip712::recover_signer(d, signature);     // == key.address()

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/keys.hpp"
#include "common/result.hpp"

namespace flywheel::eip712 {

//! A 32-byte word of encodeData.
using Word = std::array<std::uint8_t, 32>;

//! encodeData word of an atomic uintN (N ≤ 64 here): big-endian, left-padded.
Word encode_uint(std::uint64_t value);
//! encodeData word of an address: left-padded to 32 bytes.
Word encode_address(const Address& address);
//! encodeData word of bytes32: the bytes themselves.
Word encode_bytes32(const Hash32& value);
//! encodeData word of a dynamic `string` or `bytes`: keccak256 of the contents.
Word encode_dynamic(ByteView contents);

//! A struct instance ready for hashStruct: `encode_type` is the full encodeType string (the
//! primary type followed by referenced struct types sorted by name, as the EIP requires), and
//! `words` are its members' encodeData words in declaration order (a nested struct member is its
//! own hash_struct as a word).
struct Eip712Struct {
  std::string encode_type;
  std::vector<Word> words;
};

//! keccak256(encode_type).
Hash32 type_hash(std::string_view encode_type);

//! keccak256(typeHash ‖ words...).
Hash32 hash_struct(const Eip712Struct& value);

//! The EIP712Domain this project uses: name, version, chainId and an optional verifyingContract
//! (the domain type string includes only the fields present, in the EIP's order).
struct Domain {
  std::string name = "Flywheel";
  std::string version = "1";
  std::uint64_t chain_id = 1;
  std::optional<Address> verifying_contract;
  bool operator==(const Domain&) const = default;
};

//! hashStruct(EIP712Domain).
Hash32 domain_separator(const Domain& domain);

//! keccak256(0x19 0x01 ‖ domain_separator ‖ struct_hash): what gets signed.
Hash32 signing_digest(const Hash32& domain_separator, const Hash32& struct_hash);

//! What a participant signs for each update it sends. The model and update hashes are SHA-256 of
//! the float32 little-endian bytes of the flat parameter vector (as Flywheel's trainers compute them).
//! encodeType: "UpdateReceipt(string jobId,uint64 round,address participant,bytes32 startModelHash,
//! bytes32 updateHash,uint64 samples,uint64 computeUnits,uint64 computeMillis)".
struct UpdateReceipt {
  std::string job_id;                //!< the job's name (job.name)
  std::uint64_t round = 0;           //!< 1-based round the update belongs to
  Address participant;               //!< the signer's address
  Hash32 start_model_hash;           //!< SHA-256 of the global model w_t the update started from
  Hash32 update_hash;                //!< SHA-256 of the update Δ's float32 bytes
  std::uint64_t samples = 0;         //!< training samples behind the update (per epoch)
  std::uint64_t compute_units = 0;   //!< samples × local epochs
  std::uint64_t compute_millis = 0;  //!< measured training wall time, milliseconds
  bool operator==(const UpdateReceipt&) const = default;
};

//! The UpdateReceipt encodeType string.
extern const char* const kUpdateReceiptType;

//! hashStruct(receipt).
Hash32 hash_struct(const UpdateReceipt& receipt);

//! What the aggregator signs when it accepts an update.
//! encodeType: "UpdateAck(bytes32 receiptDigest,address aggregator,uint64 round,uint64 acceptedAtMillis)".
struct UpdateAck {
  Hash32 receipt_digest;                 //!< signing_digest of the receipt being acknowledged
  Address aggregator;                    //!< the aggregator's address
  std::uint64_t round = 0;               //!< the round the update was accepted into
  std::uint64_t accepted_at_millis = 0;  //!< Unix time of acceptance, milliseconds
  bool operator==(const UpdateAck&) const = default;
};

//! The UpdateAck encodeType string.
extern const char* const kUpdateAckType;

//! hashStruct(ack).
Hash32 hash_struct(const UpdateAck& ack);

//! The digest to sign for a receipt under `domain`.
Hash32 digest(const Domain& domain, const UpdateReceipt& receipt);
//! The digest to sign for an ack under `domain`.
Hash32 digest(const Domain& domain, const UpdateAck& ack);

//! Signs a digest: 65 bytes r ‖ s ‖ v (v = 27 or 28).
Bytes sign_digest(const PrivateKey& key, const Hash32& digest);

//! The address that signed `digest`. Errc::crypto when `signature` is empty, not 65 bytes, has a
//! bad v, or does not recover to a point.
Result<Address> recover_signer(const Hash32& digest, ByteView signature);

//! The receipt as the JSON typed data of eth_signTypedData_v4 (types, primaryType, domain, message),
//! which `cast wallet sign --data` accepts.
std::string typed_data_json(const Domain& domain, const UpdateReceipt& receipt);

}  // namespace flywheel::eip712
