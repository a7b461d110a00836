// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/strategy/strategy.hpp"

#include <cmath>

#include <gtest/gtest.h>

namespace flywheel::fedtrain {
namespace {

TEST(FedAvg, WeightsUpdatesBySampleCount) {
  const std::vector<float> a{1, 0};
  const std::vector<float> b{0, 4};
  const std::vector<std::span<const float>> updates{a, b};
  const std::vector<std::uint64_t> samples{3, 1};
  auto merged = fedavg(updates, samples);
  ASSERT_TRUE(merged);
  EXPECT_EQ(*merged, (std::vector<float>{0.75F, 1.0F}));
}

TEST(FedAvg, SingleUpdateIsReturnedUnchanged) {
  const std::vector<float> a{0.1F, -2.5F, 3e-8F};
  const std::vector<std::span<const float>> updates{std::span<const float>(a)};
  const std::vector<std::uint64_t> samples{17};
  EXPECT_EQ(*fedavg(updates, samples), a);
}

TEST(FedAvg, EqualWeightsGiveTheMean) {
  const std::vector<float> a{1, 2, 3};
  const std::vector<float> b{3, 4, 5};
  const std::vector<float> c{2, 0, -2};
  const std::vector<std::span<const float>> updates{a, b, c};
  const std::vector<std::uint64_t> samples{10, 10, 10};
  EXPECT_EQ(*fedavg(updates, samples), (std::vector<float>{2, 2, 2}));
}

TEST(FedAvg, ZeroSampleUpdateHasNoInfluence) {
  const std::vector<float> a{1, 1};
  const std::vector<float> b{100, 100};
  const std::vector<std::span<const float>> updates{a, b};
  const std::vector<std::uint64_t> samples{5, 0};
  EXPECT_EQ(*fedavg(updates, samples), a);
}

TEST(FedAvg, RejectsNoUpdates) {
  auto merged = fedavg({}, {});
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().code, Errc::invalid_argument);
}

TEST(FedAvg, RejectsUpdatesOfDifferentLengths) {
  const std::vector<float> a{1, 2};
  const std::vector<float> b{1};
  const std::vector<std::span<const float>> updates{a, b};
  const std::vector<std::uint64_t> samples{1, 1};
  auto merged = fedavg(updates, samples);
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().code, Errc::invalid_argument);
}

TEST(FedAvg, RejectsAllZeroWeights) {
  const std::vector<float> a{1};
  const std::vector<std::span<const float>> updates{std::span<const float>(a)};
  const std::vector<std::uint64_t> samples{0};
  EXPECT_FALSE(fedavg(updates, samples));
}

TEST(ApplyUpdate, AddsTheUpdateToTheGlobalModel) {
  const std::vector<float> global{1, 2};
  const std::vector<float> update{0.5F, -2};
  EXPECT_EQ(*apply_update(global, update), (std::vector<float>{1.5F, 0}));
}

TEST(ApplyUpdate, RejectsALengthMismatch) {
  const std::vector<float> global{1, 2};
  const std::vector<float> update{0.5F};
  EXPECT_FALSE(apply_update(global, update));
}

// ----- the Strategy interface -----

std::unique_ptr<Strategy> make(StrategyConfig config) {
  auto strategy = make_strategy(config);
  EXPECT_TRUE(strategy) << strategy.error().to_string();
  return std::move(*strategy);
}

std::unique_ptr<Strategy> make(const std::string& name) { return make(default_strategy_config(name)); }

std::vector<ClientUpdate> as_updates(const std::vector<std::vector<float>>& deltas,
                                     std::vector<std::uint64_t> samples = {}) {
  std::vector<ClientUpdate> out;
  for (std::size_t k = 0; k < deltas.size(); ++k) {
    out.push_back(ClientUpdate{.delta = deltas[k], .samples = samples.empty() ? 1 : samples[k]});
  }
  return out;
}

TEST(Strategies, EveryBuiltInIsRegistered) {
  for (const char* name : {"fedavg", "fedavgm", "fedprox", "fedadagrad", "fedadam", "fedyogi", "fedmedian",
                           "fedtrimmedavg", "krum", "multikrum"}) {
    EXPECT_TRUE(is_strategy(name)) << name;
    auto strategy = make_strategy(default_strategy_config(name));
    ASSERT_TRUE(strategy) << name;
    EXPECT_EQ((*strategy)->name(), name);
  }
}

TEST(Strategies, UnknownNameIsAConfigErrorNamingTheField) {
  auto strategy = make_strategy(default_strategy_config("fedsgd"));
  ASSERT_FALSE(strategy);
  EXPECT_EQ(strategy.error().code, Errc::config);
  EXPECT_NE(strategy.error().message.find("strategy.name"), std::string::npos);
  EXPECT_NE(strategy.error().message.find("fedyogi"), std::string::npos);
}

