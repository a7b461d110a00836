// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "fedtrain/round/round_report.hpp"

#include <cassert>
#include <string>

#include "attribution/merkle.hpp"
#include "attribution/shares.hpp"
#include "common/keys.hpp"
#include "fedtrain/config.hpp"
#include "fedtrain/model/math_kernels.hpp"

namespace flywheel::fedtrain::internal {

using Json = nlohmann::ordered_json;

void set_round_leaves(RoundRecord& record, std::span<const Address> job_participants,
                      const RoundContributions& contributions) {
  const std::size_t m = contributions.selected.size();
  assert(contributions.receipts.size() == m && contributions.values.size() == m && contributions.samples.size() == m);
  record.selected.assign(contributions.selected.begin(), contributions.selected.end());
  record.leaves.clear();
  std::vector<Hash32> leaf_hashes;
  for (std::size_t i = 0, k = 0; i < job_participants.size(); ++i) {
    attribution::RoundLeaf leaf{.participant = job_participants[i]};
    if (k < m && contributions.selected[k] == i) {
      leaf.receipt = contributions.receipts[k];
      leaf.value = contributions.values[k];
      leaf.samples = contributions.samples[k];
      ++k;
    }
    record.leaves.push_back(leaf);
    leaf_hashes.push_back(attribution::round_leaf_hash(leaf));
  }
  record.attribution_root = attribution::MerkleTree(std::move(leaf_hashes)).root();
}

Json estimate_details(const attribution::Estimate& estimate, std::span<const Address> round_participants) {
  Json details;
  details["method"] = std::string(attribution::method_name(estimate.method));
  details["seed"] = estimate.seed;
  details["evaluations"] = estimate.evaluations;
  details["std_errors"] = Json::object();
  for (std::size_t k = 0; k < round_participants.size(); ++k) {
    details["std_errors"][to_checksum(round_participants[k])] = estimate.std_errors[k];
  }
  details["truncated"] = estimate.truncated_round;
  details["notes"] = estimate.notes;
  return details;
}

Result<JobSummary> summarise_job(std::vector<ParticipantInfo> participants, std::vector<double> total_values,
                                 std::uint64_t total_shares) {
  auto shares = attribution::allocate_shares(total_values, total_shares);
  if (!shares) return tl::unexpected(shares.error());
  JobSummary summary;
  summary.participants = std::move(participants);
  summary.total_values = std::move(total_values);
  summary.shares = std::move(*shares);
  summary.total_shares = total_shares;
  std::vector<Hash32> leaves;
  for (std::size_t i = 0; i < summary.participants.size(); ++i) {
    leaves.push_back(attribution::share_leaf_hash(summary.participants[i].address, summary.shares[i]));
  }
  const attribution::MerkleTree tree(std::move(leaves));
  summary.shares_root = tree.root();
  for (std::size_t i = 0; i < summary.participants.size(); ++i) summary.share_proofs.push_back(tree.proof(i));
  return summary;
}

Json attribution_report(const SimulationConfig& config, const JobSummary& summary, std::span<const RoundRecord> rounds,
                        std::span<const Json> round_details) {
  Json doc;
  doc["job"] = config.job.name;
  doc["seed"] = config.job.seed;
  doc["method"] = config.attribution.method;
  doc["utility"] = std::string(utility_name(config.attribution.utility));
  doc["strategy"] = config.strategy.name;
  doc["config_hash"] = config_hash(config).hex();
  doc["kernels"] = kernel_family_name();
  doc["total_shares"] = std::to_string(summary.total_shares);
  doc["participants"] = Json::array();
  for (std::size_t i = 0; i < summary.participants.size(); ++i) {
    Json p;
    p["address"] = to_checksum(summary.participants[i].address);
    p["samples"] = summary.participants[i].samples;
    p["profile"] = summary.participants[i].profile;
    p["total_value"] = summary.total_values[i];
    p["shares"] = std::to_string(summary.shares[i]);
    p["share_proof"] = Json::array();
    for (const auto& h : summary.share_proofs[i]) p["share_proof"].push_back(h.hex());
    doc["participants"].push_back(std::move(p));
  }
  doc["rounds"] = Json::array();
  for (std::size_t t = 0; t < rounds.size(); ++t) {
    const RoundRecord& record = rounds[t];
    Json r;
    r["round"] = record.round;
    r["root"] = record.attribution_root.hex();
    r["model_hash"] = record.model_hash.hex();
    r["participants"] = Json::array();
    for (auto i : record.selected) r["participants"].push_back(to_checksum(summary.participants[i].address));
    r["values"] = Json::object();
    r["samples"] = Json::object();
    r["receipts"] = Json::object();
    for (const auto& leaf : record.leaves) {
      const std::string address = to_checksum(leaf.participant);
      r["values"][address] = leaf.value;
      r["samples"][address] = leaf.samples;
      r["receipts"][address] = leaf.receipt.hex();
    }
    if (t < round_details.size()) {
      for (const auto& [key, value] : round_details[t].items()) r[key] = value;
    }
    doc["rounds"].push_back(std::move(r));
  }
  doc["shares_root"] = summary.shares_root.hex();
  return doc;
}

}  // namespace flywheel::fedtrain::internal
