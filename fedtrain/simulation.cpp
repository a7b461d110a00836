// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The simulated job loop. Round structure: FedAvg (McMahan et al. 2017, Algorithm 1). Attribution:
// per-round exact Shapley values of the game U_t(S) over coalition models w_t + FedAvg(Δ_S),
// rebuilt from the updates without retraining, as in FedSV (Wang et al., "A Principled Approach to
// Data Valuation for Federated Learning", 2020) and GTG-Shapley (Liu et al. 2022); job value
// φ_i = Σ_t φ_i^t.
#include "fedtrain/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "attribution/merkle.hpp"
#include "attribution/shapley.hpp"
#include "attribution/shares.hpp"
#include "common/keccak.hpp"
#include "common/keys.hpp"
#include "fedtrain/dataset.hpp"
#include "fedtrain/internal/random.hpp"
#include "fedtrain/internal/thread_pool.hpp"
#include "fedtrain/model.hpp"
#include "fedtrain/partition.hpp"
#include "fedtrain/strategy.hpp"

namespace flywheel::fedtrain {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

// Stream ids for derive_seed, so every random choice has its own independent stream.
constexpr std::uint64_t kValidationStream = 1;
constexpr std::uint64_t kPartitionStream = 2;
constexpr std::uint64_t kInitStream = 3;
constexpr std::uint64_t kProfileStream = 4;
constexpr std::uint64_t kTrainStream = 5;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Writes `text` to `path` via a sibling .tmp file and a rename, so readers never see half a file.
Result<void> write_atomically(const std::filesystem::path& path, const std::string& text) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return fail(Errc::io, "cannot write " + tmp.string());
    out << text;
    out.flush();
    if (!out) return fail(Errc::io, "error writing " + tmp.string() + " (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(Errc::io, "cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message());
  return {};
}

// Everything about one participant the aggregator keeps for the whole job.
struct Participant {
  Address address;
  Profile profile = Profile::honest;
  std::vector<std::size_t> indices;       // rows of the training set it holds
  std::vector<std::int64_t> labels;       // what it trains on, parallel to indices
};

// One round's attribution outcome.
struct RoundAttribution {
  attribution::ShapleyValues shapley;
  Evaluation full;                        // validation metrics of w_{t+1}
  double seconds = 0;
};

class Simulation {
 public:
  Simulation(const SimulationConfig& config, std::filesystem::path out_dir, RoundSink& sink,
             const SimulationOptions& options)
      : config_(config),
        out_dir_(std::move(out_dir)),
        sink_(sink),
        progress_(options.quiet ? nullptr : (options.progress ? options.progress : &std::cerr)),
        pool_(options.threads > 0 ? options.threads
                                  : std::max(1U, std::thread::hardware_concurrency())) {}

  Result<JobSummary> run() {
    FLYWHEEL_TRY(prepare_output());
    FLYWHEEL_TRY(load_data());
    FLYWHEEL_TRY(set_up_participants());

    std::vector<ParticipantInfo> infos;
    for (const auto& p : participants_) {
      infos.push_back(ParticipantInfo{.address = p.address,
                                      .profile = std::string(profile_name(p.profile)),
                                      .samples = p.indices.size()});
    }
    if (auto started = sink_.on_job_start(infos); !started) {
      return tl::unexpected(with_context(started.error(), "round sink rejected the job start"));
    }

    auto initial = initial_parameters(config_.model, internal::derive_seed(config_.job.seed, {kInitStream}));
    if (!initial) return tl::unexpected(initial.error());
    global_ = std::move(*initial);

    const std::size_t n = participants_.size();
    std::vector<double> total_values(n, 0.0);
    for (std::uint64_t round = 1; round <= config_.job.rounds; ++round) {
      auto record = run_round(round);
      if (!record) return tl::unexpected(record.error());
      for (std::size_t i = 0; i < n; ++i) total_values[i] += record->leaves[i].value;
      if (auto sent = sink_.on_round(*record); !sent) {
        return tl::unexpected(with_context(sent.error(), "round sink rejected round " + std::to_string(round)));
      }
    }

    auto summary = summarise(std::move(infos), std::move(total_values));
    if (!summary) return tl::unexpected(summary.error());
    FLYWHEEL_TRY(write_attribution(*summary));
    if (auto ended = sink_.on_job_end(*summary); !ended) {
      return tl::unexpected(with_context(ended.error(), "round sink rejected the job end"));
    }
    return summary;
  }

