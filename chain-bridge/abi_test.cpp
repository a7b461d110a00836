// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// ABI encodings checked against Foundry 1.7.1: every expected hex string below is what
// `cast calldata "<signature>" <args>` printed for the same arguments.
#include "chain-bridge/abi.hpp"

#include <gtest/gtest.h>

#include <random>

#include "common/keys.hpp"

namespace flywheel::chain {
namespace {

Hash32 h(char nibble) { return Hash32::from_hex(std::string(64, nibble)).value(); }
Address addr(std::string_view text) { return parse_address(text).value(); }
U256 max_u256() {
  return U256::from_dec("115792089237316195423570985008687907853269984665640564039457584007913129639935").value();
}

struct CastCase {
  std::string signature;
  std::vector<AbiValue> args;
  std::string expected;  // cast calldata output
};

std::vector<CastCase> cast_cases() {
  return {
      {"f(uint256,bytes32[])",
       {AbiValue::of_uint(1), AbiValue::of_bytes32_array({h('1'), h('2')})},
       "0xc8357456"
       "0000000000000000000000000000000000000000000000000000000000000001"
       "0000000000000000000000000000000000000000000000000000000000000040"
       "0000000000000000000000000000000000000000000000000000000000000002"
       "1111111111111111111111111111111111111111111111111111111111111111"
       "2222222222222222222222222222222222222222222222222222222222222222"},
      {"recordRound(uint256,uint256,bytes32,bytes32)",
       {AbiValue::of_uint(7), AbiValue::of_uint(2), AbiValue::of_bytes32(h('1')), AbiValue::of_bytes32(h('2'))},
       "0xde16cfa2"
       "0000000000000000000000000000000000000000000000000000000000000007"
       "0000000000000000000000000000000000000000000000000000000000000002"
       "1111111111111111111111111111111111111111111111111111111111111111"
       "2222222222222222222222222222222222222222222222222222222222222222"},
      {"registerJob(address,uint64,string)",
       {AbiValue::of_address(addr("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")), AbiValue::of_uint(3600),
        AbiValue::of_string("fashion-mnist demo")},
       "0x4264c16a"
       "00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8"
       "0000000000000000000000000000000000000000000000000000000000000e10"
       "0000000000000000000000000000000000000000000000000000000000000060"
       "0000000000000000000000000000000000000000000000000000000000000012"
       "66617368696f6e2d6d6e6973742064656d6f0000000000000000000000000000"},
      {"g(int256,bool,bytes)",
       {AbiValue::of_int(-5), AbiValue::of_bool(true), AbiValue::of_bytes(from_hex("deadbeef").value())},
       "0x396bca64"
       "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffb"
       "0000000000000000000000000000000000000000000000000000000000000001"
       "0000000000000000000000000000000000000000000000000000000000000060"
       "0000000000000000000000000000000000000000000000000000000000000004"
       "deadbeef00000000000000000000000000000000000000000000000000000000"},
      {"claimShares(uint256,uint256,bytes32[])",
       {AbiValue::of_uint(1), AbiValue::of_uint(U256::from_dec("1000000000000000000").value()),
        AbiValue::of_bytes32_array({})},
       "0x91a510bd"
       "0000000000000000000000000000000000000000000000000000000000000001"
       "0000000000000000000000000000000000000000000000000de0b6b3a7640000"
       "0000000000000000000000000000000000000000000000000000000000000060"
       "0000000000000000000000000000000000000000000000000000000000000000"},
      {"h(string,bytes32[],uint256)",
       {AbiValue::of_string(""), AbiValue::of_bytes32_array({h('1')}), AbiValue::of_uint(max_u256())},
       "0xc1c9a2ac"
       "0000000000000000000000000000000000000000000000000000000000000060"
       "0000000000000000000000000000000000000000000000000000000000000080"
       "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
       "0000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000000000000000000000000000001"
       "1111111111111111111111111111111111111111111111111111111111111111"},
      {"t((uint256,string),address)",
       {AbiValue::of_tuple({AbiValue::of_uint(5), AbiValue::of_string("hi")}),
        AbiValue::of_address(addr("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"))},
       "0x787f341f"
       "0000000000000000000000000000000000000000000000000000000000000040"
       "000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266"
       "0000000000000000000000000000000000000000000000000000000000000005"
       "0000000000000000000000000000000000000000000000000000000000000040"
       "0000000000000000000000000000000000000000000000000000000000000002"
       "6869000000000000000000000000000000000000000000000000000000000000"},
      {"s(string)",
       {AbiValue::of_string(std::string(40, 'x'))},
       "0xac292d30"
       "0000000000000000000000000000000000000000000000000000000000000020"
       "0000000000000000000000000000000000000000000000000000000000000028"
       "7878787878787878787878787878787878787878787878787878787878787878"
       "7878787878787878000000000000000000000000000000000000000000000000"},
      {"jobCount()", {}, "0x4c5d8a0f"},
  };
}

TEST(Abi, EncodeCallMatchesCastCalldataForEveryCase) {
  for (const auto& c : cast_cases()) {
    auto data = encode_call(c.signature, c.args);
    ASSERT_TRUE(data) << c.signature << ": " << data.error().to_string();
    EXPECT_EQ(to_hex(*data), c.expected) << c.signature;
  }
}

TEST(Abi, DecodeInvertsEncodeForEveryCastCase) {
  for (const auto& c : cast_cases()) {
    const Bytes data = from_hex(c.expected).value();
    auto values = abi_decode(c.signature, ByteView(data).subspan(4));
    ASSERT_TRUE(values) << c.signature << ": " << values.error().to_string();
    EXPECT_EQ(*values, c.args) << c.signature;
  }
}

TEST(Abi, SelectorIsTheFirstFourBytesOfTheSignatureHash) {
  EXPECT_EQ(to_hex(selector("recordRound(uint256,uint256,bytes32,bytes32)")), "0xde16cfa2");
  EXPECT_EQ(to_hex(selector("transfer(address,uint256)")), "0xa9059cbb");
}

TEST(Abi, TypesParseToTheirCanonicalSpelling) {
  auto types = parse_abi_types("f(uint, int8 ,bytes32[],(address,bool[]),string)");
  ASSERT_TRUE(types) << types.error().to_string();
  std::string joined;
  for (const auto& t : *types) joined += t.canonical() + ";";
  EXPECT_EQ(joined, "uint256;int8;bytes32[];(address,bool[]);string;");
  EXPECT_TRUE((*types)[3].is_dynamic());
  EXPECT_FALSE((*types)[0].is_dynamic());
}

TEST(Abi, UnsupportedTypesAreParseErrors) {
  EXPECT_EQ(AbiType::parse("uint7").error().code, Errc::parse);
  EXPECT_EQ(AbiType::parse("fixed128x18").error().code, Errc::parse);
  EXPECT_EQ(parse_abi_types("f(uint256").error().code, Errc::parse);
}

TEST(Abi, EncodeCallRejectsWrongArityKindOrRange) {
  EXPECT_EQ(encode_call("veto(uint256)", {}).error().code, Errc::invalid_argument);
  EXPECT_EQ(encode_call("veto(uint256)", {AbiValue::of_bool(true)}).error().code, Errc::invalid_argument);
  EXPECT_EQ(encode_call("f(uint64)", {AbiValue::of_uint(max_u256())}).error().code, Errc::invalid_argument);
  EXPECT_EQ(encode_call("f(int8)", {AbiValue::of_int(128)}).error().code, Errc::invalid_argument);
  EXPECT_TRUE(encode_call("f(int8)", {AbiValue::of_int(-128)}));
}

TEST(Abi, DecodeRejectsTruncatedDataAndBadOffsets) {
  const Bytes word(32, 0);
  EXPECT_EQ(abi_decode("uint256,uint256", word).error().code, Errc::parse);
  Bytes bad_offset(32, 0);
  bad_offset[31] = 0x40;  // points past the end
  EXPECT_EQ(abi_decode("string", bad_offset).error().code, Errc::parse);
  Bytes huge_len(64, 0);
  huge_len[31] = 0x20;
  huge_len[32] = 0xff;  // length word with the top byte set
  EXPECT_EQ(abi_decode("bytes32[]", huge_len).error().code, Errc::parse);
}

TEST(Abi, DecodeRejectsWordsOutOfRangeForTheirType) {
  Bytes word(32, 0);
  word[31] = 2;
  EXPECT_EQ(abi_decode("bool", word).error().code, Errc::parse);
  word[0] = 1;
  EXPECT_EQ(abi_decode("address", word).error().code, Errc::parse);
  EXPECT_EQ(abi_decode("uint64", word).error().code, Errc::parse);
}

TEST(Abi, DecodingCorruptedCastCalldataNeverReadsOutOfBounds) {
  // Flip random bytes and truncate: each decode must return a value or an error, never crash
  // (run under -fsanitize=address,undefined to check the bounds).
  std::mt19937 rng(7);
  for (const auto& c : cast_cases()) {
    const Bytes call = from_hex(c.expected).value();
    const Bytes args(call.size() > 4 ? call.size() - 4 : 0);
    const auto types = parse_abi_types(c.signature).value();
    if (args.empty()) continue;
    for (int i = 0; i < 300; ++i) {
      Bytes data = args;
      std::copy(call.begin() + 4, call.end(), data.begin());
      for (int k = 0; k < 3; ++k) data[rng() % data.size()] = static_cast<std::uint8_t>(rng());
      data.resize(data.size() - rng() % (data.size() / 2 + 1));
      auto decoded = abi_decode(types, data);
      if (decoded) {
        EXPECT_EQ(decoded->size(), types.size());
      }
    }
  }
}

TEST(AbiRevert, ErrorStringIsDecodedToItsMessage) {
  // cast calldata "Error(string)" "flywheel says no"
  const Bytes data = from_hex(
                         "0x08c379a0"
                         "0000000000000000000000000000000000000000000000000000000000000020"
                         "0000000000000000000000000000000000000000000000000000000000000010"
                         "666c79776865656c2073617973206e6f00000000000000000000000000000000")
                         .value();
  const RevertReason r = decode_revert(data);
  ASSERT_TRUE(r.message);
  EXPECT_EQ(*r.message, "flywheel says no");
  EXPECT_EQ(r.to_string(), "flywheel says no");
}

// Found by fuzz/abi_fuzz.cpp: require(cond, "") gave an empty summary, an error with no text.
TEST(AbiRevert, AnEmptyErrorStringStillGivesANonEmptySummary) {
  const Bytes data = encode_call("Error(string)", {AbiValue::of_string("")}).value();
  const RevertReason r = decode_revert(data);
  ASSERT_TRUE(r.message);
  EXPECT_EQ(*r.message, "");
  EXPECT_EQ(r.to_string(), "Error(\"\") (an empty revert message)");
}

TEST(AbiRevert, PanicIsDecodedToItsCode) {
  const Bytes data = encode_call("Panic(uint256)", {AbiValue::of_uint(0x11)}).value();
  EXPECT_EQ(decode_revert(data).to_string(), "panic 0x11");
}

TEST(AbiRevert, UnknownCustomErrorReportsItsSelector) {
  const RevertReason r = decode_revert(from_hex("0xdeadbeef0000").value());
  EXPECT_EQ(r.selector, "0xdeadbeef");
  EXPECT_FALSE(r.message);
  EXPECT_EQ(r.to_string(), "custom error 0xdeadbeef");
}

TEST(AbiRevert, KnownCustomErrorIsNamedWithItsArguments) {
  // cast sig "RoundAlreadyRecorded(uint256,uint256)" = 0xc327b3e6
  const Bytes data =
      encode_call("RoundAlreadyRecorded(uint256,uint256)", {AbiValue::of_uint(1), AbiValue::of_uint(2)}).value();
  EXPECT_EQ(to_hex(ByteView(data).first(4)), "0xc327b3e6");
  const RevertReason r = decode_revert(data, {"Other()", "RoundAlreadyRecorded(uint256,uint256)"});
  EXPECT_EQ(r.error_signature, "RoundAlreadyRecorded(uint256,uint256)");
  EXPECT_EQ(r.to_string(), "RoundAlreadyRecorded(1, 2)");
}

TEST(AbiRevert, EmptyDataSaysSo) { EXPECT_EQ(decode_revert({}).to_string(), "no revert data"); }

}  // namespace
}  // namespace flywheel::chain
