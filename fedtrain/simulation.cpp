// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The simulated job loop. Round structure: FedAvg (McMahan et al. 2017, Algorithm 1) with client
// sampling (a fraction C of the K clients per round) and a pluggable server strategy (strategy.hpp).
// Attribution: per-round exact Shapley values of the game U_t(S) over the round's participants,
// with coalition models rebuilt from the updates by the job's own strategy without retraining, as
// in FedSV (Wang et al., "A Principled Approach to Data Valuation for Federated Learning", 2020)
// and GTG-Shapley (Liu et al. 2022); job value φ_i = Σ_t φ_i^t.
#include "fedtrain/simulation.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <numeric>
#include <sstream>
#include <string>
#include <system_error>

#include <nlohmann/json.hpp>

#include "attribution/estimator.hpp"
#include "attribution/merkle.hpp"
#include "attribution/shapley.hpp"
#include "attribution/shares.hpp"
#include "common/eip712.hpp"
#include "common/file_io.hpp"
#include "common/keccak.hpp"
#include "common/keys.hpp"
#include "common/thread_pool.hpp"
#include "fedtrain/attribution_replay.hpp"
#include "fedtrain/dataset.hpp"
#include "fedtrain/internal/job_data.hpp"
#include "fedtrain/internal/random.hpp"
#include "fedtrain/internal/round_game.hpp"
#include "fedtrain/internal/round_report.hpp"
#include "fedtrain/model.hpp"
#include "fedtrain/partition.hpp"
#include "fedtrain/strategy.hpp"

namespace flywheel::fedtrain {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

static_assert(std::endian::native == std::endian::little,
              "checkpoints and model hashes store float32 little-endian");

using internal::kEvaluateStream;
using internal::kSampleStream;
using internal::kTrainStream;

// The EIP-712 domain of the virtual participants' receipts: anvil's chain id, as the deployment
// default (docs/onchain.md). The simulation meters no wall time into receipts (computeMillis 0), so
// that roots do not depend on the machine's speed.
constexpr std::uint64_t kReceiptChainId = 31337;

constexpr char kCheckpointMagic[8] = {'F', 'W', 'C', 'K', 'P', 'T', '0', '1'};
constexpr const char* kCsvHeader =
    "round,participants,test_accuracy,test_loss,validation_accuracy,validation_loss,"
    "utility_empty,utility_full,train_loss,participant_accuracy,participant_loss,"
    "participant_evaluations,coalitions,seconds,train_seconds,attribution_seconds";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A sample of `count` of the indices 0..n-1 (internal::sample_sorted).
std::vector<std::size_t> sample_indices(std::size_t n, std::size_t count, std::uint64_t seed) {
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), std::size_t{0});
  return internal::sample_sorted(std::move(all), count, seed);
}

// Everything about one participant the aggregator keeps for the whole job.
struct Participant {
  Address address;
  Profile profile = Profile::honest;
  std::vector<std::size_t> indices;       // rows of the training set it holds
  std::vector<std::int64_t> labels;       // what it trains on, parallel to indices
};

// What a checkpoint holds besides the model and the strategy state.
struct CheckpointState {
  std::uint64_t round = 0;
  std::vector<double> total_values;
  std::vector<RoundRecord> rounds;
  std::uint64_t metrics_jsonl_bytes = 0;
  std::uint64_t metrics_csv_bytes = 0;
};

Json record_to_json(const RoundRecord& record) {
  Json r;
  r["round"] = record.round;
  r["model_hash"] = record.model_hash.hex();
  r["attribution_root"] = record.attribution_root.hex();
  r["test_accuracy"] = record.test_accuracy;
  r["test_loss"] = record.test_loss;
  r["selected"] = record.selected;
  r["leaves"] = Json::array();
  for (const auto& leaf : record.leaves) {
    r["leaves"].push_back({{"participant", leaf.participant.hex()},
                           {"receipt", leaf.receipt.hex()},
                           {"value", leaf.value},
                           {"samples", leaf.samples}});
  }
  return r;
}

template <std::size_t N>
Result<FixedBytes<N>> fixed_from_hex(const Json& value) {
  auto bytes = FixedBytes<N>::from_hex(value.get<std::string>());
  if (!bytes) return fail(Errc::data, "checkpoint holds a malformed hex value");
  return *bytes;
}

