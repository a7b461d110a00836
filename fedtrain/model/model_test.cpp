// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/model/model.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <thread>

#include <gtest/gtest.h>

#include "fedtrain/internal/random.hpp"
#include "fedtrain/internal/test_support.hpp"

namespace flywheel::fedtrain {
namespace {

using test_support::range;
using test_support::test_split;

double l2(std::span<const float> v) {
  double s = 0;
  for (float x : v) s += static_cast<double>(x) * x;
  return std::sqrt(s);
}

TEST(Model, DefaultMlpHasTheExpectedParameterCount) {
  // 784·200+200 + 200·200+200 + 200·10+10
  EXPECT_EQ(parameter_count(ModelConfig{}), 199210U);
  EXPECT_EQ(parameter_count(ModelConfig{.hidden = {}}), 7850U);
}

TEST(Model, UnknownModelNameIsAConfigError) {
  auto params = initial_parameters(ModelConfig{.name = "resnet"}, 1);
  ASSERT_FALSE(params);
  EXPECT_EQ(params.error().code, Errc::config);
  EXPECT_NE(params.error().message.find("model.name"), std::string::npos);
}

TEST(Model, InitialParametersAreSeededAndBoundedByFanIn) {
  const ModelConfig config;
  auto a = initial_parameters(config, 5);
  auto b = initial_parameters(config, 5);
  auto c = initial_parameters(config, 6);
  ASSERT_TRUE(a && b && c);
  ASSERT_EQ(a->size(), parameter_count(config));
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  // The first layer's weights are bounded by 1/sqrt(784) = 1/28.
  for (std::size_t i = 0; i < 784 * 200; ++i) ASSERT_LE(std::abs((*a)[i]), 1.0F / 28.0F);
  // The last layer's bias by 1/sqrt(200), and it is not all inside the first layer's bound.
  float biggest = 0;
  for (std::size_t i = a->size() - 10; i < a->size(); ++i) biggest = std::max(biggest, std::abs((*a)[i]));
  EXPECT_LE(biggest, 1.0F / std::sqrt(200.0F));
  EXPECT_GT(biggest, 1.0F / 28.0F);
}

TEST(Evaluate, UntrainedModelIsNearChance) {
  const ModelConfig config;
  auto params = initial_parameters(config, 1);
  auto eval = evaluate(config, *params, test_split());
  ASSERT_TRUE(eval) << eval.error().to_string();
  EXPECT_EQ(eval->samples, 10000U);
  EXPECT_LT(eval->accuracy, 0.3);
  EXPECT_NEAR(eval->loss, std::log(10.0), 0.3);
}

TEST(Evaluate, RejectsAParameterVectorOfTheWrongLength) {
  std::vector<float> params(10);
  auto eval = evaluate(ModelConfig{}, params, test_split());
  ASSERT_FALSE(eval);
  EXPECT_EQ(eval.error().code, Errc::invalid_argument);
}

TEST(Evaluate, RejectsAnIndexOutOfRange) {
  const ModelConfig config;
  auto params = initial_parameters(config, 1);
  const std::vector<std::size_t> indices{0, 10000};
  auto eval = evaluate(config, *params, test_split(), indices);
  ASSERT_FALSE(eval);
  EXPECT_EQ(eval.error().code, Errc::invalid_argument);
  EXPECT_NE(eval.error().message.find("10000"), std::string::npos);
}

TEST(TrainLocal, OneEpochLearnsFarBeyondChance) {
  const ModelConfig config;
  auto global = initial_parameters(config, 1);
  const auto train = range(0, 4000);
  const auto held_out = range(8000, 10000);
  auto result = train_local(config, *global, test_split(), train, TrainConfig{.seed = 3});
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result->samples, 4000U);
  EXPECT_EQ(result->update.size(), global->size());
  std::vector<float> local(*global);
  for (std::size_t i = 0; i < local.size(); ++i) local[i] += result->update[i];
  auto eval = evaluate(config, local, test_split(), held_out);
  ASSERT_TRUE(eval);
  EXPECT_GT(eval->accuracy, 0.65);
  EXPECT_LT(result->mean_loss, 1.5);
}

// With the whole set as one batch, one epoch is one gradient step: Δ = −lr·∇L(w), L the mean
// cross-entropy that evaluate() reports. Central differences of L must agree with the hand-written
// backward pass, for weights and biases of every layer.
TEST(TrainLocal, FullBatchStepFollowsTheNumericalGradient) {
  const ModelConfig config{.hidden = {16, 12}};
  auto global = initial_parameters(config, 2);
  const auto samples = range(0, 64);
  const double lr = 1e-3;
  auto step = train_local(config, *global, test_split(), samples,
                          TrainConfig{.batch_size = 64, .learning_rate = lr, .seed = 1});
  ASSERT_TRUE(step);
  // One weight and one bias coordinate from each layer (784·16+16, 16·12+12, 12·10+10).
  const std::vector<std::size_t> coords{100, 784 * 16 + 3, 12560 + 50, 12560 + 192 + 5, 12764 + 17, 12764 + 120 + 4};
  for (auto i : coords) {
    auto probe = [&](float delta) {
      std::vector<float> w(*global);
      w[i] += delta;
      return evaluate(config, w, test_split(), samples)->loss;
    };
    const float h = 1e-3F;
    const double numeric = (probe(h) - probe(-h)) / (2.0 * h);
    const double analytic = -static_cast<double>(step->update[i]) / lr;
    EXPECT_NEAR(analytic, numeric, 0.02 * std::abs(numeric) + 2e-4) << "coordinate " << i;
  }
}

TEST(TrainLocal, SameSeedGivesIdenticalUpdateOtherSeedDoesNot) {
  const ModelConfig config{.hidden = {32}};
  auto global = initial_parameters(config, 1);
  const auto train = range(0, 500);
  auto a = train_local(config, *global, test_split(), train, TrainConfig{.seed = 3});
  auto b = train_local(config, *global, test_split(), train, TrainConfig{.seed = 3});
  auto c = train_local(config, *global, test_split(), train, TrainConfig{.seed = 4});
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->update, b->update);
  EXPECT_NE(a->update, c->update);
}

