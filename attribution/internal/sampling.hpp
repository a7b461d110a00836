// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! What the sampling estimators (tmc, gtg, banzhaf, stratified) share: running means and
//! variances, the stopping rules of EstimatorOptions (max_samples, max_evaluations,
//! target_std_error, and the GTG-Shapley paper's relative-change convergence test, Liu et al.,
//! ACM TIST 2022) and C(n, k) for the finite-population corrections of stratified estimates.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "attribution/estimator.hpp"
#include "attribution/internal/estimators.hpp"

namespace flywheel::attribution::internal {

//! Welford running mean and variance, one per participant (or per stratum).
class RunningStats {
 public:
  explicit RunningStats(std::size_t n) : count_(n, 0), mean_(n, 0.0), m2_(n, 0.0) {}
  void add(std::size_t i, double x) {
    ++count_[i];
    const double delta = x - mean_[i];
    mean_[i] += delta / static_cast<double>(count_[i]);
    m2_[i] += delta * (x - mean_[i]);
  }
  [[nodiscard]] std::size_t count(std::size_t i) const { return count_[i]; }
  [[nodiscard]] double mean(std::size_t i) const { return mean_[i]; }
  //! Unbiased sample variance; +inf below two observations (unknown).
  [[nodiscard]] double variance(std::size_t i) const {
    return count_[i] < 2 ? kInf : m2_[i] / static_cast<double>(count_[i] - 1);
  }

 private:
  std::vector<std::size_t> count_;
  std::vector<double> mean_;
  std::vector<double> m2_;
};

//! Decides after each batch whether a sampling estimator may stop, and says why. Keeps references
//! to `settings` and `options`, which must outlive it.
class StopRule {
 public:
  StopRule(const Settings& settings, const EstimatorOptions& options, std::string_view unit)
      : settings_(settings), options_(options), unit_(unit) {}

  //! Whether to stop, given the current estimates `values` and `errors` after `samples` samples
  //! and `evaluations` distinct evaluations; a stop adds a note to `notes` saying why. Call once
  //! per batch: the convergence test compares with the previous call's values.
  bool done(std::size_t samples, std::size_t evaluations, const std::vector<double>& values,
            const std::vector<double>& errors, std::vector<std::string>& notes);

 private:
  const Settings& settings_;
  const EstimatorOptions& options_;
  std::string_view unit_;
  std::vector<double> previous_;
  std::size_t stable_ = 0;
};

//! C(n, k) as a double (finite-population sizes of the strata; exact below 2^53).
inline double binomial(std::size_t n, std::size_t k) {
  double c = 1;
  for (std::size_t j = 1; j <= k; ++j) c = c * static_cast<double>(n - k + j) / static_cast<double>(j);
  return c;
}

}  // namespace flywheel::attribution::internal
