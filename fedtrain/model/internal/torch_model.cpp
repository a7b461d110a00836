// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The libtorch adapter for the MLP (the CNN and registered modules go through autograd in
// internal/torch_module.cpp; these are the only two files that include <torch/torch.h>). Local training is
// the ClientUpdate of FedAvg (McMahan et al. 2017): E epochs of minibatch SGD on the participant's
// samples, starting from the global weights; the result is returned as the update Δ = w − w_global.
//
// The MLP's forward and backward passes are written out with libtorch's BLAS-backed matrix
// products (addmm/mm) rather than through autograd and torch::optim: at batch 32 the graph and
// optimizer bookkeeping cost as much as the arithmetic. The layout and the maths are those of a
// torch.nn.Sequential of Linear/ReLU layers trained by torch.optim.SGD with cross-entropy loss.
//
// Why one file of ~750 lines: training, evaluation and the coalition models of
// fedtrain/valuation/coalition_model.hpp share the per-thread libtorch workspaces (Worker,
// Buffers) and the forward pass; splitting them would put those torch types into a header and add
// a third translation unit that includes <torch/torch.h> (10-20 s each to compile).
//
// Determinism: minibatch order comes from the portable seeded generator in random.hpp (torch's
// global generator is shared by all threads and is never used), every call runs its tensor ops on
// one thread, and OpenBLAS runs one thread and one kernel family (pin_math_kernels,
// fedtrain/model/math_kernels.hpp), so a participant's result does not depend on which worker ran it,
// when, on which CPU of the family, or on the environment.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <thread>

#include <torch/torch.h>

#include "common/thread_pool.hpp"
#include "fedtrain/internal/random.hpp"
#include "fedtrain/model/internal/torch_module.hpp"
#include "fedtrain/model/math_kernels.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/valuation/coalition_model.hpp"

namespace flywheel::fedtrain {
namespace {

constexpr std::int64_t kEvalBatch = 2048;

// A worker's copy of the model: one flat float buffer (the documented layout) with tensor views
// onto each layer's weight (out×in, row-major) and bias, so loading a global model is one memcpy
// and the update is one subtraction. One per thread and model shape; threads never share one.
struct Worker {
  ModelConfig config;
  std::vector<std::int64_t> widths;  // input, hidden..., classes
  std::vector<float> flat;
  std::vector<torch::Tensor> weights;       // views into flat
  std::vector<torch::Tensor> biases;        // views into flat
  std::vector<std::size_t> weight_offsets;  // where each layer's weight starts in flat
  std::vector<std::size_t> bias_offsets;
  // Σ over a batch's rows of ∂loss_row/∂w in the flat layout, plus one trailing float that carries
  // the batch's summed loss through a data-parallel all-reduce.
  std::vector<float> grad;
  std::vector<torch::Tensor> weight_grads;  // views into grad
};

Worker& worker_for(const ModelConfig& config) {
  thread_local std::unique_ptr<Worker> worker;
  thread_local bool single_threaded = false;
  if (!single_threaded) {
    at::set_num_threads(1);
    single_threaded = true;
  }
  if (!worker || worker->config != config) {
    auto fresh = std::make_unique<Worker>();
    fresh->config = config;
    fresh->widths.push_back(static_cast<std::int64_t>(config.inputs));
    for (auto h : config.hidden) fresh->widths.push_back(static_cast<std::int64_t>(h));
    fresh->widths.push_back(static_cast<std::int64_t>(config.classes));
    fresh->flat.assign(parameter_count(config), 0.0F);
    std::size_t offset = 0;
    for (std::size_t l = 0; l + 1 < fresh->widths.size(); ++l) {
      const auto in = fresh->widths[l];
      const auto out = fresh->widths[l + 1];
      fresh->weights.push_back(torch::from_blob(fresh->flat.data() + offset, {out, in}));
      fresh->weight_offsets.push_back(offset);
      offset += static_cast<std::size_t>(out * in);
      fresh->biases.push_back(torch::from_blob(fresh->flat.data() + offset, {out}));
      fresh->bias_offsets.push_back(offset);
      offset += static_cast<std::size_t>(out);
    }
    fresh->grad.assign(fresh->flat.size() + 1, 0.0F);
    for (std::size_t l = 0; l < fresh->weights.size(); ++l) {
      fresh->weight_grads.push_back(
          torch::from_blob(fresh->grad.data() + fresh->weight_offsets[l], fresh->weights[l].sizes()));
    }
    worker = std::move(fresh);
  }
  return *worker;
}

// Activation buffers for one batch size: acts[0] is the input, acts[l] the output of layer l
// (post-ReLU for hidden layers, logits for the last); grads[l] is ∂loss/∂acts[l].
struct Buffers {
  std::vector<torch::Tensor> acts;
  std::vector<torch::Tensor> grads;