TEST(TrainLocal, ResultDoesNotDependOnWhichThreadRunsIt) {
  const ModelConfig config{.hidden = {64}};
  auto global = initial_parameters(config, 1);
  const auto first = range(0, 600);
  const auto second = range(600, 1200);
  auto serial_a = train_local(config, *global, test_split(), first, TrainConfig{.seed = 1});
  auto serial_b = train_local(config, *global, test_split(), second, TrainConfig{.seed = 2});
  Result<LocalResult> parallel_a = fail(Errc::internal, "not run");
  Result<LocalResult> parallel_b = fail(Errc::internal, "not run");
  std::thread ta([&] { parallel_a = train_local(config, *global, test_split(), first, TrainConfig{.seed = 1}); });
  std::thread tb([&] { parallel_b = train_local(config, *global, test_split(), second, TrainConfig{.seed = 2}); });
  ta.join();
  tb.join();
  ASSERT_TRUE(serial_a && serial_b && parallel_a && parallel_b);
  EXPECT_EQ(serial_a->update, parallel_a->update);
  EXPECT_EQ(serial_b->update, parallel_b->update);
}

TEST(TrainLocal, MomentumChangesTheUpdate) {
  const ModelConfig config{.hidden = {32}};
  auto global = initial_parameters(config, 1);
  const auto train = range(0, 500);
  auto plain = train_local(config, *global, test_split(), train, TrainConfig{.seed = 3});
  auto heavy = train_local(config, *global, test_split(), train, TrainConfig{.momentum = 0.9, .seed = 3});
  ASSERT_TRUE(plain && heavy);
  EXPECT_GT(l2(heavy->update), l2(plain->update));
}

