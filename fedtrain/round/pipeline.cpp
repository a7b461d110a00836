// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The round loop shared by the simulation and the deployment aggregator. Round structure: FedAvg
// (McMahan et al. 2017, Algorithm 1) with client sampling and a pluggable server strategy
// (strategy.hpp). Attribution: per-round values of the game U_t(S) over the round's participants,
// with coalition models rebuilt from the updates by the job's own strategy without retraining
// (FedSV, Wang et al. 2020; GTG-Shapley, Liu et al. 2022); job value φ_i = Σ_t φ_i^t.
#include "fedtrain/round/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "attribution/estimator.hpp"
#include "common/keys.hpp"
#include "fedtrain/internal/random.hpp"
#include "fedtrain/round/checkpoint.hpp"
#include "fedtrain/round/round_report.hpp"
#include "fedtrain/round/run_folder.hpp"
#include "fedtrain/strategy/strategy.hpp"
#include "fedtrain/valuation/round_game.hpp"

namespace flywheel::fedtrain {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

class Pipeline {
 public:
  Pipeline(const SimulationConfig& config, const JobData& data, std::vector<ParticipantInfo> participants,
           UpdateSource& source, std::filesystem::path run_dir, RoundSink& sink, const PipelineOptions& options)
      : config_(config),
        data_(data),
        participants_(std::move(participants)),
        source_(source),
        run_dir_(std::move(run_dir)),
        sink_(sink),
        options_(options),
        progress_(options.quiet ? nullptr : (options.progress ? options.progress : &std::cerr)),
        threads_(options.threads > 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency())) {}

  Result<JobSummary> run() {
    auto strategy = make_strategy(config_.strategy);
    if (!strategy) return tl::unexpected(strategy.error());
    strategy_ = std::move(*strategy);
    auto method = attribution::parse_method(config_.attribution.method);
    if (!method) return fail(Errc::config, "attribution.method: " + method.error().message);
    method_ = *method;
    const std::size_t n = participants_.size();
    for (const auto& p : participants_) addresses_.push_back(p.address);

    Checkpoint state;
    state.total_values.assign(n, 0.0);
    for (const auto& p : participants_) state.samples.push_back(p.samples);
    bool resumed = false;
    if (options_.resume) {
      auto loaded = load_checkpoint(run_dir_, config_);
      if (!loaded) return tl::unexpected(loaded.error());
      if (*loaded) {
        state = std::move(**loaded);
        FLYWHEEL_TRY(strategy_->set_state(std::move(state.server_state)).map_error([&](Error e) {
          return Error{Errc::data, "checkpoint " + checkpoint_file(run_dir_).string() + " is corrupt (" + e.message +
                                       "); delete it to start over"};
        }));
        resumed = true;
        say("resume: continuing after round %llu from %s", static_cast<unsigned long long>(state.round),
            checkpoint_file(run_dir_).string().c_str());
      } else {
        say("resume: no checkpoint in %s; starting at round 1", (run_dir_ / "checkpoint").string().c_str());
      }
    }
    auto folder = RunFolder::open(run_dir_, resumed ? &state : nullptr);
    if (!folder) return tl::unexpected(folder.error());
    folder_ = std::move(*folder);

    if (resumed) {
      global_ = std::make_shared<const std::vector<float>>(std::move(state.model));
    } else {
      auto initial =
          initial_parameters(config_.model, internal::derive_seed(config_.job.seed, {internal::kInitStream}));
      if (!initial) return tl::unexpected(initial.error());
      global_ = std::make_shared<const std::vector<float>>(std::move(*initial));
    }
    global_hash_ = hash_floats(*global_);
    rounds_ = std::move(state.rounds);
    round_details_ = std::move(state.round_details);
    total_values_ = std::move(state.total_values);
    samples_ = std::move(state.samples);

    if (auto started = sink_.on_job_start(infos()); !started) {
      return tl::unexpected(with_context(started.error(), "round sink rejected the job start"));
    }
    // A round is checkpointed before the sink sees it, so a crash in between leaves a round the
    // sink may have missed: every checkpointed round goes to the sink again (the chain sink's
    // outbox makes that a no-op for rounds it recorded).
    for (const auto& record : rounds_) {
      source_.closed(record, global_);
      if (auto sent = sink_.on_round(record); !sent) {
        return tl::unexpected(with_context(
            sent.error(), "handing checkpointed round " + std::to_string(record.round) + " to the round sink"));
      }
    }
    for (std::uint64_t round = state.round + 1; round <= config_.job.rounds; ++round) {
      auto record = run_round(round, round == state.round + 1);
      if (!record) return tl::unexpected(record.error());
      if (auto sent = sink_.on_round(*record); !sent) {
        return tl::unexpected(with_context(sent.error(), "round sink rejected round " + std::to_string(round)));
      }
    }

    auto summary = internal::summarise_job(infos(), total_values_, config_.total_shares);
    if (!summary) return tl::unexpected(summary.error());
    for (std::size_t i = 0; i < n; ++i) {
      say("  %2zu %s %-15s value %+.5f  shares %s", i, to_checksum(summary->participants[i].address).c_str(),
          summary->participants[i].profile.c_str(), summary->total_values[i],
          std::to_string(summary->shares[i]).c_str());
    }
    say("shares root %s", summary->shares_root.hex().c_str());
    Json report = internal::attribution_report(config_, *summary, rounds_, round_details_);
    if (auto aggregator = source_.aggregator()) report["aggregator"] = to_checksum(*aggregator);
    FLYWHEEL_TRY(folder_->write_report(report));
    // Training is over: participants need not wait while the sink waits for a chain.
    source_.job_done(*summary);
    if (auto ended = sink_.on_job_end(*summary); !ended) {
      return tl::unexpected(with_context(ended.error(), "round sink rejected the job end"));
    }
    return summary;
  }

