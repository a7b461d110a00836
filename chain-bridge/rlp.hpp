// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Recursive Length Prefix (RLP) serialisation: Ethereum Yellow Paper, appendix B.
//! The encoding of the transactions in transaction.hpp.
//!
//!   Bytes raw = rlp_encode(RlpItem::list({RlpItem::uint(1024), RlpItem::string(as_bytes("dog"))}));
//!   auto item = rlp_decode(raw);            // Errc::parse on truncated or non-canonical input
//!   auto n = item->items[0].as_uint();      // 1024

#include <vector>

#include "common/bytes.hpp"
#include "common/u256.hpp"

namespace flywheel::chain {

//! A decoded or to-be-encoded RLP item: either a byte string or a list of items.
struct RlpItem {
  bool is_list = false;
  Bytes bytes;                 //!< the payload when !is_list
  std::vector<RlpItem> items;  //!< the elements when is_list

  //! A byte-string item.
  static RlpItem string(ByteView data) { return {.is_list = false, .bytes = {data.begin(), data.end()}, .items = {}}; }
  //! An integer item: big-endian without leading zeros (zero is the empty string).
  static RlpItem uint(const U256& value) {
    return {.is_list = false, .bytes = value.to_minimal_be_bytes(), .items = {}};
  }
  //! A list item.
  static RlpItem list(std::vector<RlpItem> items) { return {.is_list = true, .bytes = {}, .items = std::move(items)}; }

  //! The payload as an integer. Errc::parse for a list, more than 32 bytes or a leading zero byte
  //! (non-canonical).
  [[nodiscard]] Result<U256> as_uint() const;

  bool operator==(const RlpItem&) const = default;
};

//! RLP of a byte string (a single byte below 0x80 encodes as itself).
Bytes rlp_encode_bytes(ByteView data);

//! RLP of an unsigned integer in its minimal big-endian form (0 encodes as 0x80).
Bytes rlp_encode_uint(const U256& value);

//! RLP list header plus the concatenation of already-encoded items.
Bytes rlp_encode_list(const std::vector<Bytes>& encoded_items);

//! RLP of an item tree.
Bytes rlp_encode(const RlpItem& item);

//! Decodes exactly one item spanning all of `data`. Errc::parse on truncated input, trailing bytes,
//! or non-canonical encodings (a long form where the short form fits, leading zeros in a length,
//! a single byte below 0x80 wrapped in a string header).
Result<RlpItem> rlp_decode(ByteView data);

}  // namespace flywheel::chain
