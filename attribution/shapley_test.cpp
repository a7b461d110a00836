// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "attribution/shapley.hpp"

#include <bit>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

namespace flywheel::attribution {
namespace {

TEST(ExactShapley, AdditiveGameGivesEachPlayerItsOwnWeight) {
  const std::vector<double> w = {0.1, 0.25, -0.05, 0.4};
  auto r = exact_shapley(w.size(), [&](Coalition s) {
    double u = 0;
    for (std::size_t i = 0; i < w.size(); ++i)
      if (s >> i & 1) u += w[i];
    return u;
  });
  ASSERT_TRUE(r);
  for (std::size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(r->values[i], w[i], 1e-12);
  EXPECT_EQ(r->evaluations, 16u);
}

TEST(ExactShapley, GloveGameMatchesClosedForm) {
  // One left glove (player 0), two right gloves (players 1, 2); a pair is worth 1.
  // Closed form: φ = (2/3, 1/6, 1/6).
  auto r = exact_shapley(3, [](Coalition s) { return (s & 1) && (s & 6) ? 1.0 : 0.0; });
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->values[0], 2.0 / 3, 1e-12);
  EXPECT_NEAR(r->values[1], 1.0 / 6, 1e-12);
  EXPECT_NEAR(r->values[2], 1.0 / 6, 1e-12);
}

TEST(ExactShapley, WeightedMajorityGameMatchesClosedForm) {
  // Weights (3, 1, 1, 1), quota 4. Player 0 is pivotal unless it comes first: φ_0 = 3/4. A small
  // player is pivotal only right after player 0 opened the ordering: 1/4 · 1/3 = 1/12.
  const int weights[] = {3, 1, 1, 1};
  auto r = exact_shapley(4, [&](Coalition s) {
    int total = 0;
    for (int i = 0; i < 4; ++i)
      if (s >> i & 1) total += weights[i];
    return total >= 4 ? 1.0 : 0.0;
  });
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->values[0], 0.75, 1e-12);
  for (int i = 1; i < 4; ++i) EXPECT_NEAR(r->values[i], 1.0 / 12, 1e-12);
}

// A random game with a fixed seed: efficiency, symmetry and the null player must hold in any game.
std::vector<double> random_game(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  std::vector<double> u(std::size_t{1} << n);
  for (auto& x : u) x = dist(rng);
  return u;
}

TEST(ExactShapley, ValuesSumToGrandMinusEmptyUtility) {
  for (std::size_t n = 1; n <= 10; ++n) {
    const auto u = random_game(n, 1000 + n);
    auto r = exact_shapley(n, [&](Coalition s) { return u[s]; });
    ASSERT_TRUE(r);
    const double sum = std::accumulate(r->values.begin(), r->values.end(), 0.0);
    EXPECT_NEAR(sum, r->grand_utility - r->empty_utility, 1e-12) << "n = " << n;
    EXPECT_EQ(r->grand_utility, u.back());
    EXPECT_EQ(r->empty_utility, u.front());
  }
}

TEST(ExactShapley, PlayerThatAddsNothingGetsZero) {
  const std::size_t n = 6;
  auto base = random_game(n, 7);
  // Player 3 is null: U(S ∪ {3}) = U(S).
  for (Coalition s = 0; s < base.size(); ++s)
    if (s >> 3 & 1) base[s] = base[s & ~Coalition{8}];
  auto r = exact_shapley(n, [&](Coalition s) { return base[s]; });
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->values[3], 0.0, 1e-12);
}

TEST(ExactShapley, InterchangeablePlayersGetEqualValues) {
  const std::size_t n = 5;
  // Utility depends on the members through a symmetric function of players 1 and 4 plus others.
  auto u = [](Coalition s) {
    const double a = (s >> 1 & 1) + (s >> 4 & 1);
    return a * a * 0.3 + 0.2 * (s & 1) + 0.7 * (s >> 2 & 1) * (s >> 3 & 1) + 0.05 * static_cast<int>(coalition_size(s));
  };
  auto r = exact_shapley(n, u);
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->values[1], r->values[4], 1e-12);
  EXPECT_NEAR(r->values[2], r->values[3], 1e-12);
}

TEST(ExactShapley, ValuesAreAdditiveAcrossGames) {
  const std::size_t n = 5;
  const auto u = random_game(n, 11);
  const auto v = random_game(n, 12);
  auto ru = exact_shapley(n, [&](Coalition s) { return u[s]; });
  auto rv = exact_shapley(n, [&](Coalition s) { return v[s]; });
  auto rs = exact_shapley(n, [&](Coalition s) { return u[s] + v[s]; });
  ASSERT_TRUE(ru && rv && rs);
  for (std::size_t i = 0; i < n; ++i) EXPECT_NEAR(rs->values[i], ru->values[i] + rv->values[i], 1e-12);
}

TEST(ExactShapley, EachCoalitionIsEvaluatedOnce) {
  std::vector<int> calls(64, 0);
  auto r = exact_shapley(6, [&](Coalition s) {
    ++calls[s];
    return double(static_cast<int>(coalition_size(s)));
  });
  ASSERT_TRUE(r);
  for (int c : calls) EXPECT_EQ(c, 1);
  EXPECT_EQ(r->evaluations, 64u);
}

TEST(ExactShapley, RefusesNoParticipants) {
  auto r = exact_shapley(0, [](Coalition) { return 0.0; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST(ExactShapley, RefusesMoreParticipantsThanTheLimit) {
  auto r = exact_shapley(kMaxExactParticipants + 1, [](Coalition) { return 0.0; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_NE(r.error().message.find("exceeds the limit"), std::string::npos);
}

TEST(Coalition, HoldsOneHundredTwentyEightMembers) {
  const Coalition full = coalition_full(128);
  EXPECT_EQ(coalition_size(full), 128u);
  EXPECT_EQ(full, ~Coalition{0});
  EXPECT_EQ(coalition_full(64), Coalition{~std::uint64_t{0}});
  EXPECT_EQ(coalition_size(coalition_full(100)), 100u);
  EXPECT_TRUE(coalition_contains(coalition_member(127), 127));
  EXPECT_FALSE(coalition_contains(coalition_member(127), 63));
  EXPECT_EQ(coalition_high(coalition_member(64)), 1u);
  EXPECT_EQ(coalition_low(coalition_member(64)), 0u);
}

TEST(Coalition, SizeCountsMembersInBothHalves) {
  const Coalition s = coalition_member(0) | coalition_member(63) | coalition_member(64) | coalition_member(99);
  EXPECT_EQ(coalition_size(s), 4u);
  EXPECT_EQ(coalition_size(Coalition{0}), 0u);
}

TEST(Coalition, HexPrintsTheWholeMaskWithoutLeadingZeros) {
  EXPECT_EQ(coalition_hex(0), "0");
  EXPECT_EQ(coalition_hex(5), "5");
  EXPECT_EQ(coalition_hex(coalition_member(64) | 1), "10000000000000001");
  EXPECT_EQ(coalition_hex(coalition_full(128)), std::string(32, 'f'));
}

TEST(Coalition, HashSeparatesMasksThatDifferOnlyInTheHighHalf) {
  const CoalitionHash hash;
  EXPECT_NE(hash(coalition_member(3)), hash(coalition_member(3) | coalition_member(70)));
  EXPECT_NE(hash(coalition_member(64)), hash(coalition_member(65)));
  EXPECT_EQ(hash(coalition_member(70)), hash(coalition_member(70)));
}

}  // namespace
}  // namespace flywheel::attribution
