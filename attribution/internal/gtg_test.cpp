// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Tests of GTG-Shapley (gtg.cpp): efficiency of the stratified estimate, the guided batches,
// between-round (estimator.cpp) and within-round truncation, stopping on the standard-error
// target, the border pairs and the hard evaluation cap.
#include "attribution/estimator.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/internal/test_games.hpp"

namespace flywheel::attribution::internal {
namespace {

// ---- efficiency ----------------------------------------------------------------------------------

TEST(Estimate, UntruncatedGtgEstimatesAreEfficientWithinTheirStandardErrors) {
  // GTG's stratified estimate over every memoised pair is unbiased per participant, so the sum is
  // U(N) − U(∅) in expectation (not per draw): within 4 standard errors of the sum.
  const std::size_t n = 9;
  const auto u = random_fl_game(n, 21);
  auto r = estimate(
      Method::gtg, n, [&](Coalition s) { return u[s]; }, untruncated(8, 27));
  ASSERT_TRUE(r);
  double variance = 0;
  for (double se : r->std_errors) variance += se * se;
  EXPECT_GT(variance, 0.0);
  EXPECT_LT(std::abs(sum(r->values) - (u.back() - u.front())), 4 * std::sqrt(variance));
}

TEST(Estimate, GtgIsExactlyEfficientOnceEveryCoalitionIsMemoised) {
  // 2^6 = 64 coalitions: 60 guided permutations reach them all; every stratum is then complete.
  const std::size_t n = 6;
  const auto u = random_fl_game(n, 23);
  auto r = estimate(
      Method::gtg, n, [&](Coalition s) { return u[s]; }, untruncated(8, 600));
  auto exact = estimate(Method::exact, n, [&](Coalition s) { return u[s]; });
  ASSERT_TRUE(r && exact);
  EXPECT_EQ(r->evaluations, 64U);
  EXPECT_NEAR(sum(r->values), u.back() - u.front(), 1e-12);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_NEAR(r->values[i], exact->values[i], 1e-12) << i;
    EXPECT_EQ(r->std_errors[i], 0.0) << i;
  }
}

TEST(Estimate, OneGtgBatchPutsEveryParticipantFirstAndLast) {
  // A batch is n Latin-square rows (every participant at every position once) and their reverses:
  // every singleton and every leave-one-out coalition is evaluated, so the strata k = 0 and
  // k = n − 1 are exact (no standard error from them) after one batch.
  const std::size_t n = 10;
  const auto u = random_fl_game(n, 12);
  std::vector<std::atomic<int>> calls(u.size());
  auto r = estimate(
      Method::gtg, n,
      [&](Coalition s) {
        ++calls[s];
        return u[s];
      },
      untruncated(3, 2 * n));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->samples, 2 * n);
  const Coalition full = (Coalition{1} << n) - 1;
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(calls[Coalition{1} << i].load(), 1) << "singleton " << i;
    EXPECT_EQ(calls[full & ~(Coalition{1} << i)].load(), 1) << "all but " << i;
  }
}

TEST(Estimate, GtgWithDefaultsIsCloseToExactWithFewerEvaluations) {
  const std::size_t n = 8;
  const auto u = random_fl_game(n, 2025);
  const Utility game = [&](Coalition s) { return u[s]; };
  auto exact = estimate(Method::exact, n, game);
  EstimatorOptions o;
  o.seed = 4;
  auto r = estimate(Method::gtg, n, game, o);
  ASSERT_TRUE(exact && r);
  for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(r->values[i], exact->values[i], 0.02) << i;
  EXPECT_LT(r->evaluations, exact->evaluations);
  EXPECT_FALSE(r->notes.empty());
}

// ---- truncation --------------------------------------------------------------------------------

