// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Games and options shared by the estimator tests (estimator_test.cpp and internal/*_test.cpp):
//! closed-form games, an FL-like random game tabulated over all coalitions, and the options of
//! runs that stop on the sample limit or the evaluation cap only. Test code only.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include "attribution/estimator.hpp"
#include "attribution/internal/random.hpp"

namespace flywheel::attribution::internal {

//! The additive game U(S) = Σ_{i∈S} w_i.
inline double additive(const std::vector<double>& w, Coalition s) {
  double u = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (s >> i & 1) u += w[i];
  }
  return u;
}

//! Glove game: player 0 holds the only left glove, players 1 and 2 right gloves; a pair is worth 1.
inline double glove(Coalition s) { return (s & 1) && (s & 6) ? 1.0 : 0.0; }

//! An FL-like random game over n players: accuracy saturating in the data the coalition holds, a
//! harmful player (negative weight), and per-coalition noise of the size of validation-set noise.
inline std::vector<double> random_fl_game(std::size_t n, std::uint64_t seed) {
  internal::Xoshiro256 rng(seed);
  std::vector<double> w(n);
  for (auto& x : w) x = 0.2 + rng.uniform01();
  w[n - 1] = -0.6;
  std::vector<double> u(std::size_t{1} << n);
  for (Coalition s = 0; s < u.size(); ++s) {
    const double data = std::max(0.0, additive(w, s));
    u[s] = 0.1 + 0.8 * (1 - std::exp(-1.5 * data)) + 0.01 * (rng.uniform01() - 0.5);
  }
  return u;
}

inline double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

inline EstimatorOptions untruncated(std::uint64_t seed, std::size_t permutations) {
  EstimatorOptions o;
  o.seed = seed;
  o.truncation_tolerance = 0;
  o.round_truncation_tolerance = 0;
  o.convergence_tolerance = 0;
  o.max_samples = permutations;
  o.min_samples = permutations;
  return o;
}

//! Stratified options that stop on the evaluation cap (or the sample limit) only.
inline EstimatorOptions stratified_options(std::uint64_t seed, std::size_t max_evaluations) {
  EstimatorOptions o;
  o.seed = seed;
  o.max_evaluations = max_evaluations;
  o.convergence_tolerance = 0;
  o.min_samples = 2;
  o.max_samples = 100000;
  return o;
}

}  // namespace flywheel::attribution::internal
