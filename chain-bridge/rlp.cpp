// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// RLP: Ethereum Yellow Paper, appendix B (equations 180-190), with the canonical-form rules that
// clients enforce on decoding.
#include "chain-bridge/rlp.hpp"

namespace flywheel::chain {
namespace {

// Header for a payload of `length` bytes; `offset` is 0x80 for strings and 0xc0 for lists.
Bytes header(std::size_t length, std::uint8_t offset) {
  if (length <= 55) return {static_cast<std::uint8_t>(offset + length)};
  const Bytes len_bytes = U256(length).to_minimal_be_bytes();
  Bytes out{static_cast<std::uint8_t>(offset + 55 + len_bytes.size())};
  out.insert(out.end(), len_bytes.begin(), len_bytes.end());
  return out;
}

struct Decoder {
  ByteView data;

  // Decodes the item starting at data[pos]; advances pos past it.
  Result<RlpItem> item(std::size_t& pos, int depth) {
    if (depth > 64) return fail(Errc::parse, "RLP nesting deeper than 64 levels");
    if (pos >= data.size()) return fail(Errc::parse, "RLP input ends where an item was expected");
    const std::uint8_t prefix = data[pos];
    if (prefix < 0x80) {
      ++pos;
      return RlpItem::string(data.subspan(pos - 1, 1));
    }
    const bool is_list = prefix >= 0xc0;
    const std::uint8_t base = is_list ? 0xc0 : 0x80;
    std::size_t length = 0;
    std::size_t start = pos + 1;
    if (prefix - base <= 55) {
      length = prefix - base;
    } else {
      const std::size_t len_of_len = prefix - base - 55;
      if (start + len_of_len > data.size()) return fail(Errc::parse, "RLP length is truncated");
      if (data[start] == 0) return fail(Errc::parse, "RLP length has a leading zero byte");
      if (len_of_len > 8) return fail(Errc::parse, "RLP length does not fit in 64 bits");
      for (std::size_t i = 0; i < len_of_len; ++i) length = (length << 8) | data[start + i];
      if (length <= 55) return fail(Errc::parse, "RLP uses the long form for a short payload");
      start += len_of_len;
    }
    if (length > data.size() - start) {
      return fail(Errc::parse, "RLP payload of " + std::to_string(length) + " bytes runs past the end of the input");
    }
    const std::size_t end = start + length;
    pos = end;
    if (!is_list) {
      if (length == 1 && data[start] < 0x80) {
        return fail(Errc::parse, "RLP wraps a single byte below 0x80 in a string header");
      }
      return RlpItem::string(data.subspan(start, length));
    }
    RlpItem out = RlpItem::list({});
    std::size_t inner = start;
    while (inner < end) {
      Decoder sub{data.first(end)};
      auto child = sub.item(inner, depth + 1);
      if (!child) return child;
      out.items.push_back(std::move(*child));
    }
    return out;
  }
};

}  // namespace

Result<U256> RlpItem::as_uint() const {
  if (is_list) return fail(Errc::parse, "expected an RLP integer, found a list");
  if (!bytes.empty() && bytes[0] == 0) {
    return fail(Errc::parse, "RLP integer has a leading zero byte");
  }
  return U256::from_be_bytes(bytes);
}

Bytes rlp_encode_bytes(ByteView data) {
  if (data.size() == 1 && data[0] < 0x80) return {data[0]};
  Bytes out = header(data.size(), 0x80);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes rlp_encode_uint(const U256& value) { return rlp_encode_bytes(value.to_minimal_be_bytes()); }

Bytes rlp_encode_list(const std::vector<Bytes>& encoded_items) {
  std::size_t total = 0;
  for (const auto& item : encoded_items) total += item.size();
  Bytes out = header(total, 0xc0);
  out.reserve(out.size() + total);
  for (const auto& item : encoded_items) out.insert(out.end(), item.begin(), item.end());
  return out;
}

Bytes rlp_encode(const RlpItem& item) {
  if (!item.is_list) return rlp_encode_bytes(item.bytes);
  std::vector<Bytes> parts;
  parts.reserve(item.items.size());
  for (const auto& child : item.items) parts.push_back(rlp_encode(child));
  return rlp_encode_list(parts);
}

Result<RlpItem> rlp_decode(ByteView data) {
  Decoder decoder{data};
  std::size_t pos = 0;
  auto item = decoder.item(pos, 0);
  if (!item) return item;
  if (pos != data.size()) {
    return fail(Errc::parse, "RLP input has " + std::to_string(data.size() - pos) + " trailing bytes after the item");
  }
  return item;
}

}  // namespace flywheel::chain