TEST(TrainLocal, ReplacementLabelsAreWhatTheModelLearns) {
  const ModelConfig config;
  auto global = initial_parameters(config, 1);
  const auto train = range(0, 3000);
  const auto held_out = range(8000, 10000);
  std::vector<std::int64_t> shuffled(train.size());
  for (std::size_t k = 0; k < train.size(); ++k) shuffled[k] = test_split().labels[train[k]];
  internal::Rng rng(9);
  internal::shuffle(std::span(shuffled), rng);
  auto honest = train_local(config, *global, test_split(), train, TrainConfig{.seed = 3});
  auto noisy = train_local(config, *global, test_split(), train, TrainConfig{.seed = 3}, shuffled);
  ASSERT_TRUE(honest && noisy);
  auto accuracy = [&](const LocalResult& r) {
    std::vector<float> w(*global);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] += r.update[i];
    return evaluate(config, w, test_split(), held_out)->accuracy;
  };
  EXPECT_GT(accuracy(*honest), 0.6);
  EXPECT_LT(accuracy(*noisy), 0.3);
}

TEST(TrainLocal, RejectsLabelsOfTheWrongLength) {
  const ModelConfig config{.hidden = {8}};
  auto global = initial_parameters(config, 1);
  const auto train = range(0, 10);
  const std::vector<std::int64_t> labels(9, 0);
  auto result = train_local(config, *global, test_split(), train, TrainConfig{}, labels);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::invalid_argument);
}

TEST(TrainLocal, RejectsNoSamples) {
  const ModelConfig config{.hidden = {8}};
  auto global = initial_parameters(config, 1);
  auto result = train_local(config, *global, test_split(), {}, TrainConfig{});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::invalid_argument);
}

// Throughput of one worker on the default MLP; run on demand:
//   flywheel_fedtrain_test --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
// Disabled by default because a timing depends on what else the machine is doing.
TEST(TrainLocal, DISABLED_ThroughputOnOneThread) {
  const ModelConfig config;
  auto global = initial_parameters(config, 1);
  const auto train = range(0, 10000);
  auto result = train_local(config, *global, test_split(), train, TrainConfig{.seed = 1});
  ASSERT_TRUE(result);
  const double rate = static_cast<double>(result->samples) / result->seconds;
  std::printf("train_local: %zu samples, batch 32, %.3f s, %.0f samples/s\n", static_cast<std::size_t>(result->samples),
              result->seconds, rate);
  const auto start = std::chrono::steady_clock::now();
  auto eval = evaluate(config, *global, test_split());
  const double eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(eval);
  std::printf("evaluate: 10000 samples, %.3f s, %.0f samples/s\n", eval_seconds, 10000.0 / eval_seconds);
  EXPECT_GT(rate, 1000.0);
}

// Two full-batch epochs are two gradient steps. The proximal term is zero at the first (w = w_g)
// and −lr·μ·(w₁ − w_g) at the second, so Δ_prox − Δ_plain = −lr·μ·Δ_one-epoch exactly (up to
// float rounding): a hand computation that checks the term's sign, size and anchor.
void expect_proximal_term_matches(const ModelConfig& config, std::size_t samples) {
  auto global = initial_parameters(config, 4);
  ASSERT_TRUE(global) << global.error().to_string();
  const auto rows = range(0, samples);
  const double lr = 0.1;
  const double mu = 0.5;
  const TrainConfig one{.local_epochs = 1, .batch_size = samples, .learning_rate = lr, .seed = 2};
  TrainConfig two = one;
  two.local_epochs = 2;
  TrainConfig prox = two;
  prox.proximal_mu = mu;
  auto first = train_local(config, *global, test_split(), rows, one);
  auto plain = train_local(config, *global, test_split(), rows, two);
  auto proximal = train_local(config, *global, test_split(), rows, prox);
  ASSERT_TRUE(first && plain && proximal);
  double worst = 0;
  double scale = 0;
  for (std::size_t i = 0; i < global->size(); ++i) {
    const double expected = -lr * mu * first->update[i];
    const double got = static_cast<double>(proximal->update[i]) - plain->update[i];
    worst = std::max(worst, std::abs(got - expected));
    scale = std::max(scale, std::abs(expected));
  }
  EXPECT_GT(scale, 1e-4);
  EXPECT_LT(worst, 0.02 * scale);
}