TEST(Estimate, GtgSkipsARoundWhoseGainIsBelowTheBetweenRoundTolerance) {
  std::atomic<int> calls = 0;
  auto flat = [&](Coalition s) {
    ++calls;
    return 0.8 + 0.0001 * static_cast<int>(coalition_size(s));
  };
  EstimatorOptions o;
  o.round_truncation_tolerance = 0.005;
  auto r = estimate(Method::gtg, 10, flat, o);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->truncated_round);
  EXPECT_EQ(r->values, std::vector<double>(10, 0.0));
  EXPECT_EQ(r->evaluations, 2u);
  EXPECT_EQ(calls.load(), 2);
  ASSERT_FALSE(r->notes.empty());
  EXPECT_NE(r->notes[0].find("between-round truncation"), std::string::npos);
}

TEST(Estimate, GtgDoesNotSkipARoundWithAGainAboveTheTolerance) {
  EstimatorOptions o;
  o.round_truncation_tolerance = 0.0005;
  auto r = estimate(
      Method::gtg, 10, [](Coalition s) { return 0.8 + 0.0001 * static_cast<int>(coalition_size(s)); }, o);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->truncated_round);
}

TEST(Estimate, WithinRoundTruncationSavesEvaluationsOnASaturatingGame) {
  // Any two members already reach the grand coalition's utility.
  auto saturating = [](Coalition s) { return std::min(2, static_cast<int>(coalition_size(s))) * 0.4; };
  auto full = estimate(Method::gtg, 12, saturating, untruncated(1, 48));
  EstimatorOptions o = untruncated(1, 48);
  o.truncation_tolerance = 0.001;
  auto truncated = estimate(Method::gtg, 12, saturating, o);
  ASSERT_TRUE(full && truncated);
  EXPECT_LT(truncated->evaluations * 4, full->evaluations);
  // Truncation only drops marginals that are 0 here, so the values agree.
  for (std::size_t i = 0; i < 12; ++i) EXPECT_NEAR(truncated->values[i], full->values[i], 1e-12);
}

// ---- stopping and the evaluation cap --------------------------------------------------------

TEST(Estimate, StopsWhenEveryStandardErrorMeetsTheTarget) {
  const auto u = random_fl_game(8, 10);
  EstimatorOptions o = untruncated(3, 100000);
  o.min_samples = 8;
  o.target_std_error = 0.003;
  auto r = estimate(
      Method::gtg, 8, [&](Coalition s) { return u[s]; }, o);
  ASSERT_TRUE(r);
  for (double se : r->std_errors) EXPECT_LE(se, 0.003);
  EXPECT_LT(r->samples, 100000u);
}

TEST(Gtg, EvaluatesEveryPairFirstWhenTheCapAllowsIt) {
  const auto u = random_fl_game(10, 12);
  std::vector<int> seen(u.size(), 0);
  EstimatorOptions o = stratified_options(1, 153);
  o.round_truncation_tolerance = 0;
  auto r = estimate(
      Method::gtg, 10,
      [&](Coalition s) {
        seen[static_cast<std::size_t>(s)] = 1;
        return u[s];
      },
      o);
  ASSERT_TRUE(r);
  for (std::size_t s = 0; s < u.size(); ++s) {
    if (std::popcount(s) <= 2 || std::popcount(s) >= 9) {
      EXPECT_EQ(seen[s], 1) << s;
    }
  }
}

TEST(Gtg, NeverExceedsTheEvaluationCap) {
  // The cap is hard: walks whose next coalition would pass it end (it was soft, overshooting by up
  // to a step of 8 permutations).
  const auto u = random_fl_game(10, 11);
  for (std::size_t cap : {30, 67, 100, 153, 400}) {
    EstimatorOptions o = stratified_options(5, cap);
    o.round_truncation_tolerance = 0;
    auto r = estimate(
        Method::gtg, 10, [&](Coalition s) { return u[s]; }, o);
    ASSERT_TRUE(r) << cap;
    EXPECT_LE(r->evaluations, cap) << cap;
    EXPECT_GE(r->evaluations, cap - 2) << cap;  // it spends the budget it has
  }
}

}  // namespace
}  // namespace flywheel::attribution::internal