  Buffers(const Worker& worker, std::int64_t rows, bool with_grads) {
    for (auto width : worker.widths) {
      acts.push_back(torch::empty({rows, width}));
      if (with_grads) grads.push_back(torch::empty({rows, width}));
    }
  }
};

// Forward pass over the first `rows` rows of the buffers: h_{l+1} = ReLU(h_l W_lᵀ + b_l), the last
// layer without ReLU.
void forward(Worker& worker, Buffers& buffers, std::int64_t rows) {
  const std::size_t layers = worker.weights.size();
  for (std::size_t l = 0; l < layers; ++l) {
    auto out = buffers.acts[l + 1].narrow(0, 0, rows);
    at::addmm_out(out, worker.biases[l], buffers.acts[l].narrow(0, 0, rows), worker.weights[l].t());
    if (l + 1 < layers) out.relu_();
  }
}

// Softmax cross-entropy of the logits in acts.back() against `targets`; writes softmax − onehot
// (the gradient of the summed loss) into grads.back() and returns the summed loss. Also counts
// correct argmax predictions into `correct` when given.
double softmax_cross_entropy(const Buffers& buffers, std::int64_t rows, std::int64_t classes,
                             const std::int64_t* targets, float* gradient, std::int64_t* correct) {
  const float* logits = buffers.acts.back().data_ptr<float>();
  double loss = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* z = logits + r * classes;
    std::int64_t best = 0;
    for (std::int64_t c = 1; c < classes; ++c) {
      if (z[c] > z[best]) best = c;
    }
    double sum = 0;
    for (std::int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(z[c] - z[best]));
    const double log_sum = std::log(sum) + static_cast<double>(z[best]);
    loss += log_sum - static_cast<double>(z[targets[r]]);
    if (correct != nullptr && best == targets[r]) ++*correct;
    if (gradient != nullptr) {
      float* g = gradient + r * classes;
      for (std::int64_t c = 0; c < classes; ++c) {
        g[c] = static_cast<float>(std::exp(static_cast<double>(z[c]) - log_sum));
      }
      g[targets[r]] -= 1.0F;
    }
  }
  return loss;
}

// grad ← grad ⊙ [act > 0]: the ReLU backward step, on the first `count` floats.
void relu_backward(float* grad, const float* act, std::int64_t count) {
  for (std::int64_t i = 0; i < count; ++i) {
    if (act[i] <= 0.0F) grad[i] = 0.0F;
  }
}

// Column sums of a rows×width gradient: the bias gradient.
void column_sums(const float* grad, std::int64_t rows, std::int64_t width, float* out) {
  std::fill(out, out + width, 0.0F);
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* g = grad + r * width;
    for (std::int64_t c = 0; c < width; ++c) out[c] += g[c];
  }
}

// Backpropagates the first `rows` rows of the buffers by hand (autograd costs more than the
// arithmetic at batch 32) and writes Σ_rows ∂loss_row/∂w, the gradient of the summed loss, into
// worker.grad; returns the summed loss. Every layer's input gradient is computed from the weights
// before any weight moves, so the step that follows is exactly simultaneous minibatch SGD.
double gradient_sum(Worker& worker, Buffers& buffers, std::int64_t rows, const std::int64_t* targets) {
  if (rows == 0) {
    std::fill(worker.grad.begin(), worker.grad.end() - 1, 0.0F);
    return 0;
  }
  forward(worker, buffers, rows);
  const std::size_t layers = worker.weights.size();
  const auto classes = worker.widths.back();
  const double loss =
      softmax_cross_entropy(buffers, rows, classes, targets, buffers.grads.back().data_ptr<float>(), nullptr);
  for (std::size_t l = layers; l-- > 0;) {
    auto grad_out = buffers.grads[l + 1].narrow(0, 0, rows);
    auto act_in = buffers.acts[l].narrow(0, 0, rows);
    if (l > 0) {
      auto grad_in = buffers.grads[l].narrow(0, 0, rows);
      at::mm_out(grad_in, grad_out, worker.weights[l]);
      relu_backward(grad_in.data_ptr<float>(), act_in.data_ptr<float>(), rows * worker.widths[l]);
    }
    at::mm_out(worker.weight_grads[l], grad_out.t(), act_in);
    column_sums(grad_out.data_ptr<float>(), rows, worker.widths[l + 1], worker.grad.data() + worker.bias_offsets[l]);
  }
  return loss;
}

