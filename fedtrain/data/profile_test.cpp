// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/data/profile.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <sstream>

#include <gtest/gtest.h>

#include "fedtrain/config.hpp"
#include "fedtrain/internal/test_paths.hpp"
#include "fedtrain/simulation/simulation.hpp"

namespace flywheel::fedtrain {
namespace {

std::vector<std::int64_t> labels_0_to_9(std::size_t n) {
  std::vector<std::int64_t> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<std::int64_t>(i % 10);
  return labels;
}

TEST(Profile, NamesRoundTrip) {
  for (auto profile : {Profile::honest, Profile::shuffled_labels, Profile::free_rider, Profile::label_flipper,
                       Profile::noisy_labels, Profile::duplicate_of(3)}) {
    EXPECT_EQ(*parse_profile(profile_name(profile)), profile);
  }
}

TEST(Profile, UnknownNameIsAConfigErrorListingTheKnownOnes) {
  auto profile = parse_profile("malicious");
  ASSERT_FALSE(profile);
  EXPECT_EQ(profile.error().code, Errc::config);
  EXPECT_NE(profile.error().message.find("malicious"), std::string::npos);
  EXPECT_NE(profile.error().message.find("shuffled-labels"), std::string::npos);
}

TEST(Profile, HonestParticipantTrainsOnTheTrueLabels) {
  const auto labels = labels_0_to_9(100);
  const std::vector<std::size_t> indices{3, 14, 15, 92};
  EXPECT_EQ(training_labels(Profile::honest, labels, indices, 1), (std::vector<std::int64_t>{3, 4, 5, 2}));
}

TEST(Profile, ShuffledLabelsKeepTheLabelCountsButNotTheirOrder) {
  const auto labels = labels_0_to_9(1000);
  std::vector<std::size_t> indices(500);
  for (std::size_t k = 0; k < indices.size(); ++k) indices[k] = 2 * k;
  const auto honest = training_labels(Profile::honest, labels, indices, 1);
  const auto shuffled = training_labels(Profile::shuffled_labels, labels, indices, 1);
  EXPECT_TRUE(std::is_permutation(honest.begin(), honest.end(), shuffled.begin()));
  std::size_t same = 0;
  for (std::size_t k = 0; k < honest.size(); ++k) same += honest[k] == shuffled[k] ? 1 : 0;
  // Only 5 labels occur (even positions), so about a fifth agree by chance.
  EXPECT_LT(same, honest.size() / 3);
}

TEST(Profile, ShuffledLabelsAreFixedBySeed) {
  const auto labels = labels_0_to_9(200);
  std::vector<std::size_t> indices(200);
  for (std::size_t k = 0; k < indices.size(); ++k) indices[k] = k;
  EXPECT_EQ(training_labels(Profile::shuffled_labels, labels, indices, 7),
            training_labels(Profile::shuffled_labels, labels, indices, 7));
  EXPECT_NE(training_labels(Profile::shuffled_labels, labels, indices, 7),
            training_labels(Profile::shuffled_labels, labels, indices, 8));
}

TEST(Profile, DuplicateNamesTheParticipantWhoseDataItCopies) {
  auto profile = parse_profile("duplicate:12");
  ASSERT_TRUE(profile) << profile.error().to_string();
  EXPECT_EQ(*profile, Profile::duplicate_of(12));
  EXPECT_EQ(profile_name(*profile), "duplicate:12");
  EXPECT_EQ(data_source(*profile, 5), 12U);
  EXPECT_EQ(data_source(Profile::honest, 5), 5U);
}

TEST(Profile, DuplicateWithoutAnIndexIsAConfigError) {
  for (const char* name : {"duplicate:", "duplicate:x", "duplicate:-1", "duplicate"}) {
    auto profile = parse_profile(name);
    ASSERT_FALSE(profile) << name;
    EXPECT_EQ(profile.error().code, Errc::config) << name;
  }
}

TEST(Profile, CheckRefusesADuplicateOfItselfOfNobodyOrOfAnotherDuplicate) {
  const std::vector<Profile> self{Profile::honest, Profile::duplicate_of(1)};
  const std::vector<Profile> nobody{Profile::honest, Profile::duplicate_of(2)};
  const std::vector<Profile> chain{Profile::honest, Profile::duplicate_of(0), Profile::duplicate_of(1)};
  for (const auto& profiles : {self, nobody, chain}) {
    auto checked = check_profiles(profiles);
    ASSERT_FALSE(checked);
    EXPECT_EQ(checked.error().code, Errc::config);
    EXPECT_NE(checked.error().message.find("duplicate:"), std::string::npos) << checked.error().message;
  }
  const std::vector<Profile> fine{Profile::honest, Profile::duplicate_of(0), Profile::free_rider};
  EXPECT_TRUE(check_profiles(fine));
}

TEST(Profile, OnlyTheFreeRiderSendsTheGlobalModelBack) {
  EXPECT_TRUE(sends_global_model(Profile::free_rider));
  for (auto p : {Profile::honest, Profile::shuffled_labels, Profile::label_flipper, Profile::noisy_labels,
                 Profile::duplicate_of(0)}) {
    EXPECT_FALSE(sends_global_model(p)) << profile_name(p);
  }
}

TEST(Profile, LabelFlipperTrainsOnNineMinusTheTrueLabel) {
  const auto labels = labels_0_to_9(100);
  const std::vector<std::size_t> indices{3, 14, 15, 92, 10, 9};
  EXPECT_EQ(training_labels(Profile::label_flipper, labels, indices, 1), (std::vector<std::int64_t>{6, 5, 4, 7, 9, 0}));
}

TEST(Profile, NoisyLabelsReplaceAboutHalfTheLabelsWithUniformClassesFixedBySeed) {
  const auto labels = labels_0_to_9(10000);
  std::vector<std::size_t> indices(10000);
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  const auto noisy = training_labels(Profile::noisy_labels, labels, indices, 3);
  std::size_t changed = 0;
  std::vector<std::size_t> per_class(10, 0);
  for (std::size_t k = 0; k < noisy.size(); ++k) {
    ASSERT_GE(noisy[k], 0);
    ASSERT_LT(noisy[k], 10);
    changed += noisy[k] != labels[k];
    ++per_class[static_cast<std::size_t>(noisy[k])];
  }
  // Half are redrawn and a redrawn label differs from the truth with probability 9/10: 45 %.
  EXPECT_NEAR(static_cast<double>(changed) / 10000.0, 0.45, 0.03);
  for (auto c : per_class) EXPECT_NEAR(static_cast<double>(c), 1000.0, 150.0);
  EXPECT_EQ(noisy, training_labels(Profile::noisy_labels, labels, indices, 3));
  EXPECT_NE(noisy, training_labels(Profile::noisy_labels, labels, indices, 4));
}

TEST(Profile, FreeRiderAndDuplicateTrainOnTheTrueLabels) {
  const auto labels = labels_0_to_9(100);
  const std::vector<std::size_t> indices{3, 14, 15, 92};
  EXPECT_EQ(training_labels(Profile::free_rider, labels, indices, 1),
            training_labels(Profile::honest, labels, indices, 1));
  EXPECT_EQ(training_labels(Profile::duplicate_of(0), labels, indices, 1),
            training_labels(Profile::honest, labels, indices, 1));
}

// A real (small) Fashion-MNIST job with exact Shapley, one participant of each special profile:
// attribution must rank them as the scenario in docs/attribution.md does. 6 participants on
// 4 000 samples (iid), 2 rounds, 64 coalitions per round: a few seconds.
TEST(ProfileScenario, ExactShapleyRanksFreeRiderFlipperNoisyAndDuplicateAsExpected) {
  auto config = parse_simulation_config(R"({
    "job": {"name": "scenario-test", "seed": 7, "rounds": 2},
    "data": {"partition": "iid", "validation_size": 600, "train_limit": 4200},
    "model": {"hidden": [64]},
    "training": {"learning_rate": 0.05},
    "participants": {"count": 6,
                     "profiles": {"2": "free-rider", "3": "label-flipper", "4": "noisy-labels", "5": "duplicate:0"}},
    "attribution": {"method": "exact", "keep_artifacts": false}
  })");
  ASSERT_TRUE(config) << config.error().to_string();
  const auto dir = internal::fresh_temp_dir("profile-scenario");
  NullSink sink;
  std::ostringstream progress;
  auto summary = run_simulation(*config, dir, sink, SimulationOptions{.progress = &progress});
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(summary) << summary.error().to_string();
  const auto& v = summary->total_values;
  ASSERT_EQ(v.size(), 6U);
  const double honest = std::min(v[0], v[1]);
  for (std::size_t i = 0; i < v.size(); ++i) std::printf("participant %zu: %+.4f\n", i, v[i]);
  // Label-flipper: lowest of all, and not positive.
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != 3) {
      EXPECT_LT(v[3], v[i]) << "participant " << i;
    }
  }
  EXPECT_LE(v[3], 0.0);
  // Free rider: about zero, well below every honest participant.
  EXPECT_LT(std::abs(v[2]), 0.25 * honest);
  // Noisy labels: below every honest participant (and above the flipper, checked above).
  EXPECT_LT(v[4], honest);
  // Duplicate pair: the copy earns about what the original earns, and each about what an honest
  // participant with its own data earns or less (they share the data's credit).
  EXPECT_NEAR(v[5], v[0], 0.5 * std::max(v[0], v[1]));
  EXPECT_GT(v[5], v[2]);
  EXPECT_GT(v[5], v[4]);
}

}  // namespace
}  // namespace flywheel::fedtrain
