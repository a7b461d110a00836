// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/round/checkpoint.hpp"

#include <bit>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>

#include "common/file_io.hpp"
#include "common/keccak.hpp"
#include "fedtrain/model/model.hpp"

namespace flywheel::fedtrain {
namespace {

using Json = nlohmann::ordered_json;

static_assert(std::endian::native == std::endian::little, "checkpoints store integers and floats little-endian");

constexpr char kMagic[8] = {'F', 'W', 'C', 'K', 'P', 'T', '0', '1'};

template <std::size_t N>
Result<FixedBytes<N>> fixed_from_hex(const Json& value) {
  auto bytes = FixedBytes<N>::from_hex(value.get<std::string>());
  if (!bytes) return fail(Errc::data, "malformed hex value " + value.dump());
  return *bytes;
}

void append_u64(std::string& out, std::uint64_t value) {
  char bytes[8];
  std::memcpy(bytes, &value, 8);
  out.append(bytes, 8);
}

void append_floats(std::string& out, std::span<const float> values) {
  append_u64(out, values.size());
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

// Reads the fields in order, failing (not crashing) on truncation.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  Result<std::uint64_t> u64() {
    if (bytes_.size() - pos_ < 8) return truncated();
    std::uint64_t v = 0;
    std::memcpy(&v, bytes_.data() + pos_, 8);
    pos_ += 8;
    return v;
  }
  Result<std::string_view> take(std::uint64_t count) {
    if (bytes_.size() - pos_ < count) return truncated();
    auto out = bytes_.substr(pos_, count);
    pos_ += count;
    return out;
  }
  Result<std::vector<float>> floats() {
    auto count = u64();
    if (!count) return tl::unexpected(count.error());
    if (*count > (bytes_.size() - pos_) / sizeof(float)) return truncated();
    auto raw = take(*count * sizeof(float));
    std::vector<float> out(*count);
    if (!out.empty()) std::memcpy(out.data(), raw->data(), raw->size());
    return out;
  }

