// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Byzantine-robust merges of the updates (applied on top of w_t; the models share w_t, so merging
// updates and merging models agree):
//   - coordinate-wise median and coordinate-wise β-trimmed mean: Yin, Chen, Ramchandran, Bartlett,
//     "Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates", ICML 2018
//     (arXiv:1803.01498), Definitions 1 and 2. Unweighted, as in the paper.
//   - Krum and Multi-Krum: Blanchard, El Mhamdi, Guerraoui, Stainer, "Machine Learning with
//     Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS 2017. score(i) = Σ of the squared
//     distances from Δ_i to its n − f − 2 nearest other updates; Krum keeps the lowest score,
//     Multi-Krum averages the m lowest (weighted by samples, as Flower's Krum does).
// Attribution evaluates coalitions smaller than Krum's n > 2f + 2 bound; there the neighbour count
// is clamped to [1, n − 1] so every coalition still has a model.
#include <algorithm>
#include <numeric>
#include <string>

#include "fedtrain/strategy/internal/strategies.hpp"

namespace flywheel::fedtrain::internal {
namespace {

// Per coordinate, the sorted values of every update go to `reduce`, which returns the merged value.
template <class Reduce>
std::vector<float> per_coordinate(std::span<const float> global, std::span<const ClientUpdate> updates, Reduce reduce) {
  const std::size_t n = global.size();
  std::vector<float> w(n);
  std::vector<float> column(updates.size());
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t k = 0; k < updates.size(); ++k) column[k] = updates[k].delta[i];
    std::sort(column.begin(), column.end());
    w[i] = static_cast<float>(static_cast<double>(global[i]) + reduce(column));
  }
  return w;
}

class FedMedian final : public Strategy {
 public:
  [[nodiscard]] std::string_view name() const override { return "fedmedian"; }
  [[nodiscard]] Result<std::vector<float>> propose(std::span<const float> global,
                                                   std::span<const ClientUpdate> updates) const override {
    FLYWHEEL_TRY(check_updates(global, updates));
    return per_coordinate(global, updates, [](const std::vector<float>& sorted) {
      const std::size_t k = sorted.size();
      if (k % 2 == 1) return static_cast<double>(sorted[k / 2]);
      return 0.5 * (static_cast<double>(sorted[k / 2 - 1]) + static_cast<double>(sorted[k / 2]));
    });
  }
};

class FedTrimmedAvg final : public Strategy {
 public:
  explicit FedTrimmedAvg(double beta) : beta_(beta) {}
  [[nodiscard]] std::string_view name() const override { return "fedtrimmedavg"; }
  [[nodiscard]] Result<std::vector<float>> propose(std::span<const float> global,
                                                   std::span<const ClientUpdate> updates) const override {
    FLYWHEEL_TRY(check_updates(global, updates));
    // β < 0.5 keeps at least one value: 2⌊βk⌋ < k.
    const auto cut = static_cast<std::size_t>(beta_ * static_cast<double>(updates.size()));
    return per_coordinate(global, updates, [cut](const std::vector<float>& sorted) {
      double sum = 0;
      for (std::size_t k = cut; k < sorted.size() - cut; ++k) sum += sorted[k];
      return sum / static_cast<double>(sorted.size() - 2 * cut);
    });
  }

 private:
  double beta_;
};

class Krum final : public Strategy {
 public:
  Krum(std::size_t malicious, std::size_t keep, bool multi) : malicious_(malicious), keep_(keep), multi_(multi) {}
  [[nodiscard]] std::string_view name() const override { return multi_ ? "multikrum" : "krum"; }

  [[nodiscard]] Result<std::vector<float>> propose(std::span<const float> global,
                                                   std::span<const ClientUpdate> updates) const override {
    FLYWHEEL_TRY(check_updates(global, updates));
    const std::size_t n = updates.size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    if (n > 1) {
      std::vector<double> distance(n * n, 0.0);
      for (std::size_t a = 0; a < n; ++a) {
        for (std::size_t b = a + 1; b < n; ++b) {
          double d = 0;
          const float* x = updates[a].delta.data();
          const float* y = updates[b].delta.data();
          for (std::size_t i = 0; i < global.size(); ++i) {
            const double diff = static_cast<double>(x[i]) - static_cast<double>(y[i]);
            d += diff * diff;
          }
          distance[a * n + b] = distance[b * n + a] = d;
        }
      }
      const std::size_t wanted = n > malicious_ + 2 ? n - malicious_ - 2 : 1;
      const std::size_t neighbours = std::clamp<std::size_t>(wanted, 1, n - 1);
      std::vector<double> scores(n);
      std::vector<double> row;
      for (std::size_t a = 0; a < n; ++a) {
        row.clear();
        for (std::size_t b = 0; b < n; ++b) {
          if (b != a) row.push_back(distance[a * n + b]);
        }
        std::partial_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(neighbours), row.end());
        scores[a] = std::accumulate(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(neighbours), 0.0);
      }
      // Lowest score first; ties go to the earlier update, so the choice is deterministic.
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    }
    std::size_t keep = 1;
    if (multi_) {
      keep = keep_ > 0 ? keep_ : (n > malicious_ ? n - malicious_ : 1);
      keep = std::clamp<std::size_t>(keep, 1, n);
    }
    std::vector<std::size_t> chosen(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep));
    std::sort(chosen.begin(), chosen.end());
    std::vector<ClientUpdate> selected;
    for (auto k : chosen) selected.push_back(updates[k]);
    if (keep == 1) return apply_update(global, selected.front().delta);
    auto mean = weighted_mean(selected);
    if (!mean) return tl::unexpected(mean.error());
    return apply_update(global, *mean);
  }

 private:
  std::size_t malicious_;
  std::size_t keep_;
  bool multi_;
};

}  // namespace

Result<std::unique_ptr<Strategy>> make_fedmedian(const StrategyConfig&) { return std::make_unique<FedMedian>(); }

Result<std::unique_ptr<Strategy>> make_fedtrimmedavg(const StrategyConfig& config) {
  FLYWHEEL_TRY(check_range("trim_beta", config.trim_beta, 0, 0.5, false));
  return std::make_unique<FedTrimmedAvg>(config.trim_beta);
}

Result<std::unique_ptr<Strategy>> make_krum(const StrategyConfig& config) {
  return std::make_unique<Krum>(config.num_malicious_clients, 0, false);
}

Result<std::unique_ptr<Strategy>> make_multikrum(const StrategyConfig& config) {
  return std::make_unique<Krum>(config.num_malicious_clients, config.num_clients_to_keep, true);
}

}  // namespace flywheel::fedtrain::internal
