// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/valuation/coalition_model.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <stdexcept>

#include <gtest/gtest.h>

#include "fedtrain/config.hpp"
#include "fedtrain/internal/test_support.hpp"
#include "fedtrain/strategy/strategy.hpp"
#include "fedtrain/valuation/round_game.hpp"

namespace flywheel::fedtrain {
namespace {

using test_support::range;
using test_support::test_split;

// A real round: `n` participants train one epoch from a seeded model on disjoint slices of the
// Fashion-MNIST test split (sizes differ, so the FedAvg weights differ); validation = rows 8000..8999.
struct Round {
  ModelConfig model;
  std::vector<float> global;
  std::vector<std::vector<float>> updates;
  std::vector<std::uint64_t> samples;
  std::vector<std::size_t> validation = range(8000, 9000);
};

Round make_round(std::vector<std::size_t> hidden, std::size_t n) {
  Round r;
  r.model.hidden = std::move(hidden);
  // A failure here throws: gtest reports it as the test's failure instead of crashing on *init.
  auto init = initial_parameters(r.model, 7);
  if (!init) throw std::runtime_error(init.error().to_string());
  r.global = *init;
  std::size_t begin = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t size = 200 + 100 * i;
    TrainConfig t;
    t.seed = 100 + i;
    auto local = train_local(r.model, r.global, test_split(), range(begin, begin + size), t);
    if (!local) throw std::runtime_error(local.error().to_string());
    begin += size;
    r.updates.push_back(local->update);
    r.samples.push_back(local->samples);
  }
  return r;
}

// The general path: w_t + weighted_mean of the members' updates, evaluated by fedtrain::evaluate.
Evaluation general(const Round& r, const std::vector<std::size_t>& members) {
  std::vector<float> w = r.global;
  if (!members.empty()) {
    std::vector<ClientUpdate> chosen;
    for (auto i : members) chosen.push_back({r.updates[i], r.samples[i]});
    auto mean = weighted_mean(chosen);
    EXPECT_TRUE(mean);
    for (std::size_t k = 0; k < w.size(); ++k) w[k] += (*mean)[k];
  }
  auto e = evaluate(r.model, w, test_split(), r.validation);
  EXPECT_TRUE(e);
  return *e;
}

std::vector<std::span<const float>> spans(const Round& r) { return {r.updates.begin(), r.updates.end()}; }

TEST(CoalitionModels, EqualTheGeneralPathOnEveryCoalitionOfARealRound) {
  // One, two and no hidden layers. Float rounding may flip a validation row whose top two logits
  // tie to ~1e-6: at most one row of 1,000 per coalition, and the loss agrees to 1e-5.
  for (const auto& hidden :
       {std::vector<std::size_t>{100}, std::vector<std::size_t>{32, 16}, std::vector<std::size_t>{}}) {
    const std::size_t n = 5;
    const Round r = make_round(hidden, n);
    auto models = CoalitionModels::create(r.model, r.global, spans(r), r.samples, test_split(), r.validation, 3);
    ASSERT_TRUE(models) << models.error().to_string();
    EXPECT_EQ(models->size(), n);
    std::size_t differ = 0;
    for (std::size_t s = 0; s < (std::size_t{1} << n); ++s) {
      std::vector<std::size_t> members;
      for (std::size_t i = 0; i < n; ++i) {
        if ((s >> i) & 1U) members.push_back(i);
      }
      const Evaluation slow = general(r, members);
      auto fast = models->evaluate(members);
      ASSERT_TRUE(fast) << fast.error().to_string();
      EXPECT_EQ(fast->samples, 1000U);
      EXPECT_LE(std::abs(fast->accuracy - slow.accuracy), 0.0011) << "coalition " << s;
      EXPECT_NEAR(fast->loss, slow.loss, 1e-5) << "coalition " << s;
      differ += fast->accuracy != slow.accuracy;
    }
    EXPECT_LE(differ, 3U) << "hidden layers " << hidden.size();
  }
}

TEST(CoalitionModels, AreDeterministicAndIndependentOfMemberOrderAndThreads) {
  const Round r = make_round({100}, 4);
  auto one = CoalitionModels::create(r.model, r.global, spans(r), r.samples, test_split(), r.validation, 1);
  auto many = CoalitionModels::create(r.model, r.global, spans(r), r.samples, test_split(), r.validation, 4);
  ASSERT_TRUE(one && many);
  for (const std::vector<std::size_t>& members :
       {std::vector<std::size_t>{2, 0}, std::vector<std::size_t>{3, 1, 0}, std::vector<std::size_t>{}}) {
    auto sorted = members;
    std::sort(sorted.begin(), sorted.end());
    auto a = one->evaluate(members);
    auto b = many->evaluate(sorted);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->accuracy, b->accuracy);
    EXPECT_EQ(a->loss, b->loss);
  }
}

