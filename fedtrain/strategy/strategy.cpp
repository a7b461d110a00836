// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The strategy registry, FedAvg (McMahan et al. 2017, arXiv:1602.05629, Algorithm 1, server side)
// and FedProx (Li et al. 2020, arXiv:1812.06127: FedAvg on the server, proximal term μ on the
// participants). Server optimisers live in internal/fedopt.cpp, robust merges in
// internal/robust.cpp.
#include "fedtrain/strategy/strategy.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

#include "fedtrain/strategy/internal/strategies.hpp"

namespace flywheel::fedtrain {
namespace {

class FedAvg : public Strategy {
 public:
  [[nodiscard]] std::string_view name() const override { return "fedavg"; }
  [[nodiscard]] Result<std::vector<float>> propose(std::span<const float> global,
                                                   std::span<const ClientUpdate> updates) const override {
    FLYWHEEL_TRY(internal::check_updates(global, updates));
    auto mean = weighted_mean(updates);
    if (!mean) return tl::unexpected(mean.error());
    return apply_update(global, *mean);
  }
};

class FedProx final : public FedAvg {
 public:
  explicit FedProx(double mu) : mu_(mu) {}
  [[nodiscard]] std::string_view name() const override { return "fedprox"; }
  [[nodiscard]] double proximal_mu() const override { return mu_; }

 private:
  double mu_;
};

struct Registry {
  std::mutex mutex;
  std::map<std::string, StrategyFactory, std::less<>> factories;

  Registry() {
    factories.emplace("fedavg", internal::make_fedavg);
    factories.emplace("fedprox", internal::make_fedprox);
    factories.emplace("fedavgm", internal::make_fedavgm);
    factories.emplace("fedadagrad", internal::make_fedadagrad);
    factories.emplace("fedadam", internal::make_fedadam);
    factories.emplace("fedyogi", internal::make_fedyogi);
    factories.emplace("fedmedian", internal::make_fedmedian);
    factories.emplace("fedtrimmedavg", internal::make_fedtrimmedavg);
    factories.emplace("krum", internal::make_krum);
    factories.emplace("multikrum", internal::make_multikrum);
  }
};

Registry& registry() {
  static Registry instance;
  return instance;
}

std::string joined_names() {
  std::string out;
  for (const auto& name : strategy_names()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

namespace internal {

Result<void> check_updates(std::span<const float> global, std::span<const ClientUpdate> updates) {
  if (updates.empty()) return fail(Errc::invalid_argument, "a merge needs at least one update");
  for (std::size_t k = 0; k < updates.size(); ++k) {
    if (updates[k].delta.size() != global.size()) {
      return fail(Errc::invalid_argument, "update " + std::to_string(k) + " has " +
                                              std::to_string(updates[k].delta.size()) + " floats, the model has " +
                                              std::to_string(global.size()));
    }
  }
  return {};
}

Result<void> check_range(const char* field, double value, double lo, double hi, bool closed) {
  const bool ok = std::isfinite(value) && value >= lo && (closed ? value <= hi : value < hi);
  if (!ok) {
    std::ostringstream message;
    message << "strategy." << field << " must lie in [" << lo << ", " << hi << (closed ? "]" : ")") << ", got "
            << value;
    return fail(Errc::config, message.str());
  }
  return {};
}

Result<std::unique_ptr<Strategy>> make_fedavg(const StrategyConfig&) { return std::make_unique<FedAvg>(); }

Result<std::unique_ptr<Strategy>> make_fedprox(const StrategyConfig& config) {
  if (!(config.proximal_mu >= 0) || !std::isfinite(config.proximal_mu)) {
    return fail(Errc::config,
                "strategy.proximal_mu must be a finite number >= 0, got " + std::to_string(config.proximal_mu));
  }
  return std::make_unique<FedProx>(config.proximal_mu);
}

}  // namespace internal

Result<void> register_strategy(std::string name, StrategyFactory factory) {
  if (name.empty() || !factory) {
    return fail(Errc::invalid_argument, "a strategy needs a non-empty name and a factory");
  }
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  if (!r.factories.emplace(name, std::move(factory)).second) {
    return fail(Errc::invalid_argument, "strategy \"" + name + "\" is already registered");
  }
  return {};
}

std::vector<std::string> strategy_names() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, factory] : r.factories) names.push_back(name);
  return names;
}

bool is_strategy(std::string_view name) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  return r.factories.find(name) != r.factories.end();
}

StrategyConfig default_strategy_config(std::string_view name) {
  StrategyConfig config;
  config.name = std::string(name);
  if (name == "fedadagrad") {
    config.server_learning_rate = 0.1;
    config.beta_1 = 0.0;
  } else if (name == "fedadam") {
    config.server_learning_rate = 0.1;
  } else if (name == "fedyogi") {
    config.server_learning_rate = 0.01;
    config.tau = 1e-3;
  }
  return config;
}

