// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! The one federated round, for every way of running a job. The pipeline selects the round's
//! participants, hands out the start model, collects their signed updates from an UpdateSource,
//! keeps the round's artifacts, attributes the round, merges, tests, checkpoints, writes the run
//! folder and hands the record to the RoundSink. Where updates come from is the source's business:
//! the simulation trains virtual participants in this process (fedtrain/simulation/simulation.hpp), the
//! deployment aggregator receives them over gRPC (fedtrain/transport/aggregator.hpp). As in Flower's server
//! round over ClientProxy, both go through this code, so the same job gives the same model and the
//! same attribution root either way (tests/deployment_test.cpp checks it).
//!
//! Round t (FedAvg with client sampling, McMahan et al. 2017; attribution FedSV, Wang et al. 2020):
//!  1. candidates = source.candidates(t): the participants that can take part now;
//!  2. selected = a sample of fit_clients_per_round(config) of them (internal::sample_sorted on
//!     the sample stream of job.seed and t);
//!  3. updates = source.collect(): a signed update per selected participant that delivered one;
//!  4. with attribution.keep_artifacts, artifacts/round-NNNNNN/ (attribution_replay.hpp);
//!  5. values of the configured estimator over U_t(S) (fedtrain/valuation/round_game.hpp), seeded by
//!     attribution_seed; w_{t+1} = strategy.aggregate(w_t, updates); the test set;
//!  6. the record: leaves per job participant committing to the receipt digests, their root, and
//!     SHA-256 of w_{t+1}; rounds/NNNNNN.json and a metrics line (fedtrain/round/run_folder.hpp);
//!  7. checkpoint (fedtrain/round/checkpoint.hpp), source.closed(), then sink.on_round().
//! A round is checkpointed before the sink sees it; a resumed run hands the sink (and the source)
//! every checkpointed round again first, so a sink must take a round it has seen as a no-op.
//!
//!   SimulatedSource source(...);          // or the gRPC aggregator's
//!   auto summary = run_rounds(config, data, source, run_dir, sink, {.threads = 2});

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/eip712.hpp"
#include "common/result.hpp"
#include "fedtrain/config.hpp"
#include "fedtrain/data/job_data.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/round/round_sink.hpp"
#include "fedtrain/valuation/attribution_replay.hpp"

namespace flywheel::fedtrain {

//! A round as it opens: who trains, from which model.
struct RoundOpening {
  std::uint64_t round = 0;                          //!< 1-based
  std::vector<std::size_t> selected;                //!< job indices, sorted
  std::shared_ptr<const std::vector<float>> model;  //!< w_t (never changes while the round is open)
  Hash32 model_hash;                                //!< hash_floats(w_t)
  double proximal_mu = 0;                           //!< the strategy's μ for local training
};

//! One participant's update as a source delivers it.
struct SourcedUpdate {
  std::size_t participant = 0;       //!< job index
  SignedReceipt proof;               //!< the signed receipt (and the aggregator's ack, deployed)
  Hash32 receipt_digest;             //!< eip712::digest(domain, proof.receipt)
  std::vector<float> delta;          //!< Δ_i, hash_floats(delta) == proof.receipt.update_hash
  std::optional<double> train_loss;  //!< mean local training loss, when the source knows it
};

//! Where a round's updates come from. Called from one thread, in order: candidates, collect,
//! closed per round; job_done at the end.
class UpdateSource {
 public:
  virtual ~UpdateSource() = default;

  //! Waits until round `round` may open and returns the job indices (sorted) of the participants
  //! that can take part. `first_of_run` is true for the first round this process runs (round 1,
  //! or the first after a resume): a source then waits for every participant as long as it is
  //! configured to. Errors end the job (e.g. Errc::timeout when stopped).
  virtual Result<std::vector<std::size_t>> candidates(std::uint64_t round, bool first_of_run) = 0;

  //! Runs the round and returns the accepted updates, in `opening.selected` order (a subset when
  //! some selected participants did not deliver). Errors end the job.
  virtual Result<std::vector<SourcedUpdate>> collect(const RoundOpening& opening) = 0;

  //! Round `record.round` is complete and checkpointed; `next` is w_{t+1}. Also called for every
  //! checkpointed round when a run resumes.
  virtual void closed(const RoundRecord& record, std::shared_ptr<const std::vector<float>> next) = 0;

  //! Participant-side evaluation of w_{t+1} (Flower's fraction_evaluate): accuracy, loss and how
  //! many participants evaluated; std::nullopt when the source does not evaluate.
  virtual Result<std::optional<std::pair<Evaluation, std::size_t>>> evaluate(std::uint64_t round,
                                                                             std::span<const float> model) {
    (void)round;
    (void)model;
    return std::nullopt;
  }

  //! Refusal counters by status for the metrics line; empty when the source refuses nothing.
  [[nodiscard]] virtual std::map<std::string, std::uint64_t> rejections() const { return {}; }

  //! The aggregator's address, when a signing aggregator acknowledges updates.
  [[nodiscard]] virtual std::optional<Address> aggregator() const { return std::nullopt; }

  //! The job ended; `summary` is final.
  virtual void job_done(const JobSummary& summary) { (void)summary; }
};

//! How the pipeline runs (not what it computes: results do not depend on these).
struct PipelineOptions {
  std::size_t threads = 0;           //!< attribution threads; 0 = one per core
  std::ostream* progress = nullptr;  //!< progress lines; nullptr = std::cerr
  bool quiet = false;                //!< print nothing
  bool resume = false;               //!< continue from run_dir/checkpoint after its last round
};

//! The job's participants as the pipeline reports them: addresses of config.participants.keys
//! (a deployment's allowlist), profiles, and samples (0 until a participant reports them).
//! Runs job rounds 1..config.job.rounds (from the checkpoint's next round with options.resume)
//! with `source`, then writes attribution.json and calls sink.on_job_end. `data` is the job's
//! split (load_job_data): its validation rows measure the coalitions, its test set the
//! new model. `participants` are the job's, in job order (their addresses sign the receipts).
//!
//! Errors: Errc::io when the run folder cannot be written; Errc::data / Errc::config for a
//! checkpoint that cannot be resumed (fedtrain/round/checkpoint.hpp); Errc::config for an invalid
//! strategy or attribution.method; errors of the source, training, attribution and the sink
//! (with the round named).
Result<JobSummary> run_rounds(const SimulationConfig& config, const JobData& data,
                              std::vector<ParticipantInfo> participants, UpdateSource& source,
                              const std::filesystem::path& run_dir, RoundSink& sink,
                              const PipelineOptions& options = {});

}  // namespace flywheel::fedtrain
