// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "attribution/estimator.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <mutex>
#include <numeric>
#include <limits>
#include <set>
#include <stdexcept>
#include <string_view>

#include <gtest/gtest.h>

#include "attribution/internal/random.hpp"

namespace flywheel::attribution {
namespace {

constexpr Method kAllMethods[] = {Method::exact, Method::tmc,     Method::gtg,
                                  Method::loo,   Method::banzhaf, Method::stratified};
constexpr Method kPermutationMethods[] = {Method::tmc, Method::gtg};

double additive(const std::vector<double>& w, Coalition s) {
  double u = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (s >> i & 1) u += w[i];
  }
  return u;
}

// Glove game: player 0 holds the only left glove, players 1 and 2 right gloves; a pair is worth 1.
double glove(Coalition s) { return (s & 1) && (s & 6) ? 1.0 : 0.0; }

// Weighted majority game: weights (3, 1, 1, 1), quota 4.
double majority(Coalition s) {
  const int weights[] = {3, 1, 1, 1};
  int total = 0;
  for (int i = 0; i < 4; ++i) total += (s >> i & 1) ? weights[i] : 0;
  return total >= 4 ? 1.0 : 0.0;
}

// An FL-like random game over n players: accuracy saturating in the data the coalition holds, a
// harmful player (negative weight), and per-coalition noise of the size of validation-set noise.
std::vector<double> random_fl_game(std::size_t n, std::uint64_t seed) {
  internal::Xoshiro256 rng(seed);
  std::vector<double> w(n);
  for (auto& x : w) x = 0.2 + rng.uniform01();
  w[n - 1] = -0.6;
  std::vector<double> u(std::size_t{1} << n);
  for (Coalition s = 0; s < u.size(); ++s) {
    const double data = std::max(0.0, additive(w, s));
    u[s] = 0.1 + 0.8 * (1 - std::exp(-1.5 * data)) + 0.01 * (rng.uniform01() - 0.5);
  }
  return u;
}

// Exact Banzhaf values: β_i = 2^-(n-1) Σ_{S ⊆ N∖{i}} U(S ∪ {i}) − U(S).
std::vector<double> exact_banzhaf(std::size_t n, const std::vector<double>& u) {
  std::vector<double> beta(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    for (Coalition s = 0; s < u.size(); ++s) {
      if (!(s >> i & 1)) beta[i] += u[s | Coalition{1} << i] - u[s];
    }
    beta[i] /= static_cast<double>(std::size_t{1} << (n - 1));
  }
  return beta;
}

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

EstimatorOptions untruncated(std::uint64_t seed, std::size_t permutations) {
  EstimatorOptions o;
  o.seed = seed;
  o.truncation_tolerance = 0;
  o.round_truncation_tolerance = 0;
  o.convergence_tolerance = 0;
  o.max_samples = permutations;
  o.min_samples = permutations;
  return o;
}

// ---- closed-form games -------------------------------------------------------------------------

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

TEST(Estimate, PermutationEstimatorsOnAnAdditiveGameAreExact) {
  // Every marginal of player i is w_i, so any permutation sample gives the exact value.
  const std::vector<double> w = {0.3, 0.1, 0.2, 0.05, 0.15, 0.2};
  for (Method m : kPermutationMethods) {
    auto r = estimate(m, w.size(), [&](Coalition s) { return additive(w, s); }, untruncated(5, 12));
    ASSERT_TRUE(r);
    for (std::size_t i = 0; i < w.size(); ++i) {
      EXPECT_NEAR(r->values[i], w[i], 1e-12) << method_name(m);
      EXPECT_NEAR(r->std_errors[i], 0.0, 1e-12) << method_name(m);
    }
  }
}

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

// ---- axioms ------------------------------------------------------------------------------------

TEST(Estimate, ExactValuesSumToGrandMinusEmptyUtility) {
  for (std::size_t n = 1; n <= 10; ++n) {
    const auto u = random_fl_game(n, 100 + n);
    auto r = estimate(Method::exact, n, [&](Coalition s) { return u[s]; });
    ASSERT_TRUE(r);
    EXPECT_NEAR(sum(r->values), u.back() - u.front(), 1e-12) << "n = " << n;
  }
}

TEST(Estimate, UntruncatedTmcEstimatesAreEfficient) {
  // Each permutation's marginals telescope to U(N) − U(∅), so their averages do too.
  const std::size_t n = 9;
  const auto u = random_fl_game(n, 21);
  auto r = estimate(Method::tmc, n, [&](Coalition s) { return u[s]; }, untruncated(8, 27));
  ASSERT_TRUE(r);
  EXPECT_NEAR(sum(r->values), u.back() - u.front(), 1e-12);
}

TEST(Estimate, UntruncatedGtgEstimatesAreEfficientWithinTheirStandardErrors) {
  // GTG's stratified estimate over every memoised pair is unbiased per participant, so the sum is
  // U(N) − U(∅) in expectation (not per draw): within 4 standard errors of the sum.
  const std::size_t n = 9;
  const auto u = random_fl_game(n, 21);
  auto r = estimate(Method::gtg, n, [&](Coalition s) { return u[s]; }, untruncated(8, 27));
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
  auto r = estimate(Method::gtg, n, [&](Coalition s) { return u[s]; }, untruncated(8, 600));
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
  auto r = estimate(Method::gtg, n, [&](Coalition s) { ++calls[s]; return u[s]; }, untruncated(3, 2 * n));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->samples, 2 * n);
  const Coalition full = (Coalition{1} << n) - 1;
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(calls[Coalition{1} << i].load(), 1) << "singleton " << i;
    EXPECT_EQ(calls[full & ~(Coalition{1} << i)].load(), 1) << "all but " << i;
  }
}