TEST(Strategies, OutOfRangeSettingsAreConfigErrorsNamingTheField) {
  const std::vector<std::pair<StrategyConfig, std::string>> cases = [] {
    std::vector<std::pair<StrategyConfig, std::string>> out;
    auto c = default_strategy_config("fedtrimmedavg");
    c.trim_beta = 0.5;
    out.emplace_back(c, "strategy.trim_beta");
    c = default_strategy_config("fedadam");
    c.beta_2 = 1.0;
    out.emplace_back(c, "strategy.beta_2");
    c = default_strategy_config("fedyogi");
    c.tau = 0;
    out.emplace_back(c, "strategy.tau");
    c = default_strategy_config("fedavgm");
    c.server_learning_rate = -1;
    out.emplace_back(c, "strategy.server_learning_rate");
    c = default_strategy_config("fedprox");
    c.proximal_mu = -0.1;
    out.emplace_back(c, "strategy.proximal_mu");
    c = default_strategy_config("fedavg");
    c.fraction_fit = 0;
    out.emplace_back(c, "strategy.fraction_fit");
    c.fraction_fit = 1.5;
    out.emplace_back(c, "strategy.fraction_fit");
    return out;
  }();
  for (const auto& [config, field] : cases) {
    auto strategy = make_strategy(config);
    ASSERT_FALSE(strategy) << field;
    EXPECT_EQ(strategy.error().code, Errc::config);
    EXPECT_NE(strategy.error().message.find(field), std::string::npos) << strategy.error().message;
  }
}

TEST(Strategies, ACustomStrategyCanBeRegisteredOnceAndBuilt) {
  class Frozen final : public Strategy {
   public:
    [[nodiscard]] std::string_view name() const override { return "frozen-test"; }
    [[nodiscard]] Result<std::vector<float>> propose(std::span<const float> global,
                                                     std::span<const ClientUpdate>) const override {
      return std::vector<float>(global.begin(), global.end());
    }
  };
  ASSERT_TRUE(register_strategy("frozen-test", [](const StrategyConfig&) -> Result<std::unique_ptr<Strategy>> {
    return std::make_unique<Frozen>();
  }));
  EXPECT_TRUE(is_strategy("frozen-test"));
  EXPECT_FALSE(register_strategy("frozen-test", [](const StrategyConfig&) -> Result<std::unique_ptr<Strategy>> {
    return std::make_unique<Frozen>();
  }));
  auto strategy = make("frozen-test");
  const std::vector<float> global{1, 2};
  const std::vector<float> delta{5, 5};
  EXPECT_EQ(*strategy->propose(global, as_updates({delta})), global);
}

TEST(FedAvgStrategy, AddsTheSampleWeightedMeanToTheGlobalModel) {
  auto strategy = make("fedavg");
  const std::vector<float> global{1, 1};
  auto next = strategy->aggregate(global, as_updates({{1, 0}, {0, 4}}, {3, 1}));
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, (std::vector<float>{1.75F, 2.0F}));
  EXPECT_EQ(strategy->proximal_mu(), 0.0);
  EXPECT_TRUE(strategy->state().empty());
}

TEST(FedAvgStrategy, RejectsAnUpdateOfTheWrongLength) {
  auto strategy = make("fedavg");
  const std::vector<float> global{1, 1};
  auto next = strategy->propose(global, as_updates({{1, 0, 3}}));
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code, Errc::invalid_argument);
}

TEST(FedProxStrategy, MergesLikeFedAvgAndAsksParticipantsForTheProximalTerm) {
  auto config = default_strategy_config("fedprox");
  config.proximal_mu = 0.01;
  auto strategy = make(config);
  EXPECT_EQ(strategy->proximal_mu(), 0.01);
  const std::vector<float> global{0, 0};
  EXPECT_EQ(*strategy->aggregate(global, as_updates({{1, 0}, {0, 4}}, {3, 1})), (std::vector<float>{0.75F, 1.0F}));
}

