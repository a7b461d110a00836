// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The NCCL backend of data-parallel training, compiled with the CMake option FLYWHEEL_CUDA. The
// bootstrap is NCCL's documented one ("Creating a communicator with options" / one device per
// process): rank 0 calls ncclGetUniqueId, MPI_Bcast hands the id to every rank, and each rank calls
// ncclCommInitRank on its own device (rank modulo the visible devices). Gradients live in host
// memory (Debian's libtorch is CPU-only), so every all-reduce stages through one device buffer:
// host → device, ncclAllReduce(ncclSum, ncclFloat) on the rank's stream, device → host.
// Broadcasts of control messages stay on MPI.
#include <algorithm>
#include <memory>
#include <string>

#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include "fedtrain/transport/data_parallel.hpp"
#include "fedtrain/transport/mpi/mpi_group.hpp"

namespace flywheel::fedtrain {
namespace {

Error cuda_error(const char* what, cudaError_t code) {
  return Error{Errc::internal, std::string(what) + " failed: " + cudaGetErrorString(code)};
}

Error nccl_error(const char* what, ncclResult_t code) {
  return Error{Errc::internal, std::string(what) + " failed: " + ncclGetErrorString(code)};
}

struct DeviceFree {
  void operator()(float* p) const { cudaFree(p); }
};

class NcclGroup final : public DataParallelGroup {
 public:
  NcclGroup(std::size_t rank, std::size_t size, int device) : rank_(rank), size_(size), device_(device) {}
  ~NcclGroup() override {
    if (comm_ != nullptr) ncclCommDestroy(comm_);
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }
  NcclGroup(const NcclGroup&) = delete;
  NcclGroup& operator=(const NcclGroup&) = delete;

  Result<void> init() {
    if (auto code = cudaSetDevice(device_); code != cudaSuccess)
      return tl::unexpected(cuda_error("cudaSetDevice", code));
    if (auto code = cudaStreamCreate(&stream_); code != cudaSuccess) {
      return tl::unexpected(cuda_error("cudaStreamCreate", code));
    }
    ncclUniqueId id{};
    if (rank_ == 0) {
      if (auto code = ncclGetUniqueId(&id); code != ncclSuccess)
        return tl::unexpected(nccl_error("ncclGetUniqueId", code));
    }
    if (MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS) {
      return fail(Errc::internal, "MPI_Bcast of the NCCL unique id failed");
    }
    if (auto code = ncclCommInitRank(&comm_, static_cast<int>(size_), id, static_cast<int>(rank_));
        code != ncclSuccess) {
      return tl::unexpected(nccl_error("ncclCommInitRank", code));
    }
    return {};
  }

  [[nodiscard]] std::size_t rank() const override { return rank_; }
  [[nodiscard]] std::size_t size() const override { return size_; }
  [[nodiscard]] std::string_view backend() const override { return "nccl"; }

  Result<void> all_reduce_sum(std::span<float> values) override {
    if (values.empty()) return {};
    if (values.size() > capacity_) {
      float* raw = nullptr;
      if (auto code = cudaMalloc(&raw, values.size_bytes()); code != cudaSuccess) {
        return tl::unexpected(cuda_error("cudaMalloc", code));
      }
      buffer_.reset(raw);
      capacity_ = values.size();
    }
    if (auto code = cudaMemcpyAsync(buffer_.get(), values.data(), values.size_bytes(), cudaMemcpyHostToDevice, stream_);
        code != cudaSuccess) {
      return tl::unexpected(cuda_error("cudaMemcpyAsync (to device)", code));
    }
    if (auto code = ncclAllReduce(buffer_.get(), buffer_.get(), values.size(), ncclFloat, ncclSum, comm_, stream_);
        code != ncclSuccess) {
      return tl::unexpected(nccl_error("ncclAllReduce", code));
    }
    if (auto code = cudaMemcpyAsync(values.data(), buffer_.get(), values.size_bytes(), cudaMemcpyDeviceToHost, stream_);
        code != cudaSuccess) {
      return tl::unexpected(cuda_error("cudaMemcpyAsync (to host)", code));
    }
    if (auto code = cudaStreamSynchronize(stream_); code != cudaSuccess) {
      return tl::unexpected(cuda_error("cudaStreamSynchronize", code));
    }
    return {};
  }

  Result<void> broadcast(std::span<std::uint8_t> bytes) override {
    constexpr std::size_t kMax = 1U << 30;
    for (std::size_t at = 0; at < bytes.size(); at += kMax) {
      const auto count = static_cast<int>(std::min(kMax, bytes.size() - at));
      if (MPI_Bcast(bytes.data() + at, count, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS) {
        return fail(Errc::internal, "MPI_Bcast failed");
      }
    }
    return {};
  }

 private:
  std::size_t rank_;
  std::size_t size_;
  int device_;
  cudaStream_t stream_ = nullptr;
  ncclComm_t comm_ = nullptr;
  std::unique_ptr<float, DeviceFree> buffer_;
  std::size_t capacity_ = 0;
};

}  // namespace

Result<std::unique_ptr<DataParallelGroup>> nccl_group() {
  auto world = mpi_world();
  if (!world) return tl::unexpected(world.error());
  int devices = 0;
  if (auto code = cudaGetDeviceCount(&devices); code != cudaSuccess || devices == 0) {
    return fail(Errc::config, std::string("no CUDA device is visible to rank ") + std::to_string(world->rank) +
                                  (code != cudaSuccess ? std::string(": ") + cudaGetErrorString(code) : std::string()) +
                                  "; use --data-parallel mpi on CPU");
  }
  auto group = std::make_unique<NcclGroup>(world->rank, world->size,
                                           static_cast<int>(world->rank % static_cast<std::size_t>(devices)));
  FLYWHEEL_TRY(group->init());
  return std::unique_ptr<DataParallelGroup>(std::move(group));
}

}  // namespace flywheel::fedtrain