TEST(Estimate, TruncatedTmcEstimatesAreEfficientWithinTheTolerance) {
  const std::size_t n = 9;
  const auto u = random_fl_game(n, 22);
  for (Method m : {Method::tmc}) {
    EstimatorOptions o = untruncated(8, 27);
    o.truncation_tolerance = 0.02;
    auto r = estimate(m, n, [&](Coalition s) { return u[s]; }, o);
    ASSERT_TRUE(r);
    EXPECT_LT(std::abs(sum(r->values) - (u.back() - u.front())), 0.02) << method_name(m);
    EXPECT_NE(sum(r->values), u.back() - u.front()) << "truncation should have happened";
  }
}

TEST(Estimate, NullPlayerGetsExactlyZeroFromEveryShapleyEstimator) {
  const std::size_t n = 6;
  auto u = random_fl_game(n, 7);
  for (Coalition s = 0; s < u.size(); ++s) {
    if (s >> 3 & 1) u[s] = u[s & ~Coalition{8}];  // player 3 adds nothing
  }
  for (Method m : {Method::exact, Method::tmc, Method::gtg, Method::loo}) {
    EstimatorOptions o = untruncated(1, 30);
    auto r = estimate(m, n, [&](Coalition s) { return u[s]; }, o);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->values[3], 0.0) << method_name(m);
  }
}

TEST(Estimate, SymmetricPlayersGetEqualExactValues) {
  auto u = [](Coalition s) {
    const double a = static_cast<double>((s >> 1 & 1) + (s >> 4 & 1));
    return a * a * 0.3 + 0.2 * static_cast<double>(s & 1) +
           0.7 * static_cast<double>((s >> 2 & 1) * (s >> 3 & 1)) + 0.05 * static_cast<int>(coalition_size(s));
  };
  auto r = estimate(Method::exact, 5, u);
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->values[1], r->values[4], 1e-12);
  EXPECT_NEAR(r->values[2], r->values[3], 1e-12);
}

TEST(Estimate, PermutationEstimatesAreAdditiveAcrossGamesForTheSameSeed) {
  // Same seed, same permutations: the estimate of u + v is the sum of the estimates.
  const std::size_t n = 7;
  const auto u = random_fl_game(n, 31);
  const auto v = random_fl_game(n, 32);
  for (Method m : kPermutationMethods) {
    const auto o = untruncated(9, 21);
    auto ru = estimate(m, n, [&](Coalition s) { return u[s]; }, o);
    auto rv = estimate(m, n, [&](Coalition s) { return v[s]; }, o);
    auto rs = estimate(m, n, [&](Coalition s) { return u[s] + v[s]; }, o);
    ASSERT_TRUE(ru && rv && rs);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_NEAR(rs->values[i], ru->values[i] + rv->values[i], 1e-12) << method_name(m);
    }
  }
}

// ---- convergence -------------------------------------------------------------------------------