Result<std::unique_ptr<Strategy>> make_strategy(const StrategyConfig& config) {
  StrategyFactory factory;
  {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.factories.find(config.name);
    if (it != r.factories.end()) factory = it->second;
  }
  if (!factory) {
    return fail(Errc::config,
                "strategy.name \"" + config.name + "\" is not a known strategy; use one of: " + joined_names());
  }
  if (!(config.fraction_fit > 0 && config.fraction_fit <= 1)) {
    std::ostringstream message;
    message << "strategy.fraction_fit must lie in (0, 1], got " << config.fraction_fit;
    return fail(Errc::config, message.str());
  }
  FLYWHEEL_TRY(internal::check_range("fraction_evaluate", config.fraction_evaluate, 0.0, 1.0, true));
  auto strategy = factory(config);
  if (!strategy) return tl::unexpected(strategy.error());
  if (*strategy == nullptr) {
    return fail(Errc::internal, "the factory of strategy \"" + config.name + "\" returned nothing");
  }
  return strategy;
}

Result<std::vector<float>> fedavg(std::span<const std::span<const float>> updates,
                                  std::span<const std::uint64_t> samples) {
  if (updates.empty()) return fail(Errc::invalid_argument, "fedavg needs at least one update");
  if (updates.size() != samples.size()) {
    return fail(Errc::invalid_argument, "fedavg got " + std::to_string(updates.size()) + " updates but " +
                                            std::to_string(samples.size()) + " sample counts");
  }
  std::vector<ClientUpdate> client_updates;
  client_updates.reserve(updates.size());
  for (std::size_t k = 0; k < updates.size(); ++k) {
    client_updates.push_back(ClientUpdate{.delta = updates[k], .samples = samples[k]});
  }
  return weighted_mean(client_updates);
}

Result<std::vector<float>> weighted_mean(std::span<const ClientUpdate> updates) {
  std::vector<float> merged(updates.empty() ? 0 : updates.front().delta.size());
  FLYWHEEL_TRY(weighted_mean_into(updates, merged));
  return merged;
}

Result<void> weighted_mean_into(std::span<const ClientUpdate> updates, std::span<float> out) {
  if (updates.empty()) return fail(Errc::invalid_argument, "fedavg needs at least one update");
  const std::size_t length = updates.front().delta.size();
  double total = 0;
  for (std::size_t k = 0; k < updates.size(); ++k) {
    if (updates[k].delta.size() != length) {
      return fail(Errc::invalid_argument, "update " + std::to_string(k) + " has " +
                                              std::to_string(updates[k].delta.size()) + " floats, update 0 has " +
                                              std::to_string(length));
    }
    total += static_cast<double>(updates[k].samples);
  }
  if (total == 0) return fail(Errc::invalid_argument, "fedavg weights (sample counts) sum to zero");
  if (out.size() != length) {
    return fail(Errc::invalid_argument,
                "output has " + std::to_string(out.size()) + " floats, the updates have " + std::to_string(length));
  }
  std::vector<double> weights;
  weights.reserve(updates.size());
  for (const auto& update : updates) weights.push_back(static_cast<double>(update.samples) / total);

  // Blocked so the double accumulator stays in L1 while every update streams through once; per
  // coordinate the sum still runs over the updates in the order given (deterministic bits). Full
  // blocks have a constant trip count, which lets the compiler vectorise them at -O2; the tail
  // runs the same arithmetic element by element, so every coordinate gets identical bits.
  constexpr std::size_t kBlock = 4096;
  alignas(64) double sum[kBlock];
  float* __restrict merged = out.data();
  const std::size_t full_blocks = length / kBlock * kBlock;
  for (std::size_t begin = 0; begin < full_blocks; begin += kBlock) {
    for (std::size_t i = 0; i < kBlock; ++i) sum[i] = 0.0;
    for (std::size_t k = 0; k < updates.size(); ++k) {
      const double weight = weights[k];
      const float* __restrict u = updates[k].delta.data() + begin;
      for (std::size_t i = 0; i < kBlock; ++i) sum[i] += weight * static_cast<double>(u[i]);
    }
    for (std::size_t i = 0; i < kBlock; ++i) merged[begin + i] = static_cast<float>(sum[i]);
  }
  for (std::size_t i = full_blocks; i < length; ++i) {
    double value = 0.0;
    for (std::size_t k = 0; k < updates.size(); ++k) {
      value += weights[k] * static_cast<double>(updates[k].delta[i]);
    }
    merged[i] = static_cast<float>(value);
  }
  return {};
}

Result<std::vector<float>> apply_update(std::span<const float> global, std::span<const float> update) {
  if (global.size() != update.size()) {
    return fail(Errc::invalid_argument, "update has " + std::to_string(update.size()) + " floats, the model has " +
                                            std::to_string(global.size()));
  }
  std::vector<float> out(global.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = global[i] + update[i];
  return out;
}

}  // namespace flywheel::fedtrain