TEST(CoalitionModels, BatchAccuraciesEqualSingleOnesWhateverTheBatch) {
  const Round r = make_round({100}, 6);
  auto models = CoalitionModels::create(r.model, r.global, spans(r), r.samples, test_split(), r.validation, 2);
  ASSERT_TRUE(models);
  std::vector<std::vector<std::size_t>> all;
  for (std::size_t s = 0; s < 64; ++s) {
    std::vector<std::size_t> members;
    for (std::size_t i = 0; i < 6; ++i) {
      if ((s >> i) & 1U) members.push_back(i);
    }
    all.push_back(members);
  }
  auto batch = models->accuracies(all);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 64U);
  const std::vector<std::vector<std::size_t>> part(all.begin() + 40, all.begin() + 47);
  auto partial = models->accuracies(part);
  ASSERT_TRUE(partial);
  for (std::size_t k = 0; k < 64; ++k) {
    auto one = models->accuracy(all[k]);
    ASSERT_TRUE(one);
    EXPECT_EQ((*batch)[k], *one) << k;
    auto full = models->evaluate(all[k]);
    ASSERT_TRUE(full);
    EXPECT_EQ(full->accuracy, *one) << k;
    if (k >= 40 && k < 47) {
      EXPECT_EQ((*partial)[k - 40], *one) << k;
    }
  }
  EXPECT_FALSE(models->accuracies(std::vector<std::vector<std::size_t>>{{0}, {7}}));
}

TEST(CoalitionModels, RefuseOtherModelsAndBadInputs) {
  const Round r = make_round({16}, 2);
  ModelConfig cnn;
  cnn.name = "cnn";
  auto refused = CoalitionModels::create(cnn, r.global, spans(r), r.samples, test_split(), r.validation);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid_argument);
  std::vector<std::uint64_t> zero = {r.samples[0], 0};
  EXPECT_FALSE(CoalitionModels::create(r.model, r.global, spans(r), zero, test_split(), r.validation));
  auto models = CoalitionModels::create(r.model, r.global, spans(r), r.samples, test_split(), r.validation);
  ASSERT_TRUE(models);
  EXPECT_FALSE(models->evaluate(std::vector<std::size_t>{0, 0}));
  EXPECT_FALSE(models->evaluate(std::vector<std::size_t>{2}));
}

std::vector<std::size_t> members_of(std::size_t mask, std::size_t n) {
  std::vector<std::size_t> members;
  for (std::size_t i = 0; i < n; ++i) {
    if ((mask >> i) & 1U) members.push_back(i);
  }
  return members;
}

TEST(CoalitionModels, LogitsGiveTheAccuracyAndLossOfEvaluate) {
  const Round r = make_round({100}, 3);
  auto models = CoalitionModels::create(r.model, r.global, spans(r), r.samples, test_split(), r.validation, 2);
  ASSERT_TRUE(models);
  ASSERT_EQ(models->labels().size(), r.validation.size());
  ASSERT_EQ(models->classes(), 10U);
  for (std::size_t mask = 0; mask < 8; ++mask) {
    const auto members = members_of(mask, 3);
    auto logits = models->logits(members);
    auto e = models->evaluate(members);
    ASSERT_TRUE(logits && e);
    ASSERT_EQ(logits->size(), r.validation.size() * 10);
    std::size_t correct = 0;
    double loss = 0;
    for (std::size_t row = 0; row < r.validation.size(); ++row) {
      const float* z = logits->data() + row * 10;
      const auto best = static_cast<std::size_t>(std::max_element(z, z + 10) - z);
      const auto label = static_cast<std::size_t>(models->labels()[row]);
      correct += best == label ? 1 : 0;
      double total = 0;
      for (std::size_t c = 0; c < 10; ++c) total += std::exp(static_cast<double>(z[c] - z[best]));
      loss += std::log(total) + static_cast<double>(z[best] - z[label]);
    }
    EXPECT_EQ(static_cast<double>(correct) / static_cast<double>(r.validation.size()), e->accuracy) << mask;
    EXPECT_NEAR(loss / static_cast<double>(r.validation.size()), e->loss, 1e-6) << mask;
  }
  EXPECT_FALSE(models->logits(std::vector<std::size_t>{3}));
}

