// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The control variates of the stratified and gtg estimators: the caller's game
//! (EstimatorOptions::control_variate) and the stratified estimator's fitted FedAvg-mixture
//! surrogate (docs/attribution.md), each with its exact Shapley values over all 2^n coalitions
//! (n ≤ kMaxSurrogateParticipants). The estimate is φ(f) plus the stratified estimate of φ(U − f)
//! (strata.hpp; Stratified SVARM, Kolpaczki et al., AAAI 2024).

#include <cstddef>
#include <utility>
#include <vector>

#include "attribution/estimator.hpp"
#include "attribution/internal/evaluator.hpp"

namespace flywheel::attribution::internal {

//! The mixture surrogate f(S) = Σ_{i,j∈S} w_i w_j G_ij / (Σ_{i∈S} w_i)² (f(∅) = U(∅)): exact for any
//! utility quadratic in the merged model w_t + Σ_{i∈S} (w_i / Σ w) Δ_i, since the mixture weights sum
//! to 1. G is fitted by least squares to every evaluated non-empty coalition, with a small ridge
//! toward the G that interpolates sizes 1 and 2 (G_ii = U({i}), G_ij from U({i, j})).
struct Surrogate {
  std::size_t n = 0;
  std::vector<double> w;  //!< weights
  std::vector<double> g;  //!< n×n, symmetric
  double empty = 0;

  [[nodiscard]] double operator()(Coalition s) const {
    if (s == 0) return empty;
    double q = 0, total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!coalition_contains(s, i)) continue;
      total += w[i];
      q += w[i] * w[i] * g[i * n + i];
      for (std::size_t j = i + 1; j < n; ++j) {
        if (coalition_contains(s, j)) q += 2 * w[i] * w[j] * g[i * n + j];
      }
    }
    return q / (total * total);
  }
};

//! Fits the surrogate's G to `pool` (every evaluated coalition with its utility, sorted), with
//! `weights` one per participant; U(∅), U({i}) and U({i, j}) must have been evaluated.
Surrogate fit_surrogate(std::size_t n, const std::vector<double>& weights,
                        const std::vector<std::pair<Coalition, double>>& pool, const Evaluator& evaluator);

//! The caller's control variate (EstimatorOptions::control_variate), checked; empty when there is
//! none, the caller declines, or n > kMaxSurrogateParticipants. Errors: the control variate's own;
//! Errc::internal for a table that is neither empty nor of 2^n values, or has a value that is not
//! finite.
Result<std::vector<double>> supplied_control_variate(std::size_t n, const EstimatorOptions& options);

//! Exact Shapley values of a game tabulated over its 2^n coalitions (index = mask).
std::vector<double> table_shapley(std::size_t n, const std::vector<double>& u);

//! Exact Shapley values of the surrogate over its 2^n coalitions (n ≤ kMaxSurrogateParticipants).
std::vector<double> surrogate_shapley(const Surrogate& f);

}  // namespace flywheel::attribution::internal