TEST(FedAvgMStrategy, AccumulatesServerMomentum) {
  // η = 0.5, β = 0.5. Round 1: v = Δ = (1, 2), w = (0.5, 1). Round 2: v = 0.5·(1, 2) + (1, 0) =
  // (1.5, 1), w = (0.5, 1) + 0.5·(1.5, 1) = (1.25, 1.5).
  auto config = default_strategy_config("fedavgm");
  config.server_learning_rate = 0.5;
  config.server_momentum = 0.5;
  auto strategy = make(config);
  auto w1 = strategy->aggregate(std::vector<float>{0, 0}, as_updates({{1, 2}}));
  ASSERT_TRUE(w1);
  EXPECT_EQ(*w1, (std::vector<float>{0.5F, 1.0F}));
  EXPECT_EQ(strategy->state(), (std::vector<float>{1, 2}));
  auto w2 = strategy->aggregate(*w1, as_updates({{1, 0}}));
  EXPECT_EQ(*w2, (std::vector<float>{1.25F, 1.5F}));
  EXPECT_EQ(strategy->state(), (std::vector<float>{1.5F, 1.0F}));
}

TEST(FedAdagradStrategy, MatchesTheHandComputedSteps) {
  // β₁ = 0, τ = 3, η = 1, v₀ = τ² = 9. Round 1, Δ = (4, 0): m = (4, 0), v = (25, 9),
  // w = (4/(5+3), 0) = (0.5, 0). Round 2, Δ = (0, 4): m = (0, 4), v = (25, 25), w += (0, 0.5).
  auto config = default_strategy_config("fedadagrad");
  EXPECT_EQ(config.beta_1, 0.0);
  config.tau = 3;
  config.server_learning_rate = 1;
  auto strategy = make(config);
  auto w1 = strategy->aggregate(std::vector<float>{0, 0}, as_updates({{4, 0}}));
  ASSERT_TRUE(w1);
  EXPECT_EQ(*w1, (std::vector<float>{0.5F, 0.0F}));
  auto w2 = strategy->aggregate(*w1, as_updates({{0, 4}}));
  EXPECT_EQ(*w2, (std::vector<float>{0.5F, 0.5F}));
  EXPECT_EQ(strategy->state(), (std::vector<float>{0, 4, 25, 25}));
}

TEST(FedAdamStrategy, MatchesTheHandComputedStep) {
  // β₁ = 0.5, β₂ = 0.75, τ = 4, η = 1, Δ = 4: m = 2, v = 0.75·16 + 0.25·16 = 16,
  // w = 2 / (4 + 4) = 0.25.
  auto config = default_strategy_config("fedadam");
  config.beta_1 = 0.5;
  config.beta_2 = 0.75;
  config.tau = 4;
  config.server_learning_rate = 1;
  auto strategy = make(config);
  EXPECT_EQ(*strategy->aggregate(std::vector<float>{1}, as_updates({{4}})), (std::vector<float>{1.25F}));
  EXPECT_EQ(strategy->state(), (std::vector<float>{2, 16}));
}

TEST(FedYogiStrategy, MatchesTheHandComputedSteps) {
  // β₁ = 0.5, β₂ = 0.5, τ = 1, η = 1. Round 1, Δ = 4: m = 2, v = 1 − 0.5·16·sign(1 − 16) = 9,
  // w = 2/(3+1) = 0.5. Round 2, Δ = 2: m = 2, v = 9 − 0.5·4·sign(9 − 4) = 7 (Adam would give 6.5).
  auto config = default_strategy_config("fedyogi");
  config.beta_1 = 0.5;
  config.beta_2 = 0.5;
  config.tau = 1;
  config.server_learning_rate = 1;
  auto strategy = make(config);
  EXPECT_EQ(*strategy->aggregate(std::vector<float>{0}, as_updates({{4}})), (std::vector<float>{0.5F}));
  EXPECT_EQ(strategy->state(), (std::vector<float>{2, 9}));
  auto w2 = strategy->aggregate(std::vector<float>{0}, as_updates({{2}}));
  EXPECT_EQ(strategy->state(), (std::vector<float>{2, 7}));
  EXPECT_FLOAT_EQ((*w2)[0], static_cast<float>(2.0 / (std::sqrt(7.0) + 1.0)));
}

TEST(ServerOptimizers, ProposeReadsTheStateWithoutChangingIt) {
  for (const char* name : {"fedavgm", "fedadagrad", "fedadam", "fedyogi"}) {
    auto strategy = make(name);
    const std::vector<float> global{0.5F, -1};
    ASSERT_TRUE(strategy->aggregate(global, as_updates({{1, 2}})));
    const auto state = strategy->state();
    auto a = strategy->propose(global, as_updates({{-3, 1}}));
    auto b = strategy->propose(global, as_updates({{-3, 1}}));
    ASSERT_TRUE(a && b) << name;
    EXPECT_EQ(*a, *b) << name;
    EXPECT_EQ(strategy->state(), state) << name;
    // The real step from the same state gives the same model.
    EXPECT_EQ(*strategy->aggregate(global, as_updates({{-3, 1}})), *a) << name;
  }
}

