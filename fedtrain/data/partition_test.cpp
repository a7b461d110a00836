// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/data/partition.hpp"

#include <algorithm>
#include <limits>

#include <gtest/gtest.h>

namespace flywheel::fedtrain {
namespace {

// 1000 samples, 100 of each of 10 classes, interleaved.
std::vector<std::int64_t> balanced_labels(std::size_t n = 1000) {
  std::vector<std::int64_t> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<std::int64_t>(i % 10);
  return labels;
}

void expect_disjoint_cover(const Partition& parts, std::size_t n) {
  std::vector<int> seen(n, 0);
  for (const auto& part : parts) {
    for (auto i : part) {
      ASSERT_LT(i, n);
      ++seen[i];
    }
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int s) { return s == 1; }));
}

TEST(IidPartition, PartsAreDisjointAndCoverEverySample) {
  const auto labels = balanced_labels();
  auto parts = iid_partition(labels, 7, 1);
  ASSERT_TRUE(parts);
  ASSERT_EQ(parts->size(), 7U);
  expect_disjoint_cover(*parts, labels.size());
}

TEST(IidPartition, SizesDifferByAtMostOne) {
  const auto labels = balanced_labels();
  auto parts = iid_partition(labels, 7, 1);
  ASSERT_TRUE(parts);
  auto [lo, hi] = std::minmax_element(parts->begin(), parts->end(),
                                      [](const auto& a, const auto& b) { return a.size() < b.size(); });
  EXPECT_EQ(lo->size(), 142U);
  EXPECT_EQ(hi->size(), 143U);
}

TEST(IidPartition, SameSeedSameSplitOtherSeedOtherSplit) {
  const auto labels = balanced_labels();
  EXPECT_EQ(*iid_partition(labels, 4, 9), *iid_partition(labels, 4, 9));
  EXPECT_NE(*iid_partition(labels, 4, 9), *iid_partition(labels, 4, 10));
}

TEST(IidPartition, RejectsZeroParticipants) {
  const auto labels = balanced_labels();
  auto parts = iid_partition(labels, 0, 1);
  ASSERT_FALSE(parts);
  EXPECT_EQ(parts.error().code, Errc::invalid_argument);
  EXPECT_NE(parts.error().message.find("participants"), std::string::npos);
}

TEST(IidPartition, RejectsMoreParticipantsThanSamples) {
  const auto labels = balanced_labels(5);
  auto parts = iid_partition(labels, 6, 1);
  ASSERT_FALSE(parts);
  EXPECT_EQ(parts.error().code, Errc::invalid_argument);
  EXPECT_NE(parts.error().message.find("exceeds the number of samples"), std::string::npos);
}

TEST(DirichletPartition, PartsAreDisjointCoverEverySampleAndMeetMinSize) {
  const auto labels = balanced_labels();
  auto parts = dirichlet_partition(labels, 5, 0.5, 3, 20);
  ASSERT_TRUE(parts) << parts.error().to_string();
  ASSERT_EQ(parts->size(), 5U);
  expect_disjoint_cover(*parts, labels.size());
  for (const auto& part : *parts) EXPECT_GE(part.size(), 20U);
}

TEST(DirichletPartition, SameSeedSameSplitOtherSeedOtherSplit) {
  const auto labels = balanced_labels();
  EXPECT_EQ(*dirichlet_partition(labels, 4, 0.5, 9), *dirichlet_partition(labels, 4, 0.5, 9));
  EXPECT_NE(*dirichlet_partition(labels, 4, 0.5, 9), *dirichlet_partition(labels, 4, 0.5, 10));
}

// With α = 0.1 most of a participant's samples come from one or two classes; with α = 1000 every
// participant sees close to the global 10 % per class.
TEST(DirichletPartition, SmallAlphaSkewsClassesLargeAlphaDoesNot) {
  const auto labels = balanced_labels(5000);
  auto dominant_share = [&](double alpha) {
    auto parts = dirichlet_partition(labels, 5, alpha, 7);
    EXPECT_TRUE(parts);
    const auto counts = class_counts(labels, *parts);
    double mean = 0;
    for (std::size_t p = 0; p < counts.size(); ++p) {
      const auto top = *std::max_element(counts[p].begin(), counts[p].end());
      mean += static_cast<double>(top) / static_cast<double>((*parts)[p].size());
    }
    return mean / static_cast<double>(counts.size());
  };
  EXPECT_GT(dominant_share(0.1), 0.4);
  EXPECT_LT(dominant_share(1000.0), 0.15);
}

TEST(DirichletPartition, RejectsNonPositiveAlpha) {
  const auto labels = balanced_labels();
  for (double alpha : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN()}) {
    auto parts = dirichlet_partition(labels, 3, alpha, 1);
    ASSERT_FALSE(parts);
    EXPECT_EQ(parts.error().code, Errc::invalid_argument);
    EXPECT_NE(parts.error().message.find("alpha"), std::string::npos);
  }
}

TEST(DirichletPartition, RejectsZeroParticipants) {
  const auto labels = balanced_labels();
  auto parts = dirichlet_partition(labels, 0, 0.5, 1);
  ASSERT_FALSE(parts);
  EXPECT_EQ(parts.error().code, Errc::invalid_argument);
  EXPECT_NE(parts.error().message.find("participants"), std::string::npos);
}

