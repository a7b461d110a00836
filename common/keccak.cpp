// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Keccak-256 as used by Ethereum: the sponge over Keccak-f[1600] from FIPS 202 (sections 3.2 and
// 3.3: theta, rho, pi, chi, iota) with rate 1088 bits and the original Keccak pad10*1 with domain
// byte 0x01 (the Yellow Paper's KEC), not SHA3-256's 0x06.
#include "common/keccak.hpp"

#include <array>
#include <cstdint>

namespace flywheel {
namespace {

constexpr std::size_t kRateBytes = 136;  // (1600 - 2 * 256) / 8
constexpr int kRounds = 24;

// FIPS 202, algorithm 5 (rc) evaluated for the 24 rounds of Keccak-f[1600].
constexpr std::array<std::uint64_t, kRounds> kRoundConstants = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL, 0x8000000080008000ULL,
    0x000000000000808BULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008AULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000AULL,
    0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800AULL, 0x800000008000000AULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

// Rotation offsets of rho, indexed [x + 5 * y] (FIPS 202, table 2).
constexpr std::array<int, 25> kRho = {
    0,  1,  62, 28, 27,  //
    36, 44, 6,  55, 20,  //
    3,  10, 43, 25, 39,  //
    41, 45, 15, 21, 8,   //
    18, 2,  61, 56, 14,
};

constexpr std::uint64_t rotl(std::uint64_t v, int n) {
  return n == 0 ? v : (v << n) | (v >> (64 - n));
}

using State = std::array<std::uint64_t, 25>;  // lane (x, y) at index x + 5 * y

void keccak_f1600(State& a) {
  for (int round = 0; round < kRounds; ++round) {
    // theta
    std::array<std::uint64_t, 5> c{};
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      const std::uint64_t d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 5; ++y) a[x + 5 * y] ^= d;
    }
    // rho and pi: B[y, 2x + 3y] = rotl(A[x, y], rho[x, y])
    State b{};
    for (int x = 0; x < 5; ++x) {
      for (int y = 0; y < 5; ++y) {
        b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y], kRho[x + 5 * y]);
      }
    }
    // chi
    for (int y = 0; y < 5; ++y) {
      for (int x = 0; x < 5; ++x) {
        a[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & b[(x + 2) % 5 + 5 * y]);
      }
    }
    // iota
    a[0] ^= kRoundConstants[round];
  }
}

// Incremental sponge so that the two-part overload needs no concatenation copy.
class Keccak256 {
 public:
  void absorb(ByteView data) {
    std::size_t i = 0;
    // Whole blocks go in a lane (8 bytes, little-endian) at a time when the block is aligned.
    if (pos_ == 0) {
      for (; data.size() - i >= kRateBytes; i += kRateBytes) {
        for (std::size_t lane = 0; lane < kRateBytes / 8; ++lane) {
          const std::uint8_t* p = data.data() + i + lane * 8;
          std::uint64_t v = 0;
          for (std::size_t b = 8; b-- > 0;) v = (v << 8) | p[b];
          state_[lane] ^= v;
        }
        keccak_f1600(state_);
      }
    }
    for (; i < data.size(); ++i) {
      xor_byte(pos_, data[i]);
      if (++pos_ == kRateBytes) {
        keccak_f1600(state_);
        pos_ = 0;
      }
    }
  }

  Hash32 finish() {
    xor_byte(pos_, 0x01);
    xor_byte(kRateBytes - 1, 0x80);
    keccak_f1600(state_);
    Hash32 out;
    for (std::size_t i = 0; i < out.bytes.size(); ++i) {
      out.bytes[i] = static_cast<std::uint8_t>(state_[i / 8] >> (8 * (i % 8)));
    }
    return out;
  }

 private:
  // Lanes are little-endian: byte i of the block lands in lane i / 8 at bit 8 * (i % 8).
  void xor_byte(std::size_t index, std::uint8_t byte) {
    state_[index / 8] ^= static_cast<std::uint64_t>(byte) << (8 * (index % 8));
  }

  State state_{};
  std::size_t pos_ = 0;
};

}  // namespace

Hash32 keccak256(ByteView data) {
  Keccak256 sponge;
  sponge.absorb(data);
  return sponge.finish();
}

Hash32 keccak256(ByteView a, ByteView b) {
  Keccak256 sponge;
  sponge.absorb(a);
  sponge.absorb(b);
  return sponge.finish();
}

}  // namespace flywheel
