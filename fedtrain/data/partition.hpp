// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Splitting a labelled dataset among federated participants:
//! - IID: a uniformly random split into equal parts;
//! - Dirichlet label skew (Hsu, Qi, Brown, "Measuring the effects of non-identical data
//!   distribution for federated visual classification", 2019): for each class, proportions
//!   p ~ Dir(α·1) decide how that class's samples are divided. Small α gives few classes per
//!   participant; large α approaches IID;
//! - shards, the pathological non-IID split of McMahan et al. ("Communication-Efficient Learning of
//!   Deep Networks from Decentralized Data", AISTATS 2017, §3): sort by label, cut into
//!   participants·k equal shards, give each participant k random shards;
//! - quantity skew (Li, Diao, Chen, He, "Federated Learning on Non-IID Data Silos: An Experimental
//!   Study", ICDE 2022 — NIID-Bench): IID labels but sizes in proportions q ~ Dir(α·1).
//! fedtrain/data/job_data.hpp applies the configured one (data.partition) to the participants' pool.
//!
//!   auto parts = dirichlet_partition(train->labels, /*participants=*/10, /*alpha=*/0.5, seed);
//!   // (*parts)[p]: the sorted positions participant p holds
//!   auto counts = class_counts(train->labels, *parts);  // counts[p][c]: p's samples of class c

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/result.hpp"

namespace flywheel::fedtrain {

//! Per participant, the positions (indices into the labels given) of the samples it holds, sorted.
using Partition = std::vector<std::vector<std::size_t>>;

//! A uniformly random split of positions 0..labels.size()-1 into `participants` parts whose sizes
//! differ by at most one. Deterministic for a seed. Errc::invalid_argument when participants is 0
//! or exceeds the number of samples.
Result<Partition> iid_partition(std::span<const std::int64_t> labels, std::size_t participants, std::uint64_t seed);

//! Label-skewed split: each class's samples (shuffled) are cut by proportions drawn from
//! Dirichlet(alpha); the whole draw is repeated (up to 1000 times) until every participant holds at
//! least `min_size` samples. Deterministic for a seed. Errc::invalid_argument naming the argument
//! when participants is 0, alpha is not a positive finite number, participants exceeds the number of
//! samples, participants·min_size exceeds it, a label is negative, or no draw met min_size.
Result<Partition> dirichlet_partition(std::span<const std::int64_t> labels, std::size_t participants, double alpha,
                                      std::uint64_t seed, std::size_t min_size = 10);

//! The pathological split: positions sorted by label (ties in a seeded random order), cut into
//! participants·shards_per_participant contiguous shards of equal size (±1), each participant given
//! shards_per_participant shards chosen uniformly at random without replacement. Deterministic for
//! a seed. Errc::invalid_argument when participants or shards_per_participant is 0 or there are
//! fewer samples than shards.
Result<Partition> shard_partition(std::span<const std::int64_t> labels, std::size_t participants,
                                  std::size_t shards_per_participant, std::uint64_t seed);

//! Quantity skew: a uniformly random order of the positions is cut by proportions drawn from
//! Dirichlet(alpha) over participants; the draw is repeated (up to 1000 times) until every part
//! holds at least `min_size` samples. Errc::invalid_argument as for dirichlet_partition.
Result<Partition> quantity_skew_partition(std::span<const std::int64_t> labels, std::size_t participants, double alpha,
                                          std::uint64_t seed, std::size_t min_size = 10);

//! How many samples of each class every part holds: result[p][c]. Labels must lie in [0, classes).
std::vector<std::vector<std::size_t>> class_counts(std::span<const std::int64_t> labels, const Partition& parts,
                                                   std::size_t classes = 10);

}  // namespace flywheel::fedtrain
