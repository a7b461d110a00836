// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! How fedtrain reports a job's progress outward without knowing who listens. The CLI plugs the
//! chain bridge in here; training never links chain code.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "attribution/merkle.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"

namespace flywheel::fedtrain {

//! A participant as the job knows it.
struct ParticipantInfo {
  Address address;
  std::string profile;        //!< "honest", "shuffled-labels", ...
  std::uint64_t samples = 0;  //!< training samples it holds
  bool operator==(const ParticipantInfo&) const = default;
};

//! One finished round: what goes on-chain (model hash, attribution root) and what backs it.
struct RoundRecord {
  std::uint64_t round = 0;  //!< 1-based
  Hash32 model_hash;        //!< SHA-256 (hash_floats) of the new global model's float32 bytes
  Hash32 attribution_root;  //!< Merkle root of `leaves`
  //! One per job participant, in job order; a participant not sampled this round has value 0 and
  //! samples 0.
  std::vector<attribution::RoundLeaf> leaves;
  std::vector<std::size_t> selected;  //!< job indices of the round's participants, sorted
  double test_accuracy = 0;
  double test_loss = 0;
};

//! The job's end: totals, shares and the share-claim tree.
struct JobSummary {
  std::vector<ParticipantInfo> participants;
  std::vector<double> total_values;   //!< Σ over rounds, per participant
  std::vector<std::uint64_t> shares;  //!< integer shares, Σ = total_shares
  std::uint64_t total_shares = 0;
  Hash32 shares_root;                             //!< Merkle root of share_leaf_hash(address, shares)
  std::vector<std::vector<Hash32>> share_proofs;  //!< proof per participant, same order
};

//! Receives a job's events in order: on_job_start, on_round for each round, on_job_end. An error
//! stops the job and is returned from the simulation.
class RoundSink {
 public:
  virtual ~RoundSink() = default;
  virtual Result<void> on_job_start(const std::vector<ParticipantInfo>& participants) = 0;
  virtual Result<void> on_round(const RoundRecord& record) = 0;
  virtual Result<void> on_job_end(const JobSummary& summary) = 0;
};

//! A sink that ignores everything: simulation without a chain.
class NullSink final : public RoundSink {
 public:
  Result<void> on_job_start(const std::vector<ParticipantInfo>&) override { return {}; }
  Result<void> on_round(const RoundRecord&) override { return {}; }
  Result<void> on_job_end(const JobSummary&) override { return {}; }
};

}  // namespace flywheel::fedtrain
