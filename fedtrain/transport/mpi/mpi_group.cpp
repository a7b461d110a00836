// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The MPI backend of data-parallel training (MPI-3.1 standard: MPI_Init_thread, MPI_Allreduce with
// MPI_SUM on MPI_FLOAT, MPI_Bcast). Compiled when the CMake option FLYWHEEL_MPI is on. MPI is
// initialised once per process with MPI_THREAD_FUNNELED (only the thread that trains calls MPI; the
// participant's heartbeat thread never does) and finalised when the process exits.
#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>

#include <mpi.h>

#include "fedtrain/transport/data_parallel.hpp"
#include "fedtrain/transport/mpi/mpi_group.hpp"

namespace flywheel::fedtrain {
namespace {

std::string mpi_error(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<std::size_t>(length));
}

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

// MPI counts are int: split a collective over more than INT_MAX elements into parts.
constexpr std::size_t kMaxCount = static_cast<std::size_t>(INT_MAX);

class MpiGroup final : public DataParallelGroup {
 public:
  MpiGroup(std::size_t rank, std::size_t size) : rank_(rank), size_(size) {}
  [[nodiscard]] std::size_t rank() const override { return rank_; }
  [[nodiscard]] std::size_t size() const override { return size_; }
  [[nodiscard]] std::string_view backend() const override { return "mpi"; }

  Result<void> all_reduce_sum(std::span<float> values) override {
    for (std::size_t at = 0; at < values.size(); at += kMaxCount) {
      const auto count = static_cast<int>(std::min(kMaxCount, values.size() - at));
      const int code = MPI_Allreduce(MPI_IN_PLACE, values.data() + at, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      if (code != MPI_SUCCESS) return fail(Errc::internal, "MPI_Allreduce failed: " + mpi_error(code));
    }
    return {};
  }

  Result<void> broadcast(std::span<std::uint8_t> bytes) override {
    for (std::size_t at = 0; at < bytes.size(); at += kMaxCount) {
      const auto count = static_cast<int>(std::min(kMaxCount, bytes.size() - at));
      const int code = MPI_Bcast(bytes.data() + at, count, MPI_BYTE, 0, MPI_COMM_WORLD);
      if (code != MPI_SUCCESS) return fail(Errc::internal, "MPI_Bcast failed: " + mpi_error(code));
    }
    return {};
  }

 private:
  std::size_t rank_;
  std::size_t size_;
};

}  // namespace

Result<MpiWorld> mpi_world() {
  static std::once_flag once;
  static Result<MpiWorld> world = fail(Errc::internal, "MPI was not initialised");
  std::call_once(once, [] {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      const int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      if (code != MPI_SUCCESS) {
        world = fail(Errc::internal, "MPI_Init_thread failed: " + mpi_error(code));
        return;
      }
      std::atexit(finalize_at_exit);
    }
    // Errors come back as codes (turned into Result errors above), not as an abort of the job.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rank = 0;
    int size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    world = MpiWorld{static_cast<std::size_t>(rank), static_cast<std::size_t>(size)};
  });
  return world;
}

Result<std::unique_ptr<DataParallelGroup>> mpi_group() {
  auto world = mpi_world();
  if (!world) return tl::unexpected(world.error());
  return std::unique_ptr<DataParallelGroup>(std::make_unique<MpiGroup>(world->rank, world->size));
}

}  // namespace flywheel::fedtrain
