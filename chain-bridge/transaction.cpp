// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// EIP-1559 fee-market transactions (type 2) inside the EIP-2718 typed transaction envelope, and
// legacy transactions signed with EIP-155 simple replay protection
// (v = chain_id * 2 + 35 + parity).
#include "chain-bridge/transaction.hpp"

#include <cassert>

#include "chain-bridge/rlp.hpp"
#include "common/keccak.hpp"

namespace flywheel::chain {
namespace {

constexpr std::uint8_t kType = 0x02;

std::vector<Bytes> unsigned_fields(const Eip1559Transaction& tx) {
  return {
      rlp_encode_uint(tx.chain_id),
      rlp_encode_uint(tx.nonce),
      rlp_encode_uint(tx.max_priority_fee_per_gas),
      rlp_encode_uint(tx.max_fee_per_gas),
      rlp_encode_uint(tx.gas_limit),
      tx.to ? rlp_encode_bytes(tx.to->view()) : rlp_encode_bytes({}),
      rlp_encode_uint(tx.value),
      rlp_encode_bytes(tx.data),
      rlp_encode_list({}),  // access list
  };
}

Bytes typed(const std::vector<Bytes>& fields) {
  Bytes out{kType};
  const Bytes body = rlp_encode_list(fields);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// Strips leading zero bytes: RLP integers (r, s) are minimal.
Bytes minimal(const std::array<std::uint8_t, 32>& word) {
  return U256::from_be_bytes(word).value().to_minimal_be_bytes();
}

Result<std::uint64_t> field_u64(const RlpItem& item, const char* name) {
  auto v = item.as_uint();
  if (!v || !v->fits_u64())
    return fail(Errc::parse, std::string("transaction ") + name + " is not a canonical 64-bit integer");
  return v->limbs[0];
}

Result<U256> field_u256(const RlpItem& item, const char* name) {
  auto v = item.as_uint();
  if (!v) return fail(Errc::parse, std::string("transaction ") + name + ": " + v.error().message);
  return *v;
}

// The six fields every legacy transaction starts with.
std::vector<Bytes> legacy_fields(const LegacyTransaction& tx) {
  return {
      rlp_encode_uint(tx.nonce),     rlp_encode_uint(tx.gas_price),
      rlp_encode_uint(tx.gas_limit), tx.to ? rlp_encode_bytes(tx.to->view()) : rlp_encode_bytes({}),
      rlp_encode_uint(tx.value),     rlp_encode_bytes(tx.data),
  };
}

constexpr std::uint64_t kEip155Offset = 35;
constexpr std::uint64_t kHomesteadOffset = 27;
constexpr std::uint64_t kMaxChainId = (UINT64_MAX - kEip155Offset - 1) / 2;

}  // namespace

Hash32 Eip1559Transaction::signing_hash() const { return keccak256(typed(unsigned_fields(*this))); }

Bytes SignedTransaction::raw() const {
  std::vector<Bytes> fields = unsigned_fields(tx);
  fields.push_back(rlp_encode_uint(signature.recovery_id));
  fields.push_back(rlp_encode_bytes(minimal(signature.r)));
  fields.push_back(rlp_encode_bytes(minimal(signature.s)));
  return typed(fields);
}

Hash32 SignedTransaction::hash() const { return keccak256(raw()); }

Result<Address> SignedTransaction::sender() const { return recover_address(tx.signing_hash(), signature); }

SignedTransaction sign_transaction(const Eip1559Transaction& tx, const PrivateKey& key) {
  return SignedTransaction{.tx = tx, .signature = key.sign(tx.signing_hash())};
}

Result<SignedTransaction> decode_transaction(ByteView raw) {
  if (raw.empty() || raw[0] != kType) {
    return fail(Errc::parse, "not an EIP-1559 transaction: the first byte must be 0x02");
  }
  auto item = rlp_decode(raw.subspan(1));
  if (!item) return tl::unexpected(with_context(item.error(), "EIP-1559 transaction"));
  if (!item->is_list || item->items.size() != 12) {
    return fail(Errc::parse, "EIP-1559 transaction must be an RLP list of 12 fields");
  }
  const auto& f = item->items;
  for (std::size_t i : {5UL, 7UL, 9UL, 10UL, 11UL}) {
    if (f[i].is_list)
      return fail(Errc::parse, "EIP-1559 transaction field " + std::to_string(i) + " must be a byte string");
  }
  if (!f[8].is_list || !f[8].items.empty()) {
    return fail(Errc::parse, "EIP-1559 transaction has a non-empty access list (unsupported)");
  }
  SignedTransaction out;
  Eip1559Transaction& tx = out.tx;
  auto chain_id = field_u64(f[0], "chain_id");
  auto nonce = field_u64(f[1], "nonce");
  auto tip = field_u256(f[2], "max_priority_fee_per_gas");
  auto max_fee = field_u256(f[3], "max_fee_per_gas");
  auto gas = field_u64(f[4], "gas_limit");
  auto value = field_u256(f[6], "value");
  auto parity = field_u64(f[9], "y_parity");
  auto r = field_u256(f[10], "r");
  auto s = field_u256(f[11], "s");
  for (const Error* e :
       {chain_id ? nullptr : &chain_id.error(), nonce ? nullptr : &nonce.error(), tip ? nullptr : &tip.error(),
        max_fee ? nullptr : &max_fee.error(), gas ? nullptr : &gas.error(), value ? nullptr : &value.error(),
        parity ? nullptr : &parity.error(), r ? nullptr : &r.error(), s ? nullptr : &s.error()}) {
    if (e) return tl::unexpected(*e);
  }
  if (*parity > 1) return fail(Errc::parse, "EIP-1559 y_parity must be 0 or 1");
  tx.chain_id = *chain_id;
  tx.nonce = *nonce;
  tx.max_priority_fee_per_gas = *tip;
  tx.max_fee_per_gas = *max_fee;
  tx.gas_limit = *gas;
  if (f[5].bytes.size() == 20) {
    tx.to = Address::from(f[5].bytes).value();
  } else if (!f[5].bytes.empty()) {
    return fail(Errc::parse, "EIP-1559 `to` must be empty or 20 bytes");
  }
  tx.value = *value;
  tx.data = f[7].bytes;
  out.signature.r = r->to_be_bytes();
  out.signature.s = s->to_be_bytes();
  out.signature.recovery_id = static_cast<std::uint8_t>(*parity);
  return out;
}

Bytes LegacyTransaction::signing_payload() const {
  std::vector<Bytes> fields = legacy_fields(*this);
  if (chain_id != 0) {
    fields.push_back(rlp_encode_uint(chain_id));
    fields.push_back(rlp_encode_uint(0));
    fields.push_back(rlp_encode_uint(0));
  }
  return rlp_encode_list(fields);
}

Hash32 LegacyTransaction::signing_hash() const { return keccak256(signing_payload()); }

std::uint64_t SignedLegacyTransaction::v() const {
  // A chain id above kMaxChainId would wrap v: a caller bug, not an input error.
  assert(tx.chain_id <= kMaxChainId);
  return tx.chain_id == 0 ? kHomesteadOffset + signature.recovery_id
                          : tx.chain_id * 2 + kEip155Offset + signature.recovery_id;
}

Bytes SignedLegacyTransaction::raw() const {
  std::vector<Bytes> fields = legacy_fields(tx);
  fields.push_back(rlp_encode_uint(v()));
  fields.push_back(rlp_encode_bytes(minimal(signature.r)));
  fields.push_back(rlp_encode_bytes(minimal(signature.s)));
  return rlp_encode_list(fields);
}

Hash32 SignedLegacyTransaction::hash() const { return keccak256(raw()); }

Result<Address> SignedLegacyTransaction::sender() const { return recover_address(tx.signing_hash(), signature); }

SignedLegacyTransaction sign_legacy_transaction(const LegacyTransaction& tx, const PrivateKey& key) {
  return SignedLegacyTransaction{.tx = tx, .signature = key.sign(tx.signing_hash())};
}

Result<SignedLegacyTransaction> decode_legacy_transaction(ByteView raw) {
  if (raw.empty() || raw[0] < 0xc0) {
    return fail(Errc::parse, "not a legacy transaction: it must be an RLP list (first byte >= 0xc0)");
  }
  auto item = rlp_decode(raw);
  if (!item) return tl::unexpected(with_context(item.error(), "legacy transaction"));
  if (!item->is_list || item->items.size() != 9) {
    return fail(Errc::parse, "legacy transaction must be an RLP list of 9 fields");
  }
  const auto& f = item->items;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i].is_list)
      return fail(Errc::parse, "legacy transaction field " + std::to_string(i) + " must be a byte string");
  }
  auto nonce = field_u64(f[0], "nonce");
  auto gas_price = field_u256(f[1], "gas_price");
  auto gas = field_u64(f[2], "gas_limit");
  auto value = field_u256(f[4], "value");
  auto v = field_u64(f[6], "v");
  auto r = field_u256(f[7], "r");
  auto s = field_u256(f[8], "s");
  for (const Error* e : {nonce ? nullptr : &nonce.error(), gas_price ? nullptr : &gas_price.error(),
                         gas ? nullptr : &gas.error(), value ? nullptr : &value.error(), v ? nullptr : &v.error(),
                         r ? nullptr : &r.error(), s ? nullptr : &s.error()}) {
    if (e) return tl::unexpected(*e);
  }
  SignedLegacyTransaction out;
  LegacyTransaction& tx = out.tx;
  if (*v == kHomesteadOffset || *v == kHomesteadOffset + 1) {
    tx.chain_id = 0;
    out.signature.recovery_id = static_cast<std::uint8_t>(*v - kHomesteadOffset);
  } else if (*v >= kEip155Offset + 2) {
    tx.chain_id = (*v - kEip155Offset) / 2;
    out.signature.recovery_id = static_cast<std::uint8_t>((*v - kEip155Offset) % 2);
  } else {
    return fail(Errc::parse,
                "legacy transaction v must be 27, 28 or chain_id * 2 + 35 or 36 (EIP-155), got " + std::to_string(*v));
  }
  tx.nonce = *nonce;
  tx.gas_price = *gas_price;
  tx.gas_limit = *gas;
  if (f[3].bytes.size() == 20) {
    tx.to = Address::from(f[3].bytes).value();
  } else if (!f[3].bytes.empty()) {
    return fail(Errc::parse, "legacy transaction `to` must be empty or 20 bytes");
  }
  tx.value = *value;
  tx.data = f[5].bytes;
  out.signature.r = r->to_be_bytes();
  out.signature.s = s->to_be_bytes();
  return out;
}

}  // namespace flywheel::chain
