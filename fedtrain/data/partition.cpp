// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Dirichlet label skew after Hsu et al. 2019 (arXiv:1909.06335), with the "redraw until every
// party has enough samples" rule used by NIID-Bench (Li et al., arXiv:2102.02079), which also
// defines the quantity skew split; shards after McMahan et al. 2017 (arXiv:1602.05629), §3.
#include "fedtrain/data/partition.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "fedtrain/internal/random.hpp"

namespace flywheel::fedtrain {
namespace {

constexpr int kMaxDirichletDraws = 1000;

Result<void> check_common(std::span<const std::int64_t> labels, std::size_t participants) {
  if (participants == 0) {
    return fail(Errc::invalid_argument, "participants must be at least 1");
  }
  if (participants > labels.size()) {
    return fail(Errc::invalid_argument, "participants (" + std::to_string(participants) +
                                            ") exceeds the number of samples (" + std::to_string(labels.size()) + ")");
  }
  return {};
}

// Fills `proportions` with unnormalised Dirichlet(alpha) weights (gamma draws) and returns their
// sum. Tiny alpha can underflow every draw to zero; draw again rather than divide by it.
double draw_dirichlet(internal::Rng& rng, double alpha, std::vector<double>& proportions) {
  double sum = 0;
  while (!(sum > 0)) {
    sum = 0;
    for (auto& p : proportions) {
      p = internal::gamma(rng, alpha);
      sum += p;
    }
  }
  return sum;
}

// Appends to parts[p] the slice of `items` between the cumulative proportions p-1 and p; the last
// part takes the rest exactly, so every item lands in one part.
void append_slices(Partition& parts, std::span<const std::size_t> items, const std::vector<double>& proportions,
                   double sum) {
  double cumulative = 0;
  std::size_t start = 0;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    cumulative += proportions[p] / sum;
    std::size_t end =
        p + 1 == parts.size() ? items.size() : static_cast<std::size_t>(cumulative * static_cast<double>(items.size()));
    end = std::clamp(end, start, items.size());
    parts[p].insert(parts[p].end(), items.begin() + static_cast<std::ptrdiff_t>(start),
                    items.begin() + static_cast<std::ptrdiff_t>(end));
    start = end;
  }
}

void sort_parts(Partition& parts) {
  for (auto& part : parts) std::sort(part.begin(), part.end());
}

}  // namespace

Result<Partition> iid_partition(std::span<const std::int64_t> labels, std::size_t participants, std::uint64_t seed) {
  FLYWHEEL_TRY(check_common(labels, participants));
  std::vector<std::size_t> order(labels.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  internal::Rng rng(internal::derive_seed(seed, {0x11d}));
  internal::shuffle(std::span(order), rng);
  Partition parts(participants);
  const std::size_t base = order.size() / participants;
  const std::size_t extra = order.size() % participants;
  auto cursor = order.begin();
  for (std::size_t p = 0; p < participants; ++p) {
    const std::size_t take = base + (p < extra ? 1 : 0);
    parts[p].assign(cursor, cursor + static_cast<std::ptrdiff_t>(take));
    cursor += static_cast<std::ptrdiff_t>(take);
  }
  sort_parts(parts);
  return parts;
}

Result<Partition> dirichlet_partition(std::span<const std::int64_t> labels, std::size_t participants, double alpha,
                                      std::uint64_t seed, std::size_t min_size) {
  FLYWHEEL_TRY(check_common(labels, participants));
  if (!(alpha > 0) || !std::isfinite(alpha)) {
    return fail(Errc::invalid_argument, "alpha must be a positive finite number, got " + std::to_string(alpha));
  }
  if (participants * min_size > labels.size()) {
    return fail(Errc::invalid_argument, "min_size (" + std::to_string(min_size) + ") times participants (" +
                                            std::to_string(participants) + ") exceeds the number of samples (" +
                                            std::to_string(labels.size()) + ")");
  }
  // Positions of each class, in a fixed order.
  std::vector<std::vector<std::size_t>> by_class;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0) {
      return fail(Errc::invalid_argument, "label at position " + std::to_string(i) + " is negative");
    }
    const auto c = static_cast<std::size_t>(labels[i]);
    if (c >= by_class.size()) by_class.resize(c + 1);
    by_class[c].push_back(i);
  }

  internal::Rng rng(internal::derive_seed(seed, {0xd1c}));
  std::vector<double> proportions(participants);
  for (int draw = 0; draw < kMaxDirichletDraws; ++draw) {
    Partition parts(participants);
    for (auto& members : by_class) {
      if (members.empty()) continue;
      internal::shuffle(std::span(members), rng);
      const double sum = draw_dirichlet(rng, alpha, proportions);
      append_slices(parts, members, proportions, sum);
    }
    const bool big_enough =
        std::all_of(parts.begin(), parts.end(), [&](const auto& part) { return part.size() >= min_size; });
    if (big_enough) {
      sort_parts(parts);
      return parts;
    }
  }
  return fail(Errc::invalid_argument, "no Dirichlet(alpha=" + std::to_string(alpha) + ") split in " +
                                          std::to_string(kMaxDirichletDraws) + " draws gave every one of " +
                                          std::to_string(participants) + " participants at least min_size=" +
                                          std::to_string(min_size) + " samples; raise alpha or use fewer participants");
}

