// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// logit_mixture_game (fedtrain/valuation/coalition_model.hpp): a control variate for the stratified (Kolpaczki
// et al., AAAI 2024) and GTG-Shapley (Liu et al., ACM TIST 2022) estimators of FedAvg coalition
// games (FedSV, Wang et al. 2020), modelling each validation row's logits as a quadratic form in the
// coalition's mixture weights.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "common/thread_pool.hpp"
#include "fedtrain/valuation/coalition_model.hpp"

namespace flywheel::fedtrain {
namespace {

// The interpolated form, in unnormalised terms with ŵ the weights scaled to mean 1:
// Q(S) = Σ_{i∈S} D_i + Σ_{i<j∈S} H_ij with D_i = ŵ_i² z_i and H_ij = (ŵ_i + ŵ_j)² z_ij − D_i − D_j,
// and z(S) = Q(S) / (Σ_{i∈S} ŵ_i)². Each is a classes × rows matrix (class-major, so the loops
// below run along rows and vectorise).
struct Terms {
  std::size_t rows = 0, classes = 0, n = 0;
  std::size_t stride = 0;             // rows rounded up to whole blocks (zero padding)
  std::vector<double> w;              // ŵ
  std::vector<float> empty;           // z(∅)
  std::vector<std::vector<float>> d;  // D_i
  std::vector<std::vector<float>> h;  // H_ij at i·n + j, i < j
  std::span<const std::int64_t> labels;
};

// dst = a + b and dst += a over one block; __restrict and the constant trip count let GCC
// vectorise them at -O2 (its cheap cost model adds no runtime alias checks).
void add_block(float* __restrict dst, const float* __restrict a, const float* __restrict b) {
  for (std::size_t r = 0; r < kLogitMixtureBlockRows; ++r) dst[r] = a[r] + b[r];
}
void add_into_block(float* __restrict dst, const float* __restrict a) {
  for (std::size_t r = 0; r < kLogitMixtureBlockRows; ++r) dst[r] += a[r];
}
// ok[r] &= z[r] < label[r] for rows whose label comes after class c, z[r] ≤ label[r] otherwise.
void below_label(char* __restrict ok, const float* __restrict z, const float* __restrict label_logit,
                 const std::size_t* __restrict labels, std::size_t c) {
  for (std::size_t r = 0; r < kLogitMixtureBlockRows; ++r) {
    const bool fine = c < labels[r] ? z[r] < label_logit[r] : z[r] <= label_logit[r];
    ok[r] = static_cast<char>(ok[r] & static_cast<char>(fine));
  }
}

// Row-major rows × classes logits into class-major with `stride` rows per class (zero padded).
std::vector<float> class_major(const std::vector<float>& logits, std::size_t rows, std::size_t classes,
                               std::size_t stride) {
  std::vector<float> out(classes * stride, 0.0F);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < classes; ++c) out[c * stride + r] = logits[r * classes + c];
  }
  return out;
}

// Metric contributions of rows [r0, r0 + block) for every coalition: correct predictions
// (accuracy) or summed cross-entropy. Q of every coalition of the block is kept (2^n · block ·
// classes floats), each built from its parent without the highest member. The predicted class is
// the first largest logit, as CoalitionModels counts it; for accuracy Q is compared unscaled, since
// a positive factor does not change the order.
void tabulate_block(const Terms& t, bool accuracy, std::size_t r0, std::vector<double>& sums) {
  constexpr std::size_t block = kLogitMixtureBlockRows;
  const std::size_t valid = std::min(block, t.rows - r0);  // the rest is padding
  const std::size_t count = std::size_t{1} << t.n;
  const std::size_t cells = block * t.classes;
  // Reused by the worker's next block; every Q but Q(∅) = 0 is overwritten before it is read.
  thread_local std::vector<float> q;
  q.resize(count * cells);
  std::fill_n(q.begin(), cells, 0.0F);
  std::vector<double> total(count, 0.0);
  std::vector<float> z(cells), label_logit(block);
  std::vector<char> ok(block);
  std::vector<std::size_t> labels(block, 0);
  for (std::size_t r = 0; r < valid; ++r) labels[r] = static_cast<std::size_t>(t.labels[r0 + r]);
  for (std::size_t s = 0; s < count; ++s) {
    float* dst = q.data() + s * cells;
    if (s == 0) {
      for (std::size_t c = 0; c < t.classes; ++c) {
        std::copy_n(t.empty.data() + c * t.stride + r0, block, z.data() + c * block);
      }
    } else {
      const std::size_t k = std::bit_width(s) - 1;
      const std::size_t parent = s ^ (std::size_t{1} << k);
      const float* src = q.data() + parent * cells;
      for (std::size_t c = 0; c < t.classes; ++c) {
        add_block(dst + c * block, src + c * block, t.d[k].data() + c * t.stride + r0);
      }
      for (std::size_t j = 0; j < k; ++j) {
        if (((parent >> j) & 1U) == 0) continue;
        for (std::size_t c = 0; c < t.classes; ++c) {
          add_into_block(dst + c * block, t.h[j * t.n + k].data() + c * t.stride + r0);
        }
      }
      total[s] = total[parent] + t.w[k];
    }
    const float* logits = s == 0 ? z.data() : dst;
    if (!accuracy && s != 0) {
      const auto scale = static_cast<float>(1.0 / (total[s] * total[s]));
      for (std::size_t c = 0; c < cells; ++c) z[c] = dst[c] * scale;
      logits = z.data();
    }
    for (std::size_t r = 0; r < block; ++r) {
      label_logit[r] = logits[labels[r] * block + r];
      ok[r] = r < valid ? 1 : 0;
    }
    if (accuracy) {
      // Correct: every class before the label's is below it, every class after it at most equal.
      for (std::size_t c = 0; c < t.classes; ++c) {
        below_label(ok.data(), logits + c * block, label_logit.data(), labels.data(), c);
      }
      std::size_t correct = 0;
      for (std::size_t r = 0; r < block; ++r) correct += static_cast<std::size_t>(ok[r]);
      sums[s] += static_cast<double>(correct);
      continue;
    }
    double sum = 0;
    for (std::size_t r = 0; r < valid; ++r) {
      float best = logits[r];
      for (std::size_t c = 1; c < t.classes; ++c) best = std::max(best, logits[c * block + r]);
      double e = 0;
      for (std::size_t c = 0; c < t.classes; ++c) e += std::exp(static_cast<double>(logits[c * block + r] - best));
      sum += std::log(e) + static_cast<double>(best) - static_cast<double>(label_logit[r]);
    }
    sums[s] += sum;
  }
}

}  // namespace

