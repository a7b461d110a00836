// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Portable seeded random numbers for the attribution estimators: the same seed gives the same
//! stream on every compiler and standard library (unlike std::uniform_*_distribution, whose
//! algorithms are implementation-defined). Generators: SplitMix64 (Steele, Lea & Flood, "Fast
//! splittable pseudorandom number generators", OOPSLA 2014) seeds xoshiro256** (Blackman & Vigna,
//! "Scrambled linear pseudorandom number generators", ACM TOMS 2021).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/random.hpp"

namespace flywheel::attribution::internal {

using flywheel::splitmix64_next;  // common/random.hpp

//! xoshiro256**: 256-bit state, period 2^256 − 1, seeded from one 64-bit value via SplitMix64.
class Xoshiro256 {
 public:
  explicit Xoshiro256(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& word : s_) word = splitmix64_next(sm);
  }

  //! A generator with the given raw state (for reference test vectors); not all zero.
  static Xoshiro256 from_state(const std::array<std::uint64_t, 4>& state) {
    Xoshiro256 g(0);
    g.s_ = state;
    return g;
  }

  //! Next 64 uniformly random bits.
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  //! Uniform integer in [0, bound), bound ≥ 1, by rejection (no modulo bias).
  std::uint64_t below(std::uint64_t bound) {
    // Accept x < limit, where limit is the largest multiple of bound that fits in 2^64.
    const std::uint64_t limit = bound * ((~std::uint64_t{0}) / bound);
    for (;;) {
      const std::uint64_t x = next();
      if (x < limit) return x % bound;
    }
  }

  //! Uniform double in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  //! Fisher–Yates shuffle of `items` in place.
  template <class T>
  void shuffle(std::span<T> items) {
    for (std::size_t i = items.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>(below(i));
      std::swap(items[i - 1], items[j]);
    }
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> s_{};
};

//! A seed for an independent stream: mixes `seed` with a stream label (e.g. a method's id).
inline std::uint64_t derive_stream(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t state = seed ^ (0xD1B54A32D192ED03ULL * (stream + 1));
  splitmix64_next(state);
  return splitmix64_next(state);
}

}  // namespace flywheel::attribution::internal
