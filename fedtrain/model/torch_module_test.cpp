// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/model/torch_module.hpp"

#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

#include "fedtrain/internal/test_support.hpp"

namespace flywheel::fedtrain {
namespace {

const Dataset& test_split() { return test_support::test_split(600); }

// A softmax regression as a plain libtorch module: the same maths and flat layout as the MLP with
// no hidden layers, so the autograd trainer can be checked against the hand-written one.
TorchModel make_linear(const ModelConfig& config) {
  torch::nn::Sequential net(torch::nn::Flatten(), torch::nn::Linear(static_cast<std::int64_t>(config.inputs),
                                                                    static_cast<std::int64_t>(config.classes)));
  return wrap_module(net);
}

void register_linear_once() {
  static const bool done = [] {
    auto registered = register_torch_model("test-linear", make_linear);
    EXPECT_TRUE(registered) << registered.error().to_string();
    return true;
  }();
  (void)done;
}

TEST(TorchModule, RegisteredModuleBecomesAModelName) {
  register_linear_once();
  EXPECT_TRUE(is_model("test-linear"));
  const auto names = model_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "test-linear"), names.end());
  EXPECT_EQ(parameter_count(ModelConfig{.name = "test-linear"}), 7850U);
}

TEST(TorchModule, NamesThatAreTakenAreRejected) {
  register_linear_once();
  EXPECT_FALSE(register_torch_model("test-linear", make_linear));
  EXPECT_FALSE(register_torch_model("mlp", make_linear));
  EXPECT_FALSE(register_torch_model("cnn", make_linear));
  EXPECT_FALSE(register_torch_model("", make_linear));
}

TEST(TorchModule, ModuleInitialisationIsSeeded) {
  register_linear_once();
  const ModelConfig config{.name = "test-linear"};
  auto a = initial_parameters(config, 3);
  auto b = initial_parameters(config, 3);
  auto c = initial_parameters(config, 4);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->size(), 7850U);
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
}

TEST(TorchModule, AutogradTrainingMatchesTheHandWrittenMlpForTheSameModel) {
  register_linear_once();
  const ModelConfig linear{.name = "test-linear"};
  const ModelConfig mlp{.hidden = {}};
  auto global = initial_parameters(mlp, 7);
  ASSERT_TRUE(global);
  std::vector<std::size_t> rows(300);
  std::iota(rows.begin(), rows.end(), std::size_t{0});
  const TrainConfig config{
      .local_epochs = 2, .batch_size = 16, .learning_rate = 0.05, .momentum = 0.5, .proximal_mu = 0.1, .seed = 9};
  auto by_autograd = train_local(linear, *global, test_split(), rows, config);
  auto by_hand = train_local(mlp, *global, test_split(), rows, config);
  ASSERT_TRUE(by_autograd && by_hand) << (by_autograd ? by_hand.error() : by_autograd.error()).to_string();
  double worst = 0;
  double biggest = 0;
  for (std::size_t i = 0; i < global->size(); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(by_autograd->update[i]) - by_hand->update[i]));
    biggest = std::max(biggest, std::abs(static_cast<double>(by_hand->update[i])));
  }
  EXPECT_GT(biggest, 1e-3);
  EXPECT_LT(worst, 1e-4 * biggest + 1e-6);
  auto a = evaluate(linear, *global, test_split(), rows);
  auto b = evaluate(mlp, *global, test_split(), rows);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->accuracy, b->accuracy);
  EXPECT_NEAR(a->loss, b->loss, 1e-5);
}

}  // namespace
}  // namespace flywheel::fedtrain
