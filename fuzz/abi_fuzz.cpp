// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// ABI decoding (chain-bridge/abi.hpp, Solidity's "Contract ABI Specification") on arbitrary bytes.
// The first byte picks what the rest is:
//   0x00..0xef  return data for one of the type lists below (byte % count): the lists the
//               contract bindings decode (ledger.cpp, economy.cpp) and one per kind and nesting;
//               decoded values must re-encode to data that decodes to the same values, and
//               re-encoding that gives the same bytes (abi_encode is canonical);
//   0xf0..0xfe  revert data for decode_revert with the contracts' custom errors: it never fails and
//               always says something (RevertReason::to_string is not empty);
//   0xff        a type list as text for parse_abi_types: every type it accepts spells itself
//               canonically, and that spelling parses back to the same type.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chain-bridge/abi.hpp"
#include "fuzz/internal/check.hpp"

namespace {

using namespace flywheel::chain;

constexpr std::array<std::string_view, 16> kTypeLists = {
    "uint256",
    "uint64",
    "bool",
    "address",
    "string",
    "bytes32[]",
    "uint256,uint256",
    "uint256,bytes32[]",
    "bytes",
    "int256,int8,uint8",
    "(address,bool)[]",
    "(uint256,bytes,string)",
    "bytes32,bytes,uint16[]",
    "string[]",
    "(bytes32[],(address,int64))",
    "uint256[][],bytes[]",
};

// Custom errors of chain-bridge/contracts/src: decode_revert names those it is given.
const std::vector<std::string> kKnownErrors = {
    "UnknownJob(uint256)",
    "NotAggregator(uint256,address)",
    "RoundOutOfOrder(uint256,uint256)",
    "ChallengeWindowOpen(uint256,uint256)",
    "AlreadyClaimed(uint256,address)",
    "InvalidSharePolicy(uint16,uint16,uint16)",
    "InvalidProof()",
};

void check_return_data(std::string_view types_text, flywheel::ByteView data) {
  auto types = parse_abi_types(types_text);
  FLYWHEEL_FUZZ_CHECK(types.has_value(), "the harness's own type lists parse");
  auto values = abi_decode(*types, data);
  if (!values) return;
  const flywheel::Bytes encoded = abi_encode(*values);
  auto again = abi_decode(*types, encoded);
  FLYWHEEL_FUZZ_CHECK(again && *again == *values, "decode(encode(decode(x))) == decode(x)");
  FLYWHEEL_FUZZ_CHECK(abi_encode(*again) == encoded, "encode(decode(encode(v))) == encode(v)");
}

void check_revert(flywheel::ByteView data) {
  const RevertReason reason = decode_revert(data, kKnownErrors);
  FLYWHEEL_FUZZ_CHECK(flywheel::Bytes(data.begin(), data.end()) == reason.data, "the revert keeps its raw data");
  FLYWHEEL_FUZZ_CHECK(!reason.to_string().empty(), "a revert always says something");
}

void check_type_text(std::string_view text) {
  auto types = parse_abi_types(text);
  if (!types) return;
  std::string canonical;
  for (const auto& type : *types) {
    if (!canonical.empty()) canonical += ",";
    canonical += type.canonical();
    auto one = AbiType::parse(type.canonical());
    FLYWHEEL_FUZZ_CHECK(one && *one == type, "parse(canonical(t)) == t");
  }
  auto again = parse_abi_types(canonical);
  FLYWHEEL_FUZZ_CHECK(again && *again == *types, "parse_abi_types(canonical list) == the list");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const flywheel::ByteView rest(data + 1, size - 1);
  if (mode < 0xf0) {
    check_return_data(kTypeLists[mode % kTypeLists.size()], rest);
  } else if (mode < 0xff) {
    check_revert(rest);
  } else {
    check_type_text({reinterpret_cast<const char*>(rest.data()), rest.size()});
  }
  return 0;
}
