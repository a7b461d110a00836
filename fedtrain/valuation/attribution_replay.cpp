// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Replaying a job's per-round attribution games from stored artifacts (FedSV, Wang et al. 2020;
// estimators: Shapley 1953, Ghorbani & Zou 2019, Liu et al. 2022, Wang & Jia 2023). Every input is
// checked against the SHA-256 hashes of the manifest, the participants' EIP-712 receipts
// (EIP-712; common/eip712.hpp) and the job's model_hash chain first.
#include "fedtrain/valuation/attribution_replay.hpp"

#include <cassert>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "attribution/merkle.hpp"
#include "common/file_io.hpp"
#include "common/keccak.hpp"
#include "common/keys.hpp"
#include "common/sha256.hpp"
#include "fedtrain/data/job_data.hpp"
#include "fedtrain/internal/random.hpp"
#include "fedtrain/model/math_kernels.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/strategy/strategy.hpp"
#include "fedtrain/valuation/internal/round_inputs.hpp"
#include "fedtrain/valuation/round_game.hpp"

namespace flywheel::fedtrain {
namespace {

using Json = nlohmann::ordered_json;

// A file the run kept; a missing one is an io error that says how runs keep them.
Result<std::string> read_kept_file(const std::filesystem::path& path, const char* what) {
  auto text = read_file(path, what);
  if (!text && text.error().code == Errc::not_found) {
    return fail(Errc::io, std::string(what) + " " + path.string() +
                              " is missing; recomputation needs the artifacts a run writes with "
                              "attribution.keep_artifacts true (the default)");
  }
  return text;
}

Result<Json> read_json(const std::filesystem::path& path, const char* what) {
  auto text = read_kept_file(path, what);
  if (!text) return tl::unexpected(text.error());
  try {
    return Json::parse(*text);
  } catch (const Json::exception& e) {
    return fail(Errc::data, path.string() + " is not valid JSON: " + e.what());
  }
}

// The file a manifest names in round folder `dir`: a plain file name, as write_round_artifacts
// writes them. A path would let a hostile manifest make the replay read any file: "/dev/zero"
// never ends (the read grows until memory runs out), a FIFO blocks. Throws std::invalid_argument
// (load_round reports the manifest as malformed).
std::filesystem::path artifact_path(const std::filesystem::path& dir, const Json& name) {
  const std::string file = name.get<std::string>();
  if (file.empty() || file == "." || file == ".." || file.find('/') != std::string::npos) {
    throw std::invalid_argument("artifact \"" + file + "\" is not a file name in " + dir.string());
  }
  return dir / file;
}

// An artifact file's bytes and their SHA-256, read and hashed once.
struct Artifact {
  std::string bytes;
  Hash32 hash;
};

Result<Artifact> read_artifact(const std::filesystem::path& path) {
  auto bytes = read_kept_file(path, "artifact");
  if (!bytes) return tl::unexpected(bytes.error());
  const Hash32 hash = sha256(as_bytes(*bytes));
  return Artifact{.bytes = std::move(*bytes), .hash = hash};
}

// The floats of `artifact` (read from `path`), whose SHA-256 must be `expected_hex` (and whose
// length, when `floats` is non-zero, must be that many floats).
Result<std::vector<float>> artifact_floats(const std::filesystem::path& path, const Artifact& artifact,
                                           const std::string& expected_hex, std::size_t floats) {
  if (artifact.hash.hex() != expected_hex) {
    return fail(Errc::data, path.string() + " does not match its manifest: SHA-256 is " + artifact.hash.hex() +
                                ", the manifest says " + expected_hex +
                                "; the artifact was altered or corrupted, so the round cannot be recomputed");
  }
  const std::string& bytes = artifact.bytes;
  if (bytes.size() % sizeof(float) != 0 || (floats != 0 && bytes.size() != floats * sizeof(float))) {
    return fail(Errc::data, path.string() + " holds " + std::to_string(bytes.size()) + " bytes, not the expected " +
                                std::to_string(floats) + " float32 values");
  }
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

// Reads a float32 artifact file, checked as artifact_floats does.
Result<std::vector<float>> read_floats(const std::filesystem::path& path, const std::string& expected_hex,
                                       std::size_t floats) {
  auto artifact = read_artifact(path);
  if (!artifact) return tl::unexpected(artifact.error());
  return artifact_floats(path, *artifact, expected_hex, floats);
}

std::string round_folder(std::uint64_t round) {
  char name[32];
  std::snprintf(name, sizeof name, "round-%06llu", static_cast<unsigned long long>(round));
  return name;
}

Json domain_to_json(const eip712::Domain& domain) {
  Json j{{"name", domain.name}, {"version", domain.version}, {"chainId", domain.chain_id}};
  if (domain.verifying_contract) j["verifyingContract"] = to_checksum(*domain.verifying_contract);
  return j;
}

eip712::Domain domain_from_json(const Json& j) {
  eip712::Domain domain;
  domain.name = j.at("name").get<std::string>();
  domain.version = j.at("version").get<std::string>();
  domain.chain_id = j.at("chainId").get<std::uint64_t>();
  if (const auto it = j.find("verifyingContract"); it != j.end()) {
    auto address = Address::from_hex(it->get<std::string>());
    if (!address) throw std::invalid_argument("domain.verifyingContract is not an address");
    domain.verifying_contract = *address;
  }
  return domain;
}

Json receipt_to_json(const eip712::UpdateReceipt& r) {
  return {{"jobId", r.job_id},
          {"round", r.round},
          {"participant", to_checksum(r.participant)},
          {"startModelHash", r.start_model_hash.hex()},
          {"updateHash", r.update_hash.hex()},
          {"samples", r.samples},
          {"computeUnits", r.compute_units},
          {"computeMillis", r.compute_millis}};
}

template <std::size_t N>
FixedBytes<N> fixed_from_json(const Json& j, const char* what) {
  auto v = FixedBytes<N>::from_hex(j.get<std::string>());
  if (!v) throw std::invalid_argument(std::string(what) + " is not " + std::to_string(N) + " hex bytes");
  return *v;
}

eip712::UpdateReceipt receipt_from_json(const Json& j) {
  return eip712::UpdateReceipt{
      .job_id = j.at("jobId").get<std::string>(),
      .round = j.at("round").get<std::uint64_t>(),
      .participant = fixed_from_json<20>(j.at("participant"), "receipt.participant"),
      .start_model_hash = fixed_from_json<32>(j.at("startModelHash"), "receipt.startModelHash"),
      .update_hash = fixed_from_json<32>(j.at("updateHash"), "receipt.updateHash"),
      .samples = j.at("samples").get<std::uint64_t>(),
      .compute_units = j.at("computeUnits").get<std::uint64_t>(),
      .compute_millis = j.at("computeMillis").get<std::uint64_t>()};
}

Json ack_to_json(const eip712::UpdateAck& a) {
  return {{"receiptDigest", a.receipt_digest.hex()},
          {"aggregator", to_checksum(a.aggregator)},
          {"round", a.round},
          {"acceptedAtMillis", a.accepted_at_millis}};
}

// The refusal of a receipt that does not back its update: tampered update bytes, a tampered or
// foreign receipt, or a signature by someone else.
tl::unexpected<Error> receipt_mismatch(std::uint64_t round, const Address& participant, const std::string& why) {
  return fail(Errc::data, "round " + std::to_string(round) + ": receipt of " + to_checksum(participant) +
                              " does not match its update (" + why + ")");
}

}  // namespace

namespace internal {

Result<RoundInputs> load_round(const std::filesystem::path& run_dir, std::uint64_t round, const Json& recorded,
                               const Hash32& expected_start, std::size_t parameters) {
  const auto dir = run_dir / "artifacts" / round_folder(round);
  auto manifest = read_json(dir / "manifest.json", "artifact manifest");
  if (!manifest) return tl::unexpected(manifest.error());
  RoundInputs out;
  try {
    if (manifest->at("round").get<std::uint64_t>() != round) {
      return fail(Errc::data, (dir / "manifest.json").string() + " is for another round");
    }
    FLYWHEEL_TRY(check_content_hash(manifest->value("content_hash", ""), (dir / "manifest.json").string()));
    const auto addresses = manifest->at("addresses").get<std::vector<std::string>>();
    const auto listed = recorded.at("participants").get<std::vector<std::string>>();
    if (addresses != listed) {
      return fail(Errc::data, (dir / "manifest.json").string() +
                                  " lists other participants than attribution.json's round " + std::to_string(round));
    }
    const std::string start_hash = manifest->at("start_model").at("hash").get<std::string>();
    if (start_hash != expected_start.hex()) {
      return fail(Errc::data, "round " + std::to_string(round) + " starts from model " + start_hash +
                                  " but the job's model chain says " + expected_start.hex() +
                                  " (the initial model for round 1, else the previous round's model_hash)");
    }
    auto start = read_floats(artifact_path(dir, manifest->at("start_model").at("file")), start_hash, parameters);
    if (!start) return tl::unexpected(start.error());
    out.start = std::move(*start);
    const Json& state = manifest->at("server_state");
    if (!state.is_null()) {
      auto server = read_floats(artifact_path(dir, state.at("file")), state.at("hash").get<std::string>(), 0);
      if (!server) return tl::unexpected(server.error());
      out.server_state = std::move(*server);
    }
    out.samples = manifest->at("samples").get<std::vector<std::uint64_t>>();
    const Json& updates = manifest->at("updates");
    if (updates.size() != addresses.size() || out.samples.size() != addresses.size()) {
      return fail(Errc::data, (dir / "manifest.json").string() + " has lists of different lengths");
    }
    if (!manifest->contains("receipts") || !manifest->contains("domain")) {
      return fail(Errc::data, (dir / "manifest.json").string() +
                                  " keeps no signed receipts (written by a Flywheel before receipts were "
                                  "kept); the updates cannot be checked against their participants");
    }
    const Json& receipts = manifest->at("receipts");
    if (receipts.size() != addresses.size()) {
      return fail(Errc::data, (dir / "manifest.json").string() + " has " + std::to_string(receipts.size()) +
                                  " receipts for " + std::to_string(addresses.size()) + " updates");
    }
    const eip712::Domain domain = domain_from_json(manifest->at("domain"));
    for (std::size_t k = 0; k < addresses.size(); ++k) {
      auto address = Address::from_hex(addresses[k]);
      if (!address) return fail(Errc::data, "malformed address " + addresses[k] + " in " + dir.string());
      out.addresses.push_back(*address);

      // The receipt first: it is what the participant signed and what the leaf commits to.
      const eip712::UpdateReceipt receipt = receipt_from_json(receipts[k].at("receipt"));
      const Hash32 digest = eip712::digest(domain, receipt);
      if (receipt.participant != *address) {
        return receipt_mismatch(round, *address, "the receipt names " + to_checksum(receipt.participant));
      }
      auto signature = from_hex(receipts[k].at("signature").get<std::string>());
      if (!signature) return receipt_mismatch(round, *address, "its signature is not hex");
      auto signer = eip712::recover_signer(digest, *signature);
      if (!signer) return receipt_mismatch(round, *address, "bad signature: " + signer.error().message);
      if (*signer != *address) {
        return receipt_mismatch(round, *address,
                                "the signature over the receipt recovers to " + to_checksum(*signer) +
                                    ": the receipt was altered or signed by another key");
      }
      if (receipt.round != round || receipt.start_model_hash.hex() != start_hash || receipt.samples != out.samples[k]) {
        return receipt_mismatch(round, *address,
                                "the receipt is for round " + std::to_string(receipt.round) + ", start model " +
                                    receipt.start_model_hash.hex() + " and " + std::to_string(receipt.samples) +
                                    " samples");
      }
      const auto file = artifact_path(dir, updates[k].at("file"));
      auto artifact = read_artifact(file);
      if (!artifact) return tl::unexpected(artifact.error());
      if (artifact->hash != receipt.update_hash) {
        return receipt_mismatch(round, *address,
                                "SHA-256 of " + file.string() + " is " + artifact->hash.hex() +
                                    ", the signed receipt says " + receipt.update_hash.hex());
      }
      auto update = artifact_floats(file, *artifact, updates[k].at("hash").get<std::string>(), parameters);
      if (!update) return tl::unexpected(update.error());
      out.updates.push_back(std::move(*update));
      out.receipt_digests.push_back(digest);
    }
  } catch (const std::exception& e) {
    return fail(Errc::data, (dir / "manifest.json").string() + " is malformed: " + e.what());
  }
  return out;
}

}  // namespace internal

namespace {

// When attribution.json lists the round's receipts, they must be the kept ones; with its samples
// as well, its leaves (docs/onchain.md) must give its root, the one that went on-chain.
Result<void> check_recorded_leaves(std::uint64_t round, const Json& report, const Json& recorded,
                                   const internal::RoundInputs& inputs) {
  try {
    if (!recorded.contains("receipts")) return {};
    const Json& receipts = recorded.at("receipts");
    for (std::size_t k = 0; k < inputs.addresses.size(); ++k) {
      const auto it = receipts.find(to_checksum(inputs.addresses[k]));
      const std::string committed = it == receipts.end() ? std::string("none") : it->get<std::string>();
      if (committed != inputs.receipt_digests[k].hex()) {
        return receipt_mismatch(round, inputs.addresses[k],
                                "attribution.json commits to receipt " + committed + ", the kept receipt's digest is " +
                                    inputs.receipt_digests[k].hex());
      }
    }
    if (!recorded.contains("samples") || !report.contains("participants")) return {};
    // One leaf per job participant, in job order (the report's participants array).
    std::vector<Hash32> leaves;
    for (const auto& participant : report.at("participants")) {
      const std::string address = participant.at("address").get<std::string>();
      const attribution::RoundLeaf leaf{.participant = fixed_from_json<20>(Json(address), "a participant"),
                                        .receipt = fixed_from_json<32>(receipts.at(address), "a receipt digest"),
                                        .value = recorded.at("values").at(address).get<double>(),
                                        .samples = recorded.at("samples").at(address).get<std::uint64_t>()};
      leaves.push_back(attribution::round_leaf_hash(leaf));
    }
    const Hash32 root = attribution::MerkleTree(std::move(leaves)).root();
    const std::string recorded_root = recorded.at("root").get<std::string>();
    if (root.hex() != recorded_root) {
      return fail(Errc::data, "round " + std::to_string(round) +
                                  ": attribution.json's values, samples and receipts give root " + root.hex() +
                                  ", not its recorded root " + recorded_root + "; the report was altered");
    }
  } catch (const std::exception& e) {
    return fail(Errc::data, "attribution.json's round " + std::to_string(round) + " is malformed: " + e.what());
  }
  return {};
}

}  // namespace

Result<void> write_round_artifacts(const std::filesystem::path& run_dir, const RoundArtifacts& artifacts) {
  assert(artifacts.updates.size() == artifacts.participants.size() &&
         artifacts.receipts.size() == artifacts.participants.size());
  const auto dir = run_dir / "artifacts" / round_folder(artifacts.round);
  auto tmp = dir;
  tmp += ".tmp";
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  std::filesystem::create_directories(tmp, ec);
  if (ec) return fail(Errc::io, "cannot create " + tmp.string() + ": " + ec.message());
  const auto write_floats = [&](const std::string& file, std::span<const float> values) -> Result<void> {
    std::ofstream out(tmp / file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(values.data()),
              static_cast<std::streamsize>(values.size() * sizeof(float)));
    out.flush();
    if (!out) return fail(Errc::io, "cannot write " + (tmp / file).string() + " (disk full?)");
    return {};
  };
  Json manifest;
  manifest["version"] = 2;
  manifest["content_hash"] = kContentHashName;
  manifest["round"] = artifacts.round;
  manifest["strategy"] = artifacts.strategy;
  manifest["model"] = artifacts.model;
  manifest["parameters"] = artifacts.start_model.size();
  manifest["format"] = "float32 little-endian, no header";
  manifest["start_model"] = {{"file", "start-model.bin"}, {"hash", hash_floats(artifacts.start_model).hex()}};
  FLYWHEEL_TRY(write_floats("start-model.bin", artifacts.start_model));
  manifest["server_state"] = nullptr;
  if (!artifacts.server_state.empty()) {
    FLYWHEEL_TRY(write_floats("server-state.bin", artifacts.server_state));
    manifest["server_state"] = {{"file", "server-state.bin"},
                                {"hash", hash_floats(artifacts.server_state).hex()},
                                {"floats", artifacts.server_state.size()}};
  }
  manifest["addresses"] = Json::array();
  manifest["samples"] = Json::array();
  manifest["updates"] = Json::array();
  manifest["domain"] = domain_to_json(artifacts.domain);
  manifest["receipts"] = Json::array();
  for (std::size_t k = 0; k < artifacts.participants.size(); ++k) {
    const std::string file = artifacts.participants[k].hex() + ".bin";
    FLYWHEEL_TRY(write_floats(file, artifacts.updates[k]));
    const SignedReceipt& signed_receipt = artifacts.receipts[k];
    manifest["addresses"].push_back(to_checksum(artifacts.participants[k]));
    manifest["samples"].push_back(signed_receipt.receipt.samples);
    manifest["updates"].push_back({{"file", file}, {"hash", hash_floats(artifacts.updates[k]).hex()}});
    Json receipt;
    receipt["participant"] = to_checksum(artifacts.participants[k]);
    receipt["receipt"] = receipt_to_json(signed_receipt.receipt);
    receipt["digest"] = eip712::digest(artifacts.domain, signed_receipt.receipt).hex();
    receipt["signature"] = to_hex(signed_receipt.signature);
    if (signed_receipt.ack) {
      receipt["ack"] = ack_to_json(*signed_receipt.ack);
      receipt["ack_signature"] = to_hex(signed_receipt.ack_signature);
    }
    manifest["receipts"].push_back(std::move(receipt));
  }
  FLYWHEEL_TRY(write_atomically(tmp / "manifest.json", manifest.dump(2) + "\n"));
  std::filesystem::remove_all(dir, ec);
  std::filesystem::rename(tmp, dir, ec);
  if (ec) return fail(Errc::io, "cannot rename " + tmp.string() + " to " + dir.string() + ": " + ec.message());
  return {};
}

Result<ReplayReport> recompute_attribution(const SimulationConfig& config, const std::filesystem::path& run_dir,
                                           attribution::Method method, const ReplayOptions& options) {
  auto recorded = read_json(run_dir / "attribution.json", "attribution record");
  if (!recorded) return tl::unexpected(recorded.error());
  const std::string method_text(attribution::method_name(method));
  std::vector<std::uint64_t> round_numbers;
  std::vector<Hash32> model_hashes;
  try {
    for (const auto& r : recorded->at("rounds")) {
      const auto count = r.at("participants").size();
      if (method == attribution::Method::exact && count > attribution::kMaxExactParticipants) {
        return fail(Errc::invalid_argument, "round " + std::to_string(r.at("round").get<std::uint64_t>()) + " has " +
                                                std::to_string(count) +
                                                " participants; exact Shapley evaluates 2^n coalitions and "
                                                "accepts at most " +
                                                std::to_string(attribution::kMaxExactParticipants) +
                                                "; use --method gtg, stratified, tmc, banzhaf or loo");
      }
      auto hash = Hash32::from_hex(r.at("model_hash").get<std::string>());
      if (!hash) return fail(Errc::data, "attribution.json holds a malformed model_hash");
      round_numbers.push_back(r.at("round").get<std::uint64_t>());
      model_hashes.push_back(*hash);
    }
  } catch (const Json::exception& e) {
    return fail(Errc::data, (run_dir / "attribution.json").string() + " is malformed: " + e.what());
  }
  if (round_numbers.empty()) return fail(Errc::data, "attribution.json records no rounds");
  const std::string recorded_kernels = recorded->value("kernels", std::string());
  const std::string kernels(kernel_family_name());
  if (options.progress != nullptr && !recorded_kernels.empty() && recorded_kernels != kernels) {
    *options.progress << "note: the run was computed with the " << recorded_kernels
                      << " kernels and this machine runs the " << kernels
                      << " kernels: merges and model hashes replay bit for bit, utilities may differ in "
                         "their last bits (docs/reproducibility.md)\n";
  }

  if (auto valid = validate(config.model); !valid) return tl::unexpected(valid.error());
  auto strategy = make_strategy(config.strategy);
  if (!strategy) return tl::unexpected(strategy.error());
  auto initial = initial_parameters(config.model, internal::derive_seed(config.job.seed, {internal::kInitStream}));
  if (!initial) return tl::unexpected(initial.error());
  auto data = load_job_data(config);
  if (!data) return tl::unexpected(data.error());
  const std::size_t parameters = initial->size();

  std::ofstream exported;
  if (!options.export_utilities.empty()) {
    exported.open(options.export_utilities, std::ios::binary | std::ios::trunc);
    if (!exported) return fail(Errc::io, "cannot write " + options.export_utilities.string());
  }

  ReplayReport report;
  report.method = method;
  attribution::JobValue job;
  Hash32 expected_start = hash_floats(*initial);
  for (std::size_t t = 0; t < round_numbers.size(); ++t) {
    const std::uint64_t round = round_numbers[t];
    const Json& recorded_round = recorded->at("rounds")[t];
    auto inputs = internal::load_round(run_dir, round, recorded_round, expected_start, parameters);
    if (!inputs) return tl::unexpected(inputs.error());
    FLYWHEEL_TRY(check_recorded_leaves(round, *recorded, recorded_round, *inputs));
    if (auto restored = (*strategy)->set_state(inputs->server_state); !restored) {
      return fail(Errc::data, "round " + std::to_string(round) + "'s server state does not fit strategy " +
                                  config.strategy.name + ": " + restored.error().message);
    }
    std::vector<ClientUpdate> updates;
    for (std::size_t k = 0; k < inputs->updates.size(); ++k) {
      updates.push_back(ClientUpdate{.delta = inputs->updates[k], .samples = inputs->samples[k]});
    }
    const std::uint64_t seed = attribution_seed(config, round, expected_start, inputs->addresses);
    auto attributed = attribute_round(RoundGame{.config = config,
                                                .strategy = **strategy,
                                                .global = inputs->start,
                                                .updates = updates,
                                                .train = data->train,
                                                .validation = data->validation},
                                      method, estimator_options(config, options.threads, seed));
    if (!attributed) {
      return tl::unexpected(with_context(attributed.error(), "recomputing round " + std::to_string(round)));
    }
    auto next = (*strategy)->aggregate(inputs->start, updates);
    if (!next) return tl::unexpected(next.error());
    if (hash_floats(*next) != model_hashes[t]) {
      return fail(Errc::data, "aggregating round " + std::to_string(round) +
                                  "'s artifacts does not give the recorded model_hash " + model_hashes[t].hex() +
                                  "; the artifacts do not belong to this job or configuration");
    }
    expected_start = model_hashes[t];
    FLYWHEEL_TRY(job.add_round(round, inputs->addresses, attributed->estimate));

    ReplayRound out{
        .round = round, .participants = inputs->addresses, .estimate = attributed->estimate, .recorded_values = {}};
    for (const auto& address : inputs->addresses) {
      const auto& values = recorded_round.at("values");
      const auto it = values.find(to_checksum(address));
      out.recorded_values.push_back(it == values.end() ? 0.0 : it->get<double>());
    }
    if (exported.is_open()) {
      for (const auto& [coalition, utility] : attributed->utilities) {
        Json line;
        line["round"] = round;
        line["members"] = Json::array();
        for (std::size_t k = 0; k < inputs->addresses.size(); ++k) {
          if (attribution::coalition_contains(coalition, k))
            line["members"].push_back(to_checksum(inputs->addresses[k]));
        }
        line["utility"] = utility;
        exported << line.dump() << '\n';
      }
      if (!exported) return fail(Errc::io, "error writing " + options.export_utilities.string());
    }
    if (options.progress != nullptr) {
      *options.progress << "round " << round << ": " << attributed->estimate.evaluations
                        << " coalitions evaluated with " << method_text << "\n";
    }
    report.rounds.push_back(std::move(out));
  }
  report.totals = job.totals();

  Json doc;
  doc["job"] = config.job.name;
  doc["method"] = method_text;
  doc["recorded_method"] = recorded->value("method", std::string());
  doc["kernels"] = kernels;
  doc["recorded_kernels"] = recorded_kernels;
  doc["utility"] = std::string(utility_name(config.attribution.utility));
  doc["strategy"] = config.strategy.name;
  doc["evaluations"] = job.evaluations();
  doc["participants"] = Json::array();
  for (const auto& p : report.totals) {
    doc["participants"].push_back({{"address", to_checksum(p.participant)},
                                   {"total_value", p.value},
                                   {"std_error", p.std_error},
                                   {"rounds", p.rounds}});
  }
  doc["rounds"] = Json::array();
  for (const auto& r : report.rounds) {
    Json j;
    j["round"] = r.round;
    j["seed"] = r.estimate.seed;
    j["evaluations"] = r.estimate.evaluations;
    j["truncated"] = r.estimate.truncated_round;
    j["notes"] = r.estimate.notes;
    j["participants"] = Json::array();
    j["values"] = Json::object();
    j["std_errors"] = Json::object();
    j["recorded_values"] = Json::object();
    for (std::size_t k = 0; k < r.participants.size(); ++k) {
      const std::string address = to_checksum(r.participants[k]);
      j["participants"].push_back(address);
      j["values"][address] = r.estimate.values[k];
      j["std_errors"][address] = r.estimate.std_errors[k];
      j["recorded_values"][address] = r.recorded_values[k];
    }
    doc["rounds"].push_back(std::move(j));
  }
  report.output = options.output.empty() ? run_dir / ("attribution-" + method_text + ".json") : options.output;
  FLYWHEEL_TRY(write_atomically(report.output, doc.dump(2) + "\n"));
  return report;
}

}  // namespace flywheel::fedtrain
