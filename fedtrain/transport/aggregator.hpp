// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The deployment aggregator: a gRPC server (proto/flywheel.proto) that runs a federated job with
//! participants in other processes. Same round as the simulation (fedtrain/simulation.hpp): the
//! job's strategy merges the accepted updates, the job's attribution.method (exact Shapley,
//! stratified, GTG-Shapley, TMC, Data Banzhaf or leave-one-out; attribution/estimator.hpp) values
//! them over coalition models rebuilt with strategy.propose() (FedSV, Wang et al. 2020), and the
//! record goes to a RoundSink. Identity and proofs (docs/deployment.md, docs/onchain.md):
//! challenge-response join against the allowlist, an EIP-712 UpdateReceipt per update
//! (common/eip712.hpp), an EIP-712 UpdateAck in return.
//!
//! A round opens when at least min_updates participants are alive (round 1 waits up to
//! start_timeout_s for everyone). The live participants are sampled as the strategy's
//! fraction_fit/min_fit_clients say; the round closes when every selected participant's update
//! was accepted, or when its deadline passed with at least min_updates (otherwise the deadline
//! moves on by round_timeout_s). Updates arriving after the deadline are refused (LATE).
//!
//! Run folder: endpoint (host:port actually bound), metrics.jsonl (one line per round),
//! rounds/<round>.json (receipts with signatures, acks with signatures, leaves, roots),
//! rejections.json (refusal counters by status), attribution.json (at the end, in the
//! simulation's format: per round values, samples and receipt digests), with
//! attribution.keep_artifacts artifacts/round-NNNNNN/ (start model, server state, accepted
//! updates, signed receipts and acks; fedtrain/attribution_replay.hpp), and checkpoint/ (model,
//! strategy state, round; rewritten atomically after every round) from which --resume continues.
//! Each round's leaves commit to the participants' receipt digests (attribution/merkle.hpp).
//! A round is checkpointed before the sink sees it; a resumed run hands the sink every
//! checkpointed round again first (a sink must take a round it has seen as a no-op).

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "common/keys.hpp"
#include "common/result.hpp"
#include "fedtrain/round_sink.hpp"
#include "fedtrain/transport.hpp"

namespace flywheel::fedtrain {

//! How an aggregator runs.
struct AggregatorOptions {
  std::size_t threads = 0;            //!< attribution threads; 0 = one per core
  std::ostream* progress = nullptr;   //!< progress lines; nullptr = std::cerr
  bool quiet = false;
  bool resume = false;                //!< continue from out_dir/checkpoint after its last round
};

//! A running aggregator. Thread-safe.
class Aggregator {
 public:
  //! Loads the data, binds the server and starts serving joins. Errc::config for an unusable
  //! job, Errc::data for missing data or a corrupt checkpoint, Errc::io when out_dir cannot be
  //! written or the address cannot be bound (the message names it).
  static Result<std::unique_ptr<Aggregator>> start(const DeploymentJob& job, const PrivateKey& key,
                                                   const std::filesystem::path& out_dir,
                                                   RoundSink& sink,
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
