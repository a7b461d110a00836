// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The job's data split (fedtrain/data/job_data.hpp): written once so that the simulation, the
// deployment processes and the replay cannot drift apart.
#include "fedtrain/data/job_data.hpp"

#include <algorithm>
#include <numeric>
#include <span>
#include <string>

#include "fedtrain/data/partition.hpp"
#include "fedtrain/data/profile.hpp"
#include "fedtrain/internal/random.hpp"

namespace flywheel::fedtrain {

using internal::derive_seed;
using internal::kPartitionStream;
using internal::kProfileStream;
using internal::kValidationStream;
using internal::Rng;

Result<JobData> load_job_data(const SimulationConfig& config, bool with_test_set) {
  auto train = load_fashion_mnist(config.data.root, Split::train, config.data.train_limit);
  if (!train) return tl::unexpected(train.error());
  JobData data{.train = std::move(*train), .test = {}, .pool_indices = {}, .validation = {}};
  if (with_test_set) {
    auto test = load_fashion_mnist(config.data.root, Split::test);
    if (!test) return tl::unexpected(test.error());
    data.test = std::move(*test);
  }
  if (config.data.validation_size >= data.train.size()) {
    return fail(Errc::config, "data.validation_size (" + std::to_string(config.data.validation_size) +
                                  ") must be smaller than the training set (" + std::to_string(data.train.size()) +
                                  " samples" + (config.data.train_limit > 0 ? " after data.train_limit" : "") + ")");
  }
  std::vector<std::size_t> order(data.train.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  Rng rng(derive_seed(config.job.seed, {kValidationStream}));
  internal::shuffle(std::span(order), rng);
  const std::size_t pool_size = order.size() - config.data.validation_size;
  data.pool_indices.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(pool_size));
  data.validation.assign(order.begin() + static_cast<std::ptrdiff_t>(pool_size), order.end());
  std::sort(data.pool_indices.begin(), data.pool_indices.end());
  std::sort(data.validation.begin(), data.validation.end());
  return data;
}

Result<std::vector<ParticipantData>> split_among_participants(const SimulationConfig& config, const Dataset& train,
                                                              std::span<const std::size_t> pool) {
  const std::size_t n = config.participants.count();
  if (n > pool.size()) {
    return fail(Errc::config, "participants.count (" + std::to_string(n) + ") exceeds the " +
                                  std::to_string(pool.size()) +
                                  " training samples left for participants; lower it or raise data.train_limit");
  }
  std::vector<std::int64_t> pool_labels(pool.size());
  for (std::size_t k = 0; k < pool.size(); ++k) pool_labels[k] = train.labels[pool[k]];
  const auto seed = derive_seed(config.job.seed, {kPartitionStream});
  const auto& d = config.data;
  Result<Partition> parts = fail(Errc::internal, "no partition");
  switch (d.partition) {
    case PartitionKind::iid:
      parts = iid_partition(pool_labels, n, seed);
      break;
    case PartitionKind::dirichlet:
      parts = dirichlet_partition(pool_labels, n, d.alpha, seed, d.min_partition_size);
      break;
    case PartitionKind::shards:
      parts = shard_partition(pool_labels, n, d.shards_per_participant, seed);
      break;
    case PartitionKind::quantity_skew:
      parts = quantity_skew_partition(pool_labels, n, d.alpha, seed, d.min_partition_size);
      break;
  }
  if (!parts) {
    return fail(Errc::config, "cannot split " + std::to_string(pool_labels.size()) +
                                  " samples among participants.count=" + std::to_string(n) + " with data.partition \"" +
                                  std::string(partition_name(d.partition)) + "\": " + parts.error().message);
  }
  const auto counts = class_counts(pool_labels, *parts, Dataset::kClasses);
  std::vector<ParticipantData> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& profile = config.participants.profiles[i];
    const std::size_t source = data_source(profile, i);
    ParticipantData& p = out[i];
    p.indices.reserve((*parts)[source].size());
    for (auto position : (*parts)[source]) p.indices.push_back(pool[position]);
    p.labels = training_labels(profile, train.labels, p.indices, derive_seed(config.job.seed, {kProfileStream, i}));
    p.class_counts = counts[source];
  }
  return out;
}

}  // namespace flywheel::fedtrain
