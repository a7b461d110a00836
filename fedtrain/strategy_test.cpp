// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/strategy.hpp"

#include <gtest/gtest.h>

namespace flywheel::fedtrain {
namespace {

TEST(FedAvg, WeightsUpdatesBySampleCount) {
  const std::vector<float> a{1, 0};
  const std::vector<float> b{0, 4};
  const std::vector<std::span<const float>> updates{a, b};
  const std::vector<std::uint64_t> samples{3, 1};
  auto merged = fedavg(updates, samples);
  ASSERT_TRUE(merged);
  EXPECT_EQ(*merged, (std::vector<float>{0.75F, 1.0F}));
}

TEST(FedAvg, SingleUpdateIsReturnedUnchanged) {
  const std::vector<float> a{0.1F, -2.5F, 3e-8F};
  const std::vector<std::span<const float>> updates{std::span<const float>(a)};
  const std::vector<std::uint64_t> samples{17};
  EXPECT_EQ(*fedavg(updates, samples), a);
}

TEST(FedAvg, EqualWeightsGiveTheMean) {
  const std::vector<float> a{1, 2, 3};
  const std::vector<float> b{3, 4, 5};
  const std::vector<float> c{2, 0, -2};
  const std::vector<std::span<const float>> updates{a, b, c};
  const std::vector<std::uint64_t> samples{10, 10, 10};
  EXPECT_EQ(*fedavg(updates, samples), (std::vector<float>{2, 2, 2}));
}

TEST(FedAvg, ZeroSampleUpdateHasNoInfluence) {
  const std::vector<float> a{1, 1};
  const std::vector<float> b{100, 100};
  const std::vector<std::span<const float>> updates{a, b};
  const std::vector<std::uint64_t> samples{5, 0};
  EXPECT_EQ(*fedavg(updates, samples), a);
}

TEST(FedAvg, RejectsNoUpdates) {
  auto merged = fedavg({}, {});
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().code, Errc::invalid_argument);
}

TEST(FedAvg, RejectsUpdatesOfDifferentLengths) {
  const std::vector<float> a{1, 2};
  const std::vector<float> b{1};
  const std::vector<std::span<const float>> updates{a, b};
  const std::vector<std::uint64_t> samples{1, 1};
  auto merged = fedavg(updates, samples);
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().code, Errc::invalid_argument);
}

TEST(FedAvg, RejectsAllZeroWeights) {
  const std::vector<float> a{1};
  const std::vector<std::span<const float>> updates{std::span<const float>(a)};
  const std::vector<std::uint64_t> samples{0};
  EXPECT_FALSE(fedavg(updates, samples));
}

TEST(ApplyUpdate, AddsTheUpdateToTheGlobalModel) {
  const std::vector<float> global{1, 2};
  const std::vector<float> update{0.5F, -2};
  EXPECT_EQ(*apply_update(global, update), (std::vector<float>{1.5F, 0}));
}

TEST(ApplyUpdate, RejectsALengthMismatch) {
  const std::vector<float> global{1, 2};
  const std::vector<float> update{0.5F};
  EXPECT_FALSE(apply_update(global, update));
}

}  // namespace
}  // namespace flywheel::fedtrain
