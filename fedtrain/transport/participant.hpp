// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The deployment participant: joins an aggregator (challenge signed with the participant's key),
//! follows its round plans, trains locally from each round's global model (FedAvg's ClientUpdate,
//! McMahan et al. 2017, via fedtrain::train_local), and pushes the update with an EIP-712 signed
//! UpdateReceipt (common/eip712.hpp), keeping the aggregator's signed ack. It survives aggregator
//! restarts: on a transport error it reconnects and rejoins with exponential backoff.
//!
//! Data: the participant's share of Fashion-MNIST, split exactly as the simulation splits it (its
//! index is its position in deployment.allowlist), so a deployment job reproduces the simulation.
//!
//!   auto job = load_deployment_job("job.json");
//!   auto key = load_keystore("alice.json", password);
//!   auto report = run_participant(*job, *key, {.out_dir = "runs/alice"});  // until the job is done
//!   // report->updates_accepted, report->rejoins; runs/alice/acks.jsonl: the aggregator's acks

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "common/keys.hpp"
#include "common/result.hpp"
#include "fedtrain/transport/data_parallel.hpp"
#include "fedtrain/transport/protocol.hpp"

namespace flywheel::fedtrain {

//! How a participant runs.
struct ParticipantOptions {
  std::optional<std::string> aggregator;         //!< overrides deployment.aggregator ("host:port")
  std::optional<std::filesystem::path> out_dir;  //!< where acks.jsonl goes (none when unset)
  double max_backoff_s = 2;                      //!< reconnect backoff doubles from 0.1 s up to this
  double give_up_s = 120;                        //!< exit with Errc::rpc after this long unreachable
  std::ostream* progress = nullptr;              //!< nullptr = std::cerr
  bool quiet = false;
  //! Fault injection for tests: after fetching this round's model, stop answering (sleep forever).
  std::uint64_t hang_in_round = 0;
  //! When set, this process is rank 0 of a data-parallel participant
  //! (fedtrain/transport/data_parallel.hpp): it talks to the aggregator, hands each round's model
  //! to the other ranks, which run run_participant_rank, and trains with them. Not owned.
  DataParallelGroup* data_parallel = nullptr;
};

//! What a participant did.
struct ParticipantReport {
  std::uint64_t updates_accepted = 0;  //!< rounds whose update was accepted (a redone round counts once)
  std::uint64_t updates_refused = 0;
  std::uint64_t rejoins = 0;
};

//! Runs until the aggregator says the job is done. While the aggregator cannot be reached it
//! retries, saying so ("cannot reach the aggregator (why); retrying for up to N s more") at once
//! and every 10 s; a join refused with BAD_CHALLENGE (the nonce expired, or other challenges for
//! this address pushed it out of the aggregator's table) is retried the same way with a new one. Errc::config when the key is not on the allowlist, or at once when the
//! aggregator's address does not resolve or answers but is not a Flywheel aggregator (e.g. an HTTP
//! server); Errc::data when the data cannot be loaded or split; Errc::rpc after give_up_s without
//! reaching the aggregator; Errc::crypto when the aggregator refuses the join (status and message
//! in the text), a TLS setting cannot match, or its ack does not verify.
Result<ParticipantReport> run_participant(const DeploymentJob& job, const PrivateKey& key,
                                          const ParticipantOptions& options = {});

//! The loop of ranks 1 … size − 1 of a data-parallel participant: loads the same share of the data
//! as rank 0 (the key's place on the allowlist), then for each round rank 0 trains, receives the
//! global model and training seed from rank 0 and trains its slice of every minibatch, until rank 0
//! says the job is over. Errc::invalid_argument when called on rank 0; errors as run_participant
//! for the data; Errc::internal when a collective fails.
Result<void> run_participant_rank(const DeploymentJob& job, const PrivateKey& key, DataParallelGroup& group);

}  // namespace flywheel::fedtrain
