// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once
//! Process-wide MPI start-up shared by the MPI and NCCL backends
//! (fedtrain/transport/data_parallel.hpp).
#include <cstddef>

#include "common/result.hpp"

namespace flywheel::fedtrain {

//! This process's place in MPI_COMM_WORLD.
struct MpiWorld {
  std::size_t rank = 0;
  std::size_t size = 1;
};

//! Initialises MPI on the first call (MPI_THREAD_FUNNELED; finalised at process exit) and returns
//! this rank and the world size. Errc::internal when MPI cannot initialise.
Result<MpiWorld> mpi_world();

}  // namespace flywheel::fedtrain
