// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Data Banzhaf values by maximum sample reuse (J. T. Wang & R. Jia, "Data Banzhaf: A robust data
// valuation framework for machine learning", AISTATS 2023): Method::banzhaf of estimate()
// (attribution/estimator.hpp).
#include "attribution/internal/estimators.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "attribution/internal/random.hpp"
#include "attribution/internal/sampling.hpp"

namespace flywheel::attribution::internal {

// Data Banzhaf by maximum sample reuse: every sampled coalition (each participant in with
// probability 1/2) informs every participant's "with" or "without" mean.
Result<Estimate> run_banzhaf(std::size_t n, Evaluator& evaluator, const Settings& settings,
                             const EstimatorOptions& options) {
  const Coalition full = full_mask(n);
  Xoshiro256 rng(internal::derive_stream(options.seed, static_cast<std::uint64_t>(Method::banzhaf)));
  RunningStats with(n), without(n);
  StopRule stop(settings, options, "coalitions");
  Estimate out;
  std::size_t samples = 0;
  const std::size_t batch_size = std::max<std::size_t>(32, n);
  std::vector<double> values(n), errors(n);
  for (;;) {
    const std::size_t batch = std::min(batch_size, settings.max_samples - samples);
    std::vector<Coalition> drawn(batch);
    // Each bit of a uniform word is a fair coin. Above 64 participants a second word supplies
    // members 64..127; up to 64 one word per coalition keeps the stream of smaller rounds unchanged.
    for (auto& s : drawn) {
      s = rng.next();
      if (n > 64) s |= Coalition{rng.next()} << 64;
      s &= full;
    }
    FLYWHEEL_TRY(evaluator.evaluate(drawn));
    for (Coalition s : drawn) {
      const double v = evaluator.at(s);
      for (std::size_t i = 0; i < n; ++i) ((s & member(i)) ? with : without).add(i, v);
    }
    samples += batch;
    for (std::size_t i = 0; i < n; ++i) {
      if (with.count(i) == 0 || without.count(i) == 0) {
        values[i] = 0;
        errors[i] = kInf;
        continue;
      }
      values[i] = with.mean(i) - without.mean(i);
      errors[i] = std::sqrt(with.variance(i) / static_cast<double>(with.count(i)) +
                            without.variance(i) / static_cast<double>(without.count(i)));
    }
    if (stop.done(samples, evaluator.evaluations(), values, errors, out.notes)) break;
  }
  out.values = values;
  out.std_errors = errors;
  out.samples = samples;
  fill_common(out, Method::banzhaf, n, evaluator, options);
  return out;
}

}  // namespace flywheel::attribution::internal
