// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Fast validation of FedAvg coalition models of the "mlp" model, for attribution (FedSV, Wang et
//! al. 2020; GTG-Shapley, Liu et al. 2022): U(S) is a metric of w_t + Σ_{i∈S} (n_i / Σ_{j∈S} n_j) Δ_i.
//!
//! The first layer's pre-activations on the validation rows X are linear in the weights, so for
//! every coalition X·W1(S)ᵀ + b1(S) = Z_t + (Σ_{i∈S} n_i P_i) / Σ_{j∈S} n_j with Z_t = X·W1_tᵀ + b1_t
//! and P_i = X·ΔW1_iᵀ + Δb1_i computed once per round (one rows×784×h0 product per participant).
//! Each coalition then costs min(|S|, n − |S|) additions of a rows×h0 matrix (the sum over the
//! complement is subtracted from the precomputed total when S holds more than half) plus the
//! layers after the first, rebuilt from their (small) slices of the updates; the general path
//! rebuilds all parameters and multiplies X by W1 (rows×784×h0) for every coalition.
//!
//! Same model as strategy fedavg / fedprox's propose(); the results equal the general path's
//! (rebuild + fedtrain::evaluate) up to float rounding, which can flip the predicted class of a
//! validation row whose two top logits tie to ~1e-6 (tested:
//! fedtrain/valuation/coalition_model_test.cpp).
//!
//!   auto models = CoalitionModels::create(config.model, global, updates, samples, data->train,
//!                                         data->validation, /*threads=*/2);
//!   const std::size_t members[] = {0, 2};
//!   auto u = models->accuracy(members);  // U({0, 2}): accuracy of w_t + the merge of Δ_0 and Δ_2

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "fedtrain/data/dataset.hpp"
#include "fedtrain/model/model.hpp"

namespace flywheel::fedtrain {

//! Precomputed FedAvg coalition models of one round (see the file comment). Immutable once built;
//! evaluate() is thread-safe. Cheap to copy (shared state).
class CoalitionModels {
 public:
  //! Precomputes the round on `threads` threads (results do not depend on it). `updates[i]` is
  //! participant i's Δ_i (flat layout), `samples[i]` its FedAvg weight n_i. Errc::invalid_argument
  //! unless model.name is "mlp", every vector has parameter_count(model) floats, samples has one
  //! entry per update and no entry is 0, `indices` is non-empty and in range; Errc::internal when
  //! libtorch fails.
  static Result<CoalitionModels> create(const ModelConfig& model, std::span<const float> global,
                                        std::span<const std::span<const float>> updates,
                                        std::span<const std::uint64_t> samples, const Dataset& data,
                                        std::span<const std::size_t> indices, std::size_t threads = 1);

  //! Validation metrics of w_t + Σ_{i∈members} (n_i / Σ n) Δ_i (of w_t when `members` is empty).
  //! `members` are update indices, each at most once, any order. Errc::invalid_argument for an
  //! index out of range or repeated. Deterministic for a member set.
  [[nodiscard]] Result<Evaluation> evaluate(std::span<const std::size_t> members) const;

  //! evaluate(members)->accuracy without the loss (no softmax): the cheaper call for accuracy
  //! utilities; same value, same errors.
  [[nodiscard]] Result<double> accuracy(std::span<const std::size_t> members) const;

  //! accuracy() of each coalition (update indices per coalition), computed in one pass over the
  //! precomputed matrices per block of validation rows, so a batch costs far less memory traffic
  //! than its coalitions one by one. Each value equals accuracy() of that coalition bit for bit,
  //! whatever else the batch holds. Errors as evaluate().
  [[nodiscard]] Result<std::vector<double>> accuracies(std::span<const std::vector<std::size_t>> coalitions) const;

  //! The validation logits of the coalition model evaluate(members) measures: rows × classes,
  //! row-major, rows in the order of `indices` given to create(). Errors as evaluate().
  [[nodiscard]] Result<std::vector<float>> logits(std::span<const std::size_t> members) const;

  //! The validation rows' labels, in the order of logits()'s rows.
  [[nodiscard]] std::span<const std::int64_t> labels() const;

  //! Number of classes (columns of logits()).
  [[nodiscard]] std::size_t classes() const;

  //! The merge weights n_i (training samples), one per update.
  [[nodiscard]] std::span<const double> weights() const;

  //! Number of updates.
  [[nodiscard]] std::size_t size() const;

 private:
  struct Impl;  // defined in fedtrain/model/internal/torch_model.cpp (libtorch stays out of this header)
  // Appends each coalition's logits to *logits_out when it is not null.
  [[nodiscard]] Result<std::vector<Evaluation>> evaluate_batch(std::span<const std::vector<std::size_t>> coalitions,
                                                               bool loss_too,
                                                               std::vector<std::vector<float>>* logits_out) const;
  explicit CoalitionModels(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

//! Up to this many updates logit_mixture_game() tabulates its game; its cost grows as
//! n · 2^(n−1) · rows · classes (n = 12, 1,000 rows: ~2·10^8 additions).
inline constexpr std::size_t kMaxLogitMixtureParticipants = 12;

//! Rows logit_mixture_game() processes together (a compile-time trip count GCC vectorises).
inline constexpr std::size_t kLogitMixtureBlockRows = 32;

//! Largest per-thread scratch logit_mixture_game() takes: 2^n · kLogitMixtureBlockRows · classes
//! floats (n = 12 and 10 classes: 5 MiB); above, it declines.
inline constexpr std::size_t kMaxLogitMixtureScratchBytes = std::size_t{256} << 20;

//! A cheap approximation of the coalition game, tabulated over all 2^n coalitions (index = mask,
//! bit i = update i), for the gtg and stratified estimators' control variate
//! (attribution::ControlVariate). Each validation row's logits are modelled as a quadratic form
//! in the merge's mixture weights α_i = n_i / Σ_{j∈S} n_j, z(S) = Σ_{i,j∈S} α_i α_j G_ij, with G
//! fitted per row and class to interpolate the real logits of every singleton and pair:
//! G_ii = z({i}), 2 α_i α_j G_ij = z({i, j}) − α_i² z({i}) − α_j² z({j}) at the pair's own weights.
//! With one hidden layer the form is exact wherever the ReLUs keep their on/off pattern between
//! coalitions (the logits are then quadratic in α); with more layers it approximates. Either way it
//! carries most of the utility's structure, including which rows sit near a decision boundary. The
//! metric is then taken of the modelled logits exactly as of real ones: accuracy (first largest
//! logit = label) or, with `accuracy` false, minus the mean cross-entropy. f(∅) is the metric of
//! w_t's logits. Computes the 1 + n + C(n, 2) coalition models it interpolates (the estimator has
//! evaluated them already; they are not new information) on `threads` workers; the table does not
//! depend on the thread count. Declines (returns an empty table, and the estimator falls back)
//! when models.size() > kMaxLogitMixtureParticipants, when the scratch would pass
//! kMaxLogitMixtureScratchBytes, or when a value is not finite (the loss of huge logits). Errors:
//! those of CoalitionModels::logits.
[[nodiscard]] Result<std::vector<double>> logit_mixture_game(const CoalitionModels& models, bool accuracy,
                                                             std::size_t threads = 1);

}  // namespace flywheel::fedtrain
