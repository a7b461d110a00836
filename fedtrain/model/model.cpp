// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Model shapes and initial weights; the training and evaluation that need libtorch live in
// internal/torch_model.cpp (MLP) and internal/torch_module.cpp (CNN and registered modules).
// Initialisation follows torch.nn.Linear.reset_parameters (PyTorch 1.13): kaiming_uniform_(a=√5)
// on the weight, which reduces to U(±1/√fan_in), and U(±1/√fan_in) on the bias.
#include "fedtrain/model/model.hpp"

#include <algorithm>
#include <cmath>

#include "common/sha256.hpp"
#include "fedtrain/internal/random.hpp"
#include "fedtrain/model/internal/torch_module.hpp"
#include "fedtrain/model/math_kernels.hpp"

namespace flywheel::fedtrain {
namespace {

// Layer widths from input to output.
std::vector<std::size_t> widths(const ModelConfig& config) {
  std::vector<std::size_t> out{config.inputs};
  out.insert(out.end(), config.hidden.begin(), config.hidden.end());
  out.push_back(config.classes);
  return out;
}

std::string joined_model_names() {
  std::string out;
  for (const auto& name : model_names()) out += (out.empty() ? "\"" : ", \"") + name + "\"";
  return out;
}

}  // namespace

ModelConfig default_model_config(std::string_view name) {
  ModelConfig config;
  config.name = std::string(name);
  if (name != "mlp") config.hidden = {120, 84};
  return config;
}

std::vector<std::string> model_names() {
  auto names = internal::module_model_names();
  names.emplace_back("mlp");
  std::sort(names.begin(), names.end());
  return names;
}

bool is_model(std::string_view name) { return name == "mlp" || internal::is_module_model(name); }

std::size_t parameter_count(const ModelConfig& config) {
  if (config.name != "mlp") return internal::module_parameter_count(config);
  const auto w = widths(config);
  std::size_t count = 0;
  for (std::size_t i = 0; i + 1 < w.size(); ++i) count += w[i + 1] * w[i] + w[i + 1];
  return count;
}

Result<void> validate(const ModelConfig& config) {
  if (!is_model(config.name)) {
    return fail(Errc::config, "model.name \"" + config.name + "\" is unknown; use one of: " + joined_model_names());
  }
  for (std::size_t i = 0; i < config.hidden.size(); ++i) {
    if (config.hidden[i] == 0) {
      return fail(Errc::config, "model.hidden[" + std::to_string(i) + "] must be > 0");
    }
  }
  if (config.name == "cnn" && config.hidden.empty()) {
    return fail(Errc::config, "model.hidden must name at least one fully connected width for \"cnn\"");
  }
  if (config.inputs == 0 || config.classes == 0) {
    return fail(Errc::config, "model inputs and classes must be > 0");
  }
  return {};
}

Result<std::vector<float>> initial_parameters(const ModelConfig& config, std::uint64_t seed) {
  FLYWHEEL_TRY(validate(config));
  if (config.name != "mlp") {
    FLYWHEEL_TRY(pin_math_kernels());
    return internal::module_initial_parameters(config, seed);
  }
  const auto w = widths(config);
  std::vector<float> params;
  params.reserve(parameter_count(config));
  for (std::size_t layer = 0; layer + 1 < w.size(); ++layer) {
    internal::Rng rng(internal::derive_seed(seed, {0x1417, layer}));
    const double bound = 1.0 / std::sqrt(static_cast<double>(w[layer]));
    const std::size_t count = w[layer + 1] * w[layer] + w[layer + 1];  // weight then bias
    for (std::size_t i = 0; i < count; ++i) {
      params.push_back(static_cast<float>((2.0 * internal::uniform01(rng) - 1.0) * bound));
    }
  }
  return params;
}

Hash32 hash_floats(std::span<const float> values) {
  return sha256(ByteView(reinterpret_cast<const std::uint8_t*>(values.data()), values.size() * sizeof(float)));
}

Result<void> check_content_hash(std::string_view recorded, std::string_view what) {
  if (recorded == kContentHashName) return {};
  return fail(Errc::data, std::string(what) + " records model hashes as " +
                              (recorded.empty() ? std::string("Keccak-256 (written before Flywheel moved model and "
                                                              "update hashes to SHA-256)")
                                                : "\"" + std::string(recorded) + "\"") +
                              "; this version uses SHA-256: start a fresh run folder, or use the Flywheel "
                              "version that wrote it");
}

}  // namespace flywheel::fedtrain
