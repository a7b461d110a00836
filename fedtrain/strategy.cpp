// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// FedAvg, McMahan et al. 2017 (arXiv:1602.05629), Algorithm 1, server side.
#include "fedtrain/strategy.hpp"

#include <string>

namespace flywheel::fedtrain {

Result<std::vector<float>> fedavg(std::span<const std::span<const float>> updates,
                                  std::span<const std::uint64_t> samples) {
  if (updates.empty()) return fail(Errc::invalid_argument, "fedavg needs at least one update");
  if (updates.size() != samples.size()) {
    return fail(Errc::invalid_argument, "fedavg got " + std::to_string(updates.size()) +
                                            " updates but " + std::to_string(samples.size()) +
                                            " sample counts");
  }
  const std::size_t length = updates.front().size();
  double total = 0;
  for (std::size_t k = 0; k < updates.size(); ++k) {
    if (updates[k].size() != length) {
      return fail(Errc::invalid_argument, "update " + std::to_string(k) + " has " +
                                              std::to_string(updates[k].size()) +
                                              " floats, update 0 has " + std::to_string(length));
    }
    total += static_cast<double>(samples[k]);
  }
  if (total == 0) return fail(Errc::invalid_argument, "fedavg weights (sample counts) sum to zero");

  std::vector<double> sum(length, 0.0);
  for (std::size_t k = 0; k < updates.size(); ++k) {
    const double weight = static_cast<double>(samples[k]) / total;
    const float* u = updates[k].data();
    for (std::size_t i = 0; i < length; ++i) sum[i] += weight * static_cast<double>(u[i]);
  }
  std::vector<float> merged(length);
  for (std::size_t i = 0; i < length; ++i) merged[i] = static_cast<float>(sum[i]);
  return merged;
}

Result<std::vector<float>> apply_update(std::span<const float> global,
                                        std::span<const float> update) {
  if (global.size() != update.size()) {
    return fail(Errc::invalid_argument, "update has " + std::to_string(update.size()) +
                                            " floats, the model has " +
                                            std::to_string(global.size()));
  }
  std::vector<float> out(global.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = global[i] + update[i];
  return out;
}

}  // namespace flywheel::fedtrain
