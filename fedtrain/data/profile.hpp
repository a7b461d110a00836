// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Simulated participant behaviours, the adversarial and low-quality parties of the data-valuation
//! literature (Ghorbani & Zou, "Data Shapley", ICML 2019; Wang et al., "A principled approach to
//! data valuation for federated learning", 2020) used to check that attribution ranks them low:
//!  - "honest": trains on its data as it is;
//!  - "shuffled-labels": its own labels randomly permuted across its images (label distribution
//!    kept, no information about the images);
//!  - "free-rider": does not train; sends back the global model unchanged (a zero update) and
//!    reports its sample count;
//!  - "label-flipper": trains with every label flipped y → 9 − y (a targeted poisoning party);
//!  - "noisy-labels": half of its labels (chosen by a seeded draw) replaced by uniformly random
//!    classes;
//!  - "duplicate:K": holds a copy of participant K's data (indices and true labels) instead of its
//!    own, so the pair should share the credit that data earns.
//!
//!   auto profile = parse_profile("duplicate:2");             // a participants.profiles entry
//!   std::size_t source = data_source(*profile, index);       // 2: whose partition it holds
//!   auto labels = training_labels(*profile, train.labels, indices, seed);  // what it trains on

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "fedtrain/model/model.hpp"

namespace flywheel::fedtrain {

//! The behaviour kinds; Profile adds the duplicate's source.
enum class ProfileKind {
  honest,           //!< "honest"
  shuffled_labels,  //!< "shuffled-labels"
  free_rider,       //!< "free-rider"
  label_flipper,    //!< "label-flipper"
  noisy_labels,     //!< "noisy-labels"
  duplicate,        //!< "duplicate:K"
};

//! How a simulated participant treats its data.
struct Profile {
  ProfileKind kind = ProfileKind::honest;
  std::size_t source = 0;  //!< duplicate only: the participant whose data it holds; 0 otherwise

  static const Profile honest;           //!< {ProfileKind::honest}
  static const Profile shuffled_labels;  //!< {ProfileKind::shuffled_labels}
  static const Profile free_rider;       //!< {ProfileKind::free_rider}
  static const Profile label_flipper;    //!< {ProfileKind::label_flipper}
  static const Profile noisy_labels;     //!< {ProfileKind::noisy_labels}
  //! A duplicate of participant `source`'s data.
  static constexpr Profile duplicate_of(std::size_t source) { return {ProfileKind::duplicate, source}; }

  friend constexpr bool operator==(const Profile&, const Profile&) = default;
};
inline constexpr Profile Profile::honest{ProfileKind::honest, 0};
inline constexpr Profile Profile::shuffled_labels{ProfileKind::shuffled_labels, 0};
inline constexpr Profile Profile::free_rider{ProfileKind::free_rider, 0};
inline constexpr Profile Profile::label_flipper{ProfileKind::label_flipper, 0};
inline constexpr Profile Profile::noisy_labels{ProfileKind::noisy_labels, 0};

//! Parses a profile name: "honest", "shuffled-labels", "free-rider", "label-flipper",
//! "noisy-labels" or "duplicate:K" (K a decimal participant index). Errc::config naming the profile
//! and the accepted names otherwise. K is checked against the job by check_profiles.
Result<Profile> parse_profile(std::string_view name);

//! The profile's name as parse_profile accepts it (e.g. "duplicate:3").
std::string profile_name(const Profile& profile);

//! Checks a job's profiles: every duplicate:K names another participant 0 ≤ K < count that is
//! not itself a duplicate. Errc::config naming the participant and the fix otherwise.
Result<void> check_profiles(std::span<const Profile> profiles);

//! Which participant's partition participant `index` holds: profile.source for a duplicate,
//! `index` otherwise.
std::size_t data_source(const Profile& profile, std::size_t index);

//! True for a free rider: it does not train and sends the global model back unchanged (a zero
//! update Δ = 0) with its sample count.
bool sends_global_model(const Profile& profile);

//! What a participant whose profile sends_global_model reports instead of training: the global
//! model unchanged, i.e. a zero update of `parameters` floats, claiming its `samples` (so that
//! FedAvg weights it like any other participant). The simulation and `flywheel participant` both
//! use it.
LocalResult global_model_sent_back(std::size_t parameters, std::size_t samples);

//! The labels a participant with `profile` trains on: result[k] is the target of sample
//! indices[k]. Honest, free-rider and duplicate: labels[indices[k]]. Shuffled-labels: the same
//! multiset of labels in a random order fixed by `seed`. Label-flipper: 9 − labels[indices[k]]
//! (classes 0..9). Noisy-labels: each label independently, with probability 1/2 (seeded by
//! `seed`), replaced by a uniformly random class in 0..9 (which may equal the true one). Indices
//! must be in range of `labels`.
std::vector<std::int64_t> training_labels(const Profile& profile, std::span<const std::int64_t> labels,
                                          std::span<const std::size_t> indices, std::uint64_t seed);

}  // namespace flywheel::fedtrain