TEST(Estimate, SamplingEstimatorsConvergeToExactOnARandomEightPlayerGame) {
  // Stated tolerance: 0.01 in utility units (values range about 0.02 to 0.2) and 4 standard errors.
  const std::size_t n = 8;
  const auto u = random_fl_game(n, 2024);
  const Utility game = [&](Coalition s) { return u[s]; };
  auto exact = estimate(Method::exact, n, game);
  ASSERT_TRUE(exact);
  for (Method m : kPermutationMethods) {
    auto r = estimate(m, n, game, untruncated(77, 4000));
    ASSERT_TRUE(r);
    for (std::size_t i = 0; i < n; ++i) {
      const double error = std::abs(r->values[i] - exact->values[i]);
      EXPECT_LT(error, 0.01) << method_name(m) << " player " << i;
      EXPECT_LT(error, 4 * r->std_errors[i] + 1e-9) << method_name(m) << " player " << i;
    }
  }
  const auto beta = exact_banzhaf(n, u);
  EstimatorOptions o;
  o.seed = 77;
  o.max_samples = 40000;
  o.convergence_tolerance = 0;
  auto r = estimate(Method::banzhaf, n, game, o);
  ASSERT_TRUE(r);
  for (std::size_t i = 0; i < n; ++i) {
    const double error = std::abs(r->values[i] - beta[i]);
    EXPECT_LT(error, 0.01) << "banzhaf player " << i;
    EXPECT_LT(error, 4 * r->std_errors[i] + 1e-9) << "banzhaf player " << i;
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
  auto flat = [&](Coalition s) { ++calls; return 0.8 + 0.0001 * static_cast<int>(coalition_size(s)); };
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
  auto r = estimate(Method::gtg, 10, [](Coalition s) { return 0.8 + 0.0001 * static_cast<int>(coalition_size(s)); }, o);
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

// ---- determinism, memoisation, parallelism -----------------------------------------------------

TEST(Estimate, SameSeedGivesIdenticalResults) {
  const auto u = random_fl_game(8, 5);
  const Utility game = [&](Coalition s) { return u[s]; };
  for (Method m : kAllMethods) {
    EstimatorOptions o;
    o.seed = 12345;
    auto a = estimate(m, 8, game, o);
    auto b = estimate(m, 8, game, o);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->values, b->values) << method_name(m);
    EXPECT_EQ(a->std_errors, b->std_errors) << method_name(m);
    EXPECT_EQ(a->evaluations, b->evaluations) << method_name(m);
  }
}

TEST(Estimate, ThreadCountDoesNotChangeResults) {
  const auto u = random_fl_game(10, 6);
  const Utility game = [&](Coalition s) { return u[s]; };
  for (Method m : kAllMethods) {
    EstimatorOptions one;
    one.seed = 99;
    one.threads = 1;
    EstimatorOptions many = one;
    many.threads = 7;
    auto a = estimate(m, 10, game, one);
    auto b = estimate(m, 10, game, many);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->values, b->values) << method_name(m);
    EXPECT_EQ(a->std_errors, b->std_errors) << method_name(m);
    EXPECT_EQ(a->evaluations, b->evaluations) << method_name(m);
    EXPECT_EQ(a->samples, b->samples) << method_name(m);
    EXPECT_EQ(a->notes, b->notes) << method_name(m);
  }
}

TEST(Estimate, DifferentSeedsDrawDifferentSamples) {
  const auto u = random_fl_game(8, 5);
  const Utility game = [&](Coalition s) { return u[s]; };
  for (Method m : {Method::tmc, Method::gtg, Method::banzhaf}) {
    EstimatorOptions a, b;
    a.seed = 1;
    b.seed = 2;
    auto ra = estimate(m, 8, game, a);
    auto rb = estimate(m, 8, game, b);
    ASSERT_TRUE(ra && rb);
    EXPECT_NE(ra->values, rb->values) << method_name(m);
  }
}

TEST(Estimate, EachCoalitionIsEvaluatedAtMostOnceAcrossThreads) {
  const auto u = random_fl_game(9, 8);
  std::vector<std::atomic<int>> calls(u.size());
  for (Method m : kAllMethods) {
    for (auto& c : calls) c = 0;
    EstimatorOptions o;
    o.threads = 4;
    auto r = estimate(m, 9, [&](Coalition s) { ++calls[s]; return u[s]; }, o);
    ASSERT_TRUE(r);
    std::size_t distinct = 0;
    for (auto& c : calls) {
      EXPECT_LE(c.load(), 1) << method_name(m);
      distinct += c.load() > 0;
    }
    EXPECT_EQ(r->evaluations, distinct) << method_name(m);
  }
}

TEST(Estimate, StopsNearTheEvaluationBudget) {
  const auto u = random_fl_game(10, 9);
  EstimatorOptions o = untruncated(3, 1000);
  o.min_samples = 10;
  o.max_evaluations = 100;
  auto r = estimate(Method::tmc, 10, [&](Coalition s) { return u[s]; }, o);
  ASSERT_TRUE(r);
  EXPECT_GE(r->evaluations, 100u);
  EXPECT_LE(r->evaluations, 100u + 10 * 9);  // at most one batch of 10 permutations beyond
  EXPECT_LT(r->samples, 1000u);
}

