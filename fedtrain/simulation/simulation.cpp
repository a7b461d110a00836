// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// A simulated job: the round pipeline (fedtrain/round/pipeline.hpp) with an update source that
// trains the round's virtual participants in this process, on a thread pool, and signs their
// receipts with their keys exactly as a participant process does (fedtrain/transport/participant.cpp).
#include "fedtrain/simulation/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <string>
#include <thread>

#include "common/eip712.hpp"
#include "common/keys.hpp"
#include "common/thread_pool.hpp"
#include "fedtrain/data/job_data.hpp"
#include "fedtrain/data/partition.hpp"
#include "fedtrain/data/profile.hpp"
#include "fedtrain/internal/random.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/round/pipeline.hpp"

namespace flywheel::fedtrain {
namespace {

using Clock = std::chrono::steady_clock;

// Everything about one virtual participant the simulation keeps for the whole job.
struct Participant {
  PrivateKey key;
  Profile profile = Profile::honest;
  std::vector<std::size_t> indices;  // rows of the training set it holds
  std::vector<std::int64_t> labels;  // what it trains on, parallel to indices
};

class Progress {
 public:
  explicit Progress(const SimulationOptions& options)
      : out_(options.quiet ? nullptr : (options.progress ? options.progress : &std::cerr)) {}
  template <class... Args>
  void operator()(const char* format, Args... args) const {
    if (out_ == nullptr) return;
    char line[1024];
    std::snprintf(line, sizeof line, format, args...);
    *out_ << line << '\n' << std::flush;
  }

 private:
  std::ostream* out_;
};

// The in-process update source: every participant is always there; the selected ones train in
// parallel (seeded by job seed, round and participant index, so results do not depend on thread
// scheduling) and sign the receipt a participant process signs.
class SimulatedSource final : public UpdateSource {
 public:
  SimulatedSource(const SimulationConfig& config, const Dataset& train, std::vector<Participant> participants,
                  std::size_t threads)
      : config_(config),
        train_(train),
        participants_(std::move(participants)),
        pool_(threads, ThreadPool::Caller::waits) {}

