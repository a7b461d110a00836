// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A job's data, split once for every mode: the training rows the aggregator holds back for
//! validation, the pool the participants share, and each participant's rows and training labels.
//! The simulation, the deployment aggregator, each participant process and the replay
//! (`flywheel attribute`) all call these two functions, so they split exactly alike.
//!
//!   auto data = load_job_data(config);                 // Fashion-MNIST, validation split
//!   auto shares = split_among_participants(config, data->train, data->pool_indices);
//!   train_local(model, global, data->train, (*shares)[i].indices, training, (*shares)[i].labels);

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "fedtrain/config.hpp"
#include "fedtrain/data/dataset.hpp"

namespace flywheel::fedtrain {

//! The job's data: the training set, the test set (empty when not loaded), and the split of
//! training rows into the participants' pool and the aggregator's validation set (both sorted).
struct JobData {
  Dataset train;
  Dataset test;
  std::vector<std::size_t> pool_indices;
  std::vector<std::size_t> validation;
};

//! Loads Fashion-MNIST as config.data says (the test split too when `with_test_set`) and holds the
//! last data.validation_size rows of a permutation drawn from the validation stream back for
//! validation. Errors: Errc::data when the dataset is missing or malformed; Errc::config when the
//! validation set is not smaller than the training data.
Result<JobData> load_job_data(const SimulationConfig& config, bool with_test_set = true);

//! One participant's share of the pool: rows of JobData::train, the labels it trains on (its
//! profile may change them; same order as `indices`), and the class counts of the partition it
//! draws from.
struct ParticipantData {
  std::vector<std::size_t> indices;
  std::vector<std::int64_t> labels;
  std::vector<std::size_t> class_counts;
};

//! Splits `pool_indices` (JobData::pool_indices, rows of `train`) among config.participants with
//! config.data.partition (partition stream) and applies each participant's profile (profile stream
//! {4, i}); one entry per participant, in participant order. Errors: Errc::config when there are
//! more participants than pool rows or the partition cannot be made (e.g. too few rows for
//! min_partition_size).
Result<std::vector<ParticipantData>> split_among_participants(const SimulationConfig& config, const Dataset& train,
                                                              std::span<const std::size_t> pool_indices);

}  // namespace flywheel::fedtrain
