// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The libtorch adapter for modules trained through autograd: NIID-Bench's SimpleCNN (Li, Diao,
// Chen, He, "Federated Learning on Non-IID Data Silos: An Experimental Study", ICDE 2022; the
// SimpleCNNMNIST of its model.py: conv 6@5×5, maxpool, conv 16@5×5, maxpool, fc 256→120→84→10) and
// any module registered with register_torch_model. Local training is FedAvg's ClientUpdate
// (McMahan et al. 2017) with FedProx's proximal term (Li et al. 2020); the optimiser step is
// written out (torch.optim.SGD semantics) so that the proximal term joins the gradient.
//
// Determinism as in torch_model.cpp (kernels pinned by math_kernels.hpp, oneDNN capped at one ISA
// per kernel family): minibatch order from the portable seeded generator, one
// intra-op thread, one module instance per worker thread, so a result does not depend on which
// worker ran it.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "fedtrain/internal/random.hpp"
#include "fedtrain/model/internal/torch_module.hpp"
#include "fedtrain/model/torch_module.hpp"

namespace flywheel::fedtrain {
namespace {

constexpr std::int64_t kEvalBatch = 1024;
constexpr std::int64_t kSide = 28;

// The CNN: conv/pool feature extractor then fully connected layers of config.hidden widths.
TorchModel make_simple_cnn(const ModelConfig& config) {
  torch::nn::Sequential net;
  net->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 6, 5)));
  net->push_back(torch::nn::ReLU());
  net->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)));
  net->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(6, 16, 5)));
  net->push_back(torch::nn::ReLU());
  net->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2).stride(2)));
  net->push_back(torch::nn::Flatten());
  std::int64_t in = 16 * 4 * 4;
  for (auto width : config.hidden) {
    net->push_back(torch::nn::Linear(in, static_cast<std::int64_t>(width)));
    net->push_back(torch::nn::ReLU());
    in = static_cast<std::int64_t>(width);
  }
  net->push_back(torch::nn::Linear(in, static_cast<std::int64_t>(config.classes)));
  return wrap_module(net);
}

struct Entry {
  TorchModuleFactory factory;
  TorchInit init = TorchInit::module;
};

struct Registry {
  std::mutex mutex;
  std::map<std::string, Entry, std::less<>> entries;
  std::map<std::string, std::size_t> counts;  // parameter counts by config key
  std::mutex seed_mutex;                      // torch's global generator is shared

  Registry() { entries.emplace("cnn", Entry{make_simple_cnn, TorchInit::portable_fan_in}); }
};

Registry& registry() {
  static Registry instance;
  return instance;
}

std::string config_key(const ModelConfig& config) {
  std::string key = config.name + "/" + std::to_string(config.inputs) + "/" + std::to_string(config.classes);
  for (auto h : config.hidden) key += "/" + std::to_string(h);
  return key;
}

Result<Entry> find_entry(std::string_view name) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.entries.find(name);
  if (it == r.entries.end()) {
    return fail(Errc::config, "model.name \"" + std::string(name) + "\" is not a registered module");
  }
  return it->second;
}

// A worker thread's instance of one model and its parameters.
struct ModuleWorker {
  std::string key;
  TorchModel model;
  std::vector<torch::Tensor> params;
  std::size_t count = 0;
};

ModuleWorker build(const ModelConfig& config, const Entry& entry) {
  ModuleWorker worker;
  worker.key = config_key(config);
  worker.model = entry.factory(config);
  if (!worker.model.module || !worker.model.forward) {
    throw std::invalid_argument("the factory of model \"" + config.name + "\" returned no module");
  }
  worker.params = worker.model.module->parameters();
  for (const auto& p : worker.params) worker.count += static_cast<std::size_t>(p.numel());
  return worker;
}

Result<ModuleWorker*> worker_for(const ModelConfig& config) {
  thread_local std::unique_ptr<ModuleWorker> worker;
  thread_local bool single_threaded = false;
  if (!single_threaded) {
    at::set_num_threads(1);
    single_threaded = true;
  }
  const auto key = config_key(config);
  if (!worker || worker->key != key) {
    auto entry = find_entry(config.name);
    if (!entry) return tl::unexpected(entry.error());
    worker = std::make_unique<ModuleWorker>(build(config, *entry));
  }
  return worker.get();
}

void load(ModuleWorker& worker, std::span<const float> flat) {
  torch::NoGradGuard no_grad;
  std::size_t offset = 0;
  for (auto& p : worker.params) {
    const auto n = static_cast<std::size_t>(p.numel());
    std::memcpy(p.data_ptr<float>(), flat.data() + offset, n * sizeof(float));
    offset += n;
  }
}

std::vector<float> flatten(const ModuleWorker& worker) {
  std::vector<float> flat;
  flat.reserve(worker.count);
  for (const auto& p : worker.params) {
    const auto c = p.contiguous();
    const float* data = c.data_ptr<float>();
    flat.insert(flat.end(), data, data + c.numel());
  }
  return flat;
}