TEST(Estimate, StopsWhenEveryStandardErrorMeetsTheTarget) {
  const auto u = random_fl_game(8, 10);
  EstimatorOptions o = untruncated(3, 100000);
  o.min_samples = 8;
  o.target_std_error = 0.003;
  auto r = estimate(Method::gtg, 8, [&](Coalition s) { return u[s]; }, o);
  ASSERT_TRUE(r);
  for (double se : r->std_errors) EXPECT_LE(se, 0.003);
  EXPECT_LT(r->samples, 100000u);
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

TEST(Estimate, PermutationEstimatorsOnAHundredPlayerAdditiveGameAreExact) {
  // One batch each: 100 TMC permutations, 200 GTG guided permutations (every player at every
  // position once, so every stratum of the stratified estimate is reached).
  std::vector<double> w(100);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.002 * static_cast<double>((i * 7) % 13) - 0.005;
  for (Method m : kPermutationMethods) {
    const std::size_t permutations = m == Method::gtg ? 2 * w.size() : w.size();
    auto r = estimate(m, w.size(), [&](Coalition s) { return additive(w, s); },
                      untruncated(11, permutations));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->samples, permutations) << method_name(m);
    for (std::size_t i = 0; i < w.size(); ++i) {
      EXPECT_NEAR(r->values[i], w[i], 1e-12) << method_name(m) << " player " << i;
    }
    EXPECT_NEAR(sum(r->values), r->grand_utility - r->empty_utility, 1e-10) << method_name(m);
  }
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
  auto r = estimate(Method::banzhaf, n, [](Coalition s) { return coalition_size(s) >= 35 ? 1.0 : 0.0; }, o);
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

TEST(Estimate, HandlesAFullOneHundredTwentyEightPlayerRound) {
  const std::vector<double> w(128, 0.01);
  for (Method m : {Method::tmc, Method::loo}) {
    auto r = estimate(m, 128, [&](Coalition s) { return additive(w, s); }, untruncated(1, 4));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_NEAR(r->grand_utility, 1.28, 1e-12) << method_name(m);
    for (double v : r->values) EXPECT_NEAR(v, 0.01, 1e-12) << method_name(m);
  }
}

TEST(Estimate, HandlesAFullSixtyFourPlayerRound) {
  const std::vector<double> w(64, 0.01);
  EstimatorOptions o = untruncated(1, 4);
  auto r = estimate(Method::tmc, 64, [&](Coalition s) { return additive(w, s); }, o);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_NEAR(r->grand_utility, 0.64, 1e-12);
  for (double v : r->values) EXPECT_NEAR(v, 0.01, 1e-12);
}

// ---- stratified: exact border strata, balanced sampling, mixture surrogate --------------------

// Stratified options that stop on the evaluation cap (or the sample limit) only.
EstimatorOptions stratified_options(std::uint64_t seed, std::size_t max_evaluations) {
  EstimatorOptions o;
  o.seed = seed;
  o.max_evaluations = max_evaluations;
  o.convergence_tolerance = 0;
  o.min_samples = 2;
  o.max_samples = 100000;
  return o;
}

TEST(Stratified, EqualsExactOnceEveryCoalitionIsEvaluated) {
  for (std::size_t n : {1, 2, 3, 4, 6, 9}) {
    const auto u = random_fl_game(n, 40 + n);
    const Utility game = [&](Coalition s) { return u[s]; };
    auto exact = estimate(Method::exact, n, game);
    EstimatorOptions o;
    o.seed = 3;
    o.convergence_tolerance = 0;
    o.max_samples = 200000;  // sweeps until every coalition is memoised
    auto r = estimate(Method::stratified, n, game, o);
    ASSERT_TRUE(exact && r) << n;
    EXPECT_EQ(r->evaluations, u.size()) << n;
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_NEAR(r->values[i], exact->values[i], 1e-9) << "n " << n << " player " << i;
      EXPECT_EQ(r->std_errors[i], 0.0) << "n " << n << " player " << i;
    }
  }
}

TEST(Stratified, NeverExceedsTheEvaluationCap) {
  const auto u = random_fl_game(10, 11);
  for (std::size_t cap : {30, 67, 100, 153, 400}) {
    auto r = estimate(Method::stratified, 10, [&](Coalition s) { return u[s]; }, stratified_options(5, cap));
    ASSERT_TRUE(r) << cap;
    EXPECT_LE(r->evaluations, cap);
    EXPECT_GE(r->evaluations, std::min<std::size_t>(cap, 22));
  }
}

TEST(Stratified, EvaluatesEverySingletonAndEveryLeaveOneOutWhenTheCapAllows) {
  // 2n + 2 = 22 border coalitions fit in a cap of 30: all of sizes 1 and n − 1 must be evaluated
  // (a budget counted twice once stopped the border half way).
  const auto u = random_fl_game(10, 11);
  std::mutex mu;
  std::set<Coalition> seen;
  auto r = estimate(
      Method::stratified, 10,
      [&](Coalition s) {
        std::lock_guard lock(mu);
        seen.insert(s);
        return u[s];
      },
      stratified_options(5, 30));
  ASSERT_TRUE(r);
  const Coalition full = (Coalition{1} << 10) - 1;
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_TRUE(seen.contains(Coalition{1} << i)) << i;
    EXPECT_TRUE(seen.contains(full & ~(Coalition{1} << i))) << i;
  }
}

TEST(Stratified, GivesSymmetricPlayersEqualValues) {
  // Players 1 and 4 are interchangeable, and so are 2 and 3; a game of coalition size alone makes
  // every player symmetric. Sampling breaks symmetry only through which coalitions were drawn, so
  // compare the averages over seeds, within 4 standard errors of the difference.
  auto u = [](Coalition s) {
    const double a = static_cast<double>((s >> 1 & 1) + (s >> 4 & 1));
    return a * a * 0.03 + 0.02 * static_cast<double>(s & 1) +
           0.07 * static_cast<double>((s >> 2 & 1) * (s >> 3 & 1)) + 0.005 * static_cast<int>(coalition_size(s));
  };
  constexpr int kSeeds = 200;
  double d14 = 0, d23 = 0, d14_sq = 0, d23_sq = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    auto r = estimate(Method::stratified, 8, u, stratified_options(seed, 60));
    ASSERT_TRUE(r);
    const double a = r->values[1] - r->values[4], b = r->values[2] - r->values[3];
    d14 += a;
    d23 += b;
    d14_sq += a * a;
    d23_sq += b * b;
  }
  auto check = [&](double total, double squares, const char* pair) {
    const double mean = total / kSeeds;
    const double sd = std::sqrt(std::max(0.0, squares / kSeeds - mean * mean));
    EXPECT_LE(std::abs(mean), 4 * sd / std::sqrt(double{kSeeds}) + 1e-12) << pair;
  };
  check(d14, d14_sq, "players 1 and 4");
  check(d23, d23_sq, "players 2 and 3");
  // A game of coalition size alone: every stratum mean is the same for every player, exactly.
  auto by_size = [](Coalition s) { return std::sqrt(static_cast<double>(coalition_size(s))) * 0.1; };
  auto r = estimate(Method::stratified, 10, by_size, stratified_options(9, 120));
  ASSERT_TRUE(r);
  for (std::size_t i = 1; i < 10; ++i) EXPECT_NEAR(r->values[i], r->values[0], 1e-9) << i;
  EXPECT_NEAR(sum(r->values), by_size(coalition_full(10)), 1e-9);
}

