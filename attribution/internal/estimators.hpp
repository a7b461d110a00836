// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The estimators behind estimate() (attribution/estimator.hpp), one per file: run_exact
//! (exact.cpp, Shapley 1953), run_loo (loo.cpp), run_tmc (tmc.cpp, Ghorbani & Zou, ICML 2019),
//! run_gtg (gtg.cpp, Liu et al., ACM TIST 2022), run_banzhaf (banzhaf.cpp, Wang & Jia, AISTATS
//! 2023) and run_stratified (stratified.cpp, Kolpaczki et al., AAAI 2024), with the pieces they
//! share. estimator.cpp checks the request, resolves Settings, evaluates U(∅) and U(N) and applies
//! between-round truncation before it calls a sampling estimator; exact and loo get the request as
//! it is.

#include <cstddef>
#include <cstdio>
#include <limits>
#include <string>

#include "attribution/estimator.hpp"
#include "attribution/internal/evaluator.hpp"

namespace flywheel::attribution::internal {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

inline Coalition full_mask(std::size_t n) { return coalition_full(n); }
inline Coalition member(std::size_t i) { return coalition_member(i); }

//! printf-style text with up to two numbers, for notes.
inline std::string format(const char* fmt, double a, double b = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, a, b);
  return buf;
}

//! Per-method defaults resolved and checked once (estimator.cpp's check_request).
struct Settings {
  std::size_t max_samples = 0;
  std::size_t min_samples = 0;
  double truncation = 0;
  double round_truncation = 0;
  double convergence = 0;
};

//! Sets what every estimate reports besides its values: method, seed, U(∅), U(N) and the number
//! of evaluations (so U(∅) and U(N) must have been evaluated).
inline void fill_common(Estimate& out, Method method, std::size_t n, const Evaluator& evaluator,
                        const EstimatorOptions& options) {
  out.method = method;
  out.seed = options.seed;
  out.empty_utility = evaluator.at(0);
  out.grand_utility = evaluator.at(full_mask(n));
  out.evaluations = evaluator.evaluations();
}

//! Exact Shapley values over all 2^n coalitions (n ≤ kMaxExactParticipants).
Result<Estimate> run_exact(std::size_t n, Evaluator& evaluator, const EstimatorOptions& options);

//! Leave-one-out: φ_i = U(N) − U(N∖{i}).
Result<Estimate> run_loo(std::size_t n, Evaluator& evaluator, const EstimatorOptions& options);

//! The sampling estimators; U(∅) and U(N) are already evaluated. Errors: the utility's.
Result<Estimate> run_tmc(std::size_t n, Evaluator& evaluator, const Settings& settings,
                         const EstimatorOptions& options);
Result<Estimate> run_gtg(std::size_t n, Evaluator& evaluator, const Settings& settings,
                         const EstimatorOptions& options);
Result<Estimate> run_banzhaf(std::size_t n, Evaluator& evaluator, const Settings& settings,
                             const EstimatorOptions& options);
//! Errors also: the control variate's, or Errc::internal for a table of the wrong size or with a
//! value that is not finite (gtg too).
Result<Estimate> run_stratified(std::size_t n, Evaluator& evaluator, const Settings& settings,
                                const EstimatorOptions& options);

}  // namespace flywheel::attribution::internal