TEST(DirichletPartition, RejectsMoreParticipantsThanSamples) {
  const auto labels = balanced_labels(5);
  auto parts = dirichlet_partition(labels, 6, 0.5, 1, 0);
  ASSERT_FALSE(parts);
  EXPECT_EQ(parts.error().code, Errc::invalid_argument);
}

TEST(DirichletPartition, RejectsMinSizeThatCannotBeMet) {
  const auto labels = balanced_labels(100);
  auto parts = dirichlet_partition(labels, 5, 0.5, 1, 21);
  ASSERT_FALSE(parts);
  EXPECT_EQ(parts.error().code, Errc::invalid_argument);
  EXPECT_NE(parts.error().message.find("min_size"), std::string::npos);
}

TEST(DirichletPartition, GivesUpWhenNoDrawMeetsMinSize) {
  // One class of 20 over 2 participants at tiny alpha: almost every draw gives one participant
  // nearly everything, so min_size 10 each (an exactly even split) is never met.
  const std::vector<std::int64_t> labels(20, 0);
  auto parts = dirichlet_partition(labels, 2, 1e-3, 1, 10);
  ASSERT_FALSE(parts);
  EXPECT_EQ(parts.error().code, Errc::invalid_argument);
  EXPECT_NE(parts.error().message.find("draws"), std::string::npos);
}

TEST(ClassCounts, CountsEachPartsLabels) {
  const std::vector<std::int64_t> labels{0, 1, 1, 2, 2, 2};
  const Partition parts{{0, 1}, {2, 3, 4, 5}};
  const auto counts = class_counts(labels, parts, 3);
  EXPECT_EQ(counts[0], (std::vector<std::size_t>{1, 1, 0}));
  EXPECT_EQ(counts[1], (std::vector<std::size_t>{0, 1, 3}));
}

TEST(ShardPartition, EachParticipantHoldsAtMostItsShardCountOfClasses) {
  // McMahan et al.'s split: 10 participants × 2 shards of 50 sorted samples each.
  const auto labels = balanced_labels();
  auto parts = shard_partition(labels, 10, 2, 3);
  ASSERT_TRUE(parts);
  expect_disjoint_cover(*parts, labels.size());
  const auto counts = class_counts(labels, *parts);
  for (std::size_t p = 0; p < 10; ++p) {
    EXPECT_EQ((*parts)[p].size(), 100U);
    const auto classes = std::count_if(counts[p].begin(), counts[p].end(), [](auto c) { return c > 0; });
    EXPECT_LE(classes, 2) << "participant " << p;
  }
}

TEST(ShardPartition, IsDeterministicForASeed) {
  const auto labels = balanced_labels();
  EXPECT_EQ(*shard_partition(labels, 5, 2, 8), *shard_partition(labels, 5, 2, 8));
  EXPECT_NE(*shard_partition(labels, 5, 2, 8), *shard_partition(labels, 5, 2, 9));
}

TEST(ShardPartition, UnevenSizesStillCoverEverySample) {
  const auto labels = balanced_labels(997);
  auto parts = shard_partition(labels, 7, 3, 1);
  ASSERT_TRUE(parts);
  expect_disjoint_cover(*parts, labels.size());
}

TEST(ShardPartition, RejectsMoreShardsThanSamples) {
  const auto labels = balanced_labels(10);
  auto parts = shard_partition(labels, 6, 2, 1);
  ASSERT_FALSE(parts);
  EXPECT_EQ(parts.error().code, Errc::invalid_argument);
  EXPECT_FALSE(shard_partition(labels, 2, 0, 1));
}

TEST(QuantitySkewPartition, SizesVaryWhileEveryPartMeetsTheMinimum) {
  const auto labels = balanced_labels(5000);
  auto parts = quantity_skew_partition(labels, 8, 0.5, 4, 20);
  ASSERT_TRUE(parts);
  expect_disjoint_cover(*parts, labels.size());
  auto [lo, hi] = std::minmax_element(parts->begin(), parts->end(),
                                      [](const auto& a, const auto& b) { return a.size() < b.size(); });
  EXPECT_GE(lo->size(), 20U);
  EXPECT_GT(hi->size(), 3 * lo->size());
}

TEST(QuantitySkewPartition, LabelsStayRoughlyBalancedWithinAPart) {
  const auto labels = balanced_labels(5000);
  auto parts = quantity_skew_partition(labels, 4, 1.0, 2, 10);
  ASSERT_TRUE(parts);
  const auto counts = class_counts(labels, *parts);
  for (std::size_t p = 0; p < 4; ++p) {
    const double expected = static_cast<double>((*parts)[p].size()) / 10.0;
    if (expected < 100) continue;  // too small for a tight bound
    for (auto c : counts[p]) EXPECT_NEAR(static_cast<double>(c), expected, 0.35 * expected);
  }
}

TEST(QuantitySkewPartition, RejectsANonPositiveAlphaAndIsDeterministic) {
  const auto labels = balanced_labels();
  auto bad = quantity_skew_partition(labels, 3, 0.0, 1);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("alpha"), std::string::npos);
  EXPECT_EQ(*quantity_skew_partition(labels, 3, 2.0, 5), *quantity_skew_partition(labels, 3, 2.0, 5));
}

}  // namespace
}  // namespace flywheel::fedtrain
