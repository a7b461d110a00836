// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// RLP decoding (chain-bridge/rlp.hpp, Yellow Paper appendix B) on arbitrary bytes. rlp_decode
// accepts only canonical encodings, so every accepted input has exactly one encoding: re-encoding
// the decoded item must give the input back byte for byte, and decoding that must give the same
// item. Integer payloads that as_uint() accepts must re-encode to the same payload.

#include <cstddef>
#include <cstdint>

#include "chain-bridge/rlp.hpp"
#include "fuzz/internal/check.hpp"

namespace {

using flywheel::chain::RlpItem;

void check_integers(const RlpItem& item) {
  if (item.is_list) {
    for (const auto& child : item.items) check_integers(child);
    return;
  }
  if (auto value = item.as_uint()) {
    FLYWHEEL_FUZZ_CHECK(value->to_minimal_be_bytes() == item.bytes, "as_uint accepts only minimal integers");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const flywheel::ByteView input(data, size);
  auto item = flywheel::chain::rlp_decode(input);
  if (!item) return 0;
  const flywheel::Bytes encoded = flywheel::chain::rlp_encode(*item);
  FLYWHEEL_FUZZ_CHECK(flywheel::Bytes(input.begin(), input.end()) == encoded, "encode(decode(x)) == x");
  auto again = flywheel::chain::rlp_decode(encoded);
  FLYWHEEL_FUZZ_CHECK(again && *again == *item, "decode(encode(item)) == item");
  check_integers(*item);
  return 0;
}