Result<Partition> shard_partition(std::span<const std::int64_t> labels, std::size_t participants,
                                  std::size_t shards_per_participant, std::uint64_t seed) {
  FLYWHEEL_TRY(check_common(labels, participants));
  if (shards_per_participant == 0) {
    return fail(Errc::invalid_argument, "shards_per_participant must be at least 1");
  }
  const std::size_t shards = participants * shards_per_participant;
  if (shards > labels.size()) {
    return fail(Errc::invalid_argument, std::to_string(shards) +
                                            " shards (participants × shards_per_participant) exceed the " +
                                            std::to_string(labels.size()) + " samples");
  }
  internal::Rng rng(internal::derive_seed(seed, {0x5a4d}));
  std::vector<std::size_t> order(labels.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  internal::shuffle(std::span(order), rng);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return labels[a] < labels[b]; });
  std::vector<std::size_t> shard_ids(shards);
  std::iota(shard_ids.begin(), shard_ids.end(), std::size_t{0});
  internal::shuffle(std::span(shard_ids), rng);
  Partition parts(participants);
  for (std::size_t k = 0; k < shards; ++k) {
    const std::size_t shard = shard_ids[k];
    const std::size_t begin = shard * order.size() / shards;
    const std::size_t end = (shard + 1) * order.size() / shards;
    auto& part = parts[k / shards_per_participant];
    part.insert(part.end(), order.begin() + static_cast<std::ptrdiff_t>(begin),
                order.begin() + static_cast<std::ptrdiff_t>(end));
  }
  sort_parts(parts);
  return parts;
}

Result<Partition> quantity_skew_partition(std::span<const std::int64_t> labels, std::size_t participants, double alpha,
                                          std::uint64_t seed, std::size_t min_size) {
  FLYWHEEL_TRY(check_common(labels, participants));
  if (!(alpha > 0) || !std::isfinite(alpha)) {
    return fail(Errc::invalid_argument, "alpha must be a positive finite number, got " + std::to_string(alpha));
  }
  if (participants * min_size > labels.size()) {
    return fail(Errc::invalid_argument, "min_size (" + std::to_string(min_size) + ") times participants (" +
                                            std::to_string(participants) + ") exceeds the number of samples (" +
                                            std::to_string(labels.size()) + ")");
  }
  internal::Rng rng(internal::derive_seed(seed, {0x9a7}));
  std::vector<std::size_t> order(labels.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<double> proportions(participants);
  for (int draw = 0; draw < kMaxDirichletDraws; ++draw) {
    internal::shuffle(std::span(order), rng);
    const double sum = draw_dirichlet(rng, alpha, proportions);
    Partition parts(participants);
    append_slices(parts, order, proportions, sum);
    const bool big_enough =
        std::all_of(parts.begin(), parts.end(), [&](const auto& part) { return part.size() >= min_size; });
    if (big_enough) {
      sort_parts(parts);
      return parts;
    }
  }
  return fail(Errc::invalid_argument, "no quantity-skew Dirichlet(alpha=" + std::to_string(alpha) + ") split in " +
                                          std::to_string(kMaxDirichletDraws) + " draws gave every one of " +
                                          std::to_string(participants) + " participants at least min_size=" +
                                          std::to_string(min_size) + " samples; raise alpha or use fewer participants");
}

std::vector<std::vector<std::size_t>> class_counts(std::span<const std::int64_t> labels, const Partition& parts,
                                                   std::size_t classes) {
  std::vector<std::vector<std::size_t>> counts(parts.size(), std::vector<std::size_t>(classes, 0));
  for (std::size_t p = 0; p < parts.size(); ++p) {
    for (auto position : parts[p]) ++counts[p][static_cast<std::size_t>(labels[position])];
  }
  return counts;
}

}  // namespace flywheel::fedtrain
