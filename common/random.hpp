// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA
//! 2014; Vigna's splitmix64.c): the one definition of the mixer that seeds every generator and
//! derives every seed in Flywheel. The attribution estimators seed xoshiro256** with it
//! (attribution/internal/random.hpp); fedtrain derives its random streams with it
//! (fedtrain/internal/random.hpp).
//!
//!   std::uint64_t state = seed;
//!   const std::uint64_t a = splitmix64_next(state);  // advances state
//!   const std::uint64_t h = splitmix64(x);           // one step from x, stateless

#include <cstdint>

namespace flywheel {

//! The SplitMix64 increment (2^64 / φ, odd).
inline constexpr std::uint64_t kSplitMix64Gamma = 0x9E3779B97F4A7C15ULL;

//! One SplitMix64 step: advances `state` by the increment and returns the mixed value.
inline std::uint64_t splitmix64_next(std::uint64_t& state) {
  std::uint64_t z = (state += kSplitMix64Gamma);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

//! The output of one SplitMix64 step from state `x` (a bijective 64-bit mixer).
inline std::uint64_t splitmix64(std::uint64_t x) { return splitmix64_next(x); }

}  // namespace flywheel