TEST(ServerOptimizers, RestoredStateContinuesBitIdentically) {
  auto first = make("fedadam");
  auto second = make("fedadam");
  const std::vector<float> global{0.25F, -1, 3};
  ASSERT_TRUE(first->aggregate(global, as_updates({{0.1F, -0.2F, 0.3F}})));
  ASSERT_TRUE(second->set_state(first->state()));
  EXPECT_EQ(*first->aggregate(global, as_updates({{1, 2, -3}})), *second->aggregate(global, as_updates({{1, 2, -3}})));
  EXPECT_FALSE(second->set_state(std::vector<float>(5)));
  EXPECT_FALSE(make("fedavg")->set_state(std::vector<float>(2)));
}

TEST(FedMedianStrategy, TakesTheCoordinateWiseMedian) {
  auto strategy = make("fedmedian");
  const std::vector<float> global{1, 1};
  EXPECT_EQ(*strategy->propose(global, as_updates({{1, 10}, {2, -5}, {100, 0}})), (std::vector<float>{3, 1}));
  EXPECT_EQ(*strategy->propose(global, as_updates({{1, 0}, {3, 0}, {5, 0}, {100, 0}})), (std::vector<float>{5, 1}));
}

TEST(FedTrimmedAvgStrategy, DropsTheExtremesOfEachCoordinate) {
  // β = 0.2 of 5 cuts one value from each end: mean(2, 3, 4) = 3 and mean(0, 0, 1) = 1/3.
  auto strategy = make("fedtrimmedavg");
  const std::vector<float> global{0, 0};
  auto next = strategy->propose(global, as_updates({{1, 0}, {2, -9}, {3, 0}, {4, 1}, {1000, 50}}));
  ASSERT_TRUE(next);
  EXPECT_EQ((*next)[0], 3.0F);
  EXPECT_FLOAT_EQ((*next)[1], 1.0F / 3.0F);
}

TEST(KrumStrategy, PicksTheUpdateClosestToItsNeighbours) {
  // n = 5, f = 1: two neighbours. Scores: 0→1+4=5, 1→1+1=2, 2→1+4=5, 10→64+81, 100→huge.
  auto config = default_strategy_config("krum");
  config.num_malicious_clients = 1;
  auto strategy = make(config);
  const std::vector<float> global{0};
  EXPECT_EQ(*strategy->propose(global, as_updates({{0}, {1}, {2}, {10}, {100}})), (std::vector<float>{1}));
}

TEST(MultiKrumStrategy, AveragesTheBestScoredUpdatesBySamples) {
  // The three best are 1 (score 2), 0 and 2 (score 5): (0·1 + 1·1 + 2·2) / 4 = 1.25.
  auto config = default_strategy_config("multikrum");
  config.num_malicious_clients = 1;
  config.num_clients_to_keep = 3;
  auto strategy = make(config);
  const std::vector<float> global{0};
  EXPECT_EQ(*strategy->propose(global, as_updates({{0}, {1}, {2}, {10}, {100}}, {1, 1, 2, 1, 1})),
            (std::vector<float>{1.25F}));
}

TEST(RobustStrategies, RejectAnOutlierThatDragsFedAvgAway) {
  const std::vector<float> global{0, 0, 0};
  const std::vector<std::vector<float>> deltas{
      {1, -1, 0.5F}, {1.1F, -0.9F, 0.4F}, {0.9F, -1.1F, 0.6F}, {1.05F, -1, 0.5F}, {1e6F, 1e6F, -1e6F}};
  const auto updates = as_updates(deltas);
  EXPECT_GT((*make("fedavg")->propose(global, updates))[0], 1000.0F);
  for (const char* name : {"fedmedian", "fedtrimmedavg", "krum", "multikrum"}) {
    auto config = default_strategy_config(name);
    config.num_malicious_clients = 1;
    auto next = make(config)->propose(global, updates);
    ASSERT_TRUE(next) << name;
    EXPECT_NEAR((*next)[0], 1.0F, 0.11F) << name;
    EXPECT_NEAR((*next)[1], -1.0F, 0.11F) << name;
    EXPECT_NEAR((*next)[2], 0.5F, 0.11F) << name;
  }
}

TEST(RobustStrategies, KrumStillMergesCoalitionsOfOneOrTwo) {
  auto strategy = make("krum");
  const std::vector<float> global{0};
  EXPECT_EQ(*strategy->propose(global, as_updates({{3}})), (std::vector<float>{3}));
  EXPECT_EQ(*strategy->propose(global, as_updates({{3}, {5}})), (std::vector<float>{3}));
}

}  // namespace
}  // namespace flywheel::fedtrain
