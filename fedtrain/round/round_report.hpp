// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! What the simulation and the deployment aggregator both write about finished rounds and jobs:
//! a round's leaves and attribution root, the estimator's per-round details, the job's shares
//! and share-claim tree, and attribution.json (format in docs/attribution.md). One copy, so a
//! simulated and a deployed job produce reports that `flywheel attribute` and the chain commands
//! read the same way.

#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "attribution/estimator.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"
#include "fedtrain/config.hpp"
#include "fedtrain/round/round_sink.hpp"

namespace flywheel::fedtrain::internal {

//! One round's contributions: the k-th entry of each span belongs to the job participant
//! selected[k] (selected sorted ascending, as in RoundRecord).
struct RoundContributions {
  std::span<const std::size_t> selected;
  std::span<const Hash32> receipts;        //!< EIP-712 receipt digests
  std::span<const double> values;          //!< the estimator's values
  std::span<const std::uint64_t> samples;  //!< training samples behind each update
};

//! Sets record.leaves (one per job participant, in job order; absent ones carry zeros),
//! record.selected and record.attribution_root (Merkle root of round_leaf_hash over the leaves).
void set_round_leaves(RoundRecord& record, std::span<const Address> job_participants,
                      const RoundContributions& contributions);

//! The estimator's details of a round for attribution.json: method, seed, evaluations, standard
//! errors by checksum address (the round's participants, in the estimate's order), truncation
//! and notes.
nlohmann::ordered_json estimate_details(const attribution::Estimate& estimate,
                                        std::span<const Address> round_participants);

//! Integer shares of `total_shares` by positive total value (attribution::allocate_shares), the
//! share-claim Merkle tree and every participant's proof. Errors of allocate_shares.
Result<JobSummary> summarise_job(std::vector<ParticipantInfo> participants, std::vector<double> total_values,
                                 std::uint64_t total_shares);

//! attribution.json's document: the job, every participant's total value, shares and share
//! proof, and per round its root, model hash, values, samples, receipts and `round_details[t]`'s
//! keys (from estimate_details).
nlohmann::ordered_json attribution_report(const SimulationConfig& config, const JobSummary& summary,
                                          std::span<const RoundRecord> rounds,
                                          std::span<const nlohmann::ordered_json> round_details);

}  // namespace flywheel::fedtrain::internal