// One step of torch.optim.SGD from the gradient sum in worker.grad over `rows` rows (the loss is the
// batch mean): d = grad/rows + μ(w − w_global) (FedProx, `anchor` = w_global), v ← momentum·v + d
// (v ≡ d without momentum), w ← w − lr·v.
void sgd_update(Worker& worker, std::size_t rows, const TrainConfig& config, std::vector<float>& velocity,
                const float* anchor) {
  const auto scale = static_cast<float>(1.0 / static_cast<double>(rows));
  const auto lr = static_cast<float>(config.learning_rate);
  const auto mu = static_cast<float>(config.proximal_mu);
  const auto m = static_cast<float>(config.momentum);
  float* w = worker.flat.data();
  const float* g = worker.grad.data();
  const std::size_t n = worker.flat.size();
  if (config.momentum > 0) {
    float* v = velocity.data();
    if (mu > 0) {
      for (std::size_t i = 0; i < n; ++i) v[i] = m * v[i] + (scale * g[i] + mu * (w[i] - anchor[i]));
    } else {
      for (std::size_t i = 0; i < n; ++i) v[i] = m * v[i] + scale * g[i];
    }
    for (std::size_t i = 0; i < n; ++i) w[i] -= lr * v[i];
  } else if (mu > 0) {
    for (std::size_t i = 0; i < n; ++i) w[i] -= lr * (scale * g[i] + mu * (w[i] - anchor[i]));
  } else {
    for (std::size_t i = 0; i < n; ++i) w[i] -= lr * (scale * g[i]);
  }
}

Result<void> check_inputs(const ModelConfig& model, std::span<const float> params, const Dataset& data,
                          std::span<const std::size_t> indices) {
  if (auto valid = validate(model); !valid) return valid;
  if (params.size() != parameter_count(model)) {
    return fail(Errc::invalid_argument, "parameter vector has " + std::to_string(params.size()) +
                                            " floats, the model needs " + std::to_string(parameter_count(model)));
  }
  if (model.inputs != Dataset::kFeatures) {
    return fail(Errc::invalid_argument,
                "model expects " + std::to_string(model.inputs) + " inputs but the dataset has 784 features");
  }
  if (indices.empty()) return fail(Errc::invalid_argument, "no samples given");
  for (auto i : indices) {
    if (i >= data.size()) {
      return fail(Errc::invalid_argument, "sample index " + std::to_string(i) + " is out of range for a dataset of " +
                                              std::to_string(data.size()));
    }
  }
  return {};
}

// Copies the rows indices[order[begin + r]] (or indices[begin + r] when order is empty), r < count,
// into the first `count` rows of `x`.
void gather_rows(const Dataset& data, std::span<const std::size_t> indices, std::span<const std::size_t> order,
                 std::size_t begin, std::size_t count, float* x) {
  for (std::size_t r = 0; r < count; ++r) {
    const std::size_t k = order.empty() ? begin + r : order[begin + r];
    std::memcpy(x + r * Dataset::kFeatures, data.row(indices[k]).data(), Dataset::kFeatures * sizeof(float));
  }
}

