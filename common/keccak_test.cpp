// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Keccak-256 vectors. Expected digests were produced independently with js-sha3 (keccak256) and
// `cast keccak` from Foundry 1.7.1.
#include "common/keccak.hpp"

#include <gtest/gtest.h>

#include <string>

namespace flywheel {
namespace {

std::string keccak_hex(std::string_view text) { return keccak256(as_bytes(text)).hex(); }

TEST(Keccak256, EmptyInputGivesTheWellKnownEmptyHash) {
  EXPECT_EQ(keccak_hex(""), "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Keccak256, AbcMatchesReference) {
  EXPECT_EQ(keccak_hex("abc"),
            "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

TEST(Keccak256, InputOneByteShortOfTheRateFitsTheLastBlockWithPadding) {
  EXPECT_EQ(keccak_hex(std::string(135, 'a')),
            "0x34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446");
}

TEST(Keccak256, InputOfExactlyOneRateNeedsAWholePaddingBlock) {
  EXPECT_EQ(keccak_hex(std::string(136, 'a')),
            "0xa6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
}

TEST(Keccak256, InputCrossingTheRateBoundaryMatchesReference) {
  EXPECT_EQ(keccak_hex(std::string(200, 'a')),
            "0x96ea54061def936c4be90b518992fdc6f12f535068a256229aca54267b4d084d");
}

TEST(Keccak256, MillionByteInputMatchesReference) {
  EXPECT_EQ(keccak_hex(std::string(1000000, 'a')),
            "0xfadae6b49f129bbb812be8407b7b2894f34aecf6dbd1f9b0f0c7e9853098fc96");
}

TEST(Keccak256, TwoPartOverloadHashesTheConcatenation) {
  const std::string all(200, 'a');
  for (std::size_t split : {0UL, 1UL, 135UL, 136UL, 137UL, 200UL}) {
    const std::string_view v(all);
    EXPECT_EQ(keccak256(as_bytes(v.substr(0, split)), as_bytes(v.substr(split))),
              keccak256(as_bytes(all)))
        << "split at " << split;
  }
}

}  // namespace
}  // namespace flywheel
