// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Tests of the public entry points (estimator.hpp) across methods: properties every estimator
// shares (permutation methods' exactness and additivity, the null player, convergence),
// determinism across runs and threads, memoisation, the batch utility, parsing, the request's
// limits and errors, and round seeds. Each estimator's own tests sit beside it in
// attribution/internal/ (exact_test.cpp, loo_test.cpp, tmc_test.cpp, gtg_test.cpp,
// banzhaf_test.cpp, stratified_test.cpp, control_variate_test.cpp).
#include "attribution/estimator.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/internal/test_games.hpp"

namespace flywheel::attribution {
namespace {

constexpr Method kAllMethods[] = {Method::exact, Method::tmc,     Method::gtg,
                                  Method::loo,   Method::banzhaf, Method::stratified};
constexpr Method kPermutationMethods[] = {Method::tmc, Method::gtg};

using internal::additive;
using internal::glove;
using internal::random_fl_game;
using internal::sum;
using internal::untruncated;

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

// ---- closed-form games -------------------------------------------------------------------------

TEST(Estimate, PermutationEstimatorsOnAnAdditiveGameAreExact) {
  // Every marginal of player i is w_i, so any permutation sample gives the exact value.
  const std::vector<double> w = {0.3, 0.1, 0.2, 0.05, 0.15, 0.2};
  for (Method m : kPermutationMethods) {
    auto r = estimate(
        m, w.size(), [&](Coalition s) { return additive(w, s); }, untruncated(5, 12));
    ASSERT_TRUE(r);
    for (std::size_t i = 0; i < w.size(); ++i) {
      EXPECT_NEAR(r->values[i], w[i], 1e-12) << method_name(m);
      EXPECT_NEAR(r->std_errors[i], 0.0, 1e-12) << method_name(m);
    }
  }
}

// ---- axioms ------------------------------------------------------------------------------------

TEST(Estimate, NullPlayerGetsExactlyZeroFromEveryShapleyEstimator) {
  const std::size_t n = 6;
  auto u = random_fl_game(n, 7);
  for (Coalition s = 0; s < u.size(); ++s) {
    if (s >> 3 & 1) u[s] = u[s & ~Coalition{8}];  // player 3 adds nothing
  }
  for (Method m : {Method::exact, Method::tmc, Method::gtg, Method::loo}) {
    EstimatorOptions o = untruncated(1, 30);
    auto r = estimate(
        m, n, [&](Coalition s) { return u[s]; }, o);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->values[3], 0.0) << method_name(m);
  }
}

TEST(Estimate, PermutationEstimatesAreAdditiveAcrossGamesForTheSameSeed) {
  // Same seed, same permutations: the estimate of u + v is the sum of the estimates.
  const std::size_t n = 7;
  const auto u = random_fl_game(n, 31);
  const auto v = random_fl_game(n, 32);
  for (Method m : kPermutationMethods) {
    const auto o = untruncated(9, 21);
    auto ru = estimate(
        m, n, [&](Coalition s) { return u[s]; }, o);
    auto rv = estimate(
        m, n, [&](Coalition s) { return v[s]; }, o);
    auto rs = estimate(
        m, n, [&](Coalition s) { return u[s] + v[s]; }, o);
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
    auto r = estimate(
        m, 9,
        [&](Coalition s) {
          ++calls[s];
          return u[s];
        },
        o);
    ASSERT_TRUE(r);
    std::size_t distinct = 0;
    for (auto& c : calls) {
      EXPECT_LE(c.load(), 1) << method_name(m);
      distinct += c.load() > 0;
    }
    EXPECT_EQ(r->evaluations, distinct) << method_name(m);
  }
}

// ---- participants above 64 ----------------------------------------------------------------------

TEST(Estimate, PermutationEstimatorsOnAHundredPlayerAdditiveGameAreExact) {
  // One batch each: 100 TMC permutations, 200 GTG guided permutations (every player at every
  // position once, so every stratum of the stratified estimate is reached).
  std::vector<double> w(100);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.002 * static_cast<double>((i * 7) % 13) - 0.005;
  for (Method m : kPermutationMethods) {
    const std::size_t permutations = m == Method::gtg ? 2 * w.size() : w.size();
    auto r = estimate(
        m, w.size(), [&](Coalition s) { return additive(w, s); }, untruncated(11, permutations));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->samples, permutations) << method_name(m);
    for (std::size_t i = 0; i < w.size(); ++i) {
      EXPECT_NEAR(r->values[i], w[i], 1e-12) << method_name(m) << " player " << i;
    }
    EXPECT_NEAR(sum(r->values), r->grand_utility - r->empty_utility, 1e-10) << method_name(m);
  }
}

TEST(Estimate, HandlesAFullOneHundredTwentyEightPlayerRound) {
  const std::vector<double> w(128, 0.01);
  for (Method m : {Method::tmc, Method::loo}) {
    auto r = estimate(
        m, 128, [&](Coalition s) { return additive(w, s); }, untruncated(1, 4));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_NEAR(r->grand_utility, 1.28, 1e-12) << method_name(m);
    for (double v : r->values) EXPECT_NEAR(v, 0.01, 1e-12) << method_name(m);
  }
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
  auto r = estimate(
      Method::gtg, 5,
      [](Coalition s) -> double {
        if (static_cast<int>(coalition_size(s)) == 2) throw std::runtime_error("boom");
        return 0.1 * static_cast<int>(coalition_size(s));
      },
      o);
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
