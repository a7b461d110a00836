// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Tests of the caller's control variate (EstimatorOptions::control_variate; control_variate.cpp)
// in the stratified and gtg estimators: exact when it equals the game, called once after the
// border, unbiased for any fixed game, its errors, and gtg's truncation turned off.
#include "attribution/estimator.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "attribution/internal/test_games.hpp"

namespace flywheel::attribution::internal {
namespace {

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
        if (size <= 2 || size >= n - 1) {
          EXPECT_TRUE(seen.contains(s)) << method_name(method) << " " << coalition_hex(s);
        }
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
      auto r = estimate(
          method, n, [&](Coalition s) { return u[s]; }, o);
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
    auto r = estimate(
        method, 6, [&](Coalition s) { return u[s]; }, o);
    ASSERT_FALSE(r) << method_name(method);
    EXPECT_EQ(r.error().code, Errc::internal);
    EXPECT_NE(r.error().message.find("63 values, expected 2^6"), std::string::npos) << r.error().message;
    o.control_variate = [&]() -> Result<std::vector<double>> {
      auto f = u;
      f[5] = std::numeric_limits<double>::quiet_NaN();
      return f;
    };
    r = estimate(
        method, 6, [&](Coalition s) { return u[s]; }, o);
    ASSERT_FALSE(r) << method_name(method);
    EXPECT_NE(r.error().message.find("not finite"), std::string::npos) << r.error().message;
  }
}

TEST(ControlVariate, ItsErrorEndsTheEstimateWithThatError) {
  const auto u = random_fl_game(6, 35);
  for (Method method : {Method::stratified, Method::gtg}) {
    EstimatorOptions o = stratified_options(1, 60);
    o.control_variate = []() -> Result<std::vector<double>> { return fail(Errc::io, "validation rows unreadable"); };
    auto r = estimate(
        method, 6, [&](Coalition s) { return u[s]; }, o);
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
  auto plain = estimate(
      Method::gtg, n, [&](Coalition s) { return u[s]; }, o);
  o.control_variate = [&]() -> Result<std::vector<double>> { return u; };
  auto with_f = estimate(
      Method::gtg, n, [&](Coalition s) { return u[s]; }, o);
  ASSERT_TRUE(plain && with_f);
  auto noted = [](const Estimate& e, std::string_view text) {
    return std::any_of(e.notes.begin(), e.notes.end(),
                       [&](const std::string& note) { return note.find(text) != std::string::npos; });
  };
  EXPECT_TRUE(noted(*plain, "within-round truncation (")) << "the plain run truncates";
  EXPECT_FALSE(noted(*with_f, "within-round truncation (")) << "no step skipped with f";
  EXPECT_TRUE(noted(*with_f, "within-round truncation off"));
}

}  // namespace
}  // namespace flywheel::attribution::internal