Result<RoundRecord> record_from_json(const Json& r) {
  RoundRecord record;
  record.round = r.at("round").get<std::uint64_t>();
  auto model_hash = fixed_from_hex<32>(r.at("model_hash"));
  auto root = fixed_from_hex<32>(r.at("attribution_root"));
  if (!model_hash || !root) return fail(Errc::data, "checkpoint holds a malformed round hash");
  record.model_hash = *model_hash;
  record.attribution_root = *root;
  record.test_accuracy = r.at("test_accuracy").get<double>();
  record.test_loss = r.at("test_loss").get<double>();
  record.selected = r.at("selected").get<std::vector<std::size_t>>();
  for (const auto& leaf : r.at("leaves")) {
    auto address = fixed_from_hex<20>(leaf.at("participant"));
    if (!address) return tl::unexpected(address.error());
    // Checkpoints from before leaves committed to receipts have none (their roots are recorded).
    Hash32 receipt;
    if (leaf.contains("receipt")) {
      auto digest = fixed_from_hex<32>(leaf.at("receipt"));
      if (!digest) return tl::unexpected(digest.error());
      receipt = *digest;
    }
    record.leaves.push_back(attribution::RoundLeaf{.participant = *address,
                                                   .receipt = receipt,
                                                   .value = leaf.at("value").get<double>(),
                                                   .samples = leaf.at("samples").get<std::uint64_t>()});
  }
  return record;
}

void append_u64(std::string& out, std::uint64_t value) {
  char bytes[8];
  std::memcpy(bytes, &value, 8);
  out.append(bytes, 8);
}

void append_floats(std::string& out, std::span<const float> values) {
  append_u64(out, values.size());
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
}

// Reads checkpoint fields in order, failing (not crashing) on truncation.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  Result<std::uint64_t> u64() {
    if (bytes_.size() - pos_ < 8) return truncated();
    std::uint64_t v = 0;
    std::memcpy(&v, bytes_.data() + pos_, 8);
    pos_ += 8;
    return v;
  }
  Result<std::string_view> take(std::uint64_t count) {
    if (bytes_.size() - pos_ < count) return truncated();
    auto out = bytes_.substr(pos_, count);
    pos_ += count;
    return out;
  }
  Result<std::vector<float>> floats() {
    auto count = u64();
    if (!count) return tl::unexpected(count.error());
    if (*count > (bytes_.size() - pos_) / sizeof(float)) return truncated();
    auto raw = take(*count * sizeof(float));
    std::vector<float> out(*count);
    std::memcpy(out.data(), raw->data(), raw->size());
    return out;
  }
  [[nodiscard]] std::size_t position() const { return pos_; }

 private:
  static tl::unexpected<Error> truncated() {
    return fail(Errc::data, "checkpoint is truncated");
  }
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

class Simulation {
 public:
  Simulation(const SimulationConfig& config, std::filesystem::path out_dir, RoundSink& sink,
             const SimulationOptions& options)
      : config_(config),
        out_dir_(std::move(out_dir)),
        sink_(sink),
        options_(options),
        progress_(options.quiet ? nullptr : (options.progress ? options.progress : &std::cerr)),
        threads_(options.threads > 0 ? options.threads
                                     : std::max(1U, std::thread::hardware_concurrency())),
        pool_(threads_, ThreadPool::Caller::waits) {}

