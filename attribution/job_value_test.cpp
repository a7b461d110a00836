// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "attribution/job_value.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace flywheel::attribution {
namespace {

Address person(std::uint8_t id) {
  Address a;
  a.bytes[19] = id;
  return a;
}

Estimate values(std::vector<double> v, std::vector<double> se = {}) {
  Estimate e;
  e.std_errors = se.empty() ? std::vector<double>(v.size(), 0.0) : se;
  e.values = std::move(v);
  e.method = Method::gtg;
  return e;
}

TEST(JobValue, SumsEachParticipantsValuesOverTheRoundsItTookPartIn) {
  JobValue job;
  const Address r0[] = {person(1), person(2), person(3)};
  const Address r1[] = {person(3), person(1)};  // person 2 was not sampled; order differs
  ASSERT_TRUE(job.add_round(0, r0, values({0.1, 0.2, 0.3})));
  ASSERT_TRUE(job.add_round(1, r1, values({0.05, -0.01})));
  EXPECT_NEAR(job.value(person(1)), 0.09, 1e-15);
  EXPECT_NEAR(job.value(person(2)), 0.2, 1e-15);
  EXPECT_NEAR(job.value(person(3)), 0.35, 1e-15);
  const auto totals = job.totals();
  ASSERT_EQ(totals.size(), 3u);
  EXPECT_EQ(totals[0].participant, person(1));
  EXPECT_EQ(totals[0].rounds, 2u);
  EXPECT_EQ(totals[1].rounds, 1u);
}

TEST(JobValue, AParticipantInNoRoundHasValueZero) {
  JobValue job;
  const Address r0[] = {person(1)};
  ASSERT_TRUE(job.add_round(0, r0, values({0.4})));
  EXPECT_EQ(job.value(person(9)), 0.0);
}

TEST(JobValue, CombinesStandardErrorsOfIndependentRounds) {
  JobValue job;
  const Address r[] = {person(1)};
  ASSERT_TRUE(job.add_round(0, r, values({0.1}, {0.003})));
  ASSERT_TRUE(job.add_round(1, r, values({0.1}, {0.004})));
  EXPECT_NEAR(job.totals()[0].std_error, 0.005, 1e-15);
}

TEST(JobValue, ReportsRoundsSkippedByBetweenRoundTruncation) {
  JobValue job;
  const Address r[] = {person(1), person(2)};
  ASSERT_TRUE(job.add_round(0, r, values({0.3, 0.2})));
  Estimate skipped = values({0.0, 0.0});
  skipped.truncated_round = true;
  skipped.grand_utility = 0.8005;
  skipped.empty_utility = 0.8;
  skipped.notes = {"round skipped"};
  ASSERT_TRUE(job.add_round(1, r, skipped));
  EXPECT_EQ(job.truncated_rounds(), std::vector<std::uint64_t>{1});
  ASSERT_EQ(job.rounds().size(), 2u);
  EXPECT_TRUE(job.rounds()[1].truncated);
  EXPECT_NEAR(job.rounds()[1].gain, 0.0005, 1e-12);
  EXPECT_EQ(job.rounds()[1].notes, std::vector<std::string>{"round skipped"});
  EXPECT_NEAR(job.value(person(1)), 0.3, 1e-15);
}

TEST(JobValue, AccumulatesRealEstimatesAndTheirEvaluations) {
  JobValue job;
  const Address r[] = {person(1), person(2), person(3)};
  for (std::uint64_t round = 0; round < 3; ++round) {
    auto e = estimate(Method::exact, 3, [&](Coalition s) { return 0.1 * static_cast<double>(s); });
    ASSERT_TRUE(e);
    ASSERT_TRUE(job.add_round(round, r, *e));
  }
  // U(S) = 0.1·mask is additive with weights 0.1, 0.2, 0.4.
  EXPECT_NEAR(job.value(person(3)), 1.2, 1e-12);
  EXPECT_EQ(job.evaluations(), 3u * 8);
}

TEST(JobValue, RefusesASizeMismatch) {
  JobValue job;
  const Address r[] = {person(1), person(2)};
  auto result = job.add_round(0, r, values({0.1}));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::invalid_argument);
  EXPECT_TRUE(job.totals().empty());
}

TEST(JobValue, RefusesAParticipantListedTwiceInARound) {
  JobValue job;
  const Address r[] = {person(1), person(1)};
  EXPECT_FALSE(job.add_round(0, r, values({0.1, 0.2})));
  EXPECT_TRUE(job.totals().empty());
}

TEST(JobValue, RefusesARoundAddedTwice) {
  JobValue job;
  const Address r[] = {person(1)};
  ASSERT_TRUE(job.add_round(4, r, values({0.1})));
  EXPECT_FALSE(job.add_round(4, r, values({0.1})));
  EXPECT_NEAR(job.value(person(1)), 0.1, 1e-15);
}

}  // namespace
}  // namespace flywheel::attribution
