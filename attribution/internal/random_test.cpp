// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "attribution/internal/random.hpp"

#include <algorithm>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

namespace flywheel::attribution::internal {
namespace {

TEST(Xoshiro256, OutputsFromStateOneTwoThreeFourMatchTheReference) {
  // xoshiro256** (Blackman & Vigna) from s = {1, 2, 3, 4}.
  auto g = Xoshiro256::from_state({1, 2, 3, 4});
  EXPECT_EQ(g.next(), 11520u);
  EXPECT_EQ(g.next(), 0u);
  EXPECT_EQ(g.next(), 1509978240u);
  EXPECT_EQ(g.next(), 1215971899390074240ULL);
}

TEST(Xoshiro256, BelowStaysInRangeAndHitsEveryValue) {
  Xoshiro256 g(42);
  std::vector<int> hits(7, 0);
  for (int k = 0; k < 7000; ++k) {
    const auto x = g.below(7);
    ASSERT_LT(x, 7u);
    ++hits[x];
  }
  for (int h : hits) EXPECT_GT(h, 850);  // expected 1000 each
}

TEST(Xoshiro256, ShuffleIsAPermutationAndDependsOnTheSeed) {
  std::vector<int> a(20), b(20);
  std::iota(a.begin(), a.end(), 0);
  std::iota(b.begin(), b.end(), 0);
  Xoshiro256(1).shuffle(std::span(a));
  Xoshiro256(2).shuffle(std::span(b));
  EXPECT_NE(a, b);
  std::sort(a.begin(), a.end());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(a[i], i);
}

}  // namespace
}  // namespace flywheel::attribution::internal