  Result<JobSummary> run() {
    auto strategy = make_strategy(config_.strategy);
    if (!strategy) return tl::unexpected(strategy.error());
    strategy_ = std::move(*strategy);
    auto method = attribution::parse_method(config_.attribution.method);
    if (!method) return fail(Errc::config, "attribution.method: " + method.error().message);
    method_ = *method;
    if (auto valid = validate(config_.model); !valid) return tl::unexpected(valid.error());
    FLYWHEEL_TRY(load_data());
    FLYWHEEL_TRY(set_up_participants());

    const std::size_t n = participants_.size();
    CheckpointState state;
    state.total_values.assign(n, 0.0);
    bool resumed = false;
    if (options_.resume) {
      auto loaded = load_checkpoint(state);
      if (!loaded) return tl::unexpected(loaded.error());
      resumed = *loaded;
    }
    FLYWHEEL_TRY(prepare_output(resumed ? &state : nullptr));

    std::vector<ParticipantInfo> infos;
    for (const auto& p : participants_) {
      infos.push_back(ParticipantInfo{.address = p.address,
                                      .profile = std::string(profile_name(p.profile)),
                                      .samples = p.indices.size()});
    }
    if (auto started = sink_.on_job_start(infos); !started) {
      return tl::unexpected(with_context(started.error(), "round sink rejected the job start"));
    }

    if (!resumed) {
      auto initial = initial_parameters(config_.model, internal::derive_seed(config_.job.seed, {internal::kInitStream}));
      if (!initial) return tl::unexpected(initial.error());
      global_ = std::move(*initial);
    }
    rounds_ = std::move(state.rounds);
    std::vector<double> total_values = std::move(state.total_values);
    for (std::uint64_t round = state.round + 1; round <= config_.job.rounds; ++round) {
      auto record = run_round(round);
      if (!record) return tl::unexpected(record.error());
      if (auto sent = sink_.on_round(*record); !sent) {
        return tl::unexpected(with_context(sent.error(), "round sink rejected round " + std::to_string(round)));
      }
      for (std::size_t i = 0; i < n; ++i) total_values[i] += record->leaves[i].value;
      rounds_.push_back(std::move(*record));
      FLYWHEEL_TRY(save_checkpoint(round, total_values));
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
    char line[1024];
    std::snprintf(line, sizeof line, format, args...);
    *progress_ << line << '\n' << std::flush;
  }

  std::filesystem::path checkpoint_file() const { return out_dir_ / "checkpoint" / "checkpoint.bin"; }

  // Opens metrics.jsonl and metrics.csv: fresh (and any old checkpoint removed), or, when resuming,
  // cut back to the sizes the checkpoint recorded and appended to.
  Result<void> prepare_output(const CheckpointState* resumed) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir_ / "checkpoint", ec);
    if (ec || !std::filesystem::is_directory(out_dir_ / "checkpoint")) {
      return fail(Errc::io, "cannot create output directory " + out_dir_.string() +
                                (ec ? ": " + ec.message() : std::string()));
    }
    const auto jsonl = out_dir_ / "metrics.jsonl";
    const auto csv = out_dir_ / "metrics.csv";
    if (resumed != nullptr) {
      for (const auto& [path, size] : {std::pair{jsonl, resumed->metrics_jsonl_bytes},
                                       std::pair{csv, resumed->metrics_csv_bytes}}) {
        const auto actual = std::filesystem::file_size(path, ec);
        if (ec || actual < size) {
          return fail(Errc::data, path.string() + " is missing or shorter than checkpoint round " +
                                      std::to_string(resumed->round) + " recorded; start again without resume");
        }
        std::filesystem::resize_file(path, size, ec);
        if (ec) return fail(Errc::io, "cannot truncate " + path.string() + ": " + ec.message());
      }
      metrics_.open(jsonl, std::ios::binary | std::ios::app);
      csv_.open(csv, std::ios::binary | std::ios::app);
    } else {
      std::filesystem::remove(checkpoint_file(), ec);
      metrics_.open(jsonl, std::ios::binary | std::ios::trunc);
      csv_.open(csv, std::ios::binary | std::ios::trunc);
      csv_ << kCsvHeader << '\n' << std::flush;
    }
    if (!metrics_) return fail(Errc::io, "cannot write " + jsonl.string());
    if (!csv_) return fail(Errc::io, "cannot write " + csv.string());
    return {};
  }

  Result<void> load_data() {
    const auto start = Clock::now();
    auto data = internal::load_job_data(config_);
    if (!data) return tl::unexpected(data.error());
    train_ = std::move(data->train);
    test_ = std::move(data->test);
    pool_indices_ = std::move(data->pool_indices);
    validation_ = std::move(data->validation);
    say("data: %zu training samples (%zu with participants, %zu held for validation), %zu test samples, %.2f s",
        train_.size(), pool_indices_.size(), validation_.size(), test_.size(), seconds_since(start));
    return {};
  }

  Result<void> set_up_participants() {
    const std::size_t n = config_.participants.count();
    if (config_.participants.keys.size() != n) {
      return fail(Errc::config, "participants.private_keys must hold one key per participant");
    }
    auto shares = internal::split_among_participants(config_, train_, pool_indices_);
    if (!shares) return tl::unexpected(shares.error());
    const auto& data = config_.data;
    switch (data.partition) {
      case PartitionKind::iid: say("participants (iid split):"); break;
      case PartitionKind::dirichlet: say("participants (dirichlet label skew, alpha %g):", data.alpha); break;
      case PartitionKind::shards:
        say("participants (shards, %zu per participant):", data.shards_per_participant);
        break;
      case PartitionKind::quantity_skew: say("participants (quantity skew, alpha %g):", data.alpha); break;
    }
    for (std::size_t i = 0; i < n; ++i) {
      auto& share = (*shares)[i];
      Participant p;
      p.address = config_.participants.keys[i].address();
      p.profile = config_.participants.profiles[i];
      p.indices = std::move(share.indices);
      p.labels = std::move(share.labels);
      std::string histogram;
      for (auto c : share.class_counts) histogram += (histogram.empty() ? "" : " ") + std::to_string(c);
      say("  %2zu %s %-15s %6zu samples  per class [%s]", i, to_checksum(p.address).c_str(),
          std::string(profile_name(p.profile)).c_str(), p.indices.size(), histogram.c_str());
      participants_.push_back(std::move(p));
    }
    say("strategy %s, %zu of %zu participants per round, model %s (%zu parameters)",
        config_.strategy.name.c_str(), fit_clients_per_round(config_), n, config_.model.name.c_str(),
        parameter_count(config_.model));
    return {};
  }

  // The receipt participant `index` signs for its update of round `round`: the same UpdateReceipt
  // a deployment participant sends (fedtrain/participant.cpp), with computeMillis 0.
  SignedReceipt sign_receipt(std::uint64_t round, std::size_t index, const Hash32& start_hash,
                             const LocalResult& result) const {
    SignedReceipt out;
    out.receipt = eip712::UpdateReceipt{.job_id = config_.job.name,
                                        .round = round,
                                        .participant = participants_[index].address,
                                        .start_model_hash = start_hash,
                                        .update_hash = hash_floats(result.update),
                                        .samples = result.samples,
                                        .compute_units = result.samples * config_.training.local_epochs,
                                        .compute_millis = 0};
    out.signature = eip712::sign_digest(config_.participants.keys[index], eip712::digest(receipt_domain_, out.receipt));
    return out;
  }

  Result<RoundRecord> run_round(std::uint64_t round) {
    const auto round_start = Clock::now();
    const std::size_t n = participants_.size();
    const auto selected = sample_indices(n, fit_clients_per_round(config_),
                                         internal::derive_seed(config_.job.seed, {kSampleStream, round}));
    const std::size_t m = selected.size();

    // Local training, one task per sampled participant.
    TrainConfig training = config_.training;
    training.proximal_mu = strategy_->proximal_mu();
    std::vector<Result<LocalResult>> trained(m, fail(Errc::internal, "not run"));
    pool_.run(m, [&](std::size_t k) {
      const std::size_t i = selected[k];
      TrainConfig mine = training;
      mine.seed = internal::derive_seed(config_.job.seed, {kTrainStream, round, i});
      if (sends_global_model(participants_[i].profile)) {
        trained[k] = global_model_sent_back(global_.size(), participants_[i].indices.size());
        return;
      }
      trained[k] = train_local(config_.model, global_, train_, participants_[i].indices, mine,
                               participants_[i].labels);
    });
    std::vector<LocalResult> results;
    double train_loss = 0;
    double train_samples = 0;
    for (std::size_t k = 0; k < m; ++k) {
      if (!trained[k]) {
        return tl::unexpected(with_context(trained[k].error(), "participant " + std::to_string(selected[k]) +
                                                                   " in round " + std::to_string(round)));
      }
      results.push_back(std::move(*trained[k]));
      train_loss += results.back().mean_loss * static_cast<double>(results.back().samples);
      train_samples += static_cast<double>(results.back().samples);
    }
    train_loss /= train_samples;
    const double train_seconds = seconds_since(round_start);

    // Attribution over the round's participants with the configured estimator (exact Shapley
    // by default). The grand coalition's model is w_{t+1} by construction (aggregate() computes
    // exactly what propose() does, then commits the state).
    const auto attribution_start = Clock::now();
    std::vector<ClientUpdate> all;
    for (const auto& r : results) all.push_back(ClientUpdate{.delta = r.update, .samples = r.samples});
    std::vector<Address> addresses;
    for (auto i : selected) addresses.push_back(participants_[i].address);
    const Hash32 start_hash = hash_floats(global_);
    std::vector<SignedReceipt> receipts;
    std::vector<Hash32> receipt_digests;
    for (std::size_t j = 0; j < m; ++j) {
      receipts.push_back(sign_receipt(round, selected[j], start_hash, results[j]));
      receipt_digests.push_back(eip712::digest(receipt_domain_, receipts.back().receipt));
    }
    if (config_.attribution.keep_artifacts) {
      const auto server_state = strategy_->state();
      RoundArtifacts artifacts{.round = round,
                               .strategy = config_.strategy.name,
                               .model = config_.model.name,
                               .domain = receipt_domain_,
                               .start_model = global_,
                               .server_state = server_state,
                               .participants = addresses,
                               .updates = {},
                               .receipts = receipts};
      for (const auto& r : results) artifacts.updates.emplace_back(r.update);
      FLYWHEEL_TRY(write_round_artifacts(out_dir_, artifacts));
    }
    const std::uint64_t seed = internal::attribution_seed(config_, round, start_hash, addresses);
    auto attributed = internal::attribute_round(
        internal::RoundGame{.config = config_, .strategy = *strategy_, .global = global_, .updates = all,
                            .train = train_, .validation = validation_},
        method_, internal::estimator_options(config_, threads_, seed));
    if (!attributed) {
      return tl::unexpected(with_context(attributed.error(), "attributing round " + std::to_string(round)));
    }
    const attribution::Estimate& shapley = attributed->estimate;
    const double attribution_seconds = seconds_since(attribution_start);

    auto next = strategy_->aggregate(global_, all);
    if (!next) return tl::unexpected(next.error());
    global_ = std::move(*next);
    auto tested = evaluate(config_.model, global_, test_);
    if (!tested) return tl::unexpected(with_context(tested.error(), "testing round " + std::to_string(round)));

    // Participant-side evaluation of w_{t+1} on a sample of participants' own data.
    const std::size_t evaluators_count = evaluate_clients_per_round(config_);
    Json participant_accuracy = nullptr;
    Json participant_loss = nullptr;
    if (evaluators_count > 0) {
      const auto evaluators = sample_indices(n, evaluators_count,
                                             internal::derive_seed(config_.job.seed, {kEvaluateStream, round}));
      std::vector<Result<Evaluation>> local(evaluators.size(), fail(Errc::internal, "not run"));
      pool_.run(evaluators.size(), [&](std::size_t k) {
        local[k] = evaluate(config_.model, global_, train_, participants_[evaluators[k]].indices);
      });
      double correct = 0;
      double loss = 0;
      double samples = 0;
      for (auto& e : local) {
        if (!e) return tl::unexpected(with_context(e.error(), "participant evaluation in round " + std::to_string(round)));
        correct += e->accuracy * static_cast<double>(e->samples);
        loss += e->loss * static_cast<double>(e->samples);
        samples += static_cast<double>(e->samples);
      }
      participant_accuracy = correct / samples;
      participant_loss = loss / samples;
    }

    RoundRecord record;
    record.round = round;
    record.model_hash = hash_floats(global_);
    std::vector<Address> job_addresses;
    for (const auto& p : participants_) job_addresses.push_back(p.address);
    std::vector<std::uint64_t> samples;
    for (const auto& r : results) samples.push_back(r.samples);
    internal::set_round_leaves(record, job_addresses,
                               {.selected = selected, .receipts = receipt_digests, .values = shapley.values,
                                .samples = samples});
    const Evaluation& test = *tested;
    const Evaluation& validation = attributed->grand_validation;
    round_details_.push_back(internal::estimate_details(shapley, addresses));
    record.test_accuracy = test.accuracy;
    record.test_loss = test.loss;
    const double seconds = seconds_since(round_start);

    Json line;
    line["round"] = round;
    line["test_accuracy"] = test.accuracy;
    line["test_loss"] = test.loss;
    line["validation_accuracy"] = validation.accuracy;
    line["validation_loss"] = validation.loss;
    line["utility_empty"] = shapley.empty_utility;
    line["utility_full"] = shapley.grand_utility;
    line["train_loss"] = train_loss;
    line["participant_accuracy"] = participant_accuracy;
    line["participant_loss"] = participant_loss;
    line["participant_evaluations"] = evaluators_count;
    line["participants"] = m;
    line["selected"] = selected;
    line["coalitions"] = shapley.evaluations;
    line["evaluations"] = shapley.evaluations;
    line["model_hash"] = record.model_hash.hex();
    line["seconds"] = seconds;
    line["train_seconds"] = train_seconds;
    line["attribution_seconds"] = attribution_seconds;
    metrics_ << line.dump() << '\n' << std::flush;
    if (!metrics_) return fail(Errc::io, "error writing " + (out_dir_ / "metrics.jsonl").string());
    csv_ << csv_row(line) << '\n' << std::flush;
    if (!csv_) return fail(Errc::io, "error writing " + (out_dir_ / "metrics.csv").string());

    say("round %llu/%llu  test acc %.4f  loss %.4f  val acc %.4f  %.2f s (train %.2f s, attribution %.2f s, %zu participants, %zu coalitions)",
        static_cast<unsigned long long>(round), static_cast<unsigned long long>(config_.job.rounds),
        test.accuracy, test.loss, validation.accuracy, seconds, train_seconds, attribution_seconds,
        m, shapley.evaluations);
    return record;
  }

  // The metrics line's scalars in kCsvHeader's order; null (participant evaluation off) is empty.
  static std::string csv_row(const Json& line) {
    std::string row;
    std::string_view header = kCsvHeader;
    while (!header.empty()) {
      const auto comma = header.find(',');
      const std::string key(header.substr(0, comma));
      header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
      if (!row.empty()) row += ',';
      const Json& value = line.at(key);
      if (!value.is_null()) row += value.dump();
    }
    return row;
  }

  Result<void> save_checkpoint(std::uint64_t round, const std::vector<double>& total_values) {
    Json header;
    header["version"] = 1;
    header["config_hash"] = config_hash(config_).hex();
    header["content_hash"] = kContentHashName;
    header["round"] = round;
    header["random"] = "counter-based: every stream derives from job.seed and the round";
    header["strategy"] = config_.strategy.name;
    header["model_hash"] = hash_floats(global_).hex();
    header["total_values"] = total_values;
    // Both streams were flushed after the round's line, so the files hold exactly that much.
    std::error_code ec;
    const auto jsonl_bytes = std::filesystem::file_size(out_dir_ / "metrics.jsonl", ec);
    if (ec) return fail(Errc::io, "cannot stat metrics.jsonl: " + ec.message());
    const auto csv_bytes = std::filesystem::file_size(out_dir_ / "metrics.csv", ec);
    if (ec) return fail(Errc::io, "cannot stat metrics.csv: " + ec.message());
    header["metrics_jsonl_bytes"] = static_cast<std::uint64_t>(jsonl_bytes);
    header["metrics_csv_bytes"] = static_cast<std::uint64_t>(csv_bytes);
    header["rounds"] = Json::array();
    for (const auto& record : rounds_) header["rounds"].push_back(record_to_json(record));
    header["round_details"] = round_details_;
    const std::string text = header.dump();
    std::string bytes(kCheckpointMagic, sizeof kCheckpointMagic);
    append_u64(bytes, text.size());
    bytes += text;
    append_floats(bytes, global_);
    append_floats(bytes, strategy_->state());
    const Hash32 digest = keccak256(as_bytes(bytes));
    bytes.append(reinterpret_cast<const char*>(digest.bytes.data()), digest.size());
    return write_atomically(checkpoint_file(), bytes);
  }

  // Loads out_dir/checkpoint into `state`, global_ and the strategy; false when there is none.
  Result<bool> load_checkpoint(CheckpointState& state) {
    const auto file = checkpoint_file();
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
      say("resume: no checkpoint in %s; starting at round 1", (out_dir_ / "checkpoint").string().c_str());
      return false;
    }
    auto read = read_file(file, "checkpoint");
    if (!read) return tl::unexpected(read.error());
    const std::string bytes = std::move(*read);
    const auto corrupt = [&](const std::string& why) {
      return fail(Errc::data, "checkpoint " + file.string() + " is corrupt (" + why +
                                  "); delete it to start over");
    };
    if (bytes.size() < sizeof kCheckpointMagic + 32 ||
        std::memcmp(bytes.data(), kCheckpointMagic, sizeof kCheckpointMagic) != 0) {
      return corrupt("not a Flywheel checkpoint");
    }
    const std::string_view body(bytes.data(), bytes.size() - 32);
    auto stored_digest = Hash32::from(as_bytes(std::string_view(bytes).substr(body.size())));
    if (!stored_digest || keccak256(as_bytes(body)) != *stored_digest) {
      return corrupt("digest mismatch");
    }
    Reader reader(body.substr(sizeof kCheckpointMagic));
    auto header_size = reader.u64();
    if (!header_size) return corrupt(header_size.error().message);
    auto header_text = reader.take(*header_size);
    if (!header_text) return corrupt(header_text.error().message);
    auto model = reader.floats();
    auto server_state = reader.floats();
    if (!model || !server_state) return corrupt("truncated parameter block");
    try {
      const Json header = Json::parse(*header_text);
      FLYWHEEL_TRY(check_content_hash(header.value("content_hash", ""), "the checkpoint in " + file.string()));
      const std::string expected = config_hash(config_).hex();
      const std::string stored = header.at("config_hash").get<std::string>();
      if (stored != expected) {
        return fail(Errc::config, "the checkpoint in " + (out_dir_ / "checkpoint").string() +
                                      " was written by another configuration (config hash " + stored +
                                      ", this configuration " + expected +
                                      "); resume with the configuration that started the job, or "
                                      "run without resume (or with another output folder) to start over");
      }
      state.round = header.at("round").get<std::uint64_t>();
      if (state.round > config_.job.rounds) {
        return fail(Errc::config, "the checkpoint is at round " + std::to_string(state.round) +
                                      " but job.rounds is " + std::to_string(config_.job.rounds) +
                                      "; raise job.rounds to continue the job");
      }
      state.total_values = header.at("total_values").get<std::vector<double>>();
      state.metrics_jsonl_bytes = header.at("metrics_jsonl_bytes").get<std::uint64_t>();
      state.metrics_csv_bytes = header.at("metrics_csv_bytes").get<std::uint64_t>();
      for (const auto& r : header.at("rounds")) {
        auto record = record_from_json(r);
        if (!record) return corrupt(record.error().message);
        state.rounds.push_back(std::move(*record));
      }
      round_details_.clear();
      if (const auto it = header.find("round_details"); it != header.end()) {
        for (const auto& d : *it) round_details_.push_back(d);
      }
    } catch (const Json::exception& e) {
      return corrupt(e.what());
    }
    if (model->size() != parameter_count(config_.model) ||
        state.total_values.size() != participants_.size() || state.rounds.size() != state.round) {
      return corrupt("sizes do not match the configuration");
    }
    if (auto restored = strategy_->set_state(std::move(*server_state)); !restored) {
      return corrupt(restored.error().message);
    }
    global_ = std::move(*model);
    say("resume: continuing after round %llu from %s", static_cast<unsigned long long>(state.round),
        file.string().c_str());
    return true;
  }

  Result<JobSummary> summarise(std::vector<ParticipantInfo> infos, std::vector<double> total_values) {
    auto summary = internal::summarise_job(std::move(infos), std::move(total_values), config_.total_shares);
    if (!summary) return tl::unexpected(summary.error());
    for (std::size_t i = 0; i < summary->participants.size(); ++i) {
      say("  %2zu %s %-15s value %+.5f  shares %s", i,
          to_checksum(summary->participants[i].address).c_str(), summary->participants[i].profile.c_str(),
          summary->total_values[i], std::to_string(summary->shares[i]).c_str());
    }
    say("shares root %s", summary->shares_root.hex().c_str());
    return summary;
  }

  Result<void> write_attribution(const JobSummary& summary) {
    const Json doc = internal::attribution_report(config_, summary, rounds_, round_details_);
    return write_atomically(out_dir_ / "attribution.json", doc.dump(2) + "\n");
  }

  const SimulationConfig& config_;
  std::filesystem::path out_dir_;
  RoundSink& sink_;
  SimulationOptions options_;
  std::ostream* progress_;
  std::size_t threads_;
  ThreadPool pool_;  // workers keep their libtorch buffers for the whole job
  std::unique_ptr<Strategy> strategy_;
  attribution::Method method_ = attribution::Method::exact;
  eip712::Domain receipt_domain_{.name = "Flywheel", .version = "1", .chain_id = kReceiptChainId,
                                 .verifying_contract = std::nullopt};
  std::vector<Json> round_details_;  // per round: the estimator's method, seed, evaluations, ...
  std::ofstream metrics_;
  std::ofstream csv_;
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
