// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Simulated participant behaviours. An honest participant trains on its data as it is; a
//! "shuffled-labels" participant trains on its images with its own labels randomly permuted across
//! them, so the label distribution is kept but the labels carry no information about the images
//! (the label-noise free rider of the data-valuation literature, e.g. Ghorbani & Zou, "Data
//! Shapley", ICML 2019). Attribution should value it at about zero or below.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace flywheel::fedtrain {

//! How a simulated participant treats its data.
enum class Profile {
  honest,           //!< "honest"
  shuffled_labels,  //!< "shuffled-labels"
};

//! Parses a profile name ("honest", "shuffled-labels"). Errc::config naming the profile and the
//! accepted names otherwise.
Result<Profile> parse_profile(std::string_view name);

//! The profile's name as parse_profile accepts it.
std::string_view profile_name(Profile profile);

//! The labels a participant with `profile` trains on: result[k] is the target of sample
//! indices[k]. Honest: labels[indices[k]]. Shuffled-labels: the same multiset of labels in a
//! random order fixed by `seed`. Indices must be in range of `labels`.
std::vector<std::int64_t> training_labels(Profile profile, std::span<const std::int64_t> labels,
                                          std::span<const std::size_t> indices, std::uint64_t seed);

}  // namespace flywheel::fedtrain
