// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "attribution/shares.hpp"

#include <limits>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

namespace flywheel::attribution {
namespace {

std::uint64_t sum(const std::vector<std::uint64_t>& v) { return std::accumulate(v.begin(), v.end(), std::uint64_t{0}); }

TEST(AllocateShares, SplitsProportionallyToPositiveValues) {
  const std::vector<double> values = {0.3, 0.1, 0.0, 0.6};
  auto s = allocate_shares(values, 1000);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, (std::vector<std::uint64_t>{300, 100, 0, 600}));
}

TEST(AllocateShares, NegativeValuesGetNothing) {
  auto s = allocate_shares(std::vector<double>{0.2, -0.5, 0.2}, kDefaultTotalShares);
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)[1], 0u);
  EXPECT_EQ((*s)[0], kDefaultTotalShares / 2);
  EXPECT_EQ(sum(*s), kDefaultTotalShares);
}

TEST(AllocateShares, LeftoverUnitsGoToLargestRemainders) {
  // 10 / 3 = 3.33 each: one unit left, to the lowest index among equal remainders.
  auto s = allocate_shares(std::vector<double>{1, 1, 1}, 10);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, (std::vector<std::uint64_t>{4, 3, 3}));
  // 0.55, 0.45 of 3 → 1.65, 1.35 → floors 1, 1; remainder .65 wins.
  auto t = allocate_shares(std::vector<double>{0.55, 0.45}, 3);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, (std::vector<std::uint64_t>{2, 1}));
}

TEST(AllocateShares, AlwaysSumsExactlyToTheTotal) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> dist(-0.2, 0.5);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> values(1 + trial % 37);
    for (auto& v : values) v = dist(rng);
    values[trial % values.size()] = 0.01;  // at least one positive value
    auto s = allocate_shares(values, kDefaultTotalShares);
    ASSERT_TRUE(s);
    EXPECT_EQ(sum(*s), kDefaultTotalShares);
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i] <= 0) {
        EXPECT_EQ((*s)[i], 0u);
      }
    }
  }
}

TEST(AllocateShares, NoPositiveValueIsRefused) {
  auto s = allocate_shares(std::vector<double>{-0.1, 0.0, -0.3, -0.2}, 10);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::invalid_argument);
  EXPECT_NE(s.error().message.find("no participant"), std::string::npos);
}

TEST(AllocateShares, SameValuesGiveSameSharesTwice) {
  const std::vector<double> values = {0.0123456789, 0.0987654321, 0.055555, -0.01};
  EXPECT_EQ(*allocate_shares(values), *allocate_shares(values));
}

TEST(AllocateShares, EmptyInputIsRefused) {
  auto s = allocate_shares(std::vector<double>{});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::invalid_argument);
}

TEST(AllocateShares, NonFiniteValueIsRefused) {
  auto s = allocate_shares(std::vector<double>{0.1, std::numeric_limits<double>::quiet_NaN()});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::invalid_argument);
  EXPECT_NE(s.error().message.find("participant 1"), std::string::npos);
}

}  // namespace
}  // namespace flywheel::attribution
