// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Recomputing a finished job's attribution from its artifacts (`flywheel attribute`): the
//! per-round games of FedSV (Wang et al. 2020) re-evaluated from the start model and updates the
//! simulation kept, with any estimator of attribution/estimator.hpp (exact Shapley, stratified,
//! TMC, GTG-Shapley, leave-one-out, Data Banzhaf).
//!
//!   auto report = recompute_attribution(*config, "runs/job", attribution::Method::stratified,
//!                                       {.threads = 4});
//!   // report->totals: job values; report->output: runs/job/attribution-stratified.json
//!
//! Artifacts (written by run_simulation when attribution.keep_artifacts is true, and by the
//! deployment aggregator likewise; both through write_round_artifacts), per round t in
//! out_dir/artifacts/round-NNNNNN/ (t zero-padded to 6 digits):
//!   start-model.bin    w_t, float32 little-endian, no header
//!   server-state.bin   the strategy's server state before the round (server optimisers only)
//!   0x<address>.bin    each participant's update Δ_i (lower-case hex address)
//!   manifest.json      {"version": 2, "round", "strategy", "model", "parameters",
//!                       "start_model": {file, hash}, "server_state": {file, hash, floats} | null,
//!                       "addresses": [checksummed], "samples": [...], "updates": [{file, hash}],
//!                       "domain": {"name", "version", "chainId", "verifyingContract"?},
//!                       "receipts": [{"participant", "receipt": {"jobId", "round", "participant",
//!                       "startModelHash", "updateHash", "samples", "computeUnits",
//!                       "computeMillis"}, "digest", "signature", "ack"?, "ack_signature"?}]};
//!                       hashes are SHA-256 of the file's bytes; receipts are the EIP-712
//!                       UpdateReceipts (common/eip712.hpp) the participants signed, whose digests
//!                       the round's attribution leaves commit to (docs/onchain.md); "ack" is the
//!                       deployment aggregator's signed UpdateAck.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attribution/estimator.hpp"
#include "attribution/job_value.hpp"
#include "common/bytes.hpp"
#include "common/eip712.hpp"
#include "common/result.hpp"
#include "fedtrain/config.hpp"

namespace flywheel::fedtrain {

//! An update's EIP-712 receipt as its participant signed it, and in deployment mode the
//! aggregator's signed acknowledgement.
struct SignedReceipt {
  eip712::UpdateReceipt receipt;
  Bytes signature;                       //!< 65 bytes r ‖ s ‖ v over eip712::digest(domain, receipt)
  std::optional<eip712::UpdateAck> ack;  //!< deployment only
  Bytes ack_signature;                   //!< deployment only
};

//! One round's inputs as a run keeps them (borrowed: the spans must outlive the call).
struct RoundArtifacts {
  std::uint64_t round = 0;                      //!< 1-based
  std::string strategy;                         //!< strategy.name
  std::string model;                            //!< model.name
  eip712::Domain domain;                        //!< the domain the receipts are signed under
  std::span<const float> start_model;           //!< w_t
  std::span<const float> server_state;          //!< the strategy's state before the round; empty = none
  std::vector<Address> participants;            //!< the round's participants, in the round's order
  std::vector<std::span<const float>> updates;  //!< Δ_i, parallel to participants
  std::vector<SignedReceipt> receipts;          //!< parallel to participants; samples come from here
};

//! Writes `artifacts` to run_dir/artifacts/round-NNNNNN/ in the format above: into a .tmp sibling
//! folder first, renamed when complete, so a round folder that exists is whole (an older one for
//! the same round is replaced). Errc::io when a file cannot be written or the folder renamed.
Result<void> write_round_artifacts(const std::filesystem::path& run_dir, const RoundArtifacts& artifacts);

//! How a replay runs.
struct ReplayOptions {
  std::size_t threads = 0;  //!< estimator threads; 0 = hardware concurrency
  //! When non-empty, one JSON line per evaluated coalition is written here:
  //! {"round": t, "members": ["0x..", ...], "utility": u}, rounds in order, coalitions by mask.
  std::filesystem::path export_utilities;
  std::ostream* progress = nullptr;  //!< progress lines; nullptr = silent
  //! Where the report goes; empty = run_dir/attribution-<method>.json.
  std::filesystem::path output;
};

//! One recomputed round.
struct ReplayRound {
  std::uint64_t round = 0;
  std::vector<Address> participants;    //!< the round's participants, in the estimate's order
  attribution::Estimate estimate;       //!< the recomputed values
  std::vector<double> recorded_values;  //!< the values attribution.json holds for them
};

//! A recomputed job.
struct ReplayReport {
  attribution::Method method = attribution::Method::exact;
  std::vector<ReplayRound> rounds;
  std::vector<attribution::ParticipantValue> totals;  //!< per participant, in order of first appearance
  std::filesystem::path output;                       //!< where the report was written
};

//! Recomputes every round of the job in `run_dir` with `method` and writes
//! run_dir/attribution-<method>.json, or options.output (atomically). Before estimating a round it
//! checks that the start model, server state and every update hash to what the manifest says, that the
//! participants match attribution.json, that w_1 is the configured initial model and w_t is the
//! previous round's model_hash, and that aggregating the updates gives the round's model_hash.
//! Each update's receipt must be signed by its participant (the signature over the EIP-712
//! digest recovers to the participant's address), name the round, the round's start model and
//! the manifest's samples, and carry SHA-256 of the kept update as its updateHash; and when
//! attribution.json lists the round's receipts and samples, its leaves (docs/onchain.md) must
//! give the recorded root. For the job's own method and seed the values equal the recorded ones
//! bit for bit.
//!
//! Errors: Errc::invalid_argument when `method` is exact and a round has more than
//! attribution::kMaxExactParticipants participants; Errc::io when attribution.json or an artifact
//! is missing (names the file and says keep_artifacts must have been on) or the output cannot be
//! written; Errc::data "round R: receipt of 0x… does not match its update (why)" when a receipt
//! fails the checks above (a tampered update file or receipt); Errc::data when a hash does not
//! match, a file has the wrong size, a manifest has no receipts, or a manifest or
//! attribution.json is malformed; Errc::config / Errc::data for dataset problems as
//! run_simulation; Errc::internal when libtorch fails.
Result<ReplayReport> recompute_attribution(const SimulationConfig& config, const std::filesystem::path& run_dir,
                                           attribution::Method method, const ReplayOptions& options = {});

}  // namespace flywheel::fedtrain
