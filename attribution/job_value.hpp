// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Job-level values: the sum of per-round values over rounds (FedSV, Wang et al., "A principled
//! approach to data valuation for federated learning", 2020). Rounds may include different subsets
//! of participants (sampled rounds); a participant absent from a round gets 0 for it. Rounds that
//! between-round truncation skipped (GTG-Shapley, Liu et al. 2022) contribute 0 and are listed.
//!
//!   JobValue job;
//!   FLYWHEEL_TRY(job.add_round(round, participants, *estimate));  // once per round
//!   std::vector<ParticipantValue> totals = job.totals();           // .value, .std_error, .rounds
//!   // the values then become shares: allocate_shares (attribution/shares.hpp)

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "attribution/estimator.hpp"
#include "common/bytes.hpp"
#include "common/result.hpp"

namespace flywheel::attribution {

//! One participant's accumulated value over the job.
struct ParticipantValue {
  Address participant;  //!< the participant's address
  double value = 0;     //!< Σ_t φ_i^t over the rounds it took part in (utility units)
  //! √(Σ_t se_i^t²): rounds are estimated with independent seeds, so variances add.
  double std_error = 0;
  std::size_t rounds = 0;  //!< rounds it took part in (skipped rounds included)
  bool operator==(const ParticipantValue&) const = default;
};

//! What happened in one round, for the report.
struct RoundSummary {
  std::uint64_t round = 0;            //!< round number
  std::vector<Address> participants;  //!< the round's participants, in the estimate's order
  Method method = Method::exact;      //!< estimator used
  std::size_t evaluations = 0;        //!< distinct coalitions evaluated
  double gain = 0;                    //!< U(N) − U(∅) of the round
  bool truncated = false;             //!< skipped by between-round truncation (values all 0)
  std::vector<std::string> notes;     //!< the estimate's notes
};

//! Accumulates per-round estimates into job values. Not thread-safe.
class JobValue {
 public:
  //! Adds round `round` whose i-th participant is participants[i] and whose values are
  //! estimate.values[i]. Errc::invalid_argument when the sizes differ, an address repeats within
  //! the round, or the round was already added (nothing is changed then).
  Result<void> add_round(std::uint64_t round, std::span<const Address> participants, const Estimate& estimate);

  //! Every participant seen so far, in order of first appearance, with its accumulated value.
  [[nodiscard]] std::vector<ParticipantValue> totals() const;

  //! The accumulated value of `participant`; 0 when it has taken part in no round.
  [[nodiscard]] double value(const Address& participant) const;

  //! Per-round summaries in the order the rounds were added.
  [[nodiscard]] const std::vector<RoundSummary>& rounds() const { return rounds_; }

  //! Round numbers skipped by between-round truncation, in the order added.
  [[nodiscard]] std::vector<std::uint64_t> truncated_rounds() const;

  //! Total evaluations over all rounds.
  [[nodiscard]] std::size_t evaluations() const;

 private:
  std::vector<ParticipantValue> totals_;
  std::map<Address, std::size_t> index_;
  std::vector<double> variance_;
  std::vector<RoundSummary> rounds_;
};

}  // namespace flywheel::attribution
