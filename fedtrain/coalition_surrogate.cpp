// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// logit_mixture_game (fedtrain/coalition_model.hpp): a control variate for the stratified Shapley
// estimator (Kolpaczki et al., AAAI 2024) of FedAvg coalition games (FedSV, Wang et al. 2020),
// modelling each validation row's logits as a quadratic form in the coalition's mixture weights.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <thread>
#include <vector>

#include "fedtrain/coalition_model.hpp"

namespace flywheel::fedtrain {
namespace {

// The interpolated form, in unnormalised terms with ŵ the weights scaled to mean 1:
// Q(S) = Σ_{i∈S} D_i + Σ_{i<j∈S} H_ij with D_i = ŵ_i² z_i and H_ij = (ŵ_i + ŵ_j)² z_ij − D_i − D_j,
// and z(S) = Q(S) / (Σ_{i∈S} ŵ_i)². Each is a rows × classes matrix.
struct Terms {
  std::size_t rows = 0, classes = 0, n = 0;
  std::vector<double> w;                 // ŵ
  std::vector<float> empty;              // z(∅)
  std::vector<std::vector<float>> d;     // D_i
  std::vector<std::vector<float>> h;     // H_ij at i·n + j, i < j
  std::span<const std::int64_t> labels;
};

// Metric contributions of rows [r0, r0 + block) for every coalition: correct predictions
// (accuracy) or summed cross-entropy. Q of every coalition of the block is kept (2^n · block ·
// classes floats), each built from its parent without the highest member.
void tabulate_block(const Terms& t, bool accuracy, std::size_t r0, std::size_t block, std::vector<double>& sums) {
  const std::size_t count = std::size_t{1} << t.n;
  const std::size_t cells = block * t.classes;
  const std::size_t offset = r0 * t.classes;
  std::vector<float> q(count * cells, 0.0F);
  std::vector<double> total(count, 0.0);
  std::vector<float> z(cells);
  for (std::size_t s = 0; s < count; ++s) {
    const float* logits = nullptr;
    if (s == 0) {
      logits = t.empty.data() + offset;
    } else {
      const std::size_t k = std::bit_width(s) - 1;
      const std::size_t parent = s ^ (std::size_t{1} << k);
      float* dst = q.data() + s * cells;
      const float* src = q.data() + parent * cells;
      const float* dk = t.d[k].data() + offset;
      for (std::size_t c = 0; c < cells; ++c) dst[c] = src[c] + dk[c];
      for (std::size_t j = 0; j < k; ++j) {
        if (((parent >> j) & 1U) == 0) continue;
        const float* hjk = t.h[j * t.n + k].data() + offset;
        for (std::size_t c = 0; c < cells; ++c) dst[c] += hjk[c];
      }
      total[s] = total[parent] + t.w[k];
      const auto scale = static_cast<float>(1.0 / (total[s] * total[s]));
      for (std::size_t c = 0; c < cells; ++c) z[c] = dst[c] * scale;
      logits = z.data();
    }
    double sum = 0;
    for (std::size_t r = 0; r < block; ++r) {
      const float* row = logits + r * t.classes;
      std::size_t best = 0;
      for (std::size_t c = 1; c < t.classes; ++c) {
        if (row[c] > row[best]) best = c;
      }
      const auto target = static_cast<std::size_t>(t.labels[r0 + r]);
      if (accuracy) {
        sum += best == target ? 1.0 : 0.0;
        continue;
      }
      double e = 0;
      for (std::size_t c = 0; c < t.classes; ++c) e += std::exp(static_cast<double>(row[c] - row[best]));
      sum += std::log(e) + static_cast<double>(row[best]) - static_cast<double>(row[target]);
    }
    sums[s] += sum;
  }
}

}  // namespace

Result<std::vector<double>> logit_mixture_game(const CoalitionModels& models, bool accuracy, std::size_t threads) {
  const std::size_t n = models.size();
  if (n == 0 || n > kMaxLogitMixtureParticipants) return std::vector<double>{};
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
  threads = std::max<std::size_t>(1, std::min(threads, coalitions.size()));
  auto run = [&](auto&& task, std::size_t tasks) {
    std::vector<std::thread> pool;
    for (std::size_t w = 0; w < threads; ++w) {
      pool.emplace_back([&, w] {
        for (std::size_t i = w; i < tasks; i += threads) task(i);
      });
    }
    for (auto& th : pool) th.join();
  };
  run([&](std::size_t i) { logits[i] = models.logits(coalitions[i]); }, coalitions.size());
  for (auto& l : logits) {
    if (!l) return tl::unexpected(l.error());
  }
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
  constexpr std::size_t kBlockRows = 8;
  const std::size_t blocks = (t.rows + kBlockRows - 1) / kBlockRows;
  const std::size_t count = std::size_t{1} << n;
  std::vector<std::vector<double>> block_sums(blocks, std::vector<double>(count, 0.0));
  run(
      [&](std::size_t b) {
        const std::size_t r0 = b * kBlockRows;
        tabulate_block(t, accuracy, r0, std::min(kBlockRows, t.rows - r0), block_sums[b]);
      },
      blocks);
  std::vector<double> table(count, 0.0);
  for (const auto& sums : block_sums) {
    for (std::size_t s = 0; s < count; ++s) table[s] += sums[s];
  }
  for (auto& v : table) v = (accuracy ? v : -v) / static_cast<double>(t.rows);
  return table;
}

}  // namespace flywheel::fedtrain
