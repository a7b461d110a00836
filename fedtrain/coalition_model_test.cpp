// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/coalition_model.hpp"

#include <cmath>
#include <memory>
#include <numeric>
#include <stdexcept>

#include <gtest/gtest.h>

#include "fedtrain/config.hpp"
#include "fedtrain/internal/round_game.hpp"
#include "fedtrain/internal/test_support.hpp"
#include "fedtrain/strategy.hpp"

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

std::vector<std::span<const float>> spans(const Round& r) {
  return {r.updates.begin(), r.updates.end()};
}

TEST(CoalitionModels, EqualTheGeneralPathOnEveryCoalitionOfARealRound) {
  // One, two and no hidden layers. Float rounding may flip a validation row whose top two logits
  // tie to ~1e-6: at most one row of 1,000 per coalition, and the loss agrees to 1e-5.
  for (const auto& hidden : {std::vector<std::size_t>{100}, std::vector<std::size_t>{32, 16},
                             std::vector<std::size_t>{}}) {
    const std::size_t n = 5;
    const Round r = make_round(hidden, n);
    auto models = CoalitionModels::create(r.model, r.global, spans(r), r.samples, test_split(),
                                          r.validation, 3);
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
    return internal::RoundGame{.config = config, .strategy = s, .global = r.global, .updates = updates,
                               .train = test_split(), .validation = r.validation};
  };
  EXPECT_TRUE(internal::uses_fast_coalition_models(game(**fedavg)));
  EXPECT_FALSE(internal::uses_fast_coalition_models(game(**median)));
  EXPECT_FALSE(internal::uses_fast_coalition_models(game(renamed)));
  attribution::EstimatorOptions options;
  options.threads = 2;
  auto fast = internal::attribute_round(game(**fedavg), attribution::Method::exact, options);
  auto slow = internal::attribute_round(game(renamed), attribution::Method::exact, options);
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
  auto robust = internal::attribute_round(game(**median), attribution::Method::exact, options);
  ASSERT_TRUE(robust);
  EXPECT_EQ(robust->utilities.size(), 32U);
}

}  // namespace
}  // namespace flywheel::fedtrain
