// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Tests of leave-one-out (loo.cpp).
#include "attribution/estimator.hpp"

#include <cstddef>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/internal/test_games.hpp"

namespace flywheel::attribution::internal {
namespace {

TEST(Estimate, LeaveOneOutOnAnAdditiveGameEqualsTheWeights) {
  const std::vector<double> w = {0.1, 0.25, -0.05, 0.4};
  auto r = estimate(Method::loo, w.size(), [&](Coalition s) { return additive(w, s); });
  ASSERT_TRUE(r);
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(r->values[i], w[i], 1e-12);
  EXPECT_EQ(r->evaluations, w.size() + 2);
  for (double se : r->std_errors) EXPECT_EQ(se, 0.0);
}

TEST(Estimate, LeaveOneOutOnTheGloveGameCreditsOnlyTheScarceGlove) {
  // Without player 0 no pair exists; without one right glove the other still pairs.
  auto r = estimate(Method::loo, 3, glove);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->values, (std::vector<double>{1.0, 0.0, 0.0}));
}

TEST(Estimate, LeaveOneOutOnAHundredPlayerAdditiveGameEqualsTheWeights) {
  // Members 64..99 live in the coalition mask's high word.
  std::vector<double> w(100);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.001 * static_cast<double>(i % 17) - 0.004;
  auto r = estimate(Method::loo, w.size(), [&](Coalition s) { return additive(w, s); });
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_NEAR(r->grand_utility, sum(w), 1e-12);
  EXPECT_EQ(r->evaluations, w.size() + 2);
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(r->values[i], w[i], 1e-12) << i;
}

}  // namespace
}  // namespace flywheel::attribution::internal