 private:
  static tl::unexpected<Error> truncated() { return fail(Errc::data, "truncated"); }
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

Json record_to_json(const RoundRecord& record) {
  Json r;
  r["round"] = record.round;
  r["model_hash"] = record.model_hash.hex();
  r["attribution_root"] = record.attribution_root.hex();
  r["test_accuracy"] = record.test_accuracy;
  r["test_loss"] = record.test_loss;
  r["selected"] = record.selected;
  r["leaves"] = Json::array();
  for (const auto& leaf : record.leaves) {
    r["leaves"].push_back({{"participant", leaf.participant.hex()},
                           {"receipt", leaf.receipt.hex()},
                           {"value", leaf.value},
                           {"samples", leaf.samples}});
  }
  return r;
}

Result<RoundRecord> record_from_json(const Json& r) {
  try {
    RoundRecord record;
    record.round = r.at("round").get<std::uint64_t>();
    auto model_hash = fixed_from_hex<32>(r.at("model_hash"));
    if (!model_hash) return tl::unexpected(model_hash.error());
    auto root = fixed_from_hex<32>(r.at("attribution_root"));
    if (!root) return tl::unexpected(root.error());
    record.model_hash = *model_hash;
    record.attribution_root = *root;
    record.test_accuracy = r.at("test_accuracy").get<double>();
    record.test_loss = r.at("test_loss").get<double>();
    record.selected = r.at("selected").get<std::vector<std::size_t>>();
    for (const auto& leaf : r.at("leaves")) {
      auto address = fixed_from_hex<20>(leaf.at("participant"));
      if (!address) return tl::unexpected(address.error());
      auto receipt = fixed_from_hex<32>(leaf.at("receipt"));
      if (!receipt) return tl::unexpected(receipt.error());
      record.leaves.push_back(attribution::RoundLeaf{.participant = *address,
                                                     .receipt = *receipt,
                                                     .value = leaf.at("value").get<double>(),
                                                     .samples = leaf.at("samples").get<std::uint64_t>()});
    }
    return record;
  } catch (const Json::exception& e) {
    return fail(Errc::data, std::string("malformed round record: ") + e.what());
  }
}

std::filesystem::path checkpoint_file(const std::filesystem::path& run_dir) {
  return run_dir / "checkpoint" / "checkpoint.bin";
}

Result<void> save_checkpoint(const std::filesystem::path& run_dir, const SimulationConfig& config,
                             const Checkpoint& checkpoint) {
  Json header;
  header["version"] = 2;
  header["config_hash"] = config_hash(config).hex();
  header["content_hash"] = kContentHashName;
  header["round"] = checkpoint.round;
  header["random"] = "counter-based: every stream derives from job.seed and the round";
  header["strategy"] = config.strategy.name;
  header["model_hash"] = hash_floats(checkpoint.model).hex();
  header["total_values"] = checkpoint.total_values;
  header["samples"] = checkpoint.samples;
  header["metrics_jsonl_bytes"] = checkpoint.metrics_jsonl_bytes;
  header["metrics_csv_bytes"] = checkpoint.metrics_csv_bytes;
  header["rounds"] = Json::array();
  for (const auto& record : checkpoint.rounds) header["rounds"].push_back(record_to_json(record));
  header["round_details"] = checkpoint.round_details;
  const std::string text = header.dump();
  std::string bytes(kMagic, sizeof kMagic);
  append_u64(bytes, text.size());
  bytes += text;
  append_floats(bytes, checkpoint.model);
  append_floats(bytes, checkpoint.server_state);
  const Hash32 digest = keccak256(as_bytes(bytes));
  bytes.append(reinterpret_cast<const char*>(digest.bytes.data()), digest.size());
  std::error_code ec;
  std::filesystem::create_directories(run_dir / "checkpoint", ec);
  return write_atomically(checkpoint_file(run_dir), bytes);
}

Result<std::optional<Checkpoint>> load_checkpoint(const std::filesystem::path& run_dir,
                                                  const SimulationConfig& config) {
  const auto file = checkpoint_file(run_dir);
  const auto folder = run_dir / "checkpoint";
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    if (std::filesystem::exists(folder / "state.json", ec)) {
      return fail(Errc::data, "the checkpoint in " + folder.string() +
                                  " is in the format of an older Flywheel (state.json); it cannot be "
                                  "resumed: start the job again in a fresh run folder");
    }
    return std::optional<Checkpoint>{};
  }
  auto read = read_file(file, "checkpoint");
  if (!read) return tl::unexpected(read.error());
  const std::string bytes = std::move(*read);
  const auto corrupt = [&](const std::string& why) {
    return fail(Errc::data, "checkpoint " + file.string() + " is corrupt (" + why + "); delete it to start over");
  };
  if (bytes.size() < sizeof kMagic + 32 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return corrupt("not a Flywheel checkpoint");
  }
  const std::string_view body(bytes.data(), bytes.size() - 32);
  auto stored_digest = Hash32::from(as_bytes(std::string_view(bytes).substr(body.size())));
  if (!stored_digest || keccak256(as_bytes(body)) != *stored_digest) return corrupt("digest mismatch");
  Reader reader(body.substr(sizeof kMagic));
  auto header_size = reader.u64();
  if (!header_size) return corrupt(header_size.error().message);
  auto header_text = reader.take(*header_size);
  if (!header_text) return corrupt(header_text.error().message);
  auto model = reader.floats();
  auto server_state = reader.floats();
  if (!model || !server_state) return corrupt("truncated parameter block");
  Checkpoint out;
  try {
    const Json header = Json::parse(*header_text);
    if (header.value("version", 0) != 2) {
      return fail(Errc::data, "the checkpoint " + file.string() +
                                  " is in the format of an older Flywheel; it cannot be resumed: start the job "
                                  "again in a fresh run folder");
    }
    FLYWHEEL_TRY(check_content_hash(header.value("content_hash", ""), "the checkpoint in " + file.string()));
    const std::string expected = config_hash(config).hex();
    const std::string stored = header.at("config_hash").get<std::string>();
    if (stored != expected) {
      return fail(Errc::config, "the checkpoint in " + folder.string() +
                                    " was written by another configuration (config hash " + stored +
                                    ", this configuration " + expected +
                                    "); resume with the configuration that started the job, or "
                                    "run without resume (or with another output folder) to start over");
    }
    out.round = header.at("round").get<std::uint64_t>();
    if (out.round > config.job.rounds) {
      return fail(Errc::config, "the checkpoint is at round " + std::to_string(out.round) + " but job.rounds is " +
                                    std::to_string(config.job.rounds) + "; raise job.rounds to continue the job");
    }
    out.total_values = header.at("total_values").get<std::vector<double>>();
    out.samples = header.at("samples").get<std::vector<std::uint64_t>>();
    out.metrics_jsonl_bytes = header.at("metrics_jsonl_bytes").get<std::uint64_t>();
    out.metrics_csv_bytes = header.at("metrics_csv_bytes").get<std::uint64_t>();
    for (const auto& r : header.at("rounds")) {
      auto record = record_from_json(r);
      if (!record) return corrupt(record.error().message);
      out.rounds.push_back(std::move(*record));
    }
    for (const auto& d : header.at("round_details")) out.round_details.push_back(d);
  } catch (const Json::exception& e) {
    return corrupt(e.what());
  }
  const std::size_t n = config.participants.count();
  if (model->size() != parameter_count(config.model) || out.total_values.size() != n || out.samples.size() != n ||
      out.rounds.size() != out.round) {
    return corrupt("sizes do not match the configuration");
  }
  out.model = std::move(*model);
  out.server_state = std::move(*server_state);
  return std::optional<Checkpoint>(std::move(out));
}

}  // namespace flywheel::fedtrain
