// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// FedAvg's server merge (McMahan et al. 2017: w ← w + Σ_k (n_k/n) Δ_k; fedtrain::weighted_mean,
// which accumulates in double, in a fixed order, for bit-reproducible models) against the plain
// streaming sum out[i] = Σ_k Δ_k[i] in float, measured in the same binary on the same buffers.
// Both are memory-bound: each reads K·P floats and writes P. Prints bytes/s of each and the ratio
// (target: the merge keeps ≥ 70% of the plain sum's throughput).
//
//   flywheel_fedavg_bench [--params 10000000] [--updates 10] [--repeats 5]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fedtrain/strategy/strategy.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// The baseline: the same blocked streaming pattern, float accumulators, no weights. Full blocks
// have a constant trip count so the compiler vectorises them, as it does the merge's.
void plain_sum(const std::vector<std::vector<float>>& updates, std::vector<float>& out) {
  constexpr std::size_t kBlock = 4096;
  const std::size_t length = out.size();
  const std::size_t full_blocks = length / kBlock * kBlock;
  float* __restrict o = out.data();
  alignas(64) float sum[kBlock];
  for (std::size_t begin = 0; begin < full_blocks; begin += kBlock) {
    for (std::size_t i = 0; i < kBlock; ++i) sum[i] = 0.0F;
    for (const auto& update : updates) {
      const float* __restrict u = update.data() + begin;
      for (std::size_t i = 0; i < kBlock; ++i) sum[i] += u[i];
    }
    for (std::size_t i = 0; i < kBlock; ++i) o[begin + i] = sum[i];
  }
  for (std::size_t i = full_blocks; i < length; ++i) {
    float value = 0.0F;
    for (const auto& update : updates) value += update[i];
    o[i] = value;
  }
}

std::size_t flag(int argc, char** argv, const std::string& name, std::size_t fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return static_cast<std::size_t>(std::strtoull(argv[i + 1], nullptr, 10));
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t params = flag(argc, argv, "--params", 10'000'000);
  const std::size_t count = flag(argc, argv, "--updates", 10);
  const std::size_t repeats = std::max<std::size_t>(1, flag(argc, argv, "--repeats", 5));

  std::vector<std::vector<float>> updates(count, std::vector<float>(params));
  std::uint64_t state = 42;
  for (auto& update : updates) {
    for (auto& x : update) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      x = static_cast<float>(static_cast<std::int64_t>(state >> 40) - (1 << 23)) * 1e-9F;
    }
  }
  std::vector<flywheel::fedtrain::ClientUpdate> client_updates;
  for (std::size_t k = 0; k < count; ++k) {
    client_updates.push_back({.delta = updates[k], .samples = 1000 + 37 * k});
  }
  const double bytes = static_cast<double>((count + 1) * params * sizeof(float));

  // Both write into a buffer allocated once, as a server reusing its model buffer does; the
  // allocating weighted_mean() is timed too, for information (first-touch page faults).
  std::vector<float> plain(params);
  std::vector<float> merged(params);
  double best_plain = 1e300;
  double best_merge = 1e300;
  double best_allocating = 1e300;
  double checksum = 0;
  for (std::size_t r = 0; r < repeats; ++r) {
    auto start = Clock::now();
    plain_sum(updates, plain);
    best_plain = std::min(best_plain, seconds_since(start));
    checksum += plain[params / 2];

    start = Clock::now();
    auto done = flywheel::fedtrain::weighted_mean_into(client_updates, merged);
    best_merge = std::min(best_merge, seconds_since(start));
    if (!done) {
      std::fprintf(stderr, "merge failed: %s\n", done.error().to_string().c_str());
      return 1;
    }
    checksum += merged[params / 2];

    start = Clock::now();
    auto fresh = flywheel::fedtrain::weighted_mean(client_updates);
    best_allocating = std::min(best_allocating, seconds_since(start));
    if (!fresh || *fresh != merged) {
      std::fprintf(stderr, "the allocating merge disagrees with weighted_mean_into\n");
      return 1;
    }
  }
  const double plain_rate = bytes / best_plain;
  const double merge_rate = bytes / best_merge;
  std::printf("fedavg merge of %zu updates x %zu float32 parameters (%.0f MB moved per merge), best of %zu\n", count,
              params, bytes / 1e6, repeats);
  std::printf("  plain streaming sum   %8.2f GB/s  (%.1f ms)\n", plain_rate / 1e9, best_plain * 1e3);
  std::printf("  fedtrain FedAvg merge %8.2f GB/s  (%.1f ms)  [weighted_mean_into]\n", merge_rate / 1e9,
              best_merge * 1e3);
  std::printf("  allocating merge      %8.2f GB/s  (%.1f ms)  [weighted_mean, for information]\n",
              bytes / best_allocating / 1e9, best_allocating * 1e3);
  std::printf("  ratio %.2f (target >= 0.70)%s\n", merge_rate / plain_rate,
              merge_rate / plain_rate >= 0.70 ? "" : "  BELOW TARGET");
  std::printf("  (checksum %g)\n", checksum);
  return 0;
}