TEST(Stratified, NullPlayerAndEfficiencyHoldInExpectation) {
  // On an FL-like game with a null player (3) and the budget of the n = 10 target (153 of 1,024):
  // over many seeds the null player's mean value is 0 and the mean of Σ φ_i is U(N) − U(∅), each
  // within 4 standard errors of the mean; per seed both stay within 4 reported standard errors.
  const std::size_t n = 10;
  auto u = random_fl_game(n, 17);
  for (Coalition s = 0; s < u.size(); ++s) {
    if (s >> 3 & 1) u[s] = u[s & ~Coalition{8}];
  }
  const Utility game = [&](Coalition s) { return u[s]; };
  constexpr int kSeeds = 100;
  double null_sum = 0, null_sq = 0, gap_sum = 0, gap_sq = 0;
  std::size_t within = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    auto r = estimate(Method::stratified, n, game, stratified_options(seed, 153));
    ASSERT_TRUE(r);
    const double v = r->values[3];
    const double gap = sum(r->values) - (u.back() - u.front());
    null_sum += v;
    null_sq += v * v;
    gap_sum += gap;
    gap_sq += gap * gap;
    within += std::abs(v) <= 4 * r->std_errors[3] + 1e-12;
  }
  const double null_mean = null_sum / kSeeds, gap_mean = gap_sum / kSeeds;
  const double null_sd = std::sqrt(std::max(0.0, null_sq / kSeeds - null_mean * null_mean));
  const double gap_sd = std::sqrt(std::max(0.0, gap_sq / kSeeds - gap_mean * gap_mean));
  EXPECT_LE(std::abs(null_mean), 4 * null_sd / std::sqrt(double{kSeeds}) + 1e-12);
  EXPECT_LE(std::abs(gap_mean), 4 * gap_sd / std::sqrt(double{kSeeds}) + 1e-12);
  EXPECT_GE(within, std::size_t{95});
}

TEST(Stratified, IsCloserToExactThanGtgAtTheSameBudget) {
  // Same game, same cap (15 % of 1,024): mean over seeds of the largest error.
  const std::size_t n = 10;
  const auto u = random_fl_game(n, 23);
  const Utility game = [&](Coalition s) { return u[s]; };
  auto exact = estimate(Method::exact, n, game);
  ASSERT_TRUE(exact);
  double error[2] = {0, 0};
  const Method methods[2] = {Method::stratified, Method::gtg};
  for (int m = 0; m < 2; ++m) {
    for (int seed = 0; seed < 20; ++seed) {
      auto r = estimate(methods[m], n, game, stratified_options(seed, 153));
      ASSERT_TRUE(r);
      double worst = 0;
      for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(r->values[i] - exact->values[i]));
      error[m] += worst / 20;
    }
  }
  EXPECT_LT(error[0], error[1]);
}

TEST(Stratified, StopsWhenEveryStandardErrorMeetsTheTarget) {
  const auto u = random_fl_game(12, 10);
  EstimatorOptions o;
  o.seed = 2;
  o.convergence_tolerance = 0;
  o.min_samples = 2;
  o.target_std_error = 0.003;
  auto r = estimate(Method::stratified, 12, [&](Coalition s) { return u[s]; }, o);
  ASSERT_TRUE(r);
  for (double se : r->std_errors) EXPECT_LE(se, 0.003);
  EXPECT_LT(r->evaluations, u.size());
}

TEST(Stratified, WorksWithoutTheSurrogateAboveItsLimit) {
  // n = 40 > kMaxSurrogateParticipants: plain stratified estimate; on an additive game every
  // marginal is the player's weight, so every stratum mean and the value are exact.
  std::vector<double> w(40);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.001 * static_cast<double>(i + 1);
  auto r = estimate(Method::stratified, 40, [&](Coalition s) { return additive(w, s); },
                    stratified_options(1, 2000));
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_LE(r->evaluations, 2000u);
  // Unpaired means: exact only in expectation; the error stays within 4 standard errors.
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(r->values[i], w[i], 4 * r->std_errors[i] + 1e-9) << i;
}

