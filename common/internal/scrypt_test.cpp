// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// scrypt against the test vectors of RFC 7914 section 12, and against OpenSSL where OpenSSL
// accepts the parameters.
#include "common/internal/scrypt.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

namespace flywheel::internal {
namespace {

std::string derive_hex(std::string_view password, std::string_view salt, std::uint64_t n, std::uint32_t r,
                       std::uint32_t p, std::size_t len) {
  Bytes out(len);
  EXPECT_TRUE(scrypt(password, as_bytes(salt), n, r, p, out));
  return to_hex(out, false);
}

TEST(Scrypt, MatchesRfc7914VectorWithEmptyPasswordAndSalt) {
  EXPECT_EQ(derive_hex("", "", 16, 1, 1, 64),
            "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
}

TEST(Scrypt, MatchesRfc7914VectorPasswordNaCl) {
  EXPECT_EQ(derive_hex("password", "NaCl", 1024, 8, 16, 64),
            "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
}

TEST(Scrypt, AgreesWithOpenSslForSeveralParameterSets) {
  struct Params {
    std::uint64_t n;
    std::uint32_t r, p;
  };
  for (const Params& q : {Params{2, 1, 1}, Params{256, 2, 3}, Params{4096, 8, 1}, Params{64, 5, 2}}) {
    Bytes ours(32);
    Bytes theirs(32);
    const std::string_view password = "flywheel";
    const Bytes salt = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    ASSERT_TRUE(scrypt(password, salt, q.n, q.r, q.p, ours));
    ASSERT_EQ(EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), q.n, q.r, q.p, 64u << 20,
                             theirs.data(), theirs.size()),
              1);
    EXPECT_EQ(ours, theirs) << "n=" << q.n << " r=" << q.r << " p=" << q.p;
  }
}

}  // namespace
}  // namespace flywheel::internal