Result<std::vector<double>> logit_mixture_game(const CoalitionModels& models, bool accuracy, std::size_t threads) {
  const std::size_t n = models.size();
  if (n == 0 || n > kMaxLogitMixtureParticipants) return std::vector<double>{};
  const std::size_t count = std::size_t{1} << n;
  if (count * kLogitMixtureBlockRows * models.classes() * sizeof(float) > kMaxLogitMixtureScratchBytes) {
    return std::vector<double>{};
  }
  Terms t;
  t.n = n;
  t.labels = models.labels();
  t.rows = t.labels.size();
  t.classes = models.classes();
  const auto weights = models.weights();
  const double mean = std::accumulate(weights.begin(), weights.end(), 0.0) / static_cast<double>(n);
  for (double w : weights) t.w.push_back(w / mean);
  // The 1 + n + C(n, 2) coalitions it interpolates, computed in parallel.
  std::vector<std::vector<std::size_t>> coalitions{{}};
  for (std::size_t i = 0; i < n; ++i) coalitions.push_back({i});
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) coalitions.push_back({i, j});
  }
  std::vector<Result<std::vector<float>>> logits(coalitions.size(), std::vector<float>{});
  ThreadPool pool(threads, ThreadPool::Caller::waits);
  pool.run(coalitions.size(), [&](std::size_t i) { logits[i] = models.logits(coalitions[i]); });
  for (auto& l : logits) {
    if (!l) return tl::unexpected(l.error());
  }
  t.stride = (t.rows + kLogitMixtureBlockRows - 1) / kLogitMixtureBlockRows * kLogitMixtureBlockRows;
  for (auto& l : logits) *l = class_major(*l, t.rows, t.classes, t.stride);
  t.empty = std::move(*logits[0]);
  t.d.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    t.d[i] = std::move(*logits[1 + i]);
    for (auto& v : t.d[i]) v = static_cast<float>(t.w[i] * t.w[i] * v);
  }
  t.h.resize(n * n);
  for (std::size_t i = 0, p = 1 + n; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j, ++p) {
      auto& hij = t.h[i * n + j];
      hij = std::move(*logits[p]);
      const double wij = t.w[i] + t.w[j];
      for (std::size_t c = 0; c < hij.size(); ++c) {
        hij[c] = static_cast<float>(wij * wij * hij[c] - t.d[i][c] - t.d[j][c]);
      }
    }
  }
  // Row blocks in parallel; each block's sums are added in block order, so the table does not
  // depend on the thread count.
  const std::size_t blocks = t.stride / kLogitMixtureBlockRows;
  std::vector<std::vector<double>> block_sums(blocks, std::vector<double>(count, 0.0));
  pool.run(blocks, [&](std::size_t b) { tabulate_block(t, accuracy, b * kLogitMixtureBlockRows, block_sums[b]); });
  std::vector<double> table(count, 0.0);
  for (const auto& sums : block_sums) {
    for (std::size_t s = 0; s < count; ++s) table[s] += sums[s];
  }
  for (auto& v : table) v = (accuracy ? v : -v) / static_cast<double>(t.rows);
  // Huge logits can overflow the loss: decline rather than end the estimate.
  if (!std::all_of(table.begin(), table.end(), [](double v) { return std::isfinite(v); })) return std::vector<double>{};
  return table;
}

}  // namespace flywheel::fedtrain
