// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// scrypt as RFC 7914 defines it: B = PBKDF2-HMAC-SHA256(P, S, 1, p·128·r); each 128·r-byte block
// of B goes through scryptROMix (section 5) built on scryptBlockMix (section 4) and the
// Salsa20/8 core (section 3); DK = PBKDF2-HMAC-SHA256(P, B, 1, dkLen).
#include "common/internal/scrypt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <vector>

namespace flywheel::internal {
namespace {

using Word = std::uint32_t;
constexpr std::size_t kBlockWords = 16;  // one 64-byte Salsa block

constexpr Word rotl(Word a, int b) { return (a << b) | (a >> (32 - b)); }

// Salsa20/8 core: four double rounds (column round, then row round), then the feed-forward add.
void salsa20_8(Word* block) {
  std::array<Word, kBlockWords> x;
  std::memcpy(x.data(), block, sizeof(x));
  for (int i = 0; i < 8; i += 2) {
    x[4] ^= rotl(x[0] + x[12], 7);
    x[8] ^= rotl(x[4] + x[0], 9);
    x[12] ^= rotl(x[8] + x[4], 13);
    x[0] ^= rotl(x[12] + x[8], 18);
    x[9] ^= rotl(x[5] + x[1], 7);
    x[13] ^= rotl(x[9] + x[5], 9);
    x[1] ^= rotl(x[13] + x[9], 13);
    x[5] ^= rotl(x[1] + x[13], 18);
    x[14] ^= rotl(x[10] + x[6], 7);
    x[2] ^= rotl(x[14] + x[10], 9);
    x[6] ^= rotl(x[2] + x[14], 13);
    x[10] ^= rotl(x[6] + x[2], 18);
    x[3] ^= rotl(x[15] + x[11], 7);
    x[7] ^= rotl(x[3] + x[15], 9);
    x[11] ^= rotl(x[7] + x[3], 13);
    x[15] ^= rotl(x[11] + x[7], 18);
    x[1] ^= rotl(x[0] + x[3], 7);
    x[2] ^= rotl(x[1] + x[0], 9);
    x[3] ^= rotl(x[2] + x[1], 13);
    x[0] ^= rotl(x[3] + x[2], 18);
    x[6] ^= rotl(x[5] + x[4], 7);
    x[7] ^= rotl(x[6] + x[5], 9);
    x[4] ^= rotl(x[7] + x[6], 13);
    x[5] ^= rotl(x[4] + x[7], 18);
    x[11] ^= rotl(x[10] + x[9], 7);
    x[8] ^= rotl(x[11] + x[10], 9);
    x[9] ^= rotl(x[8] + x[11], 13);
    x[10] ^= rotl(x[9] + x[8], 18);
    x[12] ^= rotl(x[15] + x[14], 7);
    x[13] ^= rotl(x[12] + x[15], 9);
    x[14] ^= rotl(x[13] + x[12], 13);
    x[15] ^= rotl(x[14] + x[13], 18);
  }
  for (std::size_t i = 0; i < kBlockWords; ++i) block[i] += x[i];
}

// scryptBlockMix: `in` and `out` hold 2r blocks; out = (Y0, Y2, ..., Y1, Y3, ...).
void block_mix(const Word* in, Word* out, std::uint32_t r) {
  std::array<Word, kBlockWords> x;
  std::memcpy(x.data(), in + (2 * r - 1) * kBlockWords, sizeof(x));
  for (std::uint32_t i = 0; i < 2 * r; ++i) {
    for (std::size_t k = 0; k < kBlockWords; ++k) x[k] ^= in[i * kBlockWords + k];
    salsa20_8(x.data());
    const std::uint32_t slot = (i % 2 == 0) ? i / 2 : r + i / 2;
    std::memcpy(out + slot * kBlockWords, x.data(), sizeof(x));
  }
}

// scryptROMix on one 128·r-byte block, words little-endian.
void ro_mix(std::uint8_t* bytes, std::uint64_t n, std::uint32_t r, std::vector<Word>& v) {
  const std::size_t words = 32 * static_cast<std::size_t>(r);
  std::vector<Word> x(words);
  std::vector<Word> y(words);
  for (std::size_t k = 0; k < words; ++k) {
    const std::uint8_t* b = bytes + 4 * k;
    x[k] = Word(b[0]) | Word(b[1]) << 8 | Word(b[2]) << 16 | Word(b[3]) << 24;
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    std::memcpy(&v[i * words], x.data(), words * sizeof(Word));
    block_mix(x.data(), y.data(), r);
    x.swap(y);
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    // Integerify: the first 64 bits of the last block, little-endian, mod n (a power of two).
    const std::size_t last = (2 * static_cast<std::size_t>(r) - 1) * kBlockWords;
    const std::uint64_t j = (std::uint64_t(x[last]) | std::uint64_t(x[last + 1]) << 32) & (n - 1);
    for (std::size_t k = 0; k < words; ++k) x[k] ^= v[j * words + k];
    block_mix(x.data(), y.data(), r);
    x.swap(y);
  }
  for (std::size_t k = 0; k < words; ++k) {
    std::uint8_t* b = bytes + 4 * k;
    b[0] = static_cast<std::uint8_t>(x[k]);
    b[1] = static_cast<std::uint8_t>(x[k] >> 8);
    b[2] = static_cast<std::uint8_t>(x[k] >> 16);
    b[3] = static_cast<std::uint8_t>(x[k] >> 24);
  }
  OPENSSL_cleanse(x.data(), x.size() * sizeof(Word));
  OPENSSL_cleanse(y.data(), y.size() * sizeof(Word));
}

}  // namespace

Result<void> scrypt(std::string_view password, ByteView salt, std::uint64_t n, std::uint32_t r, std::uint32_t p,
                    std::span<std::uint8_t> out) {
  const std::size_t block_bytes = 128 * static_cast<std::size_t>(r);
  Bytes b(block_bytes * p);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(), static_cast<int>(salt.size()),
                        1, EVP_sha256(), static_cast<int>(b.size()), b.data()) != 1) {
    return fail(Errc::crypto, "scrypt: PBKDF2-HMAC-SHA256 failed");
  }
  std::vector<Word> v(static_cast<std::size_t>(n) * 32 * r);
  for (std::uint32_t i = 0; i < p; ++i) ro_mix(b.data() + i * block_bytes, n, r, v);
  OPENSSL_cleanse(v.data(), v.size() * sizeof(Word));
  const int ok =
      PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), b.data(), static_cast<int>(b.size()), 1,
                        EVP_sha256(), static_cast<int>(out.size()), out.data());
  OPENSSL_cleanse(b.data(), b.size());
  if (ok != 1) return fail(Errc::crypto, "scrypt: PBKDF2-HMAC-SHA256 failed");
  return {};
}

}  // namespace flywheel::internal
