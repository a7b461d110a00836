// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// FedSV job values: per-round values summed over rounds (Wang et al. 2020).
#include "attribution/job_value.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

namespace flywheel::attribution {

Result<void> JobValue::add_round(std::uint64_t round, std::span<const Address> participants, const Estimate& estimate) {
  if (participants.size() != estimate.values.size() || participants.size() != estimate.std_errors.size()) {
    return fail(Errc::invalid_argument,
                "round " + std::to_string(round) + " lists " + std::to_string(participants.size()) +
                    " participants but its estimate has " + std::to_string(estimate.values.size()) + " values and " +
                    std::to_string(estimate.std_errors.size()) + " standard errors");
  }
  if (std::any_of(rounds_.begin(), rounds_.end(), [&](const auto& r) { return r.round == round; })) {
    return fail(Errc::invalid_argument, "round " + std::to_string(round) + " was already added");
  }
  std::set<Address> seen;
  for (const auto& a : participants) {
    if (!seen.insert(a).second) {
      return fail(Errc::invalid_argument,
                  "participant " + a.hex() + " appears twice in round " + std::to_string(round));
    }
  }
  for (std::size_t i = 0; i < participants.size(); ++i) {
    auto [it, added] = index_.emplace(participants[i], totals_.size());
    if (added) {
      totals_.push_back(ParticipantValue{.participant = participants[i]});
      variance_.push_back(0);
    }
    auto& total = totals_[it->second];
    total.value += estimate.values[i];
    variance_[it->second] += estimate.std_errors[i] * estimate.std_errors[i];
    total.std_error = std::sqrt(variance_[it->second]);
    ++total.rounds;
  }
  rounds_.push_back(RoundSummary{
      .round = round,
      .participants = {participants.begin(), participants.end()},
      .method = estimate.method,
      .evaluations = estimate.evaluations,
      .gain = estimate.grand_utility - estimate.empty_utility,
      .truncated = estimate.truncated_round,
      .notes = estimate.notes,
  });
  return {};
}

std::vector<ParticipantValue> JobValue::totals() const { return totals_; }

double JobValue::value(const Address& participant) const {
  auto it = index_.find(participant);
  return it == index_.end() ? 0.0 : totals_[it->second].value;
}

std::vector<std::uint64_t> JobValue::truncated_rounds() const {
  std::vector<std::uint64_t> out;
  for (const auto& r : rounds_) {
    if (r.truncated) out.push_back(r.round);
  }
  return out;
}

std::size_t JobValue::evaluations() const {
  std::size_t total = 0;
  for (const auto& r : rounds_) total += r.evaluations;
  return total;
}

}  // namespace flywheel::attribution
