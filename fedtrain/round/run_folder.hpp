// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The one writer of a run folder, simulated or deployed (fedtrain/round/pipeline.hpp):
//!
//!   metrics.jsonl          one JSON line per round, flushed as it goes
//!   metrics.csv            the same scalars with a header (kMetricsCsvColumns); null is empty
//!   rounds/NNNNNN.json     the round's receipts and acks with their signatures, values, leaves and
//!                          roots (round zero-padded to 6 digits)
//!   attribution.json       the job's report (fedtrain/round/round_report.hpp), at the end
//!   checkpoint/            fedtrain/round/checkpoint.hpp
//!
//! Every file but the two metrics streams is written atomically (common/file_io.hpp).
//!
//!   auto folder = RunFolder::open(dir, resumed ? &*checkpoint : nullptr);
//!   FLYWHEEL_TRY(folder->append_metrics(line));

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "common/eip712.hpp"
#include "common/result.hpp"
#include "fedtrain/round/checkpoint.hpp"
#include "fedtrain/round/round_sink.hpp"
#include "fedtrain/valuation/attribution_replay.hpp"

namespace flywheel::fedtrain {

//! metrics.csv's columns, in order: the metrics line's scalars.
inline constexpr const char* kMetricsCsvColumns =
    "round,participants,test_accuracy,test_loss,validation_accuracy,validation_loss,"
    "utility_empty,utility_full,train_loss,participant_accuracy,participant_loss,"
    "participant_evaluations,coalitions,seconds,train_seconds,attribution_seconds";

//! One accepted update as the round file records it.
struct RoundFileEntry {
  const SignedReceipt& proof;
  const Hash32& receipt_digest;
  double value = 0;
};

//! An open run folder. Not thread-safe.
class RunFolder {
 public:
  //! Opens `run_dir` (created when missing). Fresh: metrics.jsonl and metrics.csv (with its header)
  //! start empty and any old checkpoint is removed. With `resumed`: both are cut back to the sizes
  //! the checkpoint recorded, so lines of rounds after it are dropped, and appended to.
  //! Errors: Errc::io when the folder or a file cannot be written; Errc::data when resuming and a
  //! metrics file is missing or shorter than the checkpoint recorded.
  static Result<std::unique_ptr<RunFolder>> open(const std::filesystem::path& run_dir, const Checkpoint* resumed);

  [[nodiscard]] const std::filesystem::path& path() const { return dir_; }

  //! Appends `line` to metrics.jsonl and its kMetricsCsvColumns to metrics.csv, flushed. Errc::io.
  Result<void> append_metrics(const nlohmann::ordered_json& line);

  //! Sizes of metrics.jsonl and metrics.csv after the last append (for the checkpoint).
  [[nodiscard]] std::uint64_t metrics_jsonl_bytes() const { return jsonl_bytes_; }
  [[nodiscard]] std::uint64_t metrics_csv_bytes() const { return csv_bytes_; }

  //! Writes rounds/NNNNNN.json: the job, start and new model hashes, the record's roots and
  //! leaves, the receipts root (Merkle root over the receipt digests), and per accepted update its
  //! receipt, digest, signature, ack (when there is one) and value; `aggregator` when the round had
  //! one. Errc::io.
  Result<void> write_round(const RoundRecord& record, const std::string& job, const Hash32& start_model_hash,
                           const eip712::Domain& domain, std::span<const RoundFileEntry> entries,
                           const std::optional<Address>& aggregator);

  //! Writes attribution.json. Errc::io.
  Result<void> write_report(const nlohmann::ordered_json& report);

 private:
  explicit RunFolder(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
  std::ofstream jsonl_;
  std::ofstream csv_;
  std::uint64_t jsonl_bytes_ = 0;
  std::uint64_t csv_bytes_ = 0;
};

}  // namespace flywheel::fedtrain
