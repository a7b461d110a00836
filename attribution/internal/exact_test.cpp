// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Tests of exact Shapley (exact.cpp): closed-form games, efficiency and symmetry.
#include "attribution/estimator.hpp"

#include <cstddef>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/internal/test_games.hpp"

namespace flywheel::attribution::internal {
namespace {

// Weighted majority game: weights (3, 1, 1, 1), quota 4.
double majority(Coalition s) {
  const int weights[] = {3, 1, 1, 1};
  int total = 0;
  for (int i = 0; i < 4; ++i) total += (s >> i & 1) ? weights[i] : 0;
  return total >= 4 ? 1.0 : 0.0;
}

TEST(Estimate, ExactOnAnAdditiveGameGivesEachPlayerItsWeight) {
  const std::vector<double> w = {0.1, 0.25, -0.05, 0.4, 0.0};
  auto r = estimate(Method::exact, w.size(), [&](Coalition s) { return additive(w, s); });
  ASSERT_TRUE(r) << r.error().to_string();
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(r->values[i], w[i], 1e-12);
  EXPECT_EQ(r->evaluations, 32u);
  EXPECT_EQ(r->method, Method::exact);
}

TEST(Estimate, ExactOnTheGloveGameMatchesTheClosedForm) {
  auto r = estimate(Method::exact, 3, glove);
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->values[0], 2.0 / 3, 1e-12);
  EXPECT_NEAR(r->values[1], 1.0 / 6, 1e-12);
  EXPECT_NEAR(r->values[2], 1.0 / 6, 1e-12);
}

TEST(Estimate, ExactOnTheWeightedMajorityGameMatchesTheClosedForm) {
  auto r = estimate(Method::exact, 4, majority);
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->values[0], 0.75, 1e-12);
  for (int i = 1; i < 4; ++i) EXPECT_NEAR(r->values[i], 1.0 / 12, 1e-12);
}

TEST(Estimate, ExactValuesSumToGrandMinusEmptyUtility) {
  for (std::size_t n = 1; n <= 10; ++n) {
    const auto u = random_fl_game(n, 100 + n);
    auto r = estimate(Method::exact, n, [&](Coalition s) { return u[s]; });
    ASSERT_TRUE(r);
    EXPECT_NEAR(sum(r->values), u.back() - u.front(), 1e-12) << "n = " << n;
  }
}

TEST(Estimate, SymmetricPlayersGetEqualExactValues) {
  auto u = [](Coalition s) {
    const double a = static_cast<double>((s >> 1 & 1) + (s >> 4 & 1));
    return a * a * 0.3 + 0.2 * static_cast<double>(s & 1) + 0.7 * static_cast<double>((s >> 2 & 1) * (s >> 3 & 1)) +
           0.05 * static_cast<int>(coalition_size(s));
  };
  auto r = estimate(Method::exact, 5, u);
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->values[1], r->values[4], 1e-12);
  EXPECT_NEAR(r->values[2], r->values[3], 1e-12);
}

}  // namespace
}  // namespace flywheel::attribution::internal
