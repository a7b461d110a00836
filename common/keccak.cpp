// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Keccak-256 as used by Ethereum: the sponge over Keccak-f[1600] from FIPS 202 (sections 3.2 and
// 3.3: theta, rho, pi, chi, iota) with rate 1088 bits and the original Keccak pad10*1 with domain
// byte 0x01 (the Yellow Paper's KEC), not SHA3-256's 0x06.
//
// Speed: the permutation keeps the 25 lanes in local variables and spells out one round as
// straight-line code (rotation offsets from FIPS 202 table 2 and the pi lane mapping resolved at
// writing time), so no index arithmetic remains; whole 136-byte blocks are absorbed straight from
// the caller's buffer with little-endian 64-bit loads.
#include "common/keccak.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

namespace flywheel {
namespace {

constexpr std::size_t kRateBytes = Keccak256::kRateBytes;  // (1600 - 2 * 256) / 8
constexpr std::size_t kRateLanes = kRateBytes / 8;
constexpr int kRounds = 24;

// FIPS 202, algorithm 5 (rc) evaluated for the 24 rounds of Keccak-f[1600].
constexpr std::array<std::uint64_t, kRounds> kRoundConstants = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL, 0x8000000080008000ULL, 0x000000000000808BULL,
    0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008AULL, 0x0000000000000088ULL,
    0x0000000080008009ULL, 0x000000008000000AULL, 0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800AULL, 0x800000008000000AULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

using State = std::array<std::uint64_t, 25>;  // lane (x, y) at index x + 5 * y

// Keccak-f[1600]. Lane aXY below is the lane at index XY = x + 5 * y; bXY is the output of rho and
// pi at that index, i.e. b[y + 5 * ((2x + 3y) mod 5)] = rotl(a[x + 5y] ^ d[x], r[x, y]).
void keccak_f1600(State& s) {
  std::uint64_t a00 = s[0];
  std::uint64_t a01 = s[1];
  std::uint64_t a02 = s[2];
  std::uint64_t a03 = s[3];
  std::uint64_t a04 = s[4];
  std::uint64_t a05 = s[5];
  std::uint64_t a06 = s[6];
  std::uint64_t a07 = s[7];
  std::uint64_t a08 = s[8];
  std::uint64_t a09 = s[9];
  std::uint64_t a10 = s[10];
  std::uint64_t a11 = s[11];
  std::uint64_t a12 = s[12];
  std::uint64_t a13 = s[13];
  std::uint64_t a14 = s[14];
  std::uint64_t a15 = s[15];
  std::uint64_t a16 = s[16];
  std::uint64_t a17 = s[17];
  std::uint64_t a18 = s[18];
  std::uint64_t a19 = s[19];
  std::uint64_t a20 = s[20];
  std::uint64_t a21 = s[21];
  std::uint64_t a22 = s[22];
  std::uint64_t a23 = s[23];
  std::uint64_t a24 = s[24];
  for (int round = 0; round < kRounds; ++round) {
    // theta: column parities c[x] and the per-column mask d[x]
    const std::uint64_t c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20;
    const std::uint64_t c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21;
    const std::uint64_t c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22;
    const std::uint64_t c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23;
    const std::uint64_t c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24;
    const std::uint64_t d0 = c4 ^ std::rotl(c1, 1);
    const std::uint64_t d1 = c0 ^ std::rotl(c2, 1);
    const std::uint64_t d2 = c1 ^ std::rotl(c3, 1);
    const std::uint64_t d3 = c2 ^ std::rotl(c4, 1);
    const std::uint64_t d4 = c3 ^ std::rotl(c0, 1);
    // rho and pi: b[y, 2x + 3y] = rotl(a[x, y] ^ d[x], r[x, y])
    const std::uint64_t b00 = a00 ^ d0;
    const std::uint64_t b01 = std::rotl(a06 ^ d1, 44);
    const std::uint64_t b02 = std::rotl(a12 ^ d2, 43);
    const std::uint64_t b03 = std::rotl(a18 ^ d3, 21);
    const std::uint64_t b04 = std::rotl(a24 ^ d4, 14);
    const std::uint64_t b05 = std::rotl(a03 ^ d3, 28);
    const std::uint64_t b06 = std::rotl(a09 ^ d4, 20);
    const std::uint64_t b07 = std::rotl(a10 ^ d0, 3);
    const std::uint64_t b08 = std::rotl(a16 ^ d1, 45);
    const std::uint64_t b09 = std::rotl(a22 ^ d2, 61);
    const std::uint64_t b10 = std::rotl(a01 ^ d1, 1);
    const std::uint64_t b11 = std::rotl(a07 ^ d2, 6);
    const std::uint64_t b12 = std::rotl(a13 ^ d3, 25);
    const std::uint64_t b13 = std::rotl(a19 ^ d4, 8);
    const std::uint64_t b14 = std::rotl(a20 ^ d0, 18);
    const std::uint64_t b15 = std::rotl(a04 ^ d4, 27);
    const std::uint64_t b16 = std::rotl(a05 ^ d0, 36);
    const std::uint64_t b17 = std::rotl(a11 ^ d1, 10);
    const std::uint64_t b18 = std::rotl(a17 ^ d2, 15);
    const std::uint64_t b19 = std::rotl(a23 ^ d3, 56);
    const std::uint64_t b20 = std::rotl(a02 ^ d2, 62);
    const std::uint64_t b21 = std::rotl(a08 ^ d3, 55);
    const std::uint64_t b22 = std::rotl(a14 ^ d4, 39);
    const std::uint64_t b23 = std::rotl(a15 ^ d0, 41);
    const std::uint64_t b24 = std::rotl(a21 ^ d1, 2);
    // chi along each row, then iota on lane (0, 0)
    a00 = b00 ^ (~b01 & b02);
    a01 = b01 ^ (~b02 & b03);
    a02 = b02 ^ (~b03 & b04);
    a03 = b03 ^ (~b04 & b00);
    a04 = b04 ^ (~b00 & b01);
    a05 = b05 ^ (~b06 & b07);
    a06 = b06 ^ (~b07 & b08);
    a07 = b07 ^ (~b08 & b09);
    a08 = b08 ^ (~b09 & b05);
    a09 = b09 ^ (~b05 & b06);
    a10 = b10 ^ (~b11 & b12);
    a11 = b11 ^ (~b12 & b13);
    a12 = b12 ^ (~b13 & b14);
    a13 = b13 ^ (~b14 & b10);
    a14 = b14 ^ (~b10 & b11);
    a15 = b15 ^ (~b16 & b17);
    a16 = b16 ^ (~b17 & b18);
    a17 = b17 ^ (~b18 & b19);
    a18 = b18 ^ (~b19 & b15);
    a19 = b19 ^ (~b15 & b16);
    a20 = b20 ^ (~b21 & b22);
    a21 = b21 ^ (~b22 & b23);
    a22 = b22 ^ (~b23 & b24);
    a23 = b23 ^ (~b24 & b20);
    a24 = b24 ^ (~b20 & b21);

    a00 ^= kRoundConstants[round];
  }
  s[0] = a00;
  s[1] = a01;
  s[2] = a02;
  s[3] = a03;
  s[4] = a04;
  s[5] = a05;
  s[6] = a06;
  s[7] = a07;
  s[8] = a08;
  s[9] = a09;
  s[10] = a10;
  s[11] = a11;
  s[12] = a12;
  s[13] = a13;
  s[14] = a14;
  s[15] = a15;
  s[16] = a16;
  s[17] = a17;
  s[18] = a18;
  s[19] = a19;
  s[20] = a20;
  s[21] = a21;
  s[22] = a22;
  s[23] = a23;
  s[24] = a24;
}

// Lanes are little-endian: byte i of a block lands in lane i / 8 at bit 8 * (i % 8).
std::uint64_t load_le64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&v, p, sizeof v);
  } else {
    for (std::size_t b = 8; b-- > 0;) v = (v << 8) | p[b];
  }
  return v;
}

