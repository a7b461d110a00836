// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The deployment aggregator: a gRPC server (proto/flywheel.proto) whose participants are other
//! processes, feeding the round pipeline (fedtrain/round/pipeline.hpp) that the simulation runs
//! too: the job's strategy merges the accepted updates, the job's attribution.method values them,
//! and the record goes to a RoundSink. Identity and proofs (docs/deployment.md, docs/onchain.md):
//! challenge-response join against the allowlist, an EIP-712 UpdateReceipt per update
//! (common/eip712.hpp), an EIP-712 UpdateAck in return.
//!
//! A round opens when at least min_updates participants are alive; the first round a process
//! runs (round 1, or the first after --resume) waits up to start_timeout_s for every participant.
//! The live participants are sampled as the strategy's fraction_fit/min_fit_clients say; the
//! round closes when every selected participant's update was accepted, or when its deadline
//! passed with at least min_updates (otherwise the deadline moves on by round_timeout_s; the
//! progress names who is missing). Updates arriving after the deadline are refused (LATE).
//!
//! Run folder: the pipeline's (metrics.jsonl, metrics.csv, rounds/NNNNNN.json with receipts, acks
//! and their signatures, attribution.json with the aggregator's address, artifacts/, checkpoint/),
//! plus endpoint (host:port actually bound) and rejections.json (refusal counters by status).
//!
//!   auto aggregator = Aggregator::start(job, key, "runs/agg", sink, {.threads = 2});
//!   std::cout << "port " << (*aggregator)->port() << "\n";
//!   auto summary = (*aggregator)->run();  // returns when the job is done

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "common/keys.hpp"
#include "common/result.hpp"
#include "fedtrain/round/round_sink.hpp"
#include "fedtrain/transport/protocol.hpp"

namespace flywheel::fedtrain {

//! How an aggregator runs.
struct AggregatorOptions {
  std::size_t threads = 0;           //!< attribution threads; 0 = one per core
  std::ostream* progress = nullptr;  //!< progress lines; nullptr = std::cerr
  bool quiet = false;
  bool resume = false;  //!< continue from out_dir/checkpoint after its last round
};

//! A running aggregator. Thread-safe.
class Aggregator {
 public:
  //! Loads the data, binds the server and starts serving joins. Errc::config for an unusable
  //! job, Errc::data for missing data or a corrupt checkpoint, Errc::io when out_dir cannot be
  //! written or the address cannot be bound (the message names it).
  static Result<std::unique_ptr<Aggregator>> start(const DeploymentJob& job, const PrivateKey& key,
                                                   const std::filesystem::path& out_dir, RoundSink& sink,
                                                   const AggregatorOptions& options = {});
  ~Aggregator();
  Aggregator(const Aggregator&) = delete;
  Aggregator& operator=(const Aggregator&) = delete;

  //! The TCP port the server is bound to.
  [[nodiscard]] int port() const;

  //! Runs every round, then keeps answering JOB_DONE for a short grace period so participants
  //! learn the job ended. Returns the job summary; errors of training, attribution or the sink.
  Result<JobSummary> run();

  //! Asks run() to stop after the current step (it returns Errc::timeout "stopped").
  void stop();

  //! How many requests were refused, by status name (e.g. "NORM_TOO_LARGE").
  [[nodiscard]] std::map<std::string, std::uint64_t> rejections() const;

  struct State;

 private:
  explicit Aggregator(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace flywheel::fedtrain
