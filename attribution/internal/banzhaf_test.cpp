// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Tests of Data Banzhaf (banzhaf.cpp): the glove game's closed form and members above 64.
#include "attribution/estimator.hpp"

#include <cmath>
#include <cstddef>

#include <gtest/gtest.h>

#include "attribution/internal/test_games.hpp"

namespace flywheel::attribution::internal {
namespace {

TEST(Estimate, BanzhafOnTheGloveGameConvergesToTheClosedForm) {
  // β_0 = P(a right glove among a random subset of {1, 2}) = 3/4; β_1 = β_2 = P(0 in, other out) = 1/4.
  EstimatorOptions o;
  o.seed = 3;
  o.max_samples = 40000;
  o.convergence_tolerance = 0;
  auto r = estimate(Method::banzhaf, 3, glove, o);
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->values[0], 0.75, 0.02);
  EXPECT_NEAR(r->values[1], 0.25, 0.02);
  EXPECT_NEAR(r->values[2], 0.25, 0.02);
  EXPECT_EQ(r->evaluations, 8u);  // memoised: only 2^3 distinct coalitions exist
  EXPECT_EQ(r->samples, 40000u);
}

TEST(Estimate, BanzhafSamplesMembersAboveSixtyFourLikeTheOthers) {
  // Symmetric threshold game over n = 70: U(S) = 1 when |S| >= 35. Every player's Banzhaf value is
  // P(exactly 34 of the other 69 join) = C(69, 34) / 2^69; players 65..69 (high word of the mask)
  // must agree with it and with players 0..4 within sampling noise.
  const std::size_t n = 70;
  double expected = 1;
  for (std::size_t j = 1; j <= 34; ++j) expected = expected * static_cast<double>(35 + j) / static_cast<double>(j);
  expected = std::ldexp(expected, -69);
  EstimatorOptions o;
  o.seed = 70;
  o.max_samples = 20000;
  o.min_samples = 20000;
  o.convergence_tolerance = 0;
  o.round_truncation_tolerance = 0;
  auto r = estimate(
      Method::banzhaf, n, [](Coalition s) { return coalition_size(s) >= 35 ? 1.0 : 0.0; }, o);
  ASSERT_TRUE(r) << r.error().to_string();
  for (std::size_t k = 0; k < 5; ++k) {
    for (std::size_t i : {k, 65 + k}) {
      ASSERT_TRUE(std::isfinite(r->std_errors[i])) << "player " << i << " never sampled both ways";
      EXPECT_LT(r->std_errors[i], 0.02) << i;
      EXPECT_NEAR(r->values[i], expected, 4 * r->std_errors[i]) << "player " << i;
    }
    const double se = std::hypot(r->std_errors[k], r->std_errors[65 + k]);
    EXPECT_NEAR(r->values[65 + k], r->values[k], 4 * se) << "players " << k << " and " << 65 + k;
  }
}

}  // namespace
}  // namespace flywheel::attribution::internal