void absorb_block(State& s, const std::uint8_t* block) {
  for (std::size_t lane = 0; lane < kRateLanes; ++lane) s[lane] ^= load_le64(block + 8 * lane);
  keccak_f1600(s);
}

}  // namespace

void Keccak256::update(ByteView data) {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  if (n == 0) return;
  if (tail_size_ > 0) {
    const std::size_t take = std::min(n, kRateBytes - tail_size_);
    std::memcpy(tail_.data() + tail_size_, p, take);
    tail_size_ += take;
    p += take;
    n -= take;
    if (tail_size_ < kRateBytes) return;
    absorb_block(state_, tail_.data());
    tail_size_ = 0;
  }
  for (; n >= kRateBytes; p += kRateBytes, n -= kRateBytes) absorb_block(state_, p);
  if (n > 0) {
    std::memcpy(tail_.data(), p, n);
    tail_size_ = n;
  }
}

Hash32 Keccak256::finish() {
  // pad10*1 with the Keccak domain bit: 0x01 after the message, 0x80 in the last byte of the block
  // (both in the same byte, 0x81, when the message leaves exactly one free byte).
  std::fill(tail_.begin() + static_cast<std::ptrdiff_t>(tail_size_), tail_.end(), 0);
  tail_[tail_size_] ^= 0x01;
  tail_[kRateBytes - 1] ^= 0x80;
  absorb_block(state_, tail_.data());
  Hash32 out;
  for (std::size_t i = 0; i < out.bytes.size(); ++i) {
    out.bytes[i] = static_cast<std::uint8_t>(state_[i / 8] >> (8 * (i % 8)));
  }
  state_ = {};
  tail_size_ = 0;
  return out;
}

Hash32 keccak256(ByteView data) {
  Keccak256 sponge;
  sponge.update(data);
  return sponge.finish();
}

Hash32 keccak256(ByteView a, ByteView b) {
  Keccak256 sponge;
  sponge.update(a);
  sponge.update(b);
  return sponge.finish();
}

}  // namespace flywheel