TEST(LogitMixtureGame, InterpolatesTheEmptySetEverySingletonAndEveryPair) {
  // Rebuilt from its parts, a pair's logits may round differently in the last bits: at most one
  // validation row of 1,000 may change its predicted class.
  const std::size_t n = 6;
  const Round r = make_round({100}, n);
  auto models = CoalitionModels::create(r.model, r.global, spans(r), r.samples, test_split(), r.validation, 2);
  ASSERT_TRUE(models);
  for (bool accuracy : {true, false}) {
    auto f = logit_mixture_game(*models, accuracy, 2);
    ASSERT_TRUE(f) << f.error().to_string();
    ASSERT_EQ(f->size(), std::size_t{1} << n);
    for (std::size_t mask = 0; mask < f->size(); ++mask) {
      if (std::popcount(mask) > 2) continue;
      auto e = models->evaluate(members_of(mask, n));
      ASSERT_TRUE(e);
      if (accuracy) {
        EXPECT_NEAR((*f)[mask], e->accuracy, 1.0 / 1000 + 1e-12) << mask;
      } else {
        EXPECT_NEAR((*f)[mask], -e->loss, 1e-4) << mask;
      }
    }
  }
}

TEST(LogitMixtureGame, IsCloserToLargerCoalitionsThanInterpolatingTheirAccuracies) {
  // On coalitions of 3 to 6 members, the row-level model against the same quadratic mixture fitted
  // to the accuracies themselves (the stratified estimator's own surrogate, interpolated).
  const std::size_t n = 6;
  const Round r = make_round({100}, n);
  auto models = CoalitionModels::create(r.model, r.global, spans(r), r.samples, test_split(), r.validation, 2);
  ASSERT_TRUE(models);
  auto f = logit_mixture_game(*models, true, 2);
  ASSERT_TRUE(f);
  std::vector<double> u(f->size());
  for (std::size_t mask = 0; mask < u.size(); ++mask) u[mask] = models->accuracy(members_of(mask, n)).value();
  const auto w = models->weights();
  std::vector<double> g(n * n);
  for (std::size_t i = 0; i < n; ++i) g[i * n + i] = u[std::size_t{1} << i];
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const double a = w[i] / (w[i] + w[j]), b = w[j] / (w[i] + w[j]);
      g[i * n + j] = g[j * n + i] =
          (u[(std::size_t{1} << i) | (std::size_t{1} << j)] - a * a * g[i * n + i] - b * b * g[j * n + j]) /
          (2 * a * b);
    }
  }
  double row_level = 0, accuracy_level = 0;
  std::size_t count = 0;
  for (std::size_t mask = 0; mask < u.size(); ++mask) {
    if (std::popcount(mask) < 3) continue;
    double q = 0, total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!((mask >> i) & 1U)) continue;
      total += w[i];
      for (std::size_t j = 0; j < n; ++j) {
        if ((mask >> j) & 1U) q += w[i] * w[j] * g[i * n + j];
      }
    }
    row_level += std::abs((*f)[mask] - u[mask]);
    accuracy_level += std::abs(q / (total * total) - u[mask]);
    ++count;
  }
  row_level /= static_cast<double>(count);
  accuracy_level /= static_cast<double>(count);
  std::printf("mean |f - U| on coalitions of 3..6: row-level logits %.5f, accuracy-level %.5f\n", row_level,
              accuracy_level);
  EXPECT_LT(row_level, 0.5 * accuracy_level);
  EXPECT_LT(row_level, 0.005);
}