// A batch of rows as a [count, 1, 28, 28] tensor.
torch::Tensor gather(const Dataset& data, std::span<const std::size_t> indices, std::span<const std::size_t> order,
                     std::size_t begin, std::size_t count) {
  auto x = torch::empty({static_cast<std::int64_t>(count), 1, kSide, kSide});
  float* out = x.data_ptr<float>();
  for (std::size_t r = 0; r < count; ++r) {
    const std::size_t k = order.empty() ? begin + r : order[begin + r];
    std::memcpy(out + r * Dataset::kFeatures, data.row(indices[k]).data(), Dataset::kFeatures * sizeof(float));
  }
  return x;
}

// Sums the ranks' gradients in place: each rank contributes its mean gradient over `rows` rows
// weighted by rows/count, plus its summed loss in one trailing float; `loss` becomes the global
// batch's mean loss.
Result<void> all_reduce_gradients(ModuleWorker& worker, DataParallelGroup& group, std::size_t rows, std::size_t count,
                                  double& loss, std::vector<float>& buffer) {
  torch::NoGradGuard no_grad;
  buffer.resize(worker.count + 1);
  const auto weight = static_cast<float>(static_cast<double>(rows) / static_cast<double>(count));
  std::size_t at = 0;
  for (auto& p : worker.params) {
    auto g = p.grad().contiguous();
    const float* src = g.data_ptr<float>();
    const auto n = static_cast<std::size_t>(g.numel());
    for (std::size_t i = 0; i < n; ++i) buffer[at + i] = weight * src[i];
    at += n;
  }
  buffer[at] = static_cast<float>(loss * static_cast<double>(rows));
  FLYWHEEL_TRY(group.all_reduce_sum(buffer));
  at = 0;
  for (auto& p : worker.params) {
    auto& g = p.mutable_grad();
    g.copy_(torch::from_blob(buffer.data() + at, g.sizes()));
    at += static_cast<std::size_t>(g.numel());
  }
  loss = static_cast<double>(buffer[at]) / static_cast<double>(count);
  return {};
}

Result<LocalResult> train_unchecked(ModuleWorker& worker, std::span<const float> global, const Dataset& data,
                                    std::span<const std::size_t> indices, const TrainConfig& config,
                                    std::span<const std::int64_t> labels, DataParallelGroup* group) {
  const auto start = std::chrono::steady_clock::now();
  const std::size_t rank = group != nullptr ? group->rank() : 0;
  const std::size_t ranks = group != nullptr ? group->size() : 1;
  std::vector<float> reduce_buffer;
  load(worker, global);
  worker.model.module->train(true);
  std::vector<torch::Tensor> anchors;
  std::vector<torch::Tensor> velocity;
  for (const auto& p : worker.params) {
    anchors.push_back(p.detach().clone());
    if (config.momentum > 0) velocity.push_back(torch::zeros_like(p));
  }
  std::vector<std::size_t> order(indices.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  auto targets = torch::empty({static_cast<std::int64_t>(config.batch_size)}, torch::kLong);
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
      for (auto& p : worker.params) {
        if (p.grad().defined()) {
          p.mutable_grad().zero_();
        } else if (rows == 0) {
          p.mutable_grad() = torch::zeros_like(p);
        }
      }
      double loss_value = 0;
      if (rows > 0) {
        auto x = gather(data, indices, order, begin + slice.begin, rows);
        auto y = targets.narrow(0, 0, static_cast<std::int64_t>(rows));
        auto* t = y.data_ptr<std::int64_t>();
        for (std::size_t r = 0; r < rows; ++r) {
          const std::size_t k = order[begin + slice.begin + r];
          t[r] = labels.empty() ? data.labels[indices[k]] : labels[k];
        }
        auto logits = worker.model.forward(x);
        auto loss = torch::nn::functional::cross_entropy(logits, y);
        loss.backward();
        loss_value = loss.item<double>();
      }
      if (group != nullptr) {
        // Each rank's gradient is the mean over its rows; weighted by rows/count, their sum over
        // the ranks is the mean over the global batch.
        FLYWHEEL_TRY(all_reduce_gradients(worker, *group, rows, count, loss_value, reduce_buffer));
      }
      loss_sum += loss_value;
      ++batches;
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < worker.params.size(); ++i) {
        auto& p = worker.params[i];
        auto g = p.grad();
        if (config.proximal_mu > 0) g = g + config.proximal_mu * (p - anchors[i]);
        if (config.momentum > 0) {
          velocity[i].mul_(config.momentum).add_(g);
          g = velocity[i];
        }
        p.add_(g, -config.learning_rate);
      }
    }
    last_epoch_loss = loss_sum / static_cast<double>(batches);
  }
  auto trained = flatten(worker);
  LocalResult result;
  result.update.resize(global.size());
  for (std::size_t i = 0; i < global.size(); ++i) result.update[i] = trained[i] - global[i];
  result.samples = indices.size();
  result.mean_loss = last_epoch_loss;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

