// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// EIP-712 (https://eips.ethereum.org/EIPS/eip-712): encodeType, encodeData, hashStruct, the domain
// separator and the 0x1901 signing digest.
#include "common/eip712.hpp"

#include <nlohmann/json.hpp>

#include "common/keccak.hpp"

namespace flywheel::eip712 {

const char* const kUpdateReceiptType =
    "UpdateReceipt(string jobId,uint64 round,address participant,bytes32 startModelHash,"
    "bytes32 updateHash,uint64 samples,uint64 computeUnits,uint64 computeMillis)";

const char* const kUpdateAckType =
    "UpdateAck(bytes32 receiptDigest,address aggregator,uint64 round,uint64 acceptedAtMillis)";

Word encode_uint(std::uint64_t value) {
  Word w{};
  for (int i = 0; i < 8; ++i) w[31 - i] = static_cast<std::uint8_t>(value >> (8 * i));
  return w;
}

Word encode_address(const Address& address) {
  Word w{};
  std::copy(address.bytes.begin(), address.bytes.end(), w.begin() + 12);
  return w;
}

Word encode_bytes32(const Hash32& value) { return value.bytes; }

Word encode_dynamic(ByteView contents) { return keccak256(contents).bytes; }

Hash32 type_hash(std::string_view encode_type) { return keccak256(as_bytes(encode_type)); }

Hash32 hash_struct(const Eip712Struct& value) {
  Bytes buffer;
  buffer.reserve(32 * (value.words.size() + 1));
  const Hash32 th = type_hash(value.encode_type);
  buffer.insert(buffer.end(), th.bytes.begin(), th.bytes.end());
  for (const auto& w : value.words) buffer.insert(buffer.end(), w.begin(), w.end());
  return keccak256(buffer);
}

Hash32 domain_separator(const Domain& domain) {
  Eip712Struct s;
  s.encode_type = "EIP712Domain(string name,string version,uint256 chainId";
  s.words.push_back(encode_dynamic(as_bytes(domain.name)));
  s.words.push_back(encode_dynamic(as_bytes(domain.version)));
  s.words.push_back(encode_uint(domain.chain_id));
  if (domain.verifying_contract) {
    s.encode_type += ",address verifyingContract";
    s.words.push_back(encode_address(*domain.verifying_contract));
  }
  s.encode_type += ")";
  return hash_struct(s);
}

Hash32 signing_digest(const Hash32& domain_separator, const Hash32& struct_hash) {
  Bytes buffer{0x19, 0x01};
  buffer.insert(buffer.end(), domain_separator.bytes.begin(), domain_separator.bytes.end());
  buffer.insert(buffer.end(), struct_hash.bytes.begin(), struct_hash.bytes.end());
  return keccak256(buffer);
}

Hash32 hash_struct(const UpdateReceipt& r) {
  return hash_struct(
      Eip712Struct{.encode_type = kUpdateReceiptType,
                   .words = {encode_dynamic(as_bytes(r.job_id)), encode_uint(r.round), encode_address(r.participant),
                             encode_bytes32(r.start_model_hash), encode_bytes32(r.update_hash), encode_uint(r.samples),
                             encode_uint(r.compute_units), encode_uint(r.compute_millis)}});
}

Hash32 hash_struct(const UpdateAck& a) {
  return hash_struct(Eip712Struct{.encode_type = kUpdateAckType,
                                  .words = {encode_bytes32(a.receipt_digest), encode_address(a.aggregator),
                                            encode_uint(a.round), encode_uint(a.accepted_at_millis)}});
}

Hash32 digest(const Domain& domain, const UpdateReceipt& receipt) {
  return signing_digest(domain_separator(domain), hash_struct(receipt));
}

Hash32 digest(const Domain& domain, const UpdateAck& ack) {
  return signing_digest(domain_separator(domain), hash_struct(ack));
}

Bytes sign_digest(const PrivateKey& key, const Hash32& digest) { return key.sign(digest).to_rsv(); }

Result<Address> recover_signer(const Hash32& digest, ByteView signature) {
  if (signature.empty()) return fail(Errc::crypto, "missing signature");
  if (signature.size() != 65) {
    return fail(Errc::crypto, "signature must be 65 bytes r||s||v, got " + std::to_string(signature.size()));
  }
  auto parsed = Signature::from_rsv(signature);
  if (!parsed) return fail(Errc::crypto, "malformed signature: " + parsed.error().message);
  auto address = recover_address(digest, *parsed);
  if (!address) return fail(Errc::crypto, "signature does not recover: " + address.error().message);
  return address;
}

std::string typed_data_json(const Domain& domain, const UpdateReceipt& r) {
  using Json = nlohmann::ordered_json;
  Json j;
  Json domain_type = Json::array({{{"name", "name"}, {"type", "string"}},
                                  {{"name", "version"}, {"type", "string"}},
                                  {{"name", "chainId"}, {"type", "uint256"}}});
  if (domain.verifying_contract) {
    domain_type.push_back({{"name", "verifyingContract"}, {"type", "address"}});
  }
  j["types"]["EIP712Domain"] = domain_type;
  j["types"]["UpdateReceipt"] = Json::array({{{"name", "jobId"}, {"type", "string"}},
                                             {{"name", "round"}, {"type", "uint64"}},
                                             {{"name", "participant"}, {"type", "address"}},
                                             {{"name", "startModelHash"}, {"type", "bytes32"}},
                                             {{"name", "updateHash"}, {"type", "bytes32"}},
                                             {{"name", "samples"}, {"type", "uint64"}},
                                             {{"name", "computeUnits"}, {"type", "uint64"}},
                                             {{"name", "computeMillis"}, {"type", "uint64"}}});
  j["primaryType"] = "UpdateReceipt";
  j["domain"]["name"] = domain.name;
  j["domain"]["version"] = domain.version;
  j["domain"]["chainId"] = domain.chain_id;
  if (domain.verifying_contract) j["domain"]["verifyingContract"] = domain.verifying_contract->hex();
  j["message"]["jobId"] = r.job_id;
  j["message"]["round"] = r.round;
  j["message"]["participant"] = r.participant.hex();
  j["message"]["startModelHash"] = r.start_model_hash.hex();
  j["message"]["updateHash"] = r.update_hash.hex();
  j["message"]["samples"] = r.samples;
  j["message"]["computeUnits"] = r.compute_units;
  j["message"]["computeMillis"] = r.compute_millis;
  return j.dump();
}

}  // namespace flywheel::eip712
