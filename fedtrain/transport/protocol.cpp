// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The deployment section of a job file, tensor specs and the join message (EIP-191 personal
// message over the aggregator's nonce).
#include "fedtrain/transport/protocol.hpp"

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/file_io.hpp"
#include "common/keccak.hpp"

namespace flywheel::fedtrain {
namespace {

using Json = nlohmann::json;

Result<void> read_number(const Json& section, const char* key, double& out, bool positive) {
  if (!section.contains(key)) return {};
  const Json& v = section.at(key);
  if (!v.is_number()) return fail(Errc::config, std::string("deployment.") + key + " must be a number");
  out = v.get<double>();
  if (!std::isfinite(out) || out < 0 || (positive && out == 0)) {
    return fail(Errc::config, std::string("deployment.") + key + (positive ? " must be > 0" : " must be ≥ 0"));
  }
  return {};
}

Result<void> read_string(const Json& section, const char* key, std::string& out) {
  if (!section.contains(key)) return {};
  if (!section.at(key).is_string()) {
    return fail(Errc::config, std::string("deployment.") + key + " must be a string");
  }
  out = section.at(key).get<std::string>();
  return {};
}

Result<void> read_path(const Json& section, const char* key, std::optional<std::filesystem::path>& out) {
  if (!section.contains(key)) return {};
  if (!section.at(key).is_string()) {
    return fail(Errc::config, std::string("deployment.tls.") + key + " must be a file path");
  }
  out = section.at(key).get<std::string>();
  return {};
}

Result<DeploymentConfig> parse_section(const Json& d) {
  DeploymentConfig c;
  if (!d.is_object()) return fail(Errc::config, "\"deployment\" must be an object");
  static const std::set<std::string> kKeys{"listen",
                                           "aggregator",
                                           "allowlist",
                                           "min_updates",
                                           "round_timeout_s",
                                           "start_timeout_s",
                                           "liveness_s",
                                           "max_update_norm",
                                           "chunk_bytes",
                                           "chain_id",
                                           "verifying_contract",
                                           "tls",
                                           "stream_idle_timeout_s",
                                           "stream_max_s"};
  for (const auto& item : d.items()) {
    if (!kKeys.contains(item.key())) {
      return fail(Errc::config, "unknown key deployment." + item.key() + " (check the spelling)");
    }
  }
  FLYWHEEL_TRY(read_string(d, "listen", c.listen));
  FLYWHEEL_TRY(read_string(d, "aggregator", c.aggregator));
  if (!d.contains("allowlist") || !d.at("allowlist").is_array() || d.at("allowlist").empty()) {
    return fail(Errc::config, "deployment.allowlist must list the participants' addresses (\"0x...\")");
  }
  std::set<Address> seen;
  for (const auto& item : d.at("allowlist")) {
    if (!item.is_string()) return fail(Errc::config, "deployment.allowlist entries must be address strings");
    auto a = parse_address(item.get<std::string>());
    if (!a) return fail(Errc::config, "deployment.allowlist: " + a.error().message);
    if (!seen.insert(*a).second) {
      return fail(Errc::config, "deployment.allowlist names " + to_checksum(*a) + " twice");
    }
    c.allowlist.push_back(*a);
  }
  if (d.contains("min_updates")) {
    if (!d.at("min_updates").is_number_unsigned()) {
      return fail(Errc::config, "deployment.min_updates must be a whole number ≥ 1");
    }
    c.min_updates = d.at("min_updates").get<std::size_t>();
  }
  if (c.min_updates == 0 || c.min_updates > c.allowlist.size()) {
    return fail(Errc::config, "deployment.min_updates must be in [1, " + std::to_string(c.allowlist.size()) +
                                  "] (the allowlist's size)");
  }
  FLYWHEEL_TRY(read_number(d, "round_timeout_s", c.round_timeout_s, true));
  FLYWHEEL_TRY(read_number(d, "start_timeout_s", c.start_timeout_s, true));
  FLYWHEEL_TRY(read_number(d, "liveness_s", c.liveness_s, true));
  FLYWHEEL_TRY(read_number(d, "stream_idle_timeout_s", c.stream_idle_timeout_s, true));
  FLYWHEEL_TRY(read_number(d, "stream_max_s", c.stream_max_s, true));
  FLYWHEEL_TRY(read_number(d, "max_update_norm", c.max_update_norm, false));
  if (d.contains("chunk_bytes")) {
    if (!d.at("chunk_bytes").is_number_unsigned()) {
      return fail(Errc::config, "deployment.chunk_bytes must be a whole number");
    }
    c.chunk_bytes = d.at("chunk_bytes").get<std::size_t>();
  }
  if (c.chunk_bytes < 1024 || c.chunk_bytes > (64U << 20)) {
    return fail(Errc::config, "deployment.chunk_bytes must be in [1024, 67108864]");
  }
  if (d.contains("chain_id")) {
    if (!d.at("chain_id").is_number_unsigned()) {
      return fail(Errc::config, "deployment.chain_id must be a whole number");
    }
    c.chain_id = d.at("chain_id").get<std::uint64_t>();
  }
  if (d.contains("verifying_contract")) {
    std::string text;
    FLYWHEEL_TRY(read_string(d, "verifying_contract", text));
    auto a = parse_address(text);
    if (!a) return fail(Errc::config, "deployment.verifying_contract: " + a.error().message);
    c.verifying_contract = *a;
  }
  if (d.contains("tls")) {
    const Json& t = d.at("tls");
    if (!t.is_object()) return fail(Errc::config, "deployment.tls must be an object");
    FLYWHEEL_TRY(read_path(t, "ca", c.tls.ca));
    FLYWHEEL_TRY(read_path(t, "cert", c.tls.cert));
    FLYWHEEL_TRY(read_path(t, "key", c.tls.key));
    FLYWHEEL_TRY(read_path(t, "client_cert", c.tls.client_cert));
    FLYWHEEL_TRY(read_path(t, "client_key", c.tls.client_key));
    if (t.contains("require_client_cert")) {
      if (!t.at("require_client_cert").is_boolean()) {
        return fail(Errc::config, "deployment.tls.require_client_cert must be true or false");
      }
      c.tls.require_client_cert = t.at("require_client_cert").get<bool>();
    }
    if (t.contains("server_name")) {
      if (!t.at("server_name").is_string()) {
        return fail(Errc::config, "deployment.tls.server_name must be a string");
      }
      c.tls.server_name = t.at("server_name").get<std::string>();
    }
  }
  return c;
}

}  // namespace

Result<DeploymentJob> parse_deployment_job(std::string_view json_text) {
  Json root;
  try {
    root = Json::parse(json_text);
  } catch (const Json::exception& e) {
    return fail(Errc::config, std::string("the job file is not valid JSON: ") + e.what());
  }
  if (!root.is_object() || !root.contains("deployment")) {
    return fail(Errc::config, "the job file needs a \"deployment\" section with an allowlist");
  }
  auto deployment = parse_section(root.at("deployment"));
  if (!deployment) return tl::unexpected(deployment.error());
  root.erase("deployment");
  // Every participant is a separate process here; its count is the allowlist's.
  Json& participants = root["participants"];
  if (!participants.is_object()) participants = Json::object();
  const auto n = deployment->allowlist.size();
  if (participants.contains("count") && participants["count"] != Json(n)) {
    return fail(Errc::config, "participants.count must equal the size of deployment.allowlist (" + std::to_string(n) +
                                  ") or be left out");
  }
  if (participants.contains("private_keys")) {
    return fail(Errc::config,
                "participants.private_keys has no place in a deployment: each "
                "participant brings its own keystore");
  }
  participants["count"] = n;
  if (!participants.contains("profiles")) participants["profiles"] = Json::object();
  auto job = parse_simulation_config(root.dump());
  if (!job) return tl::unexpected(job.error());
  job->receipt_domain = deployment->domain();
  return DeploymentJob{.config = std::move(*job), .deployment = std::move(*deployment)};
}

Result<DeploymentJob> load_deployment_job(const std::filesystem::path& file) {
  auto text = read_file(file, "job file");
  if (!text) return fail(Errc::io, text.error().message);  // missing or unreadable: io, as documented
  auto job = parse_deployment_job(*text);
  if (!job) return tl::unexpected(with_context(job.error(), file.string()));
  return job;
}

std::string_view transport_status_name(TransportStatus status) {
  switch (status) {
    case TransportStatus::ok:
      return "OK";
    case TransportStatus::version_mismatch:
      return "VERSION_MISMATCH";
    case TransportStatus::unknown_participant:
      return "UNKNOWN_PARTICIPANT";
    case TransportStatus::bad_challenge:
      return "BAD_CHALLENGE";
    case TransportStatus::bad_signature:
      return "BAD_SIGNATURE";
    case TransportStatus::wrong_signer:
      return "WRONG_SIGNER";
    case TransportStatus::wrong_job:
      return "WRONG_JOB";
    case TransportStatus::wrong_round:
      return "WRONG_ROUND";
    case TransportStatus::replay:
      return "REPLAY";
    case TransportStatus::not_selected:
      return "NOT_SELECTED";
    case TransportStatus::stale_model:
      return "STALE_MODEL";
    case TransportStatus::tensor_mismatch:
      return "TENSOR_MISMATCH";
    case TransportStatus::non_finite:
      return "NON_FINITE";
    case TransportStatus::norm_too_large:
      return "NORM_TOO_LARGE";
    case TransportStatus::size_exceeded:
      return "SIZE_EXCEEDED";
    case TransportStatus::hash_mismatch:
      return "HASH_MISMATCH";
    case TransportStatus::late:
      return "LATE";
    case TransportStatus::malformed:
      return "MALFORMED";
    case TransportStatus::job_done:
      return "JOB_DONE";
  }
  return "UNKNOWN";
}

std::vector<TensorSpec> tensor_specs(const ModelConfig& model) {
  std::vector<TensorSpec> specs;
  if (model.name == "mlp") {
    std::size_t in = model.inputs;
    std::vector<std::size_t> widths = model.hidden;
    widths.push_back(model.classes);
    for (std::size_t k = 0; k < widths.size(); ++k) {
      const std::string prefix = "layers." + std::to_string(k);
      specs.push_back({.name = prefix + ".weight", .shape = {widths[k], in}});
      specs.push_back({.name = prefix + ".bias", .shape = {widths[k]}});
      in = widths[k];
    }
    return specs;
  }
  specs.push_back({.name = "parameters", .shape = {parameter_count(model)}});
  return specs;
}

Hash32 join_digest(std::string_view job_id, ByteView nonce) {
  const std::string message = "flywheel join:" + std::string(job_id) + ":" + to_hex(nonce);
  return personal_message_digest(as_bytes(message));
}

}  // namespace flywheel::fedtrain
