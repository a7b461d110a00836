// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Tests of TMC (tmc.cpp): efficiency with and without within-round truncation, the soft
// evaluation cap, a 64-participant round.
#include "attribution/estimator.hpp"

#include <cmath>
#include <cstddef>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/internal/test_games.hpp"

namespace flywheel::attribution::internal {
namespace {

TEST(Estimate, UntruncatedTmcEstimatesAreEfficient) {
  // Each permutation's marginals telescope to U(N) − U(∅), so their averages do too.
  const std::size_t n = 9;
  const auto u = random_fl_game(n, 21);
  auto r = estimate(
      Method::tmc, n, [&](Coalition s) { return u[s]; }, untruncated(8, 27));
  ASSERT_TRUE(r);
  EXPECT_NEAR(sum(r->values), u.back() - u.front(), 1e-12);
}

TEST(Estimate, TruncatedTmcEstimatesAreEfficientWithinTheTolerance) {
  const std::size_t n = 9;
  const auto u = random_fl_game(n, 22);
  for (Method m : {Method::tmc}) {
    EstimatorOptions o = untruncated(8, 27);
    o.truncation_tolerance = 0.02;
    auto r = estimate(
        m, n, [&](Coalition s) { return u[s]; }, o);
    ASSERT_TRUE(r);
    EXPECT_LT(std::abs(sum(r->values) - (u.back() - u.front())), 0.02) << method_name(m);
    EXPECT_NE(sum(r->values), u.back() - u.front()) << "truncation should have happened";
  }
}

TEST(Estimate, StopsNearTheEvaluationBudget) {
  const auto u = random_fl_game(10, 9);
  EstimatorOptions o = untruncated(3, 1000);
  o.min_samples = 10;
  o.max_evaluations = 100;
  auto r = estimate(
      Method::tmc, 10, [&](Coalition s) { return u[s]; }, o);
  ASSERT_TRUE(r);
  EXPECT_GE(r->evaluations, 100u);
  EXPECT_LE(r->evaluations, 100u + 10 * 9);  // at most one batch of 10 permutations beyond
  EXPECT_LT(r->samples, 1000u);
}

TEST(Estimate, HandlesAFullSixtyFourPlayerRound) {
  const std::vector<double> w(64, 0.01);
  EstimatorOptions o = untruncated(1, 4);
  auto r = estimate(
      Method::tmc, 64, [&](Coalition s) { return additive(w, s); }, o);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_NEAR(r->grand_utility, 0.64, 1e-12);
  for (double v : r->values) EXPECT_NEAR(v, 0.01, 1e-12);
}

}  // namespace
}  // namespace flywheel::attribution::internal