  Result<std::vector<std::size_t>> candidates(std::uint64_t, bool) override {
    std::vector<std::size_t> all(participants_.size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    return all;
  }

  Result<std::vector<SourcedUpdate>> collect(const RoundOpening& opening) override {
    const std::size_t m = opening.selected.size();
    TrainConfig training = config_.training;
    training.proximal_mu = opening.proximal_mu;
    std::vector<Result<LocalResult>> trained(m, fail(Errc::internal, "not run"));
    pool_.run(m, [&](std::size_t k) {
      const std::size_t i = opening.selected[k];
      const Participant& p = participants_[i];
      TrainConfig mine = training;
      mine.seed = internal::derive_seed(config_.job.seed, {internal::kTrainStream, opening.round, i});
      if (sends_global_model(p.profile)) {
        trained[k] = global_model_sent_back(opening.model->size(), p.indices.size());
        return;
      }
      trained[k] = train_local(config_.model, *opening.model, train_, p.indices, mine, p.labels);
    });
    std::vector<SourcedUpdate> out;
    for (std::size_t k = 0; k < m; ++k) {
      const std::size_t i = opening.selected[k];
      if (!trained[k]) {
        return tl::unexpected(with_context(
            trained[k].error(), "participant " + std::to_string(i) + " in round " + std::to_string(opening.round)));
      }
      LocalResult& local = *trained[k];
      SourcedUpdate u;
      u.participant = i;
      u.proof.receipt = eip712::UpdateReceipt{
          .job_id = config_.job.name,
          .round = opening.round,
          .participant = participants_[i].key.address(),
          .start_model_hash = opening.model_hash,
          .update_hash = hash_floats(local.update),
          .samples = local.samples,
          .compute_units = local.samples * config_.training.local_epochs,
          .compute_millis = config_.measure_compute_time ? static_cast<std::uint64_t>(local.seconds * 1000) : 0};
      u.receipt_digest = eip712::digest(config_.receipt_domain, u.proof.receipt);
      u.proof.signature = eip712::sign_digest(participants_[i].key, u.receipt_digest);
      u.delta = std::move(local.update);
      u.train_loss = local.mean_loss;
      out.push_back(std::move(u));
    }
    return out;
  }

  void closed(const RoundRecord&, std::shared_ptr<const std::vector<float>>) override {}

  // A sample of participants evaluates w_{t+1} on its own data.
  Result<std::optional<std::pair<Evaluation, std::size_t>>> evaluate(std::uint64_t round,
                                                                     std::span<const float> model) override {
    const std::size_t count = evaluate_clients_per_round(config_);
    if (count == 0) return std::nullopt;
    std::vector<std::size_t> all(participants_.size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    const auto evaluators = internal::sample_sorted(
        std::move(all), count, internal::derive_seed(config_.job.seed, {internal::kEvaluateStream, round}));
    std::vector<Result<Evaluation>> local(evaluators.size(), fail(Errc::internal, "not run"));
    pool_.run(evaluators.size(), [&](std::size_t k) {
      local[k] = fedtrain::evaluate(config_.model, model, train_, participants_[evaluators[k]].indices);
    });
    double correct = 0;
    double loss = 0;
    double samples = 0;
    for (auto& e : local) {
      if (!e) return tl::unexpected(e.error());
      correct += e->accuracy * static_cast<double>(e->samples);
      loss += e->loss * static_cast<double>(e->samples);
      samples += static_cast<double>(e->samples);
    }
    Evaluation mean;
    mean.accuracy = correct / samples;
    mean.loss = loss / samples;
    mean.samples = static_cast<std::size_t>(samples);
    return std::optional(std::pair{mean, count});
  }

 private:
  const SimulationConfig& config_;
  const Dataset& train_;
  std::vector<Participant> participants_;
  ThreadPool pool_;  // workers keep their libtorch buffers for the whole job
};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Splits the pool among the virtual participants and prints who holds what.
Result<std::vector<Participant>> set_up_participants(const SimulationConfig& config, const JobData& data,
                                                     const Progress& say) {
  const std::size_t n = config.participants.count();
  if (config.participants.keys.size() != n) {
    return fail(Errc::config, "participants.private_keys must hold one key per participant");
  }
  auto shares = split_among_participants(config, data.train, data.pool_indices);
  if (!shares) return tl::unexpected(shares.error());
  switch (config.data.partition) {
    case PartitionKind::iid:
      say("participants (iid split):");
      break;
    case PartitionKind::dirichlet:
      say("participants (dirichlet label skew, alpha %g):", config.data.alpha);
      break;
    case PartitionKind::shards:
      say("participants (shards, %zu per participant):", config.data.shards_per_participant);
      break;
    case PartitionKind::quantity_skew:
      say("participants (quantity skew, alpha %g):", config.data.alpha);
      break;
  }
  std::vector<Participant> out;
  for (std::size_t i = 0; i < n; ++i) {
    auto& share = (*shares)[i];
    Participant p{.key = config.participants.keys[i],
                  .profile = config.participants.profiles[i],
                  .indices = std::move(share.indices),
                  .labels = std::move(share.labels)};
    std::string histogram;
    for (auto c : share.class_counts) histogram += (histogram.empty() ? "" : " ") + std::to_string(c);
    say("  %2zu %s %-15s %6zu samples  per class [%s]", i, to_checksum(p.key.address()).c_str(),
        std::string(profile_name(p.profile)).c_str(), p.indices.size(), histogram.c_str());
    out.push_back(std::move(p));
  }
  say("strategy %s, %zu of %zu participants per round, model %s (%zu parameters)", config.strategy.name.c_str(),
      fit_clients_per_round(config), n, config.model.name.c_str(), parameter_count(config.model));
  return out;
}

}  // namespace

Result<JobSummary> run_simulation(const SimulationConfig& config, const std::filesystem::path& out_dir, RoundSink& sink,
                                  const SimulationOptions& options) {
  // Configuration and data errors are found before anything is written.
  FLYWHEEL_TRY(validate(config.model));
  FLYWHEEL_TRY(make_strategy(config.strategy).map([](auto&&) {}));
  const Progress say(options);
  const auto start = Clock::now();
  auto data = load_job_data(config);
  if (!data) return tl::unexpected(data.error());
  say("data: %zu training samples (%zu with participants, %zu held for validation), %zu test samples, %.2f s",
      data->train.size(), data->pool_indices.size(), data->validation.size(), data->test.size(), seconds_since(start));
  auto participants = set_up_participants(config, *data, say);
  if (!participants) return tl::unexpected(participants.error());
  std::vector<ParticipantInfo> infos;
  for (const auto& p : *participants) {
    infos.push_back(ParticipantInfo{
        .address = p.key.address(), .profile = std::string(profile_name(p.profile)), .samples = p.indices.size()});
  }
  const std::size_t threads = options.threads > 0 ? options.threads : std::max(1U, std::thread::hardware_concurrency());
  SimulatedSource source(config, data->train, std::move(*participants), threads);
  return run_rounds(
      config, *data, std::move(infos), source, out_dir, sink,
      PipelineOptions{
          .threads = threads, .progress = options.progress, .quiet = options.quiet, .resume = options.resume});
}

}  // namespace flywheel::fedtrain
