// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Vectors from the RLP examples of the Ethereum wiki / ethereum.org RLP page (Yellow Paper,
// appendix B).
#include "chain-bridge/rlp.hpp"

#include <gtest/gtest.h>

#include <random>

namespace flywheel::chain {
namespace {

std::string hex(const Bytes& b) { return to_hex(b, false); }
RlpItem str(std::string_view s) { return RlpItem::string(as_bytes(s)); }

TEST(Rlp, DogEncodesWithAShortStringHeader) { EXPECT_EQ(hex(rlp_encode(str("dog"))), "83646f67"); }

TEST(Rlp, CatDogListEncodesWithAShortListHeader) {
  EXPECT_EQ(hex(rlp_encode(RlpItem::list({str("cat"), str("dog")}))), "c88363617483646f67");
}

TEST(Rlp, EmptyStringAndEmptyListEncodeAsSingleHeaders) {
  EXPECT_EQ(hex(rlp_encode(str(""))), "80");
  EXPECT_EQ(hex(rlp_encode(RlpItem::list({}))), "c0");
}

TEST(Rlp, IntegersUseTheMinimalBigEndianForm) {
  EXPECT_EQ(hex(rlp_encode_uint(0)), "80");
  EXPECT_EQ(hex(rlp_encode_bytes(Bytes{0x00})), "00");  // the byte '\x00', not the integer 0
  EXPECT_EQ(hex(rlp_encode_uint(15)), "0f");
  EXPECT_EQ(hex(rlp_encode_uint(127)), "7f");
  EXPECT_EQ(hex(rlp_encode_uint(128)), "8180");
  EXPECT_EQ(hex(rlp_encode_uint(1024)), "820400");
}

TEST(Rlp, SetTheoreticRepresentationOfThreeNestsLists) {
  const RlpItem zero = RlpItem::list({});
  const RlpItem one = RlpItem::list({zero});
  const RlpItem two = RlpItem::list({zero, one});
  EXPECT_EQ(hex(rlp_encode(RlpItem::list({zero, one, two}))), "c7c0c1c0c3c0c1c0");
}

TEST(Rlp, FiftySixByteStringUsesTheLongForm) {
  const std::string lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
  ASSERT_EQ(lorem.size(), 56U);
  EXPECT_EQ(hex(rlp_encode(str(lorem))), "b838" + to_hex(as_bytes(lorem), false));
}

TEST(Rlp, LongListUsesTheLongListForm) {
  std::vector<RlpItem> items(20, str("abcd"));  // 20 * 5 = 100 payload bytes
  const Bytes enc = rlp_encode(RlpItem::list(items));
  EXPECT_EQ(hex(Bytes(enc.begin(), enc.begin() + 2)), "f864");
  EXPECT_EQ(enc.size(), 102U);
}

TEST(Rlp, DecodeInvertsEncodeForNestedItems) {
  const RlpItem tree = RlpItem::list({str("cat"), RlpItem::uint(1024), RlpItem::list({str(""), RlpItem::list({})}),
                                      str(std::string(300, 'x')), RlpItem::uint(0), str(std::string(1, '\x7f'))});
  auto decoded = rlp_decode(rlp_encode(tree));
  ASSERT_TRUE(decoded) << decoded.error().to_string();
  EXPECT_EQ(*decoded, tree);
  EXPECT_EQ(decoded->items[1].as_uint().value(), U256(1024));
  EXPECT_EQ(decoded->items[4].as_uint().value(), U256(0));
}

TEST(Rlp, DecodeRejectsTruncatedAndTrailingInput) {
  EXPECT_EQ(rlp_decode(from_hex("83646f").value()).error().code, Errc::parse);
  EXPECT_EQ(rlp_decode(from_hex("83646f6700").value()).error().code, Errc::parse);
  EXPECT_EQ(rlp_decode(from_hex("c883636174").value()).error().code, Errc::parse);
  EXPECT_EQ(rlp_decode(Bytes{}).error().code, Errc::parse);
}

TEST(Rlp, DecodeRejectsNonCanonicalForms) {
  EXPECT_FALSE(rlp_decode(from_hex("8105").value()));          // single byte < 0x80 wrapped
  EXPECT_FALSE(rlp_decode(from_hex("b803646f67").value()));    // long form for 3 bytes
  EXPECT_FALSE(RlpItem::string(Bytes{0x00, 0x01}).as_uint());  // leading zero integer
}

TEST(Rlp, DecodingRandomBytesEitherFailsOrReEncodesToTheSameBytes) {
  std::mt19937 rng(20260101);
  for (int i = 0; i < 5000; ++i) {
    Bytes data(rng() % 64);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    if (!data.empty() && i % 2 == 0) data[0] = static_cast<std::uint8_t>(0xb8 + rng() % 72);
    auto item = rlp_decode(data);
    if (item) {
      EXPECT_EQ(rlp_encode(*item), data);  // canonical encodings round-trip exactly
    }
  }
}

}  // namespace
}  // namespace flywheel::chain