 private:
  template <class... Args>
  void say(const char* format, Args... args) {
    if (progress_ == nullptr) return;
    char line[512];
    std::snprintf(line, sizeof line, format, args...);
    *progress_ << line << '\n' << std::flush;
  }

  Result<void> prepare_output() {
    std::error_code ec;
    std::filesystem::create_directories(out_dir_, ec);
    if (ec || !std::filesystem::is_directory(out_dir_)) {
      return fail(Errc::io, "cannot create output directory " + out_dir_.string() +
                                (ec ? ": " + ec.message() : std::string()));
    }
    metrics_.open(out_dir_ / "metrics.jsonl", std::ios::binary | std::ios::trunc);
    if (!metrics_) return fail(Errc::io, "cannot write " + (out_dir_ / "metrics.jsonl").string());
    return {};
  }

  Result<void> load_data() {
    const auto start = Clock::now();
    auto train = load_fashion_mnist(config_.data.root, Split::train, config_.data.train_limit);
    if (!train) return tl::unexpected(train.error());
    auto test = load_fashion_mnist(config_.data.root, Split::test);
    if (!test) return tl::unexpected(test.error());
    train_ = std::move(*train);
    test_ = std::move(*test);
    if (config_.data.validation_size >= train_.size()) {
      return fail(Errc::config, "data.validation_size (" + std::to_string(config_.data.validation_size) +
                                    ") must be smaller than the training set (" +
                                    std::to_string(train_.size()) + " samples" +
                                    (config_.data.train_limit > 0 ? " after data.train_limit" : "") + ")");
    }
    std::vector<std::size_t> order(train_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    internal::Rng rng(internal::derive_seed(config_.job.seed, {kValidationStream}));
    internal::shuffle(std::span(order), rng);
    const std::size_t pool_size = order.size() - config_.data.validation_size;
    pool_indices_.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(pool_size));
    validation_.assign(order.begin() + static_cast<std::ptrdiff_t>(pool_size), order.end());
    std::sort(pool_indices_.begin(), pool_indices_.end());
    std::sort(validation_.begin(), validation_.end());
    say("data: %zu training samples (%zu with participants, %zu held for validation), %zu test samples, %.2f s",
        train_.size(), pool_indices_.size(), validation_.size(), test_.size(), seconds_since(start));
    return {};
  }

  Result<void> set_up_participants() {
    const std::size_t n = config_.participants.count();
    if (config_.participants.keys.size() != n) {
      return fail(Errc::config, "participants.private_keys must hold one key per participant");
    }
    std::vector<std::int64_t> pool_labels(pool_indices_.size());
    for (std::size_t k = 0; k < pool_indices_.size(); ++k) pool_labels[k] = train_.labels[pool_indices_[k]];
    const auto seed = internal::derive_seed(config_.job.seed, {kPartitionStream});
    auto parts = config_.data.partition == PartitionKind::iid
                     ? iid_partition(pool_labels, n, seed)
                     : dirichlet_partition(pool_labels, n, config_.data.alpha, seed,
                                           config_.data.min_partition_size);
    if (!parts) {
      return fail(Errc::config, "cannot split " + std::to_string(pool_labels.size()) +
                                    " samples among participants.count=" + std::to_string(n) +
                                    " with data.partition \"" +
                                    std::string(partition_name(config_.data.partition)) +
                                    "\": " + parts.error().message);
    }
    const auto counts = class_counts(pool_labels, *parts, Dataset::kClasses);
    if (config_.data.partition == PartitionKind::dirichlet) {
      say("participants (dirichlet split, alpha %g):", config_.data.alpha);
    } else {
      say("participants (iid split):");
    }
    for (std::size_t i = 0; i < n; ++i) {
      Participant p;
      p.address = config_.participants.keys[i].address();
      p.profile = config_.participants.profiles[i];
      p.indices.reserve((*parts)[i].size());
      for (auto position : (*parts)[i]) p.indices.push_back(pool_indices_[position]);
      p.labels = training_labels(p.profile, train_.labels, p.indices,
                                 internal::derive_seed(config_.job.seed, {kProfileStream, i}));
      std::string histogram;
      for (auto c : counts[i]) histogram += (histogram.empty() ? "" : " ") + std::to_string(c);
      say("  %2zu %s %-15s %6zu samples  per class [%s]", i, to_checksum(p.address).c_str(),
          std::string(profile_name(p.profile)).c_str(), p.indices.size(), histogram.c_str());
      participants_.push_back(std::move(p));
    }
    return {};
  }

