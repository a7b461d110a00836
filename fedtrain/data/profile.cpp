// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Simulated participant behaviours (see profile.hpp; Ghorbani & Zou, ICML 2019 for the label-noise
// and duplicate-data cases).
#include "fedtrain/data/profile.hpp"

#include <algorithm>

#include "fedtrain/internal/random.hpp"

namespace flywheel::fedtrain {
namespace {

constexpr std::int64_t kClasses = 10;
constexpr std::string_view kDuplicatePrefix = "duplicate:";

}  // namespace

Result<Profile> parse_profile(std::string_view name) {
  if (name == "honest") return Profile::honest;
  if (name == "shuffled-labels") return Profile::shuffled_labels;
  if (name == "free-rider") return Profile::free_rider;
  if (name == "label-flipper") return Profile::label_flipper;
  if (name == "noisy-labels") return Profile::noisy_labels;
  if (name.starts_with(kDuplicatePrefix)) {
    const auto digits = name.substr(kDuplicatePrefix.size());
    if (!digits.empty() && digits.size() <= 6 &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Profile::duplicate_of(std::stoul(std::string(digits)));
    }
    return fail(Errc::config, "participant profile \"" + std::string(name) +
                                  "\": expected duplicate:K with K a participant index, e.g. \"duplicate:0\"");
  }
  return fail(Errc::config, "unknown participant profile \"" + std::string(name) +
                                "\"; use \"honest\", \"shuffled-labels\", \"free-rider\", "
                                "\"label-flipper\", \"noisy-labels\" or \"duplicate:K\"");
}

std::string profile_name(const Profile& profile) {
  switch (profile.kind) {
    case ProfileKind::honest:
      return "honest";
    case ProfileKind::shuffled_labels:
      return "shuffled-labels";
    case ProfileKind::free_rider:
      return "free-rider";
    case ProfileKind::label_flipper:
      return "label-flipper";
    case ProfileKind::noisy_labels:
      return "noisy-labels";
    case ProfileKind::duplicate:
      return std::string(kDuplicatePrefix) + std::to_string(profile.source);
  }
  return "unknown";
}

Result<void> check_profiles(std::span<const Profile> profiles) {
  for (std::size_t i = 0; i < profiles.size(); ++i) {
    if (profiles[i].kind != ProfileKind::duplicate) continue;
    const std::size_t k = profiles[i].source;
    const std::string who = "participants.profiles." + std::to_string(i) + " (" + profile_name(profiles[i]) + ")";
    if (k >= profiles.size() || k == i) {
      return fail(Errc::config, who + ": K must be another participant's index (0.." +
                                    std::to_string(profiles.size() - 1) + ", not " + std::to_string(i) + ")");
    }
    if (profiles[k].kind == ProfileKind::duplicate) {
      return fail(Errc::config,
                  who + ": participant " + std::to_string(k) + " is itself a duplicate; copy the original instead");
    }
  }
  return {};
}

std::size_t data_source(const Profile& profile, std::size_t index) {
  return profile.kind == ProfileKind::duplicate ? profile.source : index;
}

bool sends_global_model(const Profile& profile) { return profile.kind == ProfileKind::free_rider; }

LocalResult global_model_sent_back(std::size_t parameters, std::size_t samples) {
  return LocalResult{.update = std::vector<float>(parameters, 0.0F), .samples = samples};
}

std::vector<std::int64_t> training_labels(const Profile& profile, std::span<const std::int64_t> labels,
                                          std::span<const std::size_t> indices, std::uint64_t seed) {
  std::vector<std::int64_t> out(indices.size());
  for (std::size_t k = 0; k < indices.size(); ++k) out[k] = labels[indices[k]];
  switch (profile.kind) {
    case ProfileKind::shuffled_labels: {
      internal::Rng rng(internal::derive_seed(seed, {0x5ef1}));
      internal::shuffle(std::span(out), rng);
      break;
    }
    case ProfileKind::label_flipper:
      for (auto& y : out) y = kClasses - 1 - y;
      break;
    case ProfileKind::noisy_labels: {
      internal::Rng rng(internal::derive_seed(seed, {0x7015e}));
      for (auto& y : out) {
        const bool replace = internal::uniform01(rng) < 0.5;
        const auto random = static_cast<std::int64_t>(internal::uniform_below(rng, kClasses));
        if (replace) y = random;
      }
      break;
    }
    case ProfileKind::honest:
    case ProfileKind::free_rider:
    case ProfileKind::duplicate:
      break;
  }
  return out;
}

}  // namespace flywheel::fedtrain