TEST(Stratified, RefusesWeightsOfTheWrongLengthOrSign) {
  EstimatorOptions o;
  o.weights = {1, 2};
  auto r = estimate(Method::stratified, 3, [](Coalition) { return 0.0; }, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  o.weights = {1, 0, 2};
  r = estimate(Method::stratified, 3, [](Coalition) { return 0.0; }, o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("positive"), std::string::npos);
}

TEST(Gtg, EvaluatesEveryPairFirstWhenTheCapAllowsIt) {
  const auto u = random_fl_game(10, 12);
  std::vector<int> seen(u.size(), 0);
  EstimatorOptions o = stratified_options(1, 153);
  o.round_truncation_tolerance = 0;
  auto r = estimate(Method::gtg, 10, [&](Coalition s) { seen[static_cast<std::size_t>(s)] = 1; return u[s]; }, o);
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
    auto r = estimate(Method::gtg, 10, [&](Coalition s) { return u[s]; }, o);
    ASSERT_TRUE(r) << cap;
    EXPECT_LE(r->evaluations, cap) << cap;
    EXPECT_GE(r->evaluations, cap - 2) << cap;  // it spends the budget it has
  }
}

// ---- control variates (EstimatorOptions::control_variate) -------------------------------------

TEST(ControlVariate, EqualToTheGameMakesStratifiedAndGtgExactAtAnyBudget) {
  // U − f = 0 everywhere: nothing is left to estimate, so φ = φ(f) = exact, standard errors 0.
  const std::size_t n = 10;
  const auto u = random_fl_game(n, 31);
  const Utility game = [&](Coalition s) { return u[s]; };
  auto exact = estimate(Method::exact, n, game);
  ASSERT_TRUE(exact);
  for (Method method : {Method::stratified, Method::gtg}) {
    EstimatorOptions o = stratified_options(4, 153);
    o.control_variate = [&]() -> Result<std::vector<double>> { return u; };
    auto r = estimate(method, n, game, o);
    ASSERT_TRUE(r) << method_name(method) << ": " << r.error().to_string();
    EXPECT_LE(r->evaluations, 153u);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_NEAR(r->values[i], exact->values[i], 1e-12) << method_name(method) << " " << i;
      EXPECT_NEAR(r->std_errors[i], 0.0, 1e-12) << method_name(method) << " " << i;
    }
  }
}

TEST(ControlVariate, IsCalledOnceAfterEveryPairIsEvaluated) {
  const std::size_t n = 8;
  const auto u = random_fl_game(n, 32);
  for (Method method : {Method::stratified, Method::gtg}) {
    std::mutex mu;
    std::set<Coalition> seen;
    int calls = 0;
    EstimatorOptions o = stratified_options(4, 120);
    o.control_variate = [&]() -> Result<std::vector<double>> {
      ++calls;
      const std::lock_guard lock(mu);
      for (Coalition s = 0; s < u.size(); ++s) {
        const auto size = coalition_size(s);
        if (size <= 2 || size >= n - 1) EXPECT_TRUE(seen.contains(s)) << method_name(method) << " " << coalition_hex(s);
      }
      return std::vector<double>{};  // declined: stratified fits its own surrogate, gtg has none
    };
    auto r = estimate(
        method, n,
        [&](Coalition s) {
          const std::lock_guard lock(mu);
          seen.insert(s);
          return u[s];
        },
        o);
    ASSERT_TRUE(r) << method_name(method);
    EXPECT_EQ(calls, 1) << method_name(method);
  }
}

