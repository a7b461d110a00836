// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Plugging any libtorch module into fedtrain. Register a factory under a name before the config
//! is parsed; a config with {"model": {"name": "<that name>"}} then trains it in simulations
//! exactly like the built-in models: participants run E epochs of minibatch SGD through libtorch
//! autograd (with momentum and the FedProx proximal term when configured), and strategies,
//! attribution and checkpoints see the module as its flat parameter vector (parameters() in order,
//! each contiguous, concatenated).
//!
//! This header includes <torch/torch.h> (10–20 s per translation unit): include it only where a
//! module is defined; the rest of fedtrain stays torch-free. See examples/custom_model/.
//!
//!   auto registered = register_torch_model("linear", [](const ModelConfig& config) {
//!     return wrap_module(torch::nn::Sequential(torch::nn::Flatten(),
//!                                              torch::nn::Linear(config.inputs, config.classes)));
//!   }, TorchInit::portable_fan_in);
//!   // then {"model": {"name": "linear"}} in a job config trains it like "mlp"
//!
//! Contract for a module:
//! - forward takes a float tensor [batch, 1, 28, 28] (normalised Fashion-MNIST pixels; flatten it
//!   for a fully connected net) and returns logits [batch, config.classes];
//! - every parameter is trained (requires_grad); buffers (e.g. BatchNorm running stats) are not
//!   part of the federated state and stay at their initial values in every copy;
//! - the factory is called once per worker thread and once for the initial weights, so it must be
//!   thread-safe and must build the same architecture every time.

#include <functional>
#include <memory>
#include <string>

#include <torch/torch.h>

#include "common/result.hpp"
#include "fedtrain/model/model.hpp"

namespace flywheel::fedtrain {

//! A module and its forward pass: logits [batch, classes] from images [batch, 1, 28, 28].
struct TorchModel {
  std::shared_ptr<torch::nn::Module> module;                          //!< owns the parameters
  std::function<torch::Tensor(const torch::Tensor& images)> forward;  //!< calls module's forward
};

//! Wraps a module holder whose forward takes and returns one tensor (torch::nn::Sequential,
//! torch::nn::Linear, or a TORCH_MODULE of your own): wrap_module(torch::nn::Sequential(...)).
template <class Holder>
TorchModel wrap_module(Holder holder) {
  return TorchModel{holder.ptr(), [holder](const torch::Tensor& images) mutable { return holder->forward(images); }};
}

//! Builds a fresh module for a model config (config.hidden may carry widths).
using TorchModuleFactory = std::function<TorchModel(const ModelConfig& config)>;

//! How a registered module gets its initial weights.
enum class TorchInit {
  //! The constructor's own initialisation, run under torch::manual_seed(derived seed) while a lock
  //! is held: reproducible for one libtorch build and machine.
  module,
  //! Every parameter uniform in ±1/√fan_in from fedtrain's portable generator (fan_in of a weight
  //! = numel / size(0); a 1-D parameter uses the fan_in of the weight before it): PyTorch's default
  //! for Linear and Conv layers, identical bytes on every machine. Wrong for normalisation layers.
  portable_fan_in,
};

//! Registers `factory` as model `name`. Errc::invalid_argument when the name is empty, "mlp",
//! already registered, or the factory is empty. Thread-safe; call before parse_simulation_config.
Result<void> register_torch_model(std::string name, TorchModuleFactory factory, TorchInit init = TorchInit::module);

}  // namespace flywheel::fedtrain