TEST(TrainLocal, ProximalTermOfTheMlpMatchesTheHandComputedStep) {
  expect_proximal_term_matches(ModelConfig{.hidden = {16}}, 64);
}

TEST(TrainLocal, ProximalTermOfTheCnnMatchesTheHandComputedStep) {
  auto config = default_model_config("cnn");
  config.hidden = {16, 8};
  expect_proximal_term_matches(config, 32);
}

TEST(TrainLocal, ProximalTermShrinksTheUpdate) {
  const ModelConfig config{.hidden = {32}};
  auto global = initial_parameters(config, 1);
  const auto train = range(0, 500);
  auto plain = train_local(config, *global, test_split(), train, TrainConfig{.momentum = 0.5, .seed = 3});
  auto prox =
      train_local(config, *global, test_split(), train, TrainConfig{.momentum = 0.5, .proximal_mu = 1.0, .seed = 3});
  ASSERT_TRUE(plain && prox);
  EXPECT_LT(l2(prox->update), l2(plain->update));
}

TEST(TrainLocal, RejectsANegativeProximalMu) {
  const ModelConfig config{.hidden = {8}};
  auto global = initial_parameters(config, 1);
  auto result = train_local(config, *global, test_split(), range(0, 10), TrainConfig{.proximal_mu = -1});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::invalid_argument);
}

TEST(Cnn, HasNiidBenchSimpleCnnShape) {
  // conv 1→6 5×5 (156) + conv 6→16 5×5 (2416) + fc 256→120 (30840) + fc 120→84 (10164)
  // + fc 84→10 (850).
  const auto config = default_model_config("cnn");
  EXPECT_EQ(config.hidden, (std::vector<std::size_t>{120, 84}));
  EXPECT_EQ(parameter_count(config), 44426U);
  EXPECT_TRUE(is_model("cnn"));
  EXPECT_TRUE(is_model("mlp"));
  EXPECT_FALSE(is_model("resnet"));
}

TEST(Cnn, ForwardGivesOneScoreRowPerSampleNearChanceBeforeTraining) {
  const auto config = default_model_config("cnn");
  auto params = initial_parameters(config, 1);
  ASSERT_TRUE(params) << params.error().to_string();
  auto eval = evaluate(config, *params, test_split(), range(0, 300));
  ASSERT_TRUE(eval) << eval.error().to_string();
  EXPECT_EQ(eval->samples, 300U);
  EXPECT_LT(eval->accuracy, 0.35);
  EXPECT_NEAR(eval->loss, std::log(10.0), 0.2);
}

TEST(Cnn, InitialParametersAreSeededAndBoundedByFanIn) {
  const auto config = default_model_config("cnn");
  auto a = initial_parameters(config, 5);
  auto b = initial_parameters(config, 5);
  auto c = initial_parameters(config, 6);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  // conv1 weights and bias: fan_in 25, bound 0.2, and they use it.
  float biggest = 0;
  for (std::size_t i = 0; i < 156; ++i) biggest = std::max(biggest, std::abs((*a)[i]));
  EXPECT_LE(biggest, 0.2F);
  EXPECT_GT(biggest, 0.15F);
}

TEST(Cnn, TrainingLowersTheLossAndIsSeeded) {
  const auto config = default_model_config("cnn");
  auto global = initial_parameters(config, 1);
  const auto train = range(0, 2000);
  const TrainConfig settings{.batch_size = 16, .learning_rate = 0.1, .seed = 3};
  auto before = evaluate(config, *global, test_split(), train);
  auto a = train_local(config, *global, test_split(), train, settings);
  auto b = train_local(config, *global, test_split(), train, settings);
  ASSERT_TRUE(before && a && b) << (a ? "" : a.error().to_string());
  EXPECT_EQ(a->update, b->update);
  std::vector<float> local(*global);
  for (std::size_t i = 0; i < local.size(); ++i) local[i] += a->update[i];
  auto after = evaluate(config, local, test_split(), train);
  ASSERT_TRUE(after);
  EXPECT_LT(after->loss, before->loss - 0.3);
}

}  // namespace
}  // namespace flywheel::fedtrain
