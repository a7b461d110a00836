// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/profile.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace flywheel::fedtrain {
namespace {

std::vector<std::int64_t> labels_0_to_9(std::size_t n) {
  std::vector<std::int64_t> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<std::int64_t>(i % 10);
  return labels;
}

TEST(Profile, NamesRoundTrip) {
  for (auto profile : {Profile::honest, Profile::shuffled_labels}) {
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
  EXPECT_EQ(training_labels(Profile::honest, labels, indices, 1),
            (std::vector<std::int64_t>{3, 4, 5, 2}));
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

}  // namespace
}  // namespace flywheel::fedtrain