 private:
  template <class... Args>
  void say(const char* format, Args... args) {
    if (progress_ == nullptr) return;
    char line[1024];
    std::snprintf(line, sizeof line, format, args...);
    *progress_ << line << '\n' << std::flush;
  }

  std::vector<ParticipantInfo> infos() const {
    auto out = participants_;
    for (std::size_t i = 0; i < out.size(); ++i) out[i].samples = samples_[i];
    return out;
  }

  Result<RoundRecord> run_round(std::uint64_t round, bool first_of_run) {
    const auto round_start = Clock::now();
    const std::string in_round = " in round " + std::to_string(round);
    auto candidates = source_.candidates(round, first_of_run);
    if (!candidates) return tl::unexpected(candidates.error());
    const std::size_t count = std::min(fit_clients_per_round(config_), candidates->size());
    RoundOpening opening{
        .round = round,
        .selected = internal::sample_sorted(std::move(*candidates), count,
                                            internal::derive_seed(config_.job.seed, {internal::kSampleStream, round})),
        .model = global_,
        .model_hash = global_hash_,
        .proximal_mu = strategy_->proximal_mu()};
    auto collected = source_.collect(opening);
    if (!collected) return tl::unexpected(collected.error());
    std::vector<SourcedUpdate>& updates = *collected;
    if (updates.empty()) return fail(Errc::internal, "no update" + in_round);
    const std::size_t m = updates.size();
    const double train_seconds = seconds_since(round_start);

    std::vector<ClientUpdate> all;
    std::vector<Address> addresses;
    std::vector<std::size_t> included;
    std::vector<Hash32> digests;
    std::vector<std::uint64_t> samples;
    // The mean training loss, when every update came with one.
    bool losses_known = true;
    double train_loss = 0;
    double train_samples = 0;
    for (const auto& u : updates) {
      all.push_back(ClientUpdate{.delta = u.delta, .samples = u.proof.receipt.samples});
      addresses.push_back(addresses_[u.participant]);
      included.push_back(u.participant);
      digests.push_back(u.receipt_digest);
      samples.push_back(u.proof.receipt.samples);
      losses_known = losses_known && u.train_loss.has_value();
      if (losses_known) {
        train_loss += *u.train_loss * static_cast<double>(u.proof.receipt.samples);
        train_samples += static_cast<double>(u.proof.receipt.samples);
      }
    }
    const std::vector<float>& w = *global_;

    // The round's inputs are kept before anything changes the strategy's state, so that
    // `flywheel attribute` can rebuild exactly this game (attribution_replay.hpp).
    const auto attribution_start = Clock::now();
    if (config_.attribution.keep_artifacts) {
      const auto server_state = strategy_->state();
      RoundArtifacts artifacts{.round = round,
                               .strategy = config_.strategy.name,
                               .model = config_.model.name,
                               .domain = config_.receipt_domain,
                               .start_model = w,
                               .server_state = server_state,
                               .participants = addresses,
                               .updates = {},
                               .receipts = {}};
      for (const auto& u : updates) {
        artifacts.updates.emplace_back(u.delta);
        artifacts.receipts.push_back(u.proof);
      }
      FLYWHEEL_TRY(write_round_artifacts(run_dir_, artifacts));
    }
    // The grand coalition's model is w_{t+1} by construction (aggregate() computes exactly what
    // propose() does, then commits the state).
    const std::uint64_t seed = attribution_seed(config_, round, opening.model_hash, addresses);
    auto attributed = attribute_round(RoundGame{.config = config_,
                                                .strategy = *strategy_,
                                                .global = w,
                                                .updates = all,
                                                .train = data_.train,
                                                .validation = data_.validation},
                                      method_, estimator_options(config_, threads_, seed));
    if (!attributed)
      return tl::unexpected(with_context(attributed.error(), "attributing round " + std::to_string(round)));
    const attribution::Estimate& estimate = attributed->estimate;
    const double attribution_seconds = seconds_since(attribution_start);

    auto next = strategy_->aggregate(w, all);
    if (!next) return tl::unexpected(with_context(next.error(), "aggregating round " + std::to_string(round)));
    auto next_model = std::make_shared<const std::vector<float>>(std::move(*next));
    auto tested = evaluate(config_.model, *next_model, data_.test);
    if (!tested) return tl::unexpected(with_context(tested.error(), "testing round " + std::to_string(round)));
    auto evaluated = source_.evaluate(round, *next_model);
    if (!evaluated) return tl::unexpected(with_context(evaluated.error(), "participant evaluation" + in_round));

    RoundRecord record;
    record.round = round;
    record.model_hash = hash_floats(*next_model);
    internal::set_round_leaves(
        record, addresses_, {.selected = included, .receipts = digests, .values = estimate.values, .samples = samples});
    record.test_accuracy = tested->accuracy;
    record.test_loss = tested->loss;
    for (std::size_t k = 0; k < m; ++k) {
      total_values_[included[k]] += estimate.values[k];
      samples_[included[k]] = samples[k];
    }

    std::vector<RoundFileEntry> entries;
    for (std::size_t k = 0; k < m; ++k) {
      entries.push_back({.proof = updates[k].proof, .receipt_digest = digests[k], .value = estimate.values[k]});
    }
    FLYWHEEL_TRY(folder_->write_round(record, config_.job.name, opening.model_hash, config_.receipt_domain, entries,
                                      source_.aggregator()));

    const Evaluation& validation = attributed->grand_validation;
    const double seconds = seconds_since(round_start);
    Json line;
    line["round"] = round;
    line["test_accuracy"] = record.test_accuracy;
    line["test_loss"] = record.test_loss;
    line["validation_accuracy"] = validation.accuracy;
    line["validation_loss"] = validation.loss;
    line["utility_empty"] = estimate.empty_utility;
    line["utility_full"] = estimate.grand_utility;
    line["train_loss"] = losses_known && train_samples > 0 ? Json(train_loss / train_samples) : Json(nullptr);
    line["participant_accuracy"] = *evaluated ? Json((*evaluated)->first.accuracy) : Json(nullptr);
    line["participant_loss"] = *evaluated ? Json((*evaluated)->first.loss) : Json(nullptr);
    line["participant_evaluations"] = *evaluated ? (*evaluated)->second : 0;
    line["participants"] = m;
    line["selected"] = included;
    line["coalitions"] = estimate.evaluations;
    line["evaluations"] = estimate.evaluations;
    line["model_hash"] = record.model_hash.hex();
    line["attribution_root"] = record.attribution_root.hex();
    line["seconds"] = seconds;
    line["train_seconds"] = train_seconds;
    line["attribution_seconds"] = attribution_seconds;
    line["rejections"] = source_.rejections();
    FLYWHEEL_TRY(folder_->append_metrics(line));

    global_ = std::move(next_model);
    global_hash_ = record.model_hash;
    rounds_.push_back(record);
    round_details_.push_back(internal::estimate_details(estimate, addresses));
    FLYWHEEL_TRY(save_checkpoint(run_dir_, config_,
                                 Checkpoint{.round = round,
                                            .model = *global_,
                                            .server_state = strategy_->state(),
                                            .total_values = total_values_,
                                            .samples = samples_,
                                            .rounds = rounds_,
                                            .round_details = round_details_,
                                            .metrics_jsonl_bytes = folder_->metrics_jsonl_bytes(),
                                            .metrics_csv_bytes = folder_->metrics_csv_bytes()}));
    source_.closed(record, global_);
    say("round %llu/%llu  test acc %.4f  loss %.4f  val acc %.4f  %.2f s (train %.2f s, attribution %.2f s, %zu "
        "participants, %zu coalitions)",
        static_cast<unsigned long long>(round), static_cast<unsigned long long>(config_.job.rounds),
        record.test_accuracy, record.test_loss, validation.accuracy, seconds, train_seconds, attribution_seconds, m,
        estimate.evaluations);
    return record;
  }

