// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Data-parallel local training checked against one process, run as an MPI job:
//   mpirun -np 2 flywheel_data_parallel_check [--data DIR] [--backend mpi|nccl]
// For the MLP and the CNN, every rank trains the same participant data-parallel
// (fedtrain/data_parallel.hpp); rank 0 also trains it alone with the same global batch. Exit 0 when
// every rank holds the same update and it equals the single-process update within float tolerance;
// exit 1 otherwise, exit 2 on an error. fedtrain/data_parallel_test.cpp runs it under mpirun.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "fedtrain/data_parallel.hpp"
#include "fedtrain/dataset.hpp"
#include "fedtrain/model.hpp"

namespace fed = flywheel::fedtrain;

namespace {

// |a − b| ≤ kAbs + kRel·|b| for every parameter. Splitting a minibatch over ranks changes only the
// order in which its rows' gradients are summed: per step a float rounding difference of about
// √rows·2⁻²⁴ of the gradient, and while the trajectory is smooth 2 epochs (62 steps at lr 0.05) keep
// that far below kAbs (measured: ≤ 1e-7 for both models, both kernel families, 2 and 3 ranks).
// No such bound holds at a tie: ReLU and max-pool route a gradient by a comparison, so where a
// pre-activation or a pooling window's two largest inputs lie within rounding of each other, a
// rounding difference routes it elsewhere and the runs part by ~lr·|g|. oneDNN's AVX-512
// convolutions put this very job's single-process CNN at such a tie (a 1-ulp change of one
// initial weight moved its update by 0.0085, 15,694 parameters outside this tolerance), which is
// why the kernels are pinned (fedtrain/math_kernels.hpp): every CPU of a kernel family now runs
// the same sums, so this check has one outcome per family, and ctest runs it under both.
constexpr double kAbs = 1e-5;
constexpr double kRel = 1e-3;

int check(fed::DataParallelGroup& group, const fed::Dataset& data, const fed::ModelConfig& model) {
  const bool root = group.rank() == 0;
  // 997 samples: batches of 32 leave a last batch of 5, which three or more ranks split unevenly.
  std::vector<std::size_t> indices(997);
  std::iota(indices.begin(), indices.end(), std::size_t{100});
  const fed::TrainConfig config{.local_epochs = 2, .batch_size = 32, .learning_rate = 0.05,
                                .momentum = 0.5, .proximal_mu = 0.01, .seed = 7};
  auto global = fed::initial_parameters(model, 11);
  if (!global) {
    std::fprintf(stderr, "initial parameters: %s\n", global.error().to_string().c_str());
    return 2;
  }
  auto parallel = fed::train_local(model, *global, data, indices, config, {}, &group);
  if (!parallel) {
    std::fprintf(stderr, "rank %zu: data-parallel training: %s\n", group.rank(),
                 parallel.error().to_string().c_str());
    return 2;
  }
  // Every rank must hold rank 0's update bit for bit (they applied the same summed gradients).
  std::vector<float> from_root = parallel->update;
  auto bytes = std::span(reinterpret_cast<std::uint8_t*>(from_root.data()), from_root.size() * sizeof(float));
  if (auto sent = group.broadcast(bytes); !sent) {
    std::fprintf(stderr, "broadcast: %s\n", sent.error().to_string().c_str());
    return 2;
  }
  float same = std::memcmp(from_root.data(), parallel->update.data(), bytes.size()) == 0 ? 1.0F : 0.0F;
  std::vector<float> agree{same};
  if (auto reduced = group.all_reduce_sum(agree); !reduced) return 2;
  int status = 0;
  if (agree[0] != static_cast<float>(group.size())) {
    if (root) std::printf("%s: ranks disagree on the update\n", model.name.c_str());
    status = 1;
  }
  if (root) {
    auto single = fed::train_local(model, *global, data, indices, config);
    if (!single) {
      std::fprintf(stderr, "single-process training: %s\n", single.error().to_string().c_str());
      return 2;
    }
    double max_diff = 0;
    double max_update = 0;
    std::size_t outside = 0;
    for (std::size_t i = 0; i < single->update.size(); ++i) {
      const double a = parallel->update[i];
      const double b = single->update[i];
      max_diff = std::max(max_diff, std::abs(a - b));
      max_update = std::max(max_update, std::abs(b));
      if (std::abs(a - b) > kAbs + kRel * std::abs(b)) ++outside;
    }
    std::printf("%s: %zu ranks (%.*s), %zu parameters, max |update| %.6f, max |parallel - single| %.3g, "
                "loss %.6f vs %.6f, %zu outside tolerance\n",
                model.name.c_str(), group.size(), static_cast<int>(group.backend().size()), group.backend().data(),
                single->update.size(), max_update, max_diff, parallel->mean_loss, single->mean_loss, outside);
    if (outside > 0 || std::abs(parallel->mean_loss - single->mean_loss) > 1e-4) status = 1;
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::string root_dir = fed::kDefaultFashionMnistRoot;
  std::string backend = "mpi";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--data") {
      root_dir = argv[i + 1];
    } else if (flag == "--backend") {
      backend = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: %s [--data DIR] [--backend mpi|nccl]\n", argv[0]);
      return 2;
    }
  }
  auto group = backend == "nccl" ? fed::nccl_group() : fed::mpi_group();
  if (!group) {
    std::fprintf(stderr, "%s\n", group.error().to_string().c_str());
    return 2;
  }
  auto data = fed::load_fashion_mnist(root_dir, fed::Split::train, 2000);
  if (!data) {
    std::fprintf(stderr, "%s\n", data.error().to_string().c_str());
    return 2;
  }
  int status = 0;
  for (const char* name : {"mlp", "cnn"}) {
    auto model = fed::default_model_config(name);
    if (model.name == "mlp") model.hidden = {64};
    status = std::max(status, check(**group, *data, model));
  }
  // The status of rank 0 decides; mpirun reports the first non-zero exit.
  return (*group)->rank() == 0 ? status : std::min(status, 2);
}