Result<LocalResult> train_unchecked(const ModelConfig& model, std::span<const float> global, const Dataset& data,
                                    std::span<const std::size_t> indices, const TrainConfig& config,
                                    std::span<const std::int64_t> labels, DataParallelGroup* group) {
  torch::NoGradGuard no_grad;
  const auto start = std::chrono::steady_clock::now();
  Worker& worker = worker_for(model);
  std::copy(global.begin(), global.end(), worker.flat.begin());

  const auto batch = static_cast<std::int64_t>(config.batch_size);
  Buffers buffers(worker, batch, /*with_grads=*/true);
  std::vector<float> velocity;
  if (config.momentum > 0) velocity.assign(worker.flat.size(), 0.0F);
  std::vector<std::int64_t> targets(config.batch_size);
  std::vector<std::size_t> order(indices.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  const std::size_t rank = group != nullptr ? group->rank() : 0;
  const std::size_t ranks = group != nullptr ? group->size() : 1;

  double last_epoch_loss = 0;
  for (std::size_t epoch = 0; epoch < config.local_epochs; ++epoch) {
    internal::Rng rng(internal::derive_seed(config.seed, {0xe70c, epoch}));
    internal::shuffle(std::span(order), rng);
    double loss_sum = 0;
    std::size_t batches = 0;
    for (std::size_t begin = 0; begin < order.size(); begin += config.batch_size) {
      const std::size_t count = std::min(config.batch_size, order.size() - begin);
      // Every rank draws the same order; this rank takes its slice of the global minibatch.
      const auto slice = batch_slice(count, rank, ranks);
      const std::size_t rows = slice.end - slice.begin;
      gather_rows(data, indices, order, begin + slice.begin, rows, buffers.acts[0].data_ptr<float>());
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t k = order[begin + slice.begin + r];
        targets[r] = labels.empty() ? data.labels[indices[k]] : labels[k];
      }
      double loss = gradient_sum(worker, buffers, static_cast<std::int64_t>(rows), targets.data());
      if (group != nullptr) {
        worker.grad.back() = static_cast<float>(loss);
        FLYWHEEL_TRY(group->all_reduce_sum(worker.grad));
        loss = worker.grad.back();
      }
      sgd_update(worker, count, config, velocity, global.data());
      loss_sum += loss / static_cast<double>(count);
      ++batches;
    }
    last_epoch_loss = loss_sum / static_cast<double>(batches);
  }

  LocalResult result;
  result.update.resize(global.size());
  for (std::size_t i = 0; i < global.size(); ++i) result.update[i] = worker.flat[i] - global[i];
  result.samples = indices.size();
  result.mean_loss = last_epoch_loss;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

Result<Evaluation> evaluate_unchecked(const ModelConfig& model, std::span<const float> params, const Dataset& data,
                                      std::span<const std::size_t> indices) {
  torch::NoGradGuard no_grad;
  Worker& worker = worker_for(model);
  std::copy(params.begin(), params.end(), worker.flat.begin());

  const std::size_t n = indices.size();
  const auto rows_max = std::min<std::int64_t>(kEvalBatch, static_cast<std::int64_t>(n));
  Buffers buffers(worker, rows_max, /*with_grads=*/false);
  std::vector<std::int64_t> targets(static_cast<std::size_t>(rows_max));
  double loss_sum = 0;
  std::int64_t correct = 0;
  for (std::size_t begin = 0; begin < n; begin += static_cast<std::size_t>(rows_max)) {
    const std::size_t count = std::min(static_cast<std::size_t>(rows_max), n - begin);
    gather_rows(data, indices, {}, begin, count, buffers.acts[0].data_ptr<float>());
    for (std::size_t r = 0; r < count; ++r) targets[r] = data.labels[indices[begin + r]];
    const auto rows = static_cast<std::int64_t>(count);
    forward(worker, buffers, rows);
    loss_sum += softmax_cross_entropy(buffers, rows, worker.widths.back(), targets.data(), nullptr, &correct);
  }
  return Evaluation{.accuracy = static_cast<double>(correct) / static_cast<double>(n),
                    .loss = loss_sum / static_cast<double>(n),
                    .samples = n};
}

}  // namespace