TEST(LogitMixtureGame, DoesNotDependOnThreadsAndDeclinesAboveItsLimit) {
  const Round r = make_round({32}, 4);
  auto models = CoalitionModels::create(r.model, r.global, spans(r), r.samples, test_split(), r.validation, 1);
  ASSERT_TRUE(models);
  auto one = logit_mixture_game(*models, false, 1);
  auto three = logit_mixture_game(*models, false, 3);
  ASSERT_TRUE(one && three);
  EXPECT_EQ(*one, *three);
  // kMaxLogitMixtureParticipants + 1 copies of one update: an empty table (the estimator then
  // falls back to its own surrogate).
  std::vector<std::span<const float>> many(kMaxLogitMixtureParticipants + 1, r.updates[0]);
  std::vector<std::uint64_t> samples(many.size(), 10);
  auto wide = CoalitionModels::create(r.model, r.global, many, samples, test_split(), range(8000, 8100), 1);
  ASSERT_TRUE(wide);
  auto declined = logit_mixture_game(*wide, true, 1);
  ASSERT_TRUE(declined);
  EXPECT_TRUE(declined->empty());
}

// FedAvg under another name: the round game then takes the general path (rebuild + evaluate).
class RenamedFedAvg final : public Strategy {
 public:
  explicit RenamedFedAvg(std::unique_ptr<Strategy> inner) : inner_(std::move(inner)) {}
  [[nodiscard]] std::string_view name() const override { return "fedavg-general"; }
  [[nodiscard]] Result<std::vector<float>> propose(std::span<const float> global,
                                                   std::span<const ClientUpdate> updates) const override {
    return inner_->propose(global, updates);
  }

 private:
  std::unique_ptr<Strategy> inner_;
};

TEST(CoalitionModels, RoundGameGivesTheGeneralPathsExactValuesWithinRounding) {
  const Round r = make_round({100}, 5);
  SimulationConfig config;
  config.model = r.model;
  std::vector<ClientUpdate> updates;
  for (std::size_t i = 0; i < r.updates.size(); ++i) updates.push_back({r.updates[i], r.samples[i]});
  auto fedavg = make_strategy(StrategyConfig{});
  auto median_config = StrategyConfig{};
  median_config.name = "fedmedian";
  auto median = make_strategy(median_config);
  ASSERT_TRUE(fedavg && median);
  const RenamedFedAvg renamed(make_strategy(StrategyConfig{}).value());
  auto game = [&](const Strategy& s) {
    return RoundGame{.config = config,
                     .strategy = s,
                     .global = r.global,
                     .updates = updates,
                     .train = test_split(),
                     .validation = r.validation};
  };
  EXPECT_TRUE(uses_fast_coalition_models(game(**fedavg)));
  EXPECT_FALSE(uses_fast_coalition_models(game(**median)));
  EXPECT_FALSE(uses_fast_coalition_models(game(renamed)));
  attribution::EstimatorOptions options;
  options.threads = 2;
  auto fast = attribute_round(game(**fedavg), attribution::Method::exact, options);
  auto slow = attribute_round(game(renamed), attribution::Method::exact, options);
  ASSERT_TRUE(fast && slow);
  ASSERT_EQ(fast->utilities.size(), 32U);
  ASSERT_EQ(slow->utilities.size(), 32U);
  for (std::size_t k = 0; k < 32; ++k) {
    EXPECT_EQ(fast->utilities[k].first, slow->utilities[k].first);
    EXPECT_LE(std::abs(fast->utilities[k].second - slow->utilities[k].second), 0.0011) << k;
  }
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(fast->estimate.values[i], slow->estimate.values[i], 0.0011) << i;
  }
  // The median is not a FedAvg mixture: it still gets the general path and its own values.
  auto robust = attribute_round(game(**median), attribution::Method::exact, options);
  ASSERT_TRUE(robust);
  EXPECT_EQ(robust->utilities.size(), 32U);
}

}  // namespace
}  // namespace flywheel::fedtrain
