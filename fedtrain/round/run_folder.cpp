// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/round/run_folder.hpp"

#include <cstdio>
#include <string_view>
#include <system_error>
#include <utility>

#include "attribution/merkle.hpp"
#include "attribution/shares.hpp"
#include "common/file_io.hpp"
#include "common/keys.hpp"

namespace flywheel::fedtrain {
namespace {

using Json = nlohmann::ordered_json;

// The metrics line's scalars in kMetricsCsvColumns' order; null (e.g. participant evaluation off,
// or a value a deployment does not know) is empty.
std::string csv_row(const Json& line) {
  std::string row;
  std::string_view header = kMetricsCsvColumns;
  while (!header.empty()) {
    const auto comma = header.find(',');
    const std::string key(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (!row.empty()) row += ',';
    const auto it = line.find(key);
    if (it != line.end() && !it->is_null()) row += it->dump();
  }
  return row;
}

}  // namespace

Result<std::unique_ptr<RunFolder>> RunFolder::open(const std::filesystem::path& run_dir, const Checkpoint* resumed) {
  std::error_code ec;
  std::filesystem::create_directories(run_dir, ec);
  if (ec || !std::filesystem::is_directory(run_dir)) {
    return fail(Errc::io, "cannot create run folder " + run_dir.string() + (ec ? ": " + ec.message() : std::string()));
  }
  std::unique_ptr<RunFolder> folder(new RunFolder(run_dir));
  const auto jsonl = run_dir / "metrics.jsonl";
  const auto csv = run_dir / "metrics.csv";
  if (resumed != nullptr) {
    for (const auto& [path, size] :
         {std::pair{jsonl, resumed->metrics_jsonl_bytes}, std::pair{csv, resumed->metrics_csv_bytes}}) {
      const auto actual = std::filesystem::file_size(path, ec);
      if (ec || actual < size) {
        return fail(Errc::data, path.string() + " is missing or shorter than checkpoint round " +
                                    std::to_string(resumed->round) + " recorded; start again without resume");
      }
      std::filesystem::resize_file(path, size, ec);
      if (ec) return fail(Errc::io, "cannot truncate " + path.string() + ": " + ec.message());
    }
    folder->jsonl_.open(jsonl, std::ios::binary | std::ios::app);
    folder->csv_.open(csv, std::ios::binary | std::ios::app);
    folder->jsonl_bytes_ = resumed->metrics_jsonl_bytes;
    folder->csv_bytes_ = resumed->metrics_csv_bytes;
  } else {
    std::filesystem::remove(checkpoint_file(run_dir), ec);
    folder->jsonl_.open(jsonl, std::ios::binary | std::ios::trunc);
    folder->csv_.open(csv, std::ios::binary | std::ios::trunc);
    const std::string header = std::string(kMetricsCsvColumns) + "\n";
    folder->csv_ << header << std::flush;
    folder->csv_bytes_ = header.size();
  }
  if (!folder->jsonl_) return fail(Errc::io, "cannot write " + jsonl.string());
  if (!folder->csv_) return fail(Errc::io, "cannot write " + csv.string());
  return folder;
}

Result<void> RunFolder::append_metrics(const Json& line) {
  const std::string text = line.dump() + "\n";
  jsonl_ << text << std::flush;
  if (!jsonl_) return fail(Errc::io, "error writing " + (dir_ / "metrics.jsonl").string());
  const std::string row = csv_row(line) + "\n";
  csv_ << row << std::flush;
  if (!csv_) return fail(Errc::io, "error writing " + (dir_ / "metrics.csv").string());
  jsonl_bytes_ += text.size();
  csv_bytes_ += row.size();
  return {};
}

Result<void> RunFolder::write_round(const RoundRecord& record, const std::string& job, const Hash32& start_model_hash,
                                    const eip712::Domain& domain, std::span<const RoundFileEntry> entries,
                                    const std::optional<Address>& aggregator) {
  Json doc;
  doc["round"] = record.round;
  doc["job"] = job;
  doc["start_model_hash"] = start_model_hash.hex();
  doc["model_hash"] = record.model_hash.hex();
  doc["attribution_root"] = record.attribution_root.hex();
  doc["aggregator"] = aggregator ? Json(to_checksum(*aggregator)) : Json(nullptr);
  doc["domain"] = {{"name", domain.name}, {"version", domain.version}, {"chainId", domain.chain_id}};
  if (domain.verifying_contract) doc["domain"]["verifyingContract"] = to_checksum(*domain.verifying_contract);
  doc["receipts"] = Json::array();
  std::vector<Hash32> receipt_leaves;
  for (const auto& entry : entries) {
    const auto& r = entry.proof.receipt;
    Json j;
    j["participant"] = to_checksum(r.participant);
    j["receipt"] = {{"jobId", r.job_id},
                    {"round", r.round},
                    {"participant", r.participant.hex()},
                    {"startModelHash", r.start_model_hash.hex()},
                    {"updateHash", r.update_hash.hex()},
                    {"samples", r.samples},
                    {"computeUnits", r.compute_units},
                    {"computeMillis", r.compute_millis}};
    j["receipt_digest"] = entry.receipt_digest.hex();
    j["signature"] = to_hex(entry.proof.signature);
    if (entry.proof.ack) {
      const auto& ack = *entry.proof.ack;
      j["ack"] = {{"receiptDigest", ack.receipt_digest.hex()},
                  {"aggregator", ack.aggregator.hex()},
                  {"round", ack.round},
                  {"acceptedAtMillis", ack.accepted_at_millis}};
      j["ack_signature"] = to_hex(entry.proof.ack_signature);
    }
    j["value"] = entry.value;
    doc["receipts"].push_back(std::move(j));
    receipt_leaves.push_back(entry.receipt_digest);
  }
  doc["receipts_root"] = attribution::MerkleTree(std::move(receipt_leaves)).root().hex();
  doc["leaves"] = Json::array();
  for (const auto& l : record.leaves) {
    doc["leaves"].push_back({{"participant", to_checksum(l.participant)},
                             {"receipt", l.receipt.hex()},
                             {"value", l.value},
                             {"value_fixed", attribution::value_to_fixed(l.value)},
                             {"samples", l.samples}});
  }
  std::error_code ec;
  std::filesystem::create_directories(dir_ / "rounds", ec);
  char name[32];
  std::snprintf(name, sizeof name, "%06llu.json", static_cast<unsigned long long>(record.round));
  return write_atomically(dir_ / "rounds" / name, doc.dump(2) + "\n");
}

Result<void> RunFolder::write_report(const Json& report) {
  return write_atomically(dir_ / "attribution.json", report.dump(2) + "\n");
}

}  // namespace flywheel::fedtrain
