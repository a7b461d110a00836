// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "cli/job_file.hpp"

#include <sstream>

#include "common/file_io.hpp"
#include "fedtrain/transport/protocol.hpp"

namespace flywheel::cli {

using nlohmann::json;

Result<void> apply_override(json& config, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    return fail(Errc::config, "--set expects key.path=value, got '" + assignment + "'");
  }
  const std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  json value;
  try {
    value = json::parse(text);
  } catch (const json::exception&) {
    value = text;  // a bare word is a string: --set data.partition=iid
  }
  json* node = &config;
  std::stringstream parts(path);
  std::string key;
  while (std::getline(parts, key, '.')) {
    if (key.empty()) return fail(Errc::config, "--set key '" + path + "' has an empty part");
    if (!node->is_object()) *node = json::object();
    node = &(*node)[key];
  }
  *node = std::move(value);
  return {};
}

Result<fedtrain::SimulationConfig> parse_job(const json& job) {
  if (job.is_object() && job.contains("deployment")) {
    auto deployment = fedtrain::parse_deployment_job(job.dump());
    if (!deployment) return tl::unexpected(deployment.error());
    return std::move(deployment->config);
  }
  return fedtrain::parse_simulation_config(job.dump());
}

Result<json> load_job_json(const std::filesystem::path& file, const std::vector<std::string>& overrides) {
  auto config = read_json_file(file);
  if (!config) return tl::unexpected(config.error());
  for (const auto& assignment : overrides) FLYWHEEL_TRY(apply_override(*config, assignment));
  return config;
}

}  // namespace flywheel::cli
