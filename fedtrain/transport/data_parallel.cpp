// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The parts of data-parallel training that need neither MPI nor CUDA: how a global minibatch is
// sliced among ranks, and which backends this build has. The backends live in mpi/mpi_group.cpp
// (CMake option FLYWHEEL_MPI) and cuda/nccl_group.cpp (FLYWHEEL_CUDA).
#include "fedtrain/transport/data_parallel.hpp"

namespace flywheel::fedtrain {

BatchSlice batch_slice(std::size_t count, std::size_t rank, std::size_t ranks) {
  if (ranks == 0 || rank >= ranks) return {};
  const std::size_t base = count / ranks;
  const std::size_t extra = count % ranks;
  const std::size_t begin = rank * base + (rank < extra ? rank : extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

#ifndef FLYWHEEL_HAVE_MPI
Result<std::unique_ptr<DataParallelGroup>> mpi_group() {
  return fail(Errc::config,
              "this flywheel was built without MPI; reconfigure with -DFLYWHEEL_MPI=ON (Debian: "
              "libopenmpi-dev) to run a participant as an MPI job");
}
#endif

#ifndef FLYWHEEL_HAVE_NCCL
Result<std::unique_ptr<DataParallelGroup>> nccl_group() {
  return fail(Errc::config,
              "this flywheel was built without the CUDA/NCCL path; reconfigure with "
              "-DFLYWHEEL_CUDA=ON where a CUDA toolkit with NCCL is installed");
}
#endif

}  // namespace flywheel::fedtrain
