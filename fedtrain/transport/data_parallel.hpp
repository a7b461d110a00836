// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once
//! Data-parallel local training inside one participant: the participant runs as an MPI job of
//! several ranks (one per GPU, or several CPU processes); rank 0 talks to the aggregator and every
//! rank trains on its slice of each global minibatch. Before every SGD step the ranks sum their
//! gradients, so the step — and the update pushed — equals one process training on the whole
//! global batch, within float rounding (the synchronous data parallelism of Goyal et al., "Accurate,
//! Large Minibatch SGD", 2017, with the batch size held fixed).
//!
//! Backends:
//! - "mpi": MPI_Allreduce on host memory (CPU ranks; MPI-3, e.g. OpenMPI 4.1).
//! - "nccl": ncclAllReduce on each rank's GPU (rank modulo the visible devices); rank 0 creates the
//!   NCCL unique id and MPI_Bcast hands it to the others (NCCL's documented bootstrap). Built only
//!   with the CMake option FLYWHEEL_CUDA=ON.
//!
//!   auto group = mpi_group();                     // or nccl_group(); in every rank of mpirun
//!   if ((*group)->rank() > 0) return run_participant_rank(job, key, **group);  // trains slices
//!   auto report = run_participant(job, key, {.data_parallel = group->get()});  // rank 0
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "common/result.hpp"

namespace flywheel::fedtrain {

//! The ranks of one data-parallel participant. Every rank calls every collective in the same order
//! with the same sizes, as MPI requires; a rank that diverges deadlocks the job, so the trainer and
//! the participant loop below are written so that all ranks take the same path.
class DataParallelGroup {
 public:
  virtual ~DataParallelGroup() = default;
  //! This process's rank, 0 … size() − 1.
  [[nodiscard]] virtual std::size_t rank() const = 0;
  //! Number of ranks (≥ 1).
  [[nodiscard]] virtual std::size_t size() const = 0;
  //! "mpi" or "nccl".
  [[nodiscard]] virtual std::string_view backend() const = 0;
  //! Replaces `values` with their element-wise sum over all ranks. Errc::internal when the
  //! collective fails.
  virtual Result<void> all_reduce_sum(std::span<float> values) = 0;
  //! Copies rank 0's `bytes` into every other rank's `bytes` (all ranks pass the same size).
  //! Errc::internal when the collective fails.
  virtual Result<void> broadcast(std::span<std::uint8_t> bytes) = 0;
};

//! Joins the MPI job this process was started in
//! (`mpirun -np N flywheel participant --data-parallel mpi …`): initialises MPI once (finalised at
//! exit) and returns the group of all its ranks, all-reducing on the host with MPI_Allreduce.
//! Errc::config when built without MPI; Errc::internal when MPI cannot initialise.
Result<std::unique_ptr<DataParallelGroup>> mpi_group();

//! As mpi_group, but gradients are summed by NCCL on this rank's GPU (device rank % count); MPI
//! bootstraps the NCCL communicator and carries the broadcasts. Errc::config when built without
//! FLYWHEEL_CUDA or when no CUDA device is visible; Errc::internal when CUDA or NCCL fails.
Result<std::unique_ptr<DataParallelGroup>> nccl_group();

//! The rows [begin, end) of a global minibatch of `count` rows that `rank` of `ranks` trains on:
//! contiguous near-equal slices in rank order (the first count % ranks ranks get one more row).
struct BatchSlice {
  std::size_t begin = 0;
  std::size_t end = 0;
};
BatchSlice batch_slice(std::size_t count, std::size_t rank, std::size_t ranks);

}  // namespace flywheel::fedtrain
