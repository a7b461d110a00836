// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Keccak-256 vectors. Expected digests were produced independently with js-sha3 (keccak256) and
// `cast keccak` from Foundry 1.7.1.
#include "common/keccak.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

namespace flywheel {
namespace {

std::string keccak_hex(std::string_view text) { return keccak256(as_bytes(text)).hex(); }

// Bytes (7 * i + 3) mod 256, i = 0 .. n - 1: a non-repeating pattern so lane order errors show.
std::vector<std::uint8_t> pattern(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(7 * i + 3);
  return out;
}

std::string keccak_hex(const std::vector<std::uint8_t>& data) { return keccak256(ByteView(data)).hex(); }

TEST(Keccak256, EmptyInputGivesTheWellKnownEmptyHash) {
  EXPECT_EQ(keccak_hex(""), "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(Keccak256, AbcMatchesReference) {
  EXPECT_EQ(keccak_hex("abc"), "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
}

TEST(Keccak256, InputOneByteShortOfTheRateFitsTheLastBlockWithPadding) {
  EXPECT_EQ(keccak_hex(std::string(135, 'a')), "0x34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446");
}

TEST(Keccak256, InputOfExactlyOneRateNeedsAWholePaddingBlock) {
  EXPECT_EQ(keccak_hex(std::string(136, 'a')), "0xa6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
}

TEST(Keccak256, InputCrossingTheRateBoundaryMatchesReference) {
  EXPECT_EQ(keccak_hex(std::string(200, 'a')), "0x96ea54061def936c4be90b518992fdc6f12f535068a256229aca54267b4d084d");
}

TEST(Keccak256, InputOneByteOverTheRateMatchesReference) {
  EXPECT_EQ(keccak_hex(std::string(137, 'a')), "0xd869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39");
}

TEST(Keccak256, PatternInputsAroundTheRateMatchReference) {
  EXPECT_EQ(keccak_hex(pattern(135)), "0x00ef96af9cf4b24c7f269d922294444a197d0a33638c2e56634c57e892103a8f");
  EXPECT_EQ(keccak_hex(pattern(136)), "0x742061bcad767ed4c4f5883b1dcb1aad11afdcc140dc469d953759b127b9f9ed");
  EXPECT_EQ(keccak_hex(pattern(137)), "0xe3371f61e770abf254c34239c3b0099ad90594507415bc81dd0a10b9692bbf2a");
}

TEST(Keccak256, MillionByteInputMatchesReference) {
  EXPECT_EQ(keccak_hex(std::string(1000000, 'a')),
            "0xfadae6b49f129bbb812be8407b7b2894f34aecf6dbd1f9b0f0c7e9853098fc96");
}

TEST(Keccak256, TwoPartOverloadHashesTheConcatenation) {
  const std::string all(200, 'a');
  for (std::size_t split : {0UL, 1UL, 135UL, 136UL, 137UL, 200UL}) {
    const std::string_view v(all);
    EXPECT_EQ(keccak256(as_bytes(v.substr(0, split)), as_bytes(v.substr(split))), keccak256(as_bytes(all)))
        << "split at " << split;
  }
}

TEST(Keccak256, IncrementalHasherOverUnevenPiecesEqualsOneShotOnMegabytes) {
  const std::vector<std::uint8_t> data = pattern(5 * 1024 * 1024 + 77);
  const Hash32 one_shot = keccak256(ByteView(data));
  Keccak256 hasher;
  // Piece sizes cycle through values below, at and above the 136-byte rate, plus large ones.
  const std::size_t sizes[] = {0, 1, 135, 136, 137, 3, 1000, 65536, 272, 1048577, 13};
  std::size_t offset = 0;
  for (std::size_t k = 0; offset < data.size(); ++k) {
    const std::size_t n = std::min(sizes[k % std::size(sizes)], data.size() - offset);
    hasher.update(ByteView(data).subspan(offset, n));
    offset += n;
  }
  EXPECT_EQ(hasher.finish(), one_shot);
}

TEST(Keccak256, IncrementalHasherMatchesVectorsAndResetsAfterFinish) {
  Keccak256 hasher;
  const std::string a137(137, 'a');
  hasher.update(as_bytes(std::string_view(a137).substr(0, 100)));
  hasher.update(as_bytes(std::string_view(a137).substr(100)));
  EXPECT_EQ(hasher.finish().hex(), "0xd869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39");
  hasher.update(as_bytes("abc"));
  EXPECT_EQ(hasher.finish().hex(), "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(hasher.finish().hex(), "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

}  // namespace
}  // namespace flywheel
