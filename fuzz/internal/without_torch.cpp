// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The fuzz build's stand-in for fedtrain's two libtorch translation units
// (fedtrain/model/internal/torch_model.cpp and torch_module.cpp). clang 14, the compiler of
// libFuzzer here, cannot compile libtorch's headers against GCC 12's C++20 standard library
// (std::vector<c10::IValue> of an incomplete type in a constexpr destructor), and the fuzz targets
// decode files and messages: they never train or evaluate a model. So in the FLYWHEEL_FUZZ build
// (fedtrain/CMakeLists.txt) these definitions take their place: no registered torch module exists,
// and training or evaluating fails with Errc::internal. Never linked into anything else.

#include <cstdio>
#include <cstdlib>

#include "fedtrain/model/internal/torch_module.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/valuation/coalition_model.hpp"

namespace flywheel::fedtrain {
namespace {

tl::unexpected<Error> no_torch() {
  return fail(Errc::internal, "libtorch is not part of the fuzz build (fuzz/internal/without_torch.cpp)");
}

[[noreturn]] void unreachable() {
  std::fprintf(stderr, "a CoalitionModels exists in the fuzz build, which cannot create one\n");
  std::abort();
}

}  // namespace

namespace internal {

bool is_module_model(std::string_view) { return false; }
std::vector<std::string> module_model_names() { return {}; }
std::size_t module_parameter_count(const ModelConfig&) { return 0; }
Result<std::vector<float>> module_initial_parameters(const ModelConfig&, std::uint64_t) { return no_torch(); }
Result<LocalResult> module_train(const ModelConfig&, std::span<const float>, const Dataset&,
                                 std::span<const std::size_t>, const TrainConfig&, std::span<const std::int64_t>,
                                 DataParallelGroup*) {
  return no_torch();
}
Result<Evaluation> module_evaluate(const ModelConfig&, std::span<const float>, const Dataset&,
                                   std::span<const std::size_t>) {
  return no_torch();
}

}  // namespace internal

Result<LocalResult> train_local(const ModelConfig&, std::span<const float>, const Dataset&,
                                std::span<const std::size_t>, const TrainConfig&, std::span<const std::int64_t>,
                                DataParallelGroup*) {
  return no_torch();
}
Result<Evaluation> evaluate(const ModelConfig&, std::span<const float>, const Dataset&, std::span<const std::size_t>) {
  return no_torch();
}
Result<Evaluation> evaluate(const ModelConfig&, std::span<const float>, const Dataset&) { return no_torch(); }

Result<CoalitionModels> CoalitionModels::create(const ModelConfig&, std::span<const float>,
                                                std::span<const std::span<const float>>, std::span<const std::uint64_t>,
                                                const Dataset&, std::span<const std::size_t>, std::size_t) {
  return no_torch();
}
Result<Evaluation> CoalitionModels::evaluate(std::span<const std::size_t>) const { unreachable(); }
Result<double> CoalitionModels::accuracy(std::span<const std::size_t>) const { unreachable(); }
Result<std::vector<double>> CoalitionModels::accuracies(std::span<const std::vector<std::size_t>>) const {
  unreachable();
}
Result<std::vector<float>> CoalitionModels::logits(std::span<const std::size_t>) const { unreachable(); }
std::span<const std::int64_t> CoalitionModels::labels() const { unreachable(); }
std::size_t CoalitionModels::classes() const { unreachable(); }
std::span<const double> CoalitionModels::weights() const { unreachable(); }
std::size_t CoalitionModels::size() const { unreachable(); }

}  // namespace flywheel::fedtrain