  // w_t + FedAvg({Δ_i : i ∈ coalition}); w_t itself for the empty coalition.
  Result<std::vector<float>> coalition_model(attribution::Coalition coalition,
                                             const std::vector<LocalResult>& results) const {
    if (coalition == 0) return global_;
    std::vector<std::span<const float>> updates;
    std::vector<std::uint64_t> samples;
    for (std::size_t i = 0; i < results.size(); ++i) {
      if ((coalition >> i) & 1U) {
        updates.emplace_back(results[i].update);
        samples.push_back(results[i].samples);
      }
    }
    auto merged = fedavg(updates, samples);
    if (!merged) return tl::unexpected(merged.error());
    return apply_update(global_, *merged);
  }

  double utility_of(const Evaluation& e) const {
    return config_.attribution.utility == UtilityMetric::accuracy ? e.accuracy : -e.loss;
  }

  Result<RoundRecord> run_round(std::uint64_t round) {
    const auto round_start = Clock::now();
    const std::size_t n = participants_.size();

    // Local training, one task per participant.
    std::vector<Result<LocalResult>> trained(n, fail(Errc::internal, "not run"));
    pool_.run(n, [&](std::size_t i) {
      TrainConfig training = config_.training;
      training.seed = internal::derive_seed(config_.job.seed, {kTrainStream, round, i});
      trained[i] = train_local(config_.model, global_, train_, participants_[i].indices, training,
                               participants_[i].labels);
    });
    std::vector<LocalResult> results;
    for (std::size_t i = 0; i < n; ++i) {
      if (!trained[i]) {
        return tl::unexpected(with_context(trained[i].error(), "participant " + std::to_string(i) +
                                                                   " in round " + std::to_string(round)));
      }
      results.push_back(std::move(*trained[i]));
    }
    const double train_seconds = seconds_since(round_start);

    // Attribution: every coalition's validation metrics, plus the test metrics of w_{t+1}, in
    // parallel. The grand coalition's model is w_{t+1} by construction (same merge, same order).
    const auto attribution_start = Clock::now();
    const attribution::Coalition full = (attribution::Coalition{1} << n) - 1;
    const std::size_t coalitions = static_cast<std::size_t>(full) + 1;
    std::vector<Result<Evaluation>> evaluations(coalitions + 1, fail(Errc::internal, "not run"));
    pool_.run(coalitions + 1, [&](std::size_t task) {
      const bool test_task = task == coalitions;
      auto model = coalition_model(test_task ? full : task, results);
      if (!model) {
        evaluations[task] = tl::unexpected(model.error());
        return;
      }
      evaluations[task] = test_task ? evaluate(config_.model, *model, test_)
                                    : evaluate(config_.model, *model, train_, validation_);
    });
    for (auto& e : evaluations) {
      if (!e) return tl::unexpected(with_context(e.error(), "evaluating round " + std::to_string(round)));
    }
    auto shapley = attribution::exact_shapley(
        n, [&](attribution::Coalition s) { return utility_of(*evaluations[s]); });
    if (!shapley) return tl::unexpected(shapley.error());
    const double attribution_seconds = seconds_since(attribution_start);

    auto next = coalition_model(full, results);
    if (!next) return tl::unexpected(next.error());
    global_ = std::move(*next);

    RoundRecord record;
    record.round = round;
    record.model_hash = keccak256(ByteView(reinterpret_cast<const std::uint8_t*>(global_.data()),
                                           global_.size() * sizeof(float)));
    std::vector<Hash32> leaf_hashes;
    for (std::size_t i = 0; i < n; ++i) {
      record.leaves.push_back(attribution::RoundLeaf{.participant = participants_[i].address,
                                                     .value = shapley->values[i],
                                                     .samples = results[i].samples});
      leaf_hashes.push_back(attribution::round_leaf_hash(record.leaves.back()));
    }
    record.attribution_root = attribution::MerkleTree(std::move(leaf_hashes)).root();
    const Evaluation& test = *evaluations[coalitions];
    const Evaluation& validation = *evaluations[full];
    record.test_accuracy = test.accuracy;
    record.test_loss = test.loss;
    const double seconds = seconds_since(round_start);

    Json line;
    line["round"] = round;
    line["test_accuracy"] = test.accuracy;
    line["test_loss"] = test.loss;
    line["validation_accuracy"] = validation.accuracy;
    line["validation_loss"] = validation.loss;
    line["utility_empty"] = shapley->empty_utility;
    line["utility_full"] = shapley->grand_utility;
    line["participants"] = n;
    line["coalitions"] = shapley->evaluations;
    line["seconds"] = seconds;
    line["train_seconds"] = train_seconds;
    line["attribution_seconds"] = attribution_seconds;
    metrics_ << line.dump() << '\n' << std::flush;
    if (!metrics_) return fail(Errc::io, "error writing " + (out_dir_ / "metrics.jsonl").string());

    say("round %llu/%llu  test acc %.4f  loss %.4f  val acc %.4f  %.2f s (train %.2f s, attribution %.2f s, %zu coalitions)",
        static_cast<unsigned long long>(round), static_cast<unsigned long long>(config_.job.rounds),
        test.accuracy, test.loss, validation.accuracy, seconds, train_seconds, attribution_seconds,
        shapley->evaluations);
    rounds_.push_back(std::move(record));
    return rounds_.back();
  }

