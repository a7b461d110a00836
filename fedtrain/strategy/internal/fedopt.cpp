// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Server optimisers over the FedAvg pseudo-gradient Δ_t = Σ_k (n_k/n) Δ_k:
//   FedAvgM   (Hsu, Qi, Brown 2019, arXiv:1909.06335):  v ← βv + Δ;  w ← w + ηv
//   FedAdagrad, FedAdam, FedYogi (Reddi et al., "Adaptive Federated Optimization", ICLR 2021,
//   arXiv:2003.00295, Algorithm 2):
//     m ← β₁m + (1−β₁)Δ
//     v ← v + Δ²                              (Adagrad)
//     v ← β₂v + (1−β₂)Δ²                      (Adam)
//     v ← v − (1−β₂)Δ² sign(v − Δ²)           (Yogi)
//     w ← w + η m / (√v + τ)
//   with m₀ = 0 and v₀ = τ² (the paper's v_{−1} ≥ τ²) and no bias correction, as in the paper.
// Arithmetic per coordinate in double; the state is stored as float, so a checkpointed state
// restores bit for bit.
#include <cmath>
#include <string>

#include "fedtrain/strategy/internal/strategies.hpp"

namespace flywheel::fedtrain::internal {
namespace {

enum class Rule { avgm, adagrad, adam, yogi };

class ServerOptimizer final : public Strategy {
 public:
  ServerOptimizer(Rule rule, const StrategyConfig& config) : rule_(rule), config_(config) {}

  [[nodiscard]] std::string_view name() const override {
    switch (rule_) {
      case Rule::avgm:
        return "fedavgm";
      case Rule::adagrad:
        return "fedadagrad";
      case Rule::adam:
        return "fedadam";
      case Rule::yogi:
        return "fedyogi";
    }
    return "?";
  }

  [[nodiscard]] Result<std::vector<float>> propose(std::span<const float> global,
                                                   std::span<const ClientUpdate> updates) const override {
    return step(global, updates, nullptr);
  }

  Result<std::vector<float>> aggregate(std::span<const float> global, std::span<const ClientUpdate> updates) override {
    std::vector<float> next_state;
    auto model = step(global, updates, &next_state);
    if (model) state_ = std::move(next_state);
    return model;
  }

  [[nodiscard]] std::vector<float> state() const override { return state_; }

  Result<void> set_state(std::vector<float> state) override {
    if (state.size() % vectors() != 0) {
      return fail(Errc::invalid_argument, std::string(name()) + " state must hold " + std::to_string(vectors()) +
                                              " vectors of equal length, got " + std::to_string(state.size()) +
                                              " floats");
    }
    state_ = std::move(state);
    return {};
  }

 private:
  // FedAvgM keeps v; the adaptive rules keep m then v.
  [[nodiscard]] std::size_t vectors() const { return rule_ == Rule::avgm ? 1 : 2; }

  // Computes w_{t+1}; writes the state after the step to `next_state` when given.
  Result<std::vector<float>> step(std::span<const float> global, std::span<const ClientUpdate> updates,
                                  std::vector<float>* next_state) const {
    FLYWHEEL_TRY(check_updates(global, updates));
    auto mean = weighted_mean(updates);
    if (!mean) return tl::unexpected(mean.error());
    const std::size_t n = global.size();
    if (!state_.empty() && state_.size() != vectors() * n) {
      return fail(Errc::invalid_argument, std::string(name()) + " state holds " + std::to_string(state_.size()) +
                                              " floats, the model needs " + std::to_string(vectors() * n));
    }
    const bool fresh = state_.empty();
    const double eta = config_.server_learning_rate;
    const double tau = config_.tau;
    const double b1 = config_.beta_1;
    const double b2 = config_.beta_2;
    const auto v0 = static_cast<float>(tau * tau);
    if (next_state != nullptr) next_state->assign(vectors() * n, 0.0F);
    std::vector<float> w(n);
    const std::vector<float>& delta = *mean;
    for (std::size_t i = 0; i < n; ++i) {
      const double d = delta[i];
      if (rule_ == Rule::avgm) {
        const double v = config_.server_momentum * (fresh ? 0.0 : state_[i]) + d;
        const auto v_stored = static_cast<float>(v);
        w[i] = static_cast<float>(global[i] + eta * static_cast<double>(v_stored));
        if (next_state != nullptr) (*next_state)[i] = v_stored;
        continue;
      }
      const double m_prev = fresh ? 0.0 : state_[i];
      const double v_prev = fresh ? v0 : state_[n + i];
      const double m = b1 * m_prev + (1 - b1) * d;
      double v = 0;
      switch (rule_) {
        case Rule::adagrad:
          v = v_prev + d * d;
          break;
        case Rule::adam:
          v = b2 * v_prev + (1 - b2) * d * d;
          break;
        case Rule::yogi: {
          const double diff = v_prev - d * d;
          const double sign = diff > 0 ? 1.0 : (diff < 0 ? -1.0 : 0.0);
          v = v_prev - (1 - b2) * d * d * sign;
          break;
        }
        case Rule::avgm:
          break;
      }
      const auto m_stored = static_cast<float>(m);
      const auto v_stored = static_cast<float>(v);
      w[i] = static_cast<float>(global[i] +
                                eta * static_cast<double>(m_stored) / (std::sqrt(static_cast<double>(v_stored)) + tau));
      if (next_state != nullptr) {
        (*next_state)[i] = m_stored;
        (*next_state)[n + i] = v_stored;
      }
    }
    return w;
  }

  Rule rule_;
  StrategyConfig config_;
  std::vector<float> state_;
};

Result<void> check_common(const StrategyConfig& config, bool adaptive) {
  if (!(config.server_learning_rate > 0) || !std::isfinite(config.server_learning_rate)) {
    return fail(Errc::config, "strategy.server_learning_rate must be a finite number > 0, got " +
                                  std::to_string(config.server_learning_rate));
  }
  if (!adaptive) return check_range("server_momentum", config.server_momentum, 0, 1, false);
  FLYWHEEL_TRY(check_range("beta_1", config.beta_1, 0, 1, false));
  FLYWHEEL_TRY(check_range("beta_2", config.beta_2, 0, 1, false));
  if (!(config.tau > 0) || !std::isfinite(config.tau)) {
    return fail(Errc::config, "strategy.tau must be a finite number > 0, got " + std::to_string(config.tau));
  }
  return {};
}

Result<std::unique_ptr<Strategy>> make(Rule rule, const StrategyConfig& config) {
  FLYWHEEL_TRY(check_common(config, rule != Rule::avgm));
  return std::make_unique<ServerOptimizer>(rule, config);
}

}  // namespace

Result<std::unique_ptr<Strategy>> make_fedavgm(const StrategyConfig& c) { return make(Rule::avgm, c); }
Result<std::unique_ptr<Strategy>> make_fedadagrad(const StrategyConfig& c) { return make(Rule::adagrad, c); }
Result<std::unique_ptr<Strategy>> make_fedadam(const StrategyConfig& c) { return make(Rule::adam, c); }
Result<std::unique_ptr<Strategy>> make_fedyogi(const StrategyConfig& c) { return make(Rule::yogi, c); }

}  // namespace flywheel::fedtrain::internal
