// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The stopping rules shared by the sampling estimators (sampling.hpp); the convergence test is
// GTG-Shapley's relative change of the running averages (Liu et al., ACM TIST 2022).
#include "attribution/internal/sampling.hpp"

#include <algorithm>
#include <cmath>

namespace flywheel::attribution::internal {

bool StopRule::done(std::size_t samples, std::size_t evaluations, const std::vector<double>& values,
                    const std::vector<double>& errors, std::vector<std::string>& notes) {
  double change = kInf;
  if (!previous_.empty()) {
    double moved = 0, size = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      moved += std::abs(values[i] - previous_[i]);
      size += std::abs(values[i]);
    }
    change = size > 0 ? moved / size : (moved > 0 ? kInf : 0.0);
  }
  previous_ = values;
  stable_ = change < settings_.convergence ? stable_ + 1 : 0;
  const std::string after = " after " + std::to_string(samples) + " " + std::string(unit_);
  if (samples >= settings_.max_samples) {
    notes.push_back("stopped at max_samples" + after);
    return true;
  }
  if (options_.max_evaluations > 0 && evaluations >= options_.max_evaluations) {
    notes.push_back("stopped at max_evaluations (" + std::to_string(evaluations) + ")" + after);
    return true;
  }
  if (samples < settings_.min_samples) return false;
  if (options_.target_std_error > 0 && *std::max_element(errors.begin(), errors.end()) <= options_.target_std_error) {
    notes.push_back(format("stopped: every standard error <= %g", options_.target_std_error) + after);
    return true;
  }
  if (settings_.convergence > 0 && stable_ >= 2) {
    notes.push_back(
        format("stopped: converged (relative change %.3g < %g for two batches)", change, settings_.convergence) +
        after);
    return true;
  }
  return false;
}

}  // namespace flywheel::attribution::internal