  Result<JobSummary> summarise(std::vector<ParticipantInfo> infos, std::vector<double> total_values) {
    auto shares = attribution::allocate_shares(total_values, config_.total_shares);
    if (!shares) return tl::unexpected(shares.error());
    JobSummary summary;
    summary.participants = std::move(infos);
    summary.total_values = std::move(total_values);
    summary.shares = std::move(*shares);
    summary.total_shares = config_.total_shares;
    std::vector<Hash32> leaves;
    for (std::size_t i = 0; i < summary.participants.size(); ++i) {
      leaves.push_back(attribution::share_leaf_hash(summary.participants[i].address, summary.shares[i]));
    }
    const attribution::MerkleTree tree(std::move(leaves));
    summary.shares_root = tree.root();
    for (std::size_t i = 0; i < summary.participants.size(); ++i) {
      summary.share_proofs.push_back(tree.proof(i));
    }
    for (std::size_t i = 0; i < summary.participants.size(); ++i) {
      say("  %2zu %s %-15s value %+.5f  shares %s", i,
          to_checksum(summary.participants[i].address).c_str(), summary.participants[i].profile.c_str(),
          summary.total_values[i], std::to_string(summary.shares[i]).c_str());
    }
    say("shares root %s", summary.shares_root.hex().c_str());
    return summary;
  }

  Result<void> write_attribution(const JobSummary& summary) {
    Json doc;
    doc["job"] = config_.job.name;
    doc["seed"] = config_.job.seed;
    doc["method"] = config_.attribution.method;
    doc["utility"] = std::string(utility_name(config_.attribution.utility));
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
    for (const auto& record : rounds_) {
      Json r;
      r["round"] = record.round;
      r["root"] = record.attribution_root.hex();
      r["model_hash"] = record.model_hash.hex();
      r["values"] = Json::object();
      for (const auto& leaf : record.leaves) r["values"][to_checksum(leaf.participant)] = leaf.value;
      doc["rounds"].push_back(std::move(r));
    }
    doc["shares_root"] = summary.shares_root.hex();
    return write_atomically(out_dir_ / "attribution.json", doc.dump(2) + "\n");
  }

  const SimulationConfig& config_;
  std::filesystem::path out_dir_;
  RoundSink& sink_;
  std::ostream* progress_;
  internal::ThreadPool pool_;
  std::ofstream metrics_;
  Dataset train_;
  Dataset test_;
  std::vector<std::size_t> pool_indices_;
  std::vector<std::size_t> validation_;
  std::vector<Participant> participants_;
  std::vector<float> global_;
  std::vector<RoundRecord> rounds_;
};

}  // namespace

Result<JobSummary> run_simulation(const SimulationConfig& config,
                                  const std::filesystem::path& out_dir, RoundSink& sink,
                                  const SimulationOptions& options) {
  Simulation simulation(config, out_dir, sink, options);
  return simulation.run();
}

}  // namespace flywheel::fedtrain
