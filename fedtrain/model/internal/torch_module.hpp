// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The torch-free face of internal/torch_module.cpp, the adapter for autograd-trained libtorch
//! modules ("cnn" and registered ones), so model.cpp and torch_model.cpp can dispatch to it
//! without including torch. Arguments are checked by the caller (model.hpp's contracts).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "fedtrain/data/dataset.hpp"
#include "fedtrain/model/model.hpp"

namespace flywheel::fedtrain::internal {

//! True for "cnn" and every registered module name.
bool is_module_model(std::string_view name);

//! "cnn" and the registered module names.
std::vector<std::string> module_model_names();

//! Floats in the module's flat parameter vector; 0 when it cannot be built.
std::size_t module_parameter_count(const ModelConfig& config);

//! As initial_parameters().
Result<std::vector<float>> module_initial_parameters(const ModelConfig& config, std::uint64_t seed);

//! As train_local(), inputs already checked.
Result<LocalResult> module_train(const ModelConfig& model, std::span<const float> global, const Dataset& data,
                                 std::span<const std::size_t> indices, const TrainConfig& config,
                                 std::span<const std::int64_t> labels, DataParallelGroup* group);

//! As evaluate(), inputs already checked.
Result<Evaluation> module_evaluate(const ModelConfig& model, std::span<const float> params, const Dataset& data,
                                   std::span<const std::size_t> indices);

}  // namespace flywheel::fedtrain::internal