Result<Evaluation> evaluate_unchecked(ModuleWorker& worker, std::span<const float> params, const Dataset& data,
                                      std::span<const std::size_t> indices) {
  torch::NoGradGuard no_grad;
  load(worker, params);
  worker.model.module->eval();
  double loss_sum = 0;
  std::int64_t correct = 0;
  const auto batch = static_cast<std::size_t>(kEvalBatch);
  for (std::size_t begin = 0; begin < indices.size(); begin += batch) {
    const std::size_t count = std::min(batch, indices.size() - begin);
    auto x = gather(data, indices, {}, begin, count);
    auto y = torch::empty({static_cast<std::int64_t>(count)}, torch::kLong);
    auto* t = y.data_ptr<std::int64_t>();
    for (std::size_t r = 0; r < count; ++r) t[r] = data.labels[indices[begin + r]];
    auto logits = worker.model.forward(x).to(torch::kDouble);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .item<double>();
    correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
  }
  const auto n = static_cast<double>(indices.size());
  return Evaluation{.accuracy = static_cast<double>(correct) / n, .loss = loss_sum / n, .samples = indices.size()};
}

// Portable fan-in initialisation: see TorchInit::portable_fan_in.
void portable_init(ModuleWorker& worker, std::uint64_t seed) {
  torch::NoGradGuard no_grad;
  double fan_in = 1;
  for (std::size_t i = 0; i < worker.params.size(); ++i) {
    auto& p = worker.params[i];
    if (p.dim() >= 2) fan_in = static_cast<double>(p.numel() / p.size(0));
    const double bound = 1.0 / std::sqrt(fan_in);
    internal::Rng rng(internal::derive_seed(seed, {0x1417, i}));
    float* data = p.data_ptr<float>();
    for (std::int64_t k = 0; k < p.numel(); ++k) {
      data[k] = static_cast<float>((2.0 * internal::uniform01(rng) - 1.0) * bound);
    }
  }
}

template <class F>
auto guarded(const char* what, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const c10::Error& e) {
    return fail(Errc::internal, std::string("libtorch failed in ") + what + ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return fail(Errc::internal, std::string(what) + " failed: " + e.what());
  }
}

}  // namespace

Result<void> register_torch_model(std::string name, TorchModuleFactory factory, TorchInit init) {
  if (name.empty() || name == "mlp" || !factory) {
    return fail(Errc::invalid_argument, "a module needs a non-empty name other than \"mlp\" and a factory");
  }
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  if (!r.entries.emplace(name, Entry{std::move(factory), init}).second) {
    return fail(Errc::invalid_argument, "model \"" + name + "\" is already registered");
  }
  return {};
}

namespace internal {

bool is_module_model(std::string_view name) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  return r.entries.find(name) != r.entries.end();
}

std::vector<std::string> module_model_names() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, entry] : r.entries) names.push_back(name);
  return names;
}

std::size_t module_parameter_count(const ModelConfig& config) {
  auto& r = registry();
  const auto key = config_key(config);
  {
    std::lock_guard lock(r.mutex);
    if (auto it = r.counts.find(key); it != r.counts.end()) return it->second;
  }
  auto entry = find_entry(config.name);
  if (!entry) return 0;
  auto count = guarded("building a module", [&]() -> Result<std::size_t> { return build(config, *entry).count; });
  if (!count) return 0;
  std::lock_guard lock(r.mutex);
  r.counts[key] = *count;
  return *count;
}

Result<std::vector<float>> module_initial_parameters(const ModelConfig& config, std::uint64_t seed) {
  auto entry = find_entry(config.name);
  if (!entry) return tl::unexpected(entry.error());
  return guarded("initialising a module", [&]() -> Result<std::vector<float>> {
    if (entry->init == TorchInit::portable_fan_in) {
      auto worker = build(config, *entry);
      portable_init(worker, seed);
      return flatten(worker);
    }
    std::lock_guard lock(registry().seed_mutex);
    torch::manual_seed(internal::derive_seed(seed, {0x70c4}));
    auto worker = build(config, *entry);
    return flatten(worker);
  });
}

Result<LocalResult> module_train(const ModelConfig& model, std::span<const float> global, const Dataset& data,
                                 std::span<const std::size_t> indices, const TrainConfig& config,
                                 std::span<const std::int64_t> labels, DataParallelGroup* group) {
  return guarded("local training", [&]() -> Result<LocalResult> {
    auto worker = worker_for(model);
    if (!worker) return tl::unexpected(worker.error());
    return train_unchecked(**worker, global, data, indices, config, labels, group);
  });
}

Result<Evaluation> module_evaluate(const ModelConfig& model, std::span<const float> params, const Dataset& data,
                                   std::span<const std::size_t> indices) {
  return guarded("evaluation", [&]() -> Result<Evaluation> {
    auto worker = worker_for(model);
    if (!worker) return tl::unexpected(worker.error());
    return evaluate_unchecked(**worker, params, data, indices);
  });
}

}  // namespace internal
}  // namespace flywheel::fedtrain