Result<LocalResult> train_local(const ModelConfig& model, std::span<const float> global, const Dataset& data,
                                std::span<const std::size_t> indices, const TrainConfig& config,
                                std::span<const std::int64_t> labels, DataParallelGroup* group) {
  FLYWHEEL_TRY(pin_math_kernels());
  FLYWHEEL_TRY(check_inputs(model, global, data, indices));
  if (config.local_epochs == 0 || config.batch_size == 0) {
    return fail(Errc::invalid_argument, "local_epochs and batch_size must be > 0");
  }
  if (!(config.learning_rate > 0) || !std::isfinite(config.learning_rate)) {
    return fail(Errc::invalid_argument, "learning_rate must be a positive finite number");
  }
  if (!(config.momentum >= 0 && config.momentum < 1)) {
    return fail(Errc::invalid_argument, "momentum must lie in [0, 1)");
  }
  if (!(config.proximal_mu >= 0) || !std::isfinite(config.proximal_mu)) {
    return fail(Errc::invalid_argument, "proximal_mu must be a finite number >= 0");
  }
  if (!labels.empty() && labels.size() != indices.size()) {
    return fail(Errc::invalid_argument, "labels has " + std::to_string(labels.size()) + " entries for " +
                                            std::to_string(indices.size()) + " samples");
  }
  for (auto label : labels) {
    if (label < 0 || static_cast<std::size_t>(label) >= model.classes) {
      return fail(Errc::invalid_argument, "label " + std::to_string(label) + " is out of range");
    }
  }
  if (model.name != "mlp") {
    return internal::module_train(model, global, data, indices, config, labels, group);
  }
  try {
    return train_unchecked(model, global, data, indices, config, labels, group);
  } catch (const c10::Error& e) {
    return fail(Errc::internal, std::string("libtorch failed in local training: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return fail(Errc::internal, std::string("local training failed: ") + e.what());
  }
}

Result<Evaluation> evaluate(const ModelConfig& model, std::span<const float> params, const Dataset& data,
                            std::span<const std::size_t> indices) {
  FLYWHEEL_TRY(pin_math_kernels());
  FLYWHEEL_TRY(check_inputs(model, params, data, indices));
  if (model.name != "mlp") return internal::module_evaluate(model, params, data, indices);
  try {
    return evaluate_unchecked(model, params, data, indices);
  } catch (const c10::Error& e) {
    return fail(Errc::internal, std::string("libtorch failed in evaluation: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return fail(Errc::internal, std::string("evaluation failed: ") + e.what());
  }
}

Result<Evaluation> evaluate(const ModelConfig& model, std::span<const float> params, const Dataset& data) {
  std::vector<std::size_t> all(data.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  return evaluate(model, params, data, all);
}

// ---- CoalitionModels (fedtrain/valuation/coalition_model.hpp) ------------------------------------------

struct CoalitionModels::Impl {
  std::vector<std::int64_t> widths;                 // input, hidden..., classes
  std::size_t rows = 0;                             // validation rows
  std::size_t width0 = 0;                           // first layer's outputs
  std::vector<float> base;                          // rows × width0: X·W1_tᵀ + b1_t
  std::vector<std::vector<float>> proj;             // per update, rows × width0: n_i (X·ΔW1_iᵀ + Δb1_i)
  std::vector<float> total;                         // Σ_i proj_i (rounded from a double sum)
  std::vector<double> samples;                      // n_i
  std::size_t rest_offset = 0;                      // where layer 1 starts in the flat layout
  std::vector<float> global_rest;                   // w_t's parameters from layer 1 on
  std::vector<std::span<const float>> update_rest;  // views into rest_storage
  std::vector<float> rest_storage;                  // every update's parameters from layer 1 on
  std::vector<std::int64_t> targets;                // labels of the validation rows
};

Result<CoalitionModels> CoalitionModels::create(const ModelConfig& model, std::span<const float> global,
                                                std::span<const std::span<const float>> updates,
                                                std::span<const std::uint64_t> samples, const Dataset& data,
                                                std::span<const std::size_t> indices, std::size_t threads) {
  if (model.name != "mlp") {
    return fail(Errc::invalid_argument,
                "coalition models: only the \"mlp\" model has the fast path, not \"" + model.name + "\"");
  }
  FLYWHEEL_TRY(pin_math_kernels());
  FLYWHEEL_TRY(check_inputs(model, global, data, indices));
  if (updates.empty() || samples.size() != updates.size()) {
    return fail(Errc::invalid_argument, "coalition models need one sample count per update and at least one update");
  }
  for (std::size_t i = 0; i < updates.size(); ++i) {
    if (updates[i].size() != global.size()) {
      return fail(Errc::invalid_argument, "update " + std::to_string(i) + " has " + std::to_string(updates[i].size()) +
                                              " floats, the model " + std::to_string(global.size()));
    }
    if (samples[i] == 0) return fail(Errc::invalid_argument, "update " + std::to_string(i) + " has 0 samples");
  }
  try {
    torch::NoGradGuard no_grad;
    at::set_num_threads(1);
    auto impl = std::make_shared<Impl>();
    impl->widths.push_back(static_cast<std::int64_t>(model.inputs));
    for (auto h : model.hidden) impl->widths.push_back(static_cast<std::int64_t>(h));
    impl->widths.push_back(static_cast<std::int64_t>(model.classes));
    const auto in = impl->widths[0];
    const auto out = impl->widths[1];
    impl->rows = indices.size();
    impl->width0 = static_cast<std::size_t>(out);
    const auto rows = static_cast<std::int64_t>(impl->rows);
    std::vector<float> x(impl->rows * Dataset::kFeatures);
    gather_rows(data, indices, {}, 0, impl->rows, x.data());
    for (auto i : indices) impl->targets.push_back(data.labels[i]);
    const auto xt = torch::from_blob(x.data(), {rows, in});
    const std::size_t bias_offset = static_cast<std::size_t>(out * in);
    impl->rest_offset = bias_offset + static_cast<std::size_t>(out);
    const std::size_t cells = impl->rows * impl->width0;
    // pre(w) = X·W1ᵀ + b1 for a flat parameter vector (or update) w, written into `dst`.
    auto first_layer = [&](std::span<const float> w, std::vector<float>& dst) {
      dst.resize(cells);
      auto weight = torch::from_blob(const_cast<float*>(w.data()), {out, in});
      auto bias = torch::from_blob(const_cast<float*>(w.data() + bias_offset), {out});
      auto result = torch::from_blob(dst.data(), {rows, out});
      at::addmm_out(result, bias, xt, weight.t());
    };
    first_layer(global, impl->base);
    impl->proj.resize(updates.size());
    impl->samples.assign(samples.begin(), samples.end());
    // One projection per update; each is independent, so the split among threads changes nothing.
    ThreadPool pool(std::max<std::size_t>(1, std::min(threads, updates.size())), ThreadPool::Caller::helps);
    pool.run(updates.size(), [&](std::size_t i) {
      torch::NoGradGuard no_grad;  // thread-local: each thread that runs a task needs its own
      first_layer(updates[i], impl->proj[i]);
      const auto scale = static_cast<float>(samples[i]);
      for (auto& v : impl->proj[i]) v *= scale;
    });
    std::vector<double> total(cells, 0.0);
    for (const auto& p : impl->proj) {
      for (std::size_t c = 0; c < cells; ++c) total[c] += static_cast<double>(p[c]);
    }
    impl->total.assign(total.begin(), total.end());
    impl->global_rest.assign(global.begin() + static_cast<std::ptrdiff_t>(impl->rest_offset), global.end());
    const std::size_t rest = impl->global_rest.size();
    impl->rest_storage.resize(rest * updates.size());
    for (std::size_t i = 0; i < updates.size(); ++i) {
      std::copy(updates[i].begin() + static_cast<std::ptrdiff_t>(impl->rest_offset), updates[i].end(),
                impl->rest_storage.begin() + static_cast<std::ptrdiff_t>(i * rest));
    }
    for (std::size_t i = 0; i < updates.size(); ++i) {
      impl->update_rest.emplace_back(impl->rest_storage.data() + i * rest, rest);
    }
    return CoalitionModels(std::move(impl));
  } catch (const c10::Error& e) {
    return fail(Errc::internal,
                std::string("libtorch failed precomputing coalition models: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return fail(Errc::internal, std::string("precomputing coalition models failed: ") + e.what());
  }
}

std::size_t CoalitionModels::size() const { return impl_->proj.size(); }

std::span<const double> CoalitionModels::weights() const { return impl_->samples; }

Result<Evaluation> CoalitionModels::evaluate(std::span<const std::size_t> members) const {
  const std::vector<std::size_t> one(members.begin(), members.end());
  auto all = evaluate_batch(std::span(&one, 1), true, nullptr);
  if (!all) return tl::unexpected(all.error());
  return all->front();
}

Result<double> CoalitionModels::accuracy(std::span<const std::size_t> members) const {
  const std::vector<std::size_t> one(members.begin(), members.end());
  auto all = evaluate_batch(std::span(&one, 1), false, nullptr);
  if (!all) return tl::unexpected(all.error());
  return all->front().accuracy;
}

Result<std::vector<float>> CoalitionModels::logits(std::span<const std::size_t> members) const {
  const std::vector<std::size_t> one(members.begin(), members.end());
  std::vector<std::vector<float>> out;
  auto all = evaluate_batch(std::span(&one, 1), false, &out);
  if (!all) return tl::unexpected(all.error());
  return std::move(out.front());
}

std::span<const std::int64_t> CoalitionModels::labels() const { return impl_->targets; }

std::size_t CoalitionModels::classes() const { return static_cast<std::size_t>(impl_->widths.back()); }

Result<std::vector<double>> CoalitionModels::accuracies(std::span<const std::vector<std::size_t>> coalitions) const {
  auto all = evaluate_batch(coalitions, false, nullptr);
  if (!all) return tl::unexpected(all.error());
  std::vector<double> out;
  out.reserve(all->size());
  for (const auto& e : *all) out.push_back(e.accuracy);
  return out;
}

namespace {

// Element-wise loops in fixed chunks of 64 (a constant trip count, which GCC vectorises at -O2)
// plus a scalar tail doing the same arithmetic, so every element gets the same bits either way.
constexpr std::size_t kLanes = 64;

void add_into(float* __restrict a, const float* __restrict p, std::size_t count) {
  std::size_t c = 0;
  for (; c + kLanes <= count; c += kLanes) {
    for (std::size_t j = 0; j < kLanes; ++j) a[c + j] += p[c + j];
  }
  for (; c < count; ++c) a[c] += p[c];
}

void subtract_from(float* __restrict a, const float* __restrict p, std::size_t count) {
  std::size_t c = 0;
  for (; c + kLanes <= count; c += kLanes) {
    for (std::size_t j = 0; j < kLanes; ++j) a[c + j] -= p[c + j];
  }
  for (; c < count; ++c) a[c] -= p[c];
}

// a ← base + a·scale, then ReLU when `relu`.
void scale_shift(float* __restrict a, const float* __restrict base, float scale, bool relu, std::size_t count) {
  std::size_t c = 0;
  for (; c + kLanes <= count; c += kLanes) {
    for (std::size_t j = 0; j < kLanes; ++j) a[c + j] = base[c + j] + a[c + j] * scale;
  }
  for (; c < count; ++c) a[c] = base[c] + a[c] * scale;
  if (!relu) return;
  for (c = 0; c + kLanes <= count; c += kLanes) {
    for (std::size_t j = 0; j < kLanes; ++j) a[c + j] = a[c + j] > 0.0F ? a[c + j] : 0.0F;
  }
  for (; c < count; ++c) a[c] = a[c] > 0.0F ? a[c] : 0.0F;
}

}  // namespace

// Every coalition is computed by the same steps on the same fixed row blocks, whatever else is in
// the batch, so its result does not depend on the batch (or on the thread running it). Within a
// block of rows, the precomputed matrices P_i are read once per coalition from cache rather than
// from memory: a batch pays the memory traffic of one pass over the P_i per block.
Result<std::vector<Evaluation>> CoalitionModels::evaluate_batch(std::span<const std::vector<std::size_t>> coalitions,
                                                                bool loss_too,
                                                                std::vector<std::vector<float>>* logits_out) const {
  const Impl& m = *impl_;
  // The batch holds every coalition's later layers at once: split it so that stays under ~64 MB
  // (a wide MLP would otherwise need gigabytes per thread). Results do not depend on the batch.
  constexpr std::size_t kMaxBatchFloats = std::size_t{16} << 20;
  const std::size_t most = std::max<std::size_t>(1, kMaxBatchFloats / std::max<std::size_t>(1, m.global_rest.size()));
  if (coalitions.size() > most) {
    std::vector<Evaluation> all;
    all.reserve(coalitions.size());
    for (std::size_t first = 0; first < coalitions.size(); first += most) {
      auto part =
          evaluate_batch(coalitions.subspan(first, std::min(most, coalitions.size() - first)), loss_too, logits_out);
      if (!part) return tl::unexpected(part.error());
      all.insert(all.end(), part->begin(), part->end());
    }
    return all;
  }
  const std::size_t n = m.proj.size();
  const std::size_t count = coalitions.size();
  std::vector<char> in(count * n, 0);
  std::vector<double> weight_sum(count, 0.0);
  for (std::size_t b = 0; b < count; ++b) {
    for (auto i : coalitions[b]) {
      if (i >= n || in[b * n + i]) {
        return fail(Errc::invalid_argument,
                    "coalition member " + std::to_string(i) + (i >= n ? " is out of range" : " is repeated"));
      }
      in[b * n + i] = 1;
    }
    for (std::size_t i = 0; i < n; ++i) weight_sum[b] += in[b * n + i] ? m.samples[i] : 0.0;
  }
  try {
    torch::NoGradGuard no_grad;
    thread_local bool single_threaded = false;
    if (!single_threaded) {
      at::set_num_threads(1);
      single_threaded = true;
    }
    // Layers from 1 on, per coalition: rebuilt as weighted_mean does (double sum in member order,
    // rounded, added to w_t).
    const std::size_t rest_size = m.global_rest.size();
    std::vector<float> rest(count * rest_size);
    std::vector<double> sum(rest_size);
    for (std::size_t b = 0; b < count; ++b) {
      float* r = rest.data() + b * rest_size;
      std::copy(m.global_rest.begin(), m.global_rest.end(), r);
      if (coalitions[b].empty()) continue;
      std::fill(sum.begin(), sum.end(), 0.0);
      for (std::size_t i = 0; i < n; ++i) {
        if (!in[b * n + i]) continue;
        const double w = m.samples[i] / weight_sum[b];
        const float* u = m.update_rest[i].data();
        for (std::size_t k = 0; k < rest_size; ++k) sum[k] += w * static_cast<double>(u[k]);
      }
      for (std::size_t k = 0; k < rest_size; ++k) r[k] += static_cast<float>(sum[k]);
    }
    constexpr std::size_t kBlockRows = 200;
    const std::size_t layers = m.widths.size() - 1;
    const auto classes = m.widths.back();
    std::vector<float> act(kBlockRows * m.width0);
    std::vector<std::size_t> correct(count, 0);
    std::vector<double> loss(count, 0.0);
    const std::size_t first_logits = logits_out ? logits_out->size() : 0;
    if (logits_out) {
      logits_out->resize(first_logits + count, std::vector<float>(m.rows * static_cast<std::size_t>(classes)));
    }
    for (std::size_t r0 = 0; r0 < m.rows; r0 += kBlockRows) {
      const std::size_t block = std::min(kBlockRows, m.rows - r0);
      const std::size_t cells = block * m.width0;
      const std::size_t offset = r0 * m.width0;
      const float* base = m.base.data() + offset;
      for (std::size_t b = 0; b < count; ++b) {
        float* a = act.data();
        const std::size_t size = coalitions[b].size();
        if (size == 0) {
          std::copy(base, base + cells, a);
          if (layers > 1) scale_shift(a, base, 0.0F, true, cells);
        } else {
          // Σ_{i∈S} proj_i, or total − Σ_{i∉S} proj_i when S holds more than half: at most n/2
          // passes; members in index order, so the bits depend on S only.
          const bool complement = 2 * size > n;
          bool first = true;
          if (complement) std::copy(m.total.begin() + offset, m.total.begin() + offset + cells, a);
          for (std::size_t i = 0; i < n; ++i) {
            if (static_cast<bool>(in[b * n + i]) == complement) continue;
            const float* p = m.proj[i].data() + offset;
            if (complement) {
              subtract_from(a, p, cells);
            } else if (first) {
              std::copy(p, p + cells, a);
              first = false;
            } else {
              add_into(a, p, cells);
            }
          }
          scale_shift(a, base, static_cast<float>(1.0 / weight_sum[b]), layers > 1, cells);
        }
        const auto rows = static_cast<std::int64_t>(block);
        torch::Tensor current = torch::from_blob(a, {rows, m.widths[1]});
        const float* r = rest.data() + b * rest_size;
        std::size_t pos = 0;
        for (std::size_t l = 1; l < layers; ++l) {
          const auto lin = m.widths[l];
          const auto lout = m.widths[l + 1];
          auto weight = torch::from_blob(const_cast<float*>(r + pos), {lout, lin});
          auto bias = torch::from_blob(const_cast<float*>(r + pos + static_cast<std::size_t>(lout * lin)), {lout});
          pos += static_cast<std::size_t>(lout * lin + lout);
          current = at::addmm(bias, current, weight.t());
          if (l + 1 < layers) current.relu_();
        }
        current = current.contiguous();
        const float* logits = current.data_ptr<float>();
        if (logits_out) {
          std::copy(logits, logits + rows * classes,
                    (*logits_out)[first_logits + b].begin() + static_cast<std::ptrdiff_t>(r0) * classes);
        }
        for (std::int64_t row = 0; row < rows; ++row) {
          const float* z = logits + row * classes;
          std::int64_t best = 0;
          for (std::int64_t c = 1; c < classes; ++c) {
            if (z[c] > z[best]) best = c;
          }
          const auto target = m.targets[r0 + static_cast<std::size_t>(row)];
          correct[b] += best == target ? 1 : 0;
          if (!loss_too) continue;
          double total = 0;
          for (std::int64_t c = 0; c < classes; ++c) total += std::exp(static_cast<double>(z[c] - z[best]));
          loss[b] += std::log(total) + static_cast<double>(z[best]) - static_cast<double>(z[target]);
        }
      }
    }
    std::vector<Evaluation> out;
    out.reserve(count);
    for (std::size_t b = 0; b < count; ++b) {
      out.push_back(Evaluation{.accuracy = static_cast<double>(correct[b]) / static_cast<double>(m.rows),
                               .loss = loss_too ? loss[b] / static_cast<double>(m.rows) : 0.0,
                               .samples = m.rows});
    }
    return out;
  } catch (const c10::Error& e) {
    return fail(Errc::internal,
                std::string("libtorch failed evaluating a coalition model: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {  // std::bad_alloc above all
    return fail(Errc::internal, std::string("evaluating a coalition model failed: ") + e.what());
  }
}

}  // namespace flywheel::fedtrain