TEST(ControlVariate, AnyFixedGameKeepsTheEstimateUnbiased) {
  // f = exact U plus a wrong game: the mean over seeds of the estimate minus exact stays within its
  // sampling error, for every player (f only moves where the error comes from). gtg runs with a
  // coarse within-round truncation tolerance, which it must ignore while it uses f: its skipped
  // coalitions would bias the means (|bias| / standard error ~8 when it did not).
  const std::size_t n = 9;
  const auto u = random_fl_game(n, 33);
  std::vector<double> f(u.size());
  for (Coalition s = 0; s < u.size(); ++s) {
    f[s] = u[s] + 0.02 * static_cast<double>(s % 7) - 0.05 * static_cast<double>(coalition_size(s) % 3);
  }
  auto exact = estimate(Method::exact, n, [&](Coalition s) { return u[s]; });
  ASSERT_TRUE(exact);
  constexpr int kSeeds = 200;
  for (Method method : {Method::stratified, Method::gtg}) {
    std::vector<double> mean(n, 0.0), square(n, 0.0);
    for (int seed = 0; seed < kSeeds; ++seed) {
      // 2·(2n + 2 + C(n, 2)) = 112 ≤ 130: every pair first, so f is used.
      EstimatorOptions o = stratified_options(static_cast<std::uint64_t>(seed), 130);
      o.truncation_tolerance = 0.01;
      o.round_truncation_tolerance = 0;
      int calls = 0;
      o.control_variate = [&]() -> Result<std::vector<double>> {
        ++calls;
        return f;
      };
      auto r = estimate(method, n, [&](Coalition s) { return u[s]; }, o);
      ASSERT_TRUE(r);
      ASSERT_EQ(calls, 1) << method_name(method);
      for (std::size_t i = 0; i < n; ++i) {
        const double d = r->values[i] - exact->values[i];
        mean[i] += d / kSeeds;
        square[i] += d * d / kSeeds;
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      const double sd = std::sqrt(std::max(0.0, square[i] - mean[i] * mean[i]));
      EXPECT_LE(std::abs(mean[i]), 4 * sd / std::sqrt(double{kSeeds}) + 1e-12) << method_name(method) << " " << i;
    }
  }
}

TEST(ControlVariate, OfTheWrongSizeOrNotFiniteEndsTheEstimateWithAnInternalError) {
  const auto u = random_fl_game(6, 34);
  for (Method method : {Method::stratified, Method::gtg}) {
    EstimatorOptions o = stratified_options(1, 60);
    o.control_variate = [&]() -> Result<std::vector<double>> { return std::vector<double>(63, 0.0); };
    auto r = estimate(method, 6, [&](Coalition s) { return u[s]; }, o);
    ASSERT_FALSE(r) << method_name(method);
    EXPECT_EQ(r.error().code, Errc::internal);
    EXPECT_NE(r.error().message.find("63 values, expected 2^6"), std::string::npos) << r.error().message;
    o.control_variate = [&]() -> Result<std::vector<double>> {
      auto f = u;
      f[5] = std::numeric_limits<double>::quiet_NaN();
      return f;
    };
    r = estimate(method, 6, [&](Coalition s) { return u[s]; }, o);
    ASSERT_FALSE(r) << method_name(method);
    EXPECT_NE(r.error().message.find("not finite"), std::string::npos) << r.error().message;
  }
}

TEST(ControlVariate, ItsErrorEndsTheEstimateWithThatError) {
  const auto u = random_fl_game(6, 35);
  for (Method method : {Method::stratified, Method::gtg}) {
    EstimatorOptions o = stratified_options(1, 60);
    o.control_variate = []() -> Result<std::vector<double>> { return fail(Errc::io, "validation rows unreadable"); };
    auto r = estimate(method, 6, [&](Coalition s) { return u[s]; }, o);
    ASSERT_FALSE(r) << method_name(method);
    EXPECT_EQ(r.error().code, Errc::io);
    EXPECT_NE(r.error().message.find("validation rows unreadable"), std::string::npos);
  }
}

TEST(ControlVariate, TurnsGtgsWithinRoundTruncationOffAndSaysSo) {
  // A game that saturates at size 3: with truncation gtg skips most steps; with f it evaluates
  // them and notes why.
  const std::size_t n = 10;
  std::vector<double> u(std::size_t{1} << n);
  for (Coalition s = 0; s < u.size(); ++s) u[s] = 0.1 + 0.8 * std::min<double>(3, coalition_size(s)) / 3;
  EstimatorOptions o = stratified_options(2, 153);
  o.truncation_tolerance = 0.001;
  o.round_truncation_tolerance = 0;
  auto plain = estimate(Method::gtg, n, [&](Coalition s) { return u[s]; }, o);
  o.control_variate = [&]() -> Result<std::vector<double>> { return u; };
  auto with_f = estimate(Method::gtg, n, [&](Coalition s) { return u[s]; }, o);
  ASSERT_TRUE(plain && with_f);
  auto noted = [](const Estimate& e, std::string_view text) {
    return std::any_of(e.notes.begin(), e.notes.end(), [&](const std::string& note) { return note.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(noted(*plain, "within-round truncation (")) << "the plain run truncates";
  EXPECT_FALSE(noted(*with_f, "within-round truncation (")) << "no step skipped with f";
  EXPECT_TRUE(noted(*with_f, "within-round truncation off"));
}

// ---- batch utility ----------------------------------------------------------------------------

TEST(EstimateBatched, GivesTheSameResultsAsThePerCoalitionUtility) {
  const auto u = random_fl_game(9, 21);
  const Utility single = [&](Coalition s) { return u[s]; };
  std::atomic<std::size_t> calls = 0, largest = 0;
  const BatchUtility batch = [&](std::span<const Coalition> coalitions) -> Result<std::vector<double>> {
    ++calls;
    std::size_t seen = largest.load();
    while (coalitions.size() > seen && !largest.compare_exchange_weak(seen, coalitions.size())) {
    }
    std::vector<double> out;
    for (Coalition s : coalitions) out.push_back(u[s]);
    return out;
  };
  for (Method m : kAllMethods) {
    for (std::size_t threads : {1, 3}) {
      EstimatorOptions o;
      o.seed = 8;
      o.threads = threads;
      o.max_evaluations = m == Method::exact || m == Method::loo ? 0 : 200;
      auto a = estimate(m, 9, single, o);
      auto b = estimate_batched(m, 9, batch, o);
      ASSERT_TRUE(a && b) << method_name(m);
      EXPECT_EQ(a->values, b->values) << method_name(m);
      EXPECT_EQ(a->std_errors, b->std_errors) << method_name(m);
      EXPECT_EQ(a->evaluations, b->evaluations) << method_name(m);
    }
  }
  EXPECT_GT(calls.load(), 0U);
  EXPECT_LE(largest.load(), 256U);  // exact's 512 coalitions came in chunks
}

TEST(EstimateBatched, RefusesAWrongNumberOfValues) {
  const BatchUtility short_batch = [](std::span<const Coalition> coalitions) -> Result<std::vector<double>> {
    return std::vector<double>(coalitions.size() > 1 ? coalitions.size() - 1 : 0, 0.0);
  };
  auto r = estimate_batched(Method::exact, 4, short_batch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::internal);
  EXPECT_NE(r.error().message.find("values for"), std::string::npos) << r.error().message;
}

// ---- errors ------------------------------------------------------------------------------------

TEST(ParseMethod, AcceptsEveryMethodName) {
  for (Method m : kAllMethods) EXPECT_EQ(parse_method(method_name(m)), m);
}

TEST(ParseMethod, RejectsAnUnknownNameListingTheValidOnes) {
  auto r = parse_method("shapley");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_NE(r.error().message.find("exact, tmc, gtg, loo, banzhaf, stratified"), std::string::npos);
}

TEST(Estimate, RefusesExactAboveTheDocumentedLimit) {
  auto r = estimate(Method::exact, kMaxExactParticipants + 1, [](Coalition) { return 0.0; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_NE(r.error().message.find("exceeds the limit of 16"), std::string::npos);
}

TEST(Estimate, RefusesNoParticipantsForEveryMethod) {
  for (Method m : kAllMethods) {
    auto r = estimate(m, 0, [](Coalition) { return 0.0; });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
  }
}

TEST(Estimate, RefusesMoreThanOneHundredTwentyEightParticipants) {
  for (Method m : {Method::gtg, Method::tmc, Method::loo, Method::banzhaf}) {
    auto r = estimate(m, kMaxParticipants + 1, [](Coalition) { return 0.0; });
    ASSERT_FALSE(r) << method_name(m);
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find("129 participants exceeds the limit of 128"), std::string::npos)
        << r.error().message;
  }
}

TEST(Estimate, RefusesANegativeTolerance) {
  EstimatorOptions o;
  o.truncation_tolerance = -0.1;
  auto r = estimate(Method::tmc, 3, glove, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST(Estimate, RefusesMinSamplesAboveMaxSamples) {
  EstimatorOptions o;
  o.min_samples = 50;
  o.max_samples = 10;
  auto r = estimate(Method::banzhaf, 3, glove, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST(EstimateChecked, ReturnsTheUtilitysErrorNamingTheCoalition) {
  auto r = estimate_checked(Method::exact, 3, [](Coalition s) -> Result<double> {
    if (s == 5) return fail(Errc::data, "validation set missing");
    return 0.0;
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::data);
  EXPECT_NE(r.error().message.find("0x5"), std::string::npos);
  EXPECT_NE(r.error().message.find("validation set missing"), std::string::npos);
}

TEST(EstimateChecked, NamesAFailingCoalitionWithMembersAboveSixtyFour) {
  auto r = estimate_checked(Method::loo, 70, [](Coalition s) -> Result<double> {
    if (s == coalition_full(70) - coalition_member(0)) return fail(Errc::data, "no model");
    return 0.0;
  });
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("0x3ffffffffffffffffe"), std::string::npos) << r.error().message;
}

TEST(Estimate, TurnsAThrowingUtilityIntoAnInternalError) {
  EstimatorOptions o;
  o.threads = 3;
  auto r = estimate(Method::gtg, 5, [](Coalition s) -> double {
    if (static_cast<int>(coalition_size(s)) == 2) throw std::runtime_error("boom");
    return 0.1 * static_cast<int>(coalition_size(s));
  }, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::internal);
  EXPECT_NE(r.error().message.find("boom"), std::string::npos);
}

// ---- seeds -------------------------------------------------------------------------------------

TEST(RoundSeed, HashesRoundModelAndParticipantsInTheDocumentedLayout) {
  Hash32 model;
  model.bytes[0] = 0xAB;
  std::vector<Address> people(2);
  people[0].bytes[19] = 1;
  people[1].bytes[19] = 2;
  Bytes layout = {0, 0, 0, 0, 0, 0, 0, 7};
  layout.insert(layout.end(), model.bytes.begin(), model.bytes.end());
  for (const auto& a : people) layout.insert(layout.end(), a.bytes.begin(), a.bytes.end());
  EXPECT_EQ(round_seed(7, model, people), round_seed(layout));
}

TEST(RoundSeed, ChangesWithEveryInput) {
  Hash32 model;
  std::vector<Address> people(2);
  people[0].bytes[0] = 1;
  const auto base = round_seed(1, model, people);
  EXPECT_NE(base, round_seed(2, model, people));
  Hash32 other_model;
  other_model.bytes[31] = 1;
  EXPECT_NE(base, round_seed(1, other_model, people));
  std::swap(people[0], people[1]);
  EXPECT_NE(base, round_seed(1, model, people));
}

}  // namespace
}  // namespace flywheel::attribution
