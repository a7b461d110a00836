// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Portable seeded randomness for everything that must be reproducible bit for bit (partitions,
//! shuffles, initial weights). The standard library's distributions are implementation-defined, so
//! only std::mt19937_64's raw output (fully specified by the standard) is used, and the
//! distributions are written out here: splitmix64 (Steele, Lea, Flood 2014) for seed derivation,
//! Lemire's nearly-divisionless bounded integers (2019), Box–Muller normals, and Marsaglia & Tsang's
//! gamma sampler ("A simple method for generating gamma variables", 2000).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <numbers>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "common/random.hpp"

namespace flywheel::fedtrain::internal {

using Rng = std::mt19937_64;

//! The job's random streams, derive_seed(job.seed, {stream, ...}): the one list that the
//! simulation, the deployment aggregator and participants, and the replay all draw from, so that
//! every mode makes the same random choices.
inline constexpr std::uint64_t kValidationStream = 1;  //!< the training rows held back for validation
inline constexpr std::uint64_t kPartitionStream = 2;   //!< the split of the pool among participants
inline constexpr std::uint64_t kInitStream = 3;        //!< the initial model w_1
inline constexpr std::uint64_t kProfileStream = 4;     //!< {4, i}: participant i's profile (its labels)
inline constexpr std::uint64_t kTrainStream = 5;       //!< {5, round, i}: participant i's local training
inline constexpr std::uint64_t kSampleStream = 6;      //!< {6, round}: which participants a round selects
inline constexpr std::uint64_t kEvaluateStream = 7;    //!< {7, round}: which participants evaluate the new model

using flywheel::splitmix64;  // common/random.hpp

//! A seed derived from a base seed and a path of small integers (e.g. round, participant), so each
//! stream of randomness is independent of the order in which streams are used.
inline std::uint64_t derive_seed(std::uint64_t base, std::initializer_list<std::uint64_t> path) {
  std::uint64_t h = splitmix64(base);
  for (auto part : path) h = splitmix64(h ^ splitmix64(part + 0x632BE59BD9B4E019ULL));
  return h;
}

//! Uniform double in [0, 1) with 53 random bits.
inline double uniform01(Rng& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

//! Uniform double in (0, 1): never 0, so logarithms are finite.
inline double uniform_open01(Rng& rng) { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }

//! Uniform integer in [0, bound), bound > 0, without modulo bias (Lemire 2019).
inline std::uint64_t uniform_below(Rng& rng, std::uint64_t bound) {
  unsigned __int128 m = static_cast<unsigned __int128>(rng()) * bound;
  auto low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(rng()) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

//! Fisher–Yates shuffle.
template <class T>
void shuffle(std::span<T> items, Rng& rng) {
  for (std::size_t i = items.size(); i > 1; --i) {
    const auto j = static_cast<std::size_t>(uniform_below(rng, i));
    std::swap(items[i - 1], items[j]);
  }
}

//! `count` of `candidates` drawn without replacement (a seeded Fisher–Yates shuffle, first
//! `count`), sorted; all of them, and no randomness used, when count ≥ their number. The
//! simulation and the deployment aggregator select each round's participants with it (seed from
//! kSampleStream), so with every participant live both select alike.
inline std::vector<std::size_t> sample_sorted(std::vector<std::size_t> candidates, std::size_t count,
                                              std::uint64_t seed) {
  if (count >= candidates.size()) return candidates;
  Rng rng(seed);
  shuffle(std::span(candidates), rng);
  candidates.resize(count);
  std::sort(candidates.begin(), candidates.end());
  return candidates;
}

//! Standard normal (Box–Muller; the second variate is discarded to keep the stream stateless).
inline double standard_normal(Rng& rng) {
  const double u1 = uniform_open01(rng);
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

//! Gamma(shape, 1), shape > 0 (Marsaglia–Tsang; shape < 1 boosted by U^(1/shape)).
inline double gamma(Rng& rng, double shape) {
  if (shape < 1.0) {
    const double boost = std::pow(uniform_open01(rng), 1.0 / shape);
    return gamma(rng, shape + 1.0) * boost;
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0;
    double v = 0;
    do {
      x = standard_normal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform_open01(rng);
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

}  // namespace flywheel::fedtrain::internal
