// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! What the stratified and gtg estimators share: the exact border strata (every coalition of
//! sizes 1, n − 1 and, when the budget allows, 2) and the stratified estimate that reuses every
//! evaluated coalition for every participant (Stratified SVARM: P. Kolpaczki, V. Bengs,
//! M. Muschalik & E. Hüllermeier, "Approximating the Shapley value without marginal
//! contributions", AAAI 2024), taken of the residual U − f of a control variate f.

#include <cstddef>
#include <utility>
#include <vector>

#include "attribution/estimator.hpp"

namespace flywheel::attribution::internal {

//! Every coalition of size 1 and of size n − 1, then (with `pairs`) of size 2, in a fixed order.
std::vector<Coalition> border_coalitions(std::size_t n, bool pairs);

//! Whether the border adds every pair: when the 2n + 2 + C(n, 2) border coalitions take at most
//! half of the evaluation cap, or (no cap) n ≤ kMaxSurrogateParticipants.
bool border_pairs(std::size_t n, const EstimatorOptions& options);

//! The stratified estimate of the residual game r(S) = U(S) − f(S) over every evaluated coalition
//! (Stratified SVARM's reuse: a coalition of size s is a "with i" sample of stratum s − 1 for each
//! member i and a "without i" sample of stratum s for every other participant):
//! φ_i = φ_i(f) + (1/n) Σ_{k=0}^{n−1} (mean r over evaluated S ∋ i, |S| = k + 1
//!                                      − mean r over evaluated S ∌ i, |S| = k).
//! Standard error: √(Σ_k v_{k+1}/m⁺ (1 − m⁺/C(n−1,k)) + v_k/m⁻ (1 − m⁻/C(n−1,k))) / n, with v_s the
//! variance of r over every evaluated coalition of size s (0 for an enumerated size). A mean with no
//! sample (only when the cap cut a sweep short) takes the mean of r over all evaluated coalitions of
//! that size, counted as one sample; a size with none contributes 0 with an infinite error.
void stratified_values(std::size_t n, const std::vector<std::pair<Coalition, double>>& residual,
                       const std::vector<double>& base, std::vector<double>& values, std::vector<double>& errors);

}  // namespace flywheel::attribution::internal
