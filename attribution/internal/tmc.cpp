// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Truncated Monte Carlo Shapley (A. Ghorbani & J. Zou, "Data Shapley: Equitable valuation of data
// for machine learning", ICML 2019): Method::tmc of estimate() (attribution/estimator.hpp).
#include "attribution/internal/estimators.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "attribution/internal/random.hpp"
#include "attribution/internal/sampling.hpp"

namespace flywheel::attribution::internal {

// TMC (Ghorbani & Zou 2019): averages of marginal contributions along uniformly random
// permutations, with within-round truncation. All permutations of a batch are stepped one position
// at a time, so each step's coalitions are evaluated together in parallel.
Result<Estimate> run_tmc(std::size_t n, Evaluator& evaluator, const Settings& settings,
                         const EstimatorOptions& options) {
  const Coalition full = full_mask(n);
  const double u_full = evaluator.at(full);
  const double u_empty = evaluator.at(0);
  Xoshiro256 rng(internal::derive_stream(options.seed, static_cast<std::uint64_t>(Method::tmc)));
  RunningStats stats(n);
  StopRule stop(settings, options, "permutations");
  Estimate out;
  std::size_t samples = 0;
  std::size_t truncated_steps = 0;
  const std::size_t batch_size = std::max<std::size_t>(n, 2);
  std::vector<double> values(n), errors(n);
  for (;;) {
    const std::size_t batch = std::min(batch_size, settings.max_samples - samples);
    std::vector<std::vector<std::size_t>> order(batch, std::vector<std::size_t>(n));
    for (std::size_t b = 0; b < batch; ++b) {
      std::iota(order[b].begin(), order[b].end(), std::size_t{0});
      rng.shuffle(std::span(order[b]));
    }
    std::vector<Coalition> prefix(batch, 0);
    std::vector<double> previous(batch, u_empty);
    std::vector<char> truncated(batch, 0);
    std::vector<std::vector<double>> marginal(batch, std::vector<double>(n, 0.0));
    std::vector<Coalition> needed;
    for (std::size_t k = 0; k < n; ++k) {
      needed.clear();
      for (std::size_t b = 0; b < batch; ++b) {
        if (truncated[b]) continue;
        if (settings.truncation > 0 && std::abs(u_full - previous[b]) < settings.truncation) {
          truncated[b] = 1;
          truncated_steps += n - k;
          continue;
        }
        needed.push_back(prefix[b] | member(order[b][k]));
      }
      if (needed.empty()) break;
      FLYWHEEL_TRY(evaluator.evaluate(needed));
      for (std::size_t b = 0; b < batch; ++b) {
        if (truncated[b]) continue;
        prefix[b] |= member(order[b][k]);
        const double v = evaluator.at(prefix[b]);
        marginal[b][order[b][k]] = v - previous[b];
        previous[b] = v;
      }
    }
    for (std::size_t b = 0; b < batch; ++b) {
      for (std::size_t i = 0; i < n; ++i) stats.add(i, marginal[b][i]);
    }
    samples += batch;
    for (std::size_t i = 0; i < n; ++i) {
      values[i] = stats.mean(i);
      errors[i] = std::sqrt(stats.variance(i) / static_cast<double>(stats.count(i)));
    }
    if (stop.done(samples, evaluator.evaluations(), values, errors, out.notes)) break;
  }
  out.values = values;
  out.std_errors = errors;
  out.samples = samples;
  if (truncated_steps > 0) {
    out.notes.push_back(format("within-round truncation (|U(N) - U(prefix)| < %g) skipped %.0f of ",
                               settings.truncation, static_cast<double>(truncated_steps)) +
                        std::to_string(samples * n) + " permutation steps");
  }
  fill_common(out, Method::tmc, n, evaluator, options);
  return out;
}

}  // namespace flywheel::attribution::internal
