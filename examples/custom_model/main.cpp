// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Plugging a libtorch module of your own into a Flywheel simulation: define the module, register
// a factory under a name, then name it in the job config ({"model": {"name": "tanh-mlp"}}).
// Everything else (FedAvg or any other strategy, client sampling, Shapley attribution,
// checkpoints) works on the module's flat parameter vector unchanged.
//
//   flywheel_custom_model_example [--out DIR] [--rounds N] [--train-limit N]
#include <cstdlib>
#include <iostream>
#include <string>

#include <torch/torch.h>

#include "fedtrain/config.hpp"
#include "fedtrain/model/torch_module.hpp"
#include "fedtrain/round/round_sink.hpp"
#include "fedtrain/simulation/simulation.hpp"

namespace {

using flywheel::fedtrain::ModelConfig;

// An MLP with tanh activations: images [batch, 1, 28, 28] → logits [batch, classes].
struct TanhMlpImpl : torch::nn::Module {
  explicit TanhMlpImpl(const ModelConfig& config) {
    const auto hidden = static_cast<std::int64_t>(config.hidden.empty() ? 64 : config.hidden.front());
    fc1 = register_module("fc1", torch::nn::Linear(static_cast<std::int64_t>(config.inputs), hidden));
    fc2 = register_module("fc2", torch::nn::Linear(hidden, static_cast<std::int64_t>(config.classes)));
  }
  torch::Tensor forward(const torch::Tensor& images) { return fc2(torch::tanh(fc1(images.flatten(1)))); }
  torch::nn::Linear fc1{nullptr};
  torch::nn::Linear fc2{nullptr};
};
TORCH_MODULE(TanhMlp);

}  // namespace

int main(int argc, char** argv) {
  std::string out = "custom-model-run";
  std::string rounds = "3";
  std::string train_limit = "0";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--out")
      out = argv[i + 1];
    else if (flag == "--rounds")
      rounds = argv[i + 1];
    else if (flag == "--train-limit")
      train_limit = argv[i + 1];
    else {
      std::cerr << "unknown option " << flag << " (use --out, --rounds, --train-limit)\n";
      return 2;
    }
  }

  // 1. Register the module under a name, before the config is parsed.
  auto registered = flywheel::fedtrain::register_torch_model(
      "tanh-mlp", [](const ModelConfig& config) { return flywheel::fedtrain::wrap_module(TanhMlp(config)); },
      flywheel::fedtrain::TorchInit::portable_fan_in);
  if (!registered) {
    std::cerr << registered.error().to_string() << "\n";
    return 1;
  }

  // 2. Name it in the config like a built-in model.
  auto config = flywheel::fedtrain::parse_simulation_config(R"({
    "job": {"name": "custom-model", "seed": 7, "rounds": )" +
                                                            rounds + R"(},
    "data": {"partition": "dirichlet", "alpha": 1.0, "validation_size": 1000,
             "train_limit": )" + train_limit + R"(},
    "model": {"name": "tanh-mlp", "hidden": [64]},
    "training": {"local_epochs": 1, "batch_size": 32, "learning_rate": 0.05},
    "strategy": {"name": "fedavg"},
    "participants": {"count": 4, "profiles": {"3": "shuffled-labels"}}
  })");
  if (!config) {
    std::cerr << config.error().to_string() << "\n";
    return 1;
  }

  // 3. Run it.
  flywheel::fedtrain::NullSink sink;
  flywheel::fedtrain::SimulationOptions options;
  options.progress = &std::cout;
  auto summary = flywheel::fedtrain::run_simulation(*config, out, sink, options);
  if (!summary) {
    std::cerr << summary.error().to_string() << "\n";
    return 1;
  }
  std::cout << "wrote " << out << "/metrics.jsonl, " << out << "/attribution.json\n";
  return EXIT_SUCCESS;
}
