// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/profile.hpp"

#include "fedtrain/internal/random.hpp"

namespace flywheel::fedtrain {

Result<Profile> parse_profile(std::string_view name) {
  if (name == "honest") return Profile::honest;
  if (name == "shuffled-labels") return Profile::shuffled_labels;
  return fail(Errc::config, "unknown participant profile \"" + std::string(name) +
                                "\"; use \"honest\" or \"shuffled-labels\"");
}

std::string_view profile_name(Profile profile) {
  switch (profile) {
    case Profile::honest: return "honest";
    case Profile::shuffled_labels: return "shuffled-labels";
  }
  return "unknown";
}

std::vector<std::int64_t> training_labels(Profile profile, std::span<const std::int64_t> labels,
                                          std::span<const std::size_t> indices, std::uint64_t seed) {
  std::vector<std::int64_t> out(indices.size());
  for (std::size_t k = 0; k < indices.size(); ++k) out[k] = labels[indices[k]];
  if (profile == Profile::shuffled_labels) {
    internal::Rng rng(internal::derive_seed(seed, {0x5ef1}));
    internal::shuffle(std::span(out), rng);
  }
  return out;
}

}  // namespace flywheel::fedtrain
