// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "common/u256.hpp"

#include <gtest/gtest.h>

namespace flywheel {
namespace {

constexpr std::string_view kMaxDec = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
constexpr std::string_view kMaxHex = "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

U256 dec(std::string_view s) { return U256::from_dec(s).value(); }

TEST(U256, DecimalRoundTripsForSmallAndLargeValues) {
  for (std::string_view s : {std::string_view("0"), std::string_view("1"),
                             std::string_view("18446744073709551616"),  // 2^64
                             std::string_view("340282366920938463463374607431768211457"), kMaxDec}) {
    EXPECT_EQ(dec(s).to_dec(), s);
  }
}

TEST(U256, HexQuantityRoundTripsAndHasNoLeadingZeros) {
  EXPECT_EQ(U256(0).to_hex_quantity(), "0x0");
  EXPECT_EQ(U256(1).to_hex_quantity(), "0x1");
  EXPECT_EQ(U256(0x400).to_hex_quantity(), "0x400");
  EXPECT_EQ(U256(0x1234).to_hex_quantity(), "0x1234");
  EXPECT_EQ(dec(kMaxDec).to_hex_quantity(), kMaxHex);
  EXPECT_EQ(U256::from_hex(kMaxHex).value(), dec(kMaxDec));
  EXPECT_EQ(U256::from_hex("0x").value(), U256(0));
  EXPECT_EQ(U256::from_hex("0x0").value(), U256(0));
  EXPECT_EQ(U256::from_hex("DEADbeef").value(), U256(0xdeadbeef));
}

TEST(U256, DecimalOverflowPast2To256IsAParseError) {
  auto r = U256::from_dec("115792089237316195423570985008687907853269984665640564039457584007913129639936");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::parse);
}

TEST(U256, HexWithMoreThan64DigitsIsAParseError) {
  auto r = U256::from_hex("0x1" + std::string(64, '0'));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::parse);
}

TEST(U256, NonDigitsAndEmptyTextAreParseErrors) {
  EXPECT_FALSE(U256::from_dec(""));
  EXPECT_FALSE(U256::from_dec("12a"));
  EXPECT_FALSE(U256::from_dec("-1"));
  EXPECT_FALSE(U256::from_hex("0xg1"));
}

TEST(U256, BigEndianBytesRoundTripAndMinimalFormDropsLeadingZeros) {
  const U256 v = U256::from_hex("0x0102030405060708090a0b0c0d0e0f10111213").value();
  const auto full = v.to_be_bytes();
  EXPECT_EQ(to_hex(full),
            "0x00000000000000000000000000"
            "0102030405060708090a0b0c0d0e0f10111213");
  EXPECT_EQ(U256::from_be_bytes(full).value(), v);
  EXPECT_EQ(to_hex(v.to_minimal_be_bytes()), "0x0102030405060708090a0b0c0d0e0f10111213");
  EXPECT_TRUE(U256(0).to_minimal_be_bytes().empty());
  EXPECT_EQ(to_hex(U256(1024).to_minimal_be_bytes()), "0x0400");
  EXPECT_FALSE(U256::from_be_bytes(Bytes(33, 0)));
}

TEST(U256, ArithmeticCarriesAcrossLimbsAndWrapsModulo2To256) {
  const U256 max = dec(kMaxDec);
  EXPECT_EQ(max + U256(1), U256(0));
  EXPECT_EQ(U256(0) - U256(1), max);
  EXPECT_EQ(U256(~0ULL) + U256(1), dec("18446744073709551616"));
  EXPECT_EQ(dec("18446744073709551616") - U256(1), U256(~0ULL));
  EXPECT_EQ(dec("18446744073709551616") * dec("18446744073709551616"), dec("340282366920938463463374607431768211456"));
  EXPECT_EQ(max * max, U256(1));  // (-1)^2 mod 2^256
  EXPECT_EQ((U256(10).to_dec()), "10");
  EXPECT_EQ((dec("1000000000000000000") * U256(3)).to_dec(), "3000000000000000000");
}

TEST(U256, OrderingComparesTheHighLimbFirst) {
  EXPECT_LT(U256(5), U256(7));
  EXPECT_GT(dec("18446744073709551616"), U256(~0ULL));
  EXPECT_EQ(U256(3) <=> U256(3), std::strong_ordering::equal);
  EXPECT_TRUE(U256(~0ULL).fits_u64());
  EXPECT_FALSE(dec("18446744073709551616").fits_u64());
}

}  // namespace
}  // namespace flywheel