  const SimulationConfig& config_;
  const JobData& data_;
  std::vector<ParticipantInfo> participants_;
  UpdateSource& source_;
  std::filesystem::path run_dir_;
  RoundSink& sink_;
  PipelineOptions options_;
  std::ostream* progress_;
  std::size_t threads_;
  std::unique_ptr<Strategy> strategy_;
  attribution::Method method_ = attribution::Method::exact;
  std::vector<Address> addresses_;
  std::unique_ptr<RunFolder> folder_;
  std::shared_ptr<const std::vector<float>> global_;
  Hash32 global_hash_;  // hash_floats(*global_): the last record's model hash, computed once
  std::vector<RoundRecord> rounds_;
  std::vector<Json> round_details_;
  std::vector<double> total_values_;
  std::vector<std::uint64_t> samples_;
};

}  // namespace

Result<JobSummary> run_rounds(const SimulationConfig& config, const JobData& data,
                              std::vector<ParticipantInfo> participants, UpdateSource& source,
                              const std::filesystem::path& run_dir, RoundSink& sink, const PipelineOptions& options) {
  if (participants.size() != config.participants.count()) {
    return fail(Errc::config, "the job has " + std::to_string(config.participants.count()) + " participants, " +
                                  std::to_string(participants.size()) + " were given");
  }
  Pipeline pipeline(config, data, std::move(participants), source, run_dir, sink, options);
  return pipeline.run();
}

}  // namespace flywheel::fedtrain
