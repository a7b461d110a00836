// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// SHA-256 vectors from FIPS 180-4's examples (NIST CSRC "SHA256.pdf", "abc" and the 448-bit
// message) and the well-known digest of the empty string; the million-'a' digest is NIST's too.
#include "common/sha256.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace flywheel {
namespace {

std::string sha_hex(std::string_view text) { return sha256(as_bytes(text)).hex(); }

TEST(Sha256, EmptyInputGivesTheWellKnownDigest) {
  EXPECT_EQ(sha_hex(""), "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, FipsOneBlockExampleAbc) {
  EXPECT_EQ(sha_hex("abc"), "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, FipsTwoBlockExample) {
  EXPECT_EQ(sha_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "0x248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, OneMillionAsFedInUnevenPiecesMatchesNist) {
  const std::string million(1'000'000, 'a');
  Sha256 hasher;
  std::size_t offset = 0;
  for (std::size_t piece = 1; offset < million.size(); piece = piece * 3 + 1) {
    const std::size_t n = std::min(piece, million.size() - offset);
    hasher.update(as_bytes(std::string_view(million).substr(offset, n)));
    offset += n;
  }
  EXPECT_EQ(hasher.finish().hex(), "0xcdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, FinishResetsTheHasherForTheNextMessage) {
  Sha256 hasher;
  hasher.update(as_bytes("not this"));
  (void)hasher.finish();
  hasher.update(as_bytes("abc"));
  EXPECT_EQ(hasher.finish(), sha256(as_bytes("abc")));
}

TEST(Sha256, AMovedHasherContinuesTheSameMessage) {
  Sha256 first;
  first.update(as_bytes("ab"));
  Sha256 second = std::move(first);
  second.update(as_bytes("c"));
  EXPECT_EQ(second.finish(), sha256(as_bytes("abc")));
}

}  // namespace
}  // namespace flywheel
