// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The models fedtrain trains and the local trainer, seen as flat float vectors so that nothing
//! outside the libtorch adapters (fedtrain/model/internal/torch_model.cpp, torch_module.cpp) and
//! the files that define a module (fedtrain/model/torch_module.hpp) includes torch. Local training
//! is FedAvg's ClientUpdate (McMahan et al., "Communication-Efficient Learning of Deep Networks
//! from Decentralized Data", AISTATS 2017): E epochs of minibatch SGD from the global weights,
//! optionally with FedProx's proximal term (Li et al., MLSys 2020): the gradient of
//! (μ/2)‖w − w_global‖² is added to every step.
//!
//!   ModelConfig model = default_model_config("mlp");           // 784 → 200 → 200 → 10
//!   auto w = initial_parameters(model, /*seed=*/42);           // parameter_count(model) floats
//!   auto local = train_local(model, *w, train, indices, {.local_epochs = 2, .seed = 7});
//!   auto eval = evaluate(model, *w, test);                     // eval->accuracy, eval->loss
//!   Hash32 update_hash = hash_floats(local->update);           // what a receipt commits to
//!
//! Models:
//! - "mlp": torch.nn.Sequential(Linear, ReLU, ..., Linear) with widths 784, hidden..., 10, trained
//!   by a hand-written BLAS backward pass (fast at small batches).
//! - "cnn": NIID-Bench's SimpleCNN for 1-channel 28×28 input (Li et al., "Federated Learning on
//!   Non-IID Data Silos", ICDE 2022): conv 6@5×5 → ReLU → maxpool 2 → conv 16@5×5 → ReLU →
//!   maxpool 2 → fc 256→hidden[0] → ReLU → fc → ReLU → ... → fc 10; hidden defaults to [120, 84].
//!   Trained by libtorch autograd.
//! - any libtorch module registered with register_torch_model (fedtrain/model/torch_module.hpp).
//!
//! Flat parameter layout: the module's parameters() in order, each row-major (contiguous),
//! concatenated. For the MLP: layer 0 weight (h0×784), layer 0 bias (h0), layer 1 weight (h1×h0),
//! ..., last bias (10). A state_dict exported from PyTorch in that order loads as-is.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "fedtrain/data/dataset.hpp"
#include "fedtrain/transport/data_parallel.hpp"

namespace flywheel::fedtrain {

//! Shape of a model: "mlp", "cnn", or a registered libtorch module's name.
struct ModelConfig {
  std::string name = "mlp";
  std::vector<std::size_t> hidden{200, 200};  //!< hidden (fully connected) widths, input to output
  std::size_t inputs = Dataset::kFeatures;
  std::size_t classes = Dataset::kClasses;
  bool operator==(const ModelConfig&) const = default;
};

//! The ModelConfig of model `name` with its default sizes: hidden [200, 200] for "mlp", [120, 84]
//! for "cnn" and registered modules.
ModelConfig default_model_config(std::string_view name);

//! Every model name a config may use ("cnn", "mlp" and the registered modules), sorted.
std::vector<std::string> model_names();

//! True when `name` is a model (built in or registered).
bool is_model(std::string_view name);

//! Number of floats in the flat parameter vector of `config` (199 210 for the default MLP, 44 426
//! for the default CNN); 0 when the config is invalid.
std::size_t parameter_count(const ModelConfig& config);

//! Errc::config naming model.name or model.hidden unless `config` names a known model with
//! non-zero sizes.
Result<void> validate(const ModelConfig& config);

//! Fresh weights, PyTorch's default nn.Linear/nn.Conv2d initialisation (weights and biases uniform
//! in ±1/sqrt(fan_in)) drawn from a portable seeded generator: the same seed gives the same bytes
//! on every machine ("mlp", "cnn"). A registered module keeps its constructor's initialisation,
//! drawn under torch::manual_seed(seed) (reproducible for one libtorch build) unless registered
//! with portable initialisation. Errc::config as for validate; Errc::internal when libtorch fails.
Result<std::vector<float>> initial_parameters(const ModelConfig& config, std::uint64_t seed);

//! The content digest of a flat parameter vector or update: SHA-256 of its float32 little-endian
//! bytes, so `sha256sum` of a model file written with those bytes prints the same hex. Model
//! hashes in round records and receipts, update hashes in receipts. Thread-safe, never fails.
Hash32 hash_floats(std::span<const float> values);

//! The name of hash_floats' algorithm, written into checkpoints and artifact manifests so that files
//! from before the switch from Keccak-256 are refused with a clear message instead of a hash
//! mismatch.
inline constexpr std::string_view kContentHashName = "sha256";

//! Errc::data unless `recorded` (the "content_hash" field of a checkpoint or manifest, empty when
//! absent) is kContentHashName; the message names `what` and says what to do.
Result<void> check_content_hash(std::string_view recorded, std::string_view what);

//! Local SGD settings.
struct TrainConfig {
  std::size_t local_epochs = 1;
  std::size_t batch_size = 32;
  double learning_rate = 0.05;
  double momentum = 0;     //!< heavy-ball momentum in [0, 1); buffers start at zero per call
  double proximal_mu = 0;  //!< FedProx μ ≥ 0: adds μ(w − w_global) to every gradient
  std::uint64_t seed = 0;  //!< orders the minibatches; same seed, same result
  bool operator==(const TrainConfig&) const = default;
};

//! What one participant's local training produced.
struct LocalResult {
  std::vector<float> update;  //!< Δ = w_local − w_global, flat layout
  std::uint64_t samples = 0;  //!< training samples used (per epoch)
  double mean_loss = 0;       //!< mean cross-entropy over the minibatches of the last epoch
  double seconds = 0;         //!< wall time spent training
};

//! Trains from `global` on dataset rows `indices` and returns the update. `labels`, when not empty,
//! replaces the dataset's labels: labels[k] is the target of row indices[k] (how a participant's
//! profile alters what it trains on). Deterministic for a config and seed; uses one CPU thread and
//! is safe to call from several threads at once.
//!
//! With a `group` (fedtrain/transport/data_parallel.hpp), every rank calls this with the same
//! arguments; each computes the gradient of its batch_slice of every global minibatch and the ranks
//! sum them before each step, so every rank returns the update one process would return (within
//! float rounding).
//! Errc::invalid_argument when `global` has the wrong length, `indices` is empty or out of range,
//! `labels` has the wrong length, or the config is degenerate; Errc::internal when libtorch or the
//! group's collective fails.
Result<LocalResult> train_local(const ModelConfig& model, std::span<const float> global, const Dataset& data,
                                std::span<const std::size_t> indices, const TrainConfig& config,
                                std::span<const std::int64_t> labels = {}, DataParallelGroup* group = nullptr);

//! A model's quality on some samples.
struct Evaluation {
  double accuracy = 0;  //!< fraction of samples classified correctly, in [0, 1]
  double loss = 0;      //!< mean cross-entropy (nats)
  std::size_t samples = 0;
};

//! Evaluates `params` on dataset rows `indices` in batches of 2048, without gradients, on one
//! thread. Errc::invalid_argument when `params` has the wrong length or an index is out of range
//! or `indices` is empty; Errc::internal when libtorch fails. Thread-safe.
Result<Evaluation> evaluate(const ModelConfig& model, std::span<const float> params, const Dataset& data,
                            std::span<const std::size_t> indices);

//! Evaluates on every sample of `data`. Errors as above.
Result<Evaluation> evaluate(const ModelConfig& model, std::span<const float> params, const Dataset& data);

}  // namespace flywheel::fedtrain
