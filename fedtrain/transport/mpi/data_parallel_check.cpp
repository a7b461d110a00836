// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Data-parallel local training checked against one process, run as an MPI job:
//   mpirun -np 2 flywheel_data_parallel_check [--data DIR] [--backend mpi|nccl]
// For the MLP and the CNN, every rank trains the same participant data-parallel
// (fedtrain/transport/data_parallel.hpp); rank 0 also trains it alone with the same global batch. Exit 0 when
// every rank holds the same update, every single step equals the single-process step within float
// rounding, and the whole run's loss agrees with one process's (see kStep); exit 1 otherwise,
// exit 2 on an error. fedtrain/transport/data_parallel_test.cpp runs it under mpirun.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "fedtrain/data/dataset.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/transport/data_parallel.hpp"

namespace fed = flywheel::fedtrain;

namespace {

// What can be compared, and how closely. Splitting a minibatch over ranks changes only the order in
// which its rows' gradients are summed, so ONE step from the same weights gives the same update up
// to float rounding: the forward and input-gradient passes are per row and give the same bits
// whatever the batch (checked for oneDNN's convolutions and OpenBLAS's products), and each weight
// gradient is a sum of at most rows·positions ≤ 32·576 = 18,432 products whose order differs. The
// rounding of such a sum stays within √n·2⁻²⁴ ≈ 8·10⁻⁶ of its terms' scale in practice (the worst
// case, n·2⁻²⁴ ≈ 1.1·10⁻³, needs every rounding to go the same way), so every element of a step's
// update must lie within kStep of the step's largest update element (measured worst: 4.8·10⁻⁶
// of it, both models, both kernel families, 2 and 3 ranks: 20× inside the limit).
//
// Over many steps no such bound holds. ReLU and max-pool route each gradient by a comparison;
// where a pre-activation or a pooling window's two largest inputs lie within rounding of each
// other, a rounding difference routes it elsewhere and the runs part by a whole step. oneDNN's
// AVX-512 convolutions put this very job's single-process CNN at such a tie after a few dozen
// steps (a 1-ulp change of one initial weight moved its 2-epoch update by 0.0085; 15,694
// parameters outside a 10⁻⁵ + 10⁻³·|u| tolerance). So the whole-run check asks what holds: every
// rank holds the same bits, and the mean loss agrees with one process's within kLoss (the tie
// moved it by 8.7·10⁻⁵).
constexpr double kStep = 1e-4;
constexpr double kLoss = 1e-3;

// Every rank must hold rank 0's floats bit for bit. Returns 1 (agree), 0 (not), -1 on an error.
int ranks_agree(fed::DataParallelGroup& group, const std::vector<float>& values) {
  std::vector<float> from_root = values;
  auto bytes = std::span(reinterpret_cast<std::uint8_t*>(from_root.data()), from_root.size() * sizeof(float));
  if (auto sent = group.broadcast(bytes); !sent) {
    std::fprintf(stderr, "broadcast: %s\n", sent.error().to_string().c_str());
    return -1;
  }
  std::vector<float> agree{std::memcmp(from_root.data(), values.data(), bytes.size()) == 0 ? 1.0F : 0.0F};
  if (auto reduced = group.all_reduce_sum(agree); !reduced) return -1;
  return agree[0] == static_cast<float>(group.size()) ? 1 : 0;
}

// Trains data-parallel on every rank and checks that the ranks hold the same bits (a disagreement
// sets `status` to 1, naming `what`); nullopt on an error.
std::optional<fed::LocalResult> train_on_every_rank(fed::DataParallelGroup& group, const fed::ModelConfig& model,
                                                    std::span<const float> global, const fed::Dataset& data,
                                                    std::span<const std::size_t> indices,
                                                    const fed::TrainConfig& config, const std::string& what,
                                                    int& status) {
  auto parallel = fed::train_local(model, global, data, indices, config, {}, &group);
  if (!parallel) {
    std::fprintf(stderr, "rank %zu: data-parallel %s: %s\n", group.rank(), what.c_str(),
                 parallel.error().to_string().c_str());
    return std::nullopt;
  }
  const int agree = ranks_agree(group, parallel->update);
  if (agree < 0) return std::nullopt;
  if (agree == 0) {
    if (group.rank() == 0) std::printf("%s: ranks disagree on %s\n", model.name.c_str(), what.c_str());
    status = 1;
  }
  return std::move(*parallel);
}

int check(fed::DataParallelGroup& group, const fed::Dataset& data, const fed::ModelConfig& model) {
  const bool root = group.rank() == 0;
  // 997 samples: batches of 32 leave a last batch of 5, which three or more ranks split unevenly.
  std::vector<std::size_t> indices(997);
  std::iota(indices.begin(), indices.end(), std::size_t{100});
  const fed::TrainConfig config{
      .local_epochs = 2, .batch_size = 32, .learning_rate = 0.05, .momentum = 0.5, .proximal_mu = 0.01, .seed = 7};
  auto global = fed::initial_parameters(model, 11);
  if (!global) {
    std::fprintf(stderr, "initial parameters: %s\n", global.error().to_string().c_str());
    return 2;
  }
  int status = 0;

  // 1. Step by step: from the same weights, one minibatch step data-parallel and one alone, for
  //    every minibatch of an epoch (the last one, of 5 rows, uneven over 2 or 3 ranks); the run
  //    goes on from the data-parallel step's weights.
  const fed::TrainConfig one_step{
      .local_epochs = 1, .batch_size = 32, .learning_rate = 0.05, .momentum = 0, .proximal_mu = 0, .seed = 7};
  std::vector<float> w = *global;
  double worst_step = 0;  // max over steps of max|Δ| / max|update|
  std::size_t steps = 0;
  for (std::size_t begin = 0; begin < indices.size(); begin += one_step.batch_size) {
    const std::size_t end = std::min(indices.size(), begin + one_step.batch_size);
    const std::span<const std::size_t> batch(indices.data() + begin, end - begin);
    auto parallel =
        train_on_every_rank(group, model, w, data, batch, one_step, "step " + std::to_string(steps + 1), status);
    if (!parallel) return 2;
    if (root) {
      auto single = fed::train_local(model, w, data, batch, one_step);
      if (!single) {
        std::fprintf(stderr, "single-process step: %s\n", single.error().to_string().c_str());
        return 2;
      }
      double scale = 0;
      double diff = 0;
      for (std::size_t i = 0; i < w.size(); ++i) {
        scale = std::max(scale, static_cast<double>(std::abs(single->update[i])));
        diff = std::max(diff, static_cast<double>(std::abs(parallel->update[i] - single->update[i])));
      }
      if (scale > 0) worst_step = std::max(worst_step, diff / scale);
    }
    for (std::size_t i = 0; i < w.size(); ++i) w[i] += parallel->update[i];
    ++steps;
  }

  // 2. The whole run (2 epochs, momentum, FedProx): ranks agree bit for bit; the loss agrees with
  //    one process's.
  auto parallel = train_on_every_rank(group, model, *global, data, indices, config, "the 2-epoch update", status);
  if (!parallel) return 2;
  if (root) {
    auto single = fed::train_local(model, *global, data, indices, config);
    if (!single) {
      std::fprintf(stderr, "single-process training: %s\n", single.error().to_string().c_str());
      return 2;
    }
    double max_diff = 0;
    double max_update = 0;
    for (std::size_t i = 0; i < single->update.size(); ++i) {
      max_diff = std::max(max_diff, static_cast<double>(std::abs(parallel->update[i] - single->update[i])));
      max_update = std::max(max_update, static_cast<double>(std::abs(single->update[i])));
    }
    std::printf(
        "%s: %zu ranks (%.*s), %zu parameters, %zu steps each within %.3g of its largest update "
        "element (worst %.3g, limit %g); 2 epochs: max |update| %.6f, max |parallel - single| %.3g, "
        "loss %.6f vs %.6f (limit %g)\n",
        model.name.c_str(), group.size(), static_cast<int>(group.backend().size()), group.backend().data(),
        single->update.size(), steps, kStep, worst_step, kStep, max_update, max_diff, parallel->mean_loss,
        single->mean_loss, kLoss);
    if (worst_step > kStep || std::abs(parallel->mean_loss - single->mean_loss) > kLoss) status = 1;
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
