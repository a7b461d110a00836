// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The deployment aggregator over gRPC (proto/flywheel.proto). Rounds: FedAvg-style rounds with
// client sampling (McMahan et al. 2017) among live participants and the job's strategy; per-round
// exact Shapley attribution over coalition models rebuilt from the updates (FedSV, Wang et al.
// 2020). Receipts and acks: EIP-712 (common/eip712.hpp). The round's random streams derive from
// the job seed exactly as in the simulation, so with every participant alive a deployment job
// produces the simulation's models.
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "attribution/estimator.hpp"
#include "attribution/merkle.hpp"
#include "attribution/shares.hpp"
#include "common/eip712.hpp"
#include "common/file_io.hpp"
#include "common/keccak.hpp"
#include "common/sha256.hpp"
#include "fedtrain/aggregator.hpp"
#include "fedtrain/attribution_replay.hpp"
#include "fedtrain/dataset.hpp"
#include "fedtrain/internal/job_data.hpp"
#include "fedtrain/internal/random.hpp"
#include "fedtrain/internal/round_game.hpp"
#include "fedtrain/internal/round_report.hpp"
#include "fedtrain/model.hpp"
#include "fedtrain/strategy.hpp"
#include "proto/flywheel.grpc.pb.h"

namespace flywheel::fedtrain {
namespace {

const std::string kVersionExpected = "protocol version " + std::to_string(kProtocolVersion) + " expected";

// The per-float checks of an incoming update, run chunk by chunk while each chunk is in cache:
// the first NaN/Inf and, when a norm bound is set, the squared L2 norm. Scanning goes in whole
// blocks of kBlock floats counted from element 0 (a chunk may end anywhere, even inside a float),
// so the norm's summation order, and thus a verdict right at the bound, does not depend on the
// sender's chunk size.
class UpdateScan {
 public:
  explicit UpdateScan(bool with_norm) : with_norm_(with_norm) {}

  // Scans the whole blocks among the first `end` floats of the update; with `last`, everything up
  // to `end` (the stream is complete).
  void advance(std::span<const float> update, std::size_t end, bool last = false) {
    constexpr std::uint32_t kExponent = 0x7f800000U;  // all ones: Inf or NaN
    if (!last) end -= end % kBlock;
    while (scanned_ < end) {
      const std::size_t stop = std::min(end, scanned_ + kBlock);
      // Branch-free over a block (vectorises); the exact index is looked up only on a hit.
      std::uint32_t bad = 0;
      for (std::size_t k = scanned_; k < stop; ++k) {
        bad |= static_cast<std::uint32_t>((std::bit_cast<std::uint32_t>(update[k]) & kExponent) == kExponent);
      }
      if (bad != 0 && first_non_finite_ == kNone) {
        for (std::size_t k = scanned_; k < stop; ++k) {
          if (!std::isfinite(update[k])) {
            first_non_finite_ = k;
            break;
          }
        }
      }
      if (with_norm_) {
        double partial[4] = {0, 0, 0, 0};
        std::size_t k = scanned_;
        for (; k + 4 <= stop; k += 4) {
          for (std::size_t j = 0; j < 4; ++j) partial[j] += static_cast<double>(update[k + j]) * update[k + j];
        }
        for (; k < stop; ++k) partial[0] += static_cast<double>(update[k]) * update[k];
        norm2_ += (partial[0] + partial[1]) + (partial[2] + partial[3]);
      }
      scanned_ = stop;
    }
  }

  // The index of the first NaN or Inf scanned, if any.
  [[nodiscard]] std::optional<std::size_t> first_non_finite() const {
    return first_non_finite_ == kNone ? std::nullopt : std::optional(first_non_finite_);
  }
  [[nodiscard]] double norm() const { return std::sqrt(norm2_); }

 private:
  static constexpr std::size_t kBlock = 4096;
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
  bool with_norm_;
  std::size_t scanned_ = 0;
  std::size_t first_non_finite_ = kNone;
  double norm2_ = 0;
};

namespace pb = ::flywheel::v1;
using Json = nlohmann::ordered_json;
using Steady = std::chrono::steady_clock;

// The job's random streams (internal/random.hpp), the ones the simulation draws from.
using internal::kInitStream;
using internal::kSampleStream;
using internal::kTrainStream;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string bytes_string(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

template <std::size_t N>
std::optional<FixedBytes<N>> fixed(const std::string& s) {
  if (s.size() != N) return std::nullopt;
  FixedBytes<N> out;
  std::memcpy(out.bytes.data(), s.data(), N);
  return out;
}

std::string_view floats_bytes(const std::vector<float>& v) {
  return {reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)};
}

Result<std::vector<float>> floats_from(const std::string& bytes) {
  if (bytes.size() % sizeof(float) != 0) return fail(Errc::data, "checkpoint file is not whole floats");
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

// An accepted update and its proofs.
struct Accepted {
  eip712::UpdateReceipt receipt;
  Bytes signature;
  Hash32 receipt_digest;
  eip712::UpdateAck ack;
  Bytes ack_signature;
  std::vector<float> delta;
};

}  // namespace

struct Aggregator::State {
  DeploymentJob job;
  PrivateKey key;
  std::filesystem::path out_dir;
  RoundSink* sink = nullptr;
  AggregatorOptions options;
  std::ostream* progress = nullptr;
  eip712::Domain domain;
  std::vector<TensorSpec> tensors;
  std::size_t parameters = 0;

  Dataset train;
  Dataset test;
  std::vector<std::size_t> validation;
  std::unique_ptr<Strategy> strategy;
  attribution::Method method = attribution::Method::exact;  // the job's attribution.method

  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<pb::Aggregator::Service> service;
  int port = 0;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::uint64_t epoch = 0;  // bumps on every change participants may wait for
  std::map<std::string, std::pair<std::size_t, Steady::time_point>> nonces;
  std::map<std::string, std::size_t> sessions;
  std::vector<std::optional<Steady::time_point>> last_seen;
  std::vector<bool> told_done;
  std::vector<std::uint64_t> samples;
  std::set<std::pair<std::size_t, std::uint64_t>> accepted_history;
  std::map<std::string, std::uint64_t> rejections;

  std::uint64_t round = 0;           // the open round, or the last closed one
  bool open = false;
  bool done = false;
  bool stopping = false;
  std::vector<std::size_t> selected;
  std::int64_t deadline_ms = 0;
  std::shared_ptr<const std::vector<float>> global;
  Hash32 global_hash;
  std::map<std::size_t, Accepted> accepted;
  std::vector<double> total_values;
  std::vector<RoundRecord> records;
  std::vector<Json> round_details;  // per round: the estimator's method, seed, evaluations, ...
  std::ofstream metrics;

  template <class... Args>
  void say(const char* format, Args... args) {
    if (options.quiet) return;
    char line[1024];
    std::snprintf(line, sizeof line, format, args...);
    *progress << line << '\n' << std::flush;
  }

  // Must hold mu.
  void count_rejection(TransportStatus status) {
    ++rejections[std::string(transport_status_name(status))];
    Json doc(rejections);
    // Best effort: the counters are also in every metrics line.
    (void)write_atomically(out_dir / "rejections.json", doc.dump(2) + "\n");
  }

  // Must hold mu.
  std::optional<std::size_t> session_index(const std::string& session) {
    auto it = sessions.find(session);
    if (it == sessions.end()) return std::nullopt;
    last_seen[it->second] = Steady::now();
    return it->second;
  }

  // Must hold mu.
  std::vector<std::size_t> live() const {
    std::vector<std::size_t> out;
    const auto now = Steady::now();
    const auto window = std::chrono::milliseconds(static_cast<std::int64_t>(job.deployment.liveness_s * 1000));
    for (std::size_t i = 0; i < last_seen.size(); ++i) {
      if (last_seen[i] && now - *last_seen[i] <= window) out.push_back(i);
    }
    return out;
  }

  void bump() {
    ++epoch;
    cv.notify_all();
  }

  // The job's one split (internal/job_data.hpp): the aggregator keeps the validation rows.
  Result<void> load_data() {
    auto data = internal::load_job_data(job.config);
    if (!data) return tl::unexpected(data.error());
    train = std::move(data->train);
    test = std::move(data->test);
    validation = std::move(data->validation);
    return {};
  }

  double utility_of(const Evaluation& e) const {
    return job.config.attribution.utility == UtilityMetric::accuracy ? e.accuracy : -e.loss;
  }

  // ---- checkpoint ------------------------------------------------------------------------------

  Result<void> save_checkpoint() {
    const auto dir = out_dir / "checkpoint";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    const std::string tag = std::to_string(round);
    FLYWHEEL_TRY(write_atomically(dir / ("model-" + tag + ".bin"), floats_bytes(*global)));
    FLYWHEEL_TRY(write_atomically(dir / ("strategy-" + tag + ".bin"), floats_bytes(strategy->state())));
    Json state;
    state["round"] = round;
    state["config_hash"] = config_hash(job.config).hex();
    state["content_hash"] = kContentHashName;
    state["total_values"] = total_values;
    state["samples"] = samples;
    state["metrics_bytes"] = static_cast<std::uint64_t>(std::filesystem::file_size(out_dir / "metrics.jsonl", ec));
    state["records"] = Json::array();
    for (const auto& r : records) {
      Json j;
      j["round"] = r.round;
      j["model_hash"] = r.model_hash.hex();
      j["attribution_root"] = r.attribution_root.hex();
      j["selected"] = r.selected;
      j["test_accuracy"] = r.test_accuracy;
      j["test_loss"] = r.test_loss;
      j["leaves"] = Json::array();
      for (const auto& l : r.leaves) j["leaves"].push_back({l.participant.hex(), l.value, l.samples, l.receipt.hex()});
      state["records"].push_back(std::move(j));
    }
    state["round_details"] = round_details;
    FLYWHEEL_TRY(write_atomically(dir / "state.json", state.dump() + "\n"));
    if (round > 1) {
      const std::string old = std::to_string(round - 1);
      std::filesystem::remove(dir / ("model-" + old + ".bin"), ec);
      std::filesystem::remove(dir / ("strategy-" + old + ".bin"), ec);
    }
    return {};
  }

  Result<bool> load_checkpoint() {
    const auto dir = out_dir / "checkpoint";
    if (!std::filesystem::exists(dir / "state.json")) return false;
    auto text = read_file(dir / "state.json");
    if (!text) return tl::unexpected(text.error());
    try {
      const Json state = Json::parse(*text);
      FLYWHEEL_TRY(check_content_hash(state.value("content_hash", ""), "the checkpoint in " + dir.string()));
      if (state.at("config_hash").get<std::string>() != config_hash(job.config).hex()) {
        return fail(Errc::config, "the checkpoint in " + dir.string() +
                                      " was written by another job configuration; use a fresh run folder");
      }
      round = state.at("round").get<std::uint64_t>();
      const std::string tag = std::to_string(round);
      auto model = read_file(dir / ("model-" + tag + ".bin"));
      if (!model) return tl::unexpected(model.error());
      auto weights = floats_from(*model);
      if (!weights || weights->size() != parameters) return fail(Errc::data, "checkpoint model has the wrong size");
      auto strat = read_file(dir / ("strategy-" + tag + ".bin"));
      if (!strat) return tl::unexpected(strat.error());
      auto strategy_state = floats_from(*strat);
      if (!strategy_state) return tl::unexpected(strategy_state.error());
      FLYWHEEL_TRY(strategy->set_state(std::move(*strategy_state)));
      global = std::make_shared<const std::vector<float>>(std::move(*weights));
      global_hash = hash_floats(*global);
      total_values = state.at("total_values").get<std::vector<double>>();
      samples = state.at("samples").get<std::vector<std::uint64_t>>();
      for (const auto& j : state.at("records")) {
        RoundRecord r;
        r.round = j.at("round").get<std::uint64_t>();
        r.model_hash = Hash32::from_hex(j.at("model_hash").get<std::string>()).value();
        r.attribution_root = Hash32::from_hex(j.at("attribution_root").get<std::string>()).value();
        r.selected = j.at("selected").get<std::vector<std::size_t>>();
        r.test_accuracy = j.at("test_accuracy").get<double>();
        r.test_loss = j.at("test_loss").get<double>();
        for (const auto& l : j.at("leaves")) {
          r.leaves.push_back(attribution::RoundLeaf{
              .participant = Address::from_hex(l.at(0).get<std::string>()).value(),
              // Checkpoints from before leaves committed to receipts have none.
              .receipt = l.size() > 3 ? Hash32::from_hex(l.at(3).get<std::string>()).value() : Hash32{},
              .value = l.at(1).get<double>(),
              .samples = l.at(2).get<std::uint64_t>()});
        }
        records.push_back(std::move(r));
      }
      round_details.clear();
      if (const auto it = state.find("round_details"); it != state.end()) {
        for (const auto& d : *it) round_details.push_back(d);
      }
      std::filesystem::resize_file(out_dir / "metrics.jsonl", state.at("metrics_bytes").get<std::uint64_t>());
    } catch (const std::exception& e) {
      return fail(Errc::data, "corrupt checkpoint in " + dir.string() + ": " + e.what());
    }
    return true;
  }

  // ---- rounds ----------------------------------------------------------------------------------

  std::vector<std::size_t> sample(const std::vector<std::size_t>& candidates, std::uint64_t r) const {
    std::size_t count = std::min(fit_clients_per_round(job.config), candidates.size());
    return internal::sample_sorted(candidates, count, internal::derive_seed(job.config.job.seed, {kSampleStream, r}));
  }

  // Waits for the round's start condition and opens it. False when stopping.
  bool open_round(std::uint64_t r) {
    const auto& d = job.deployment;
    const auto start = Steady::now();
    std::unique_lock lock(mu);
    while (true) {
      if (stopping) return false;
      auto alive = live();
      const std::size_t joined = static_cast<std::size_t>(
          std::count_if(last_seen.begin(), last_seen.end(), [](const auto& t) { return t.has_value(); }));
      const bool waited = Steady::now() - start >= std::chrono::milliseconds(
                                                       static_cast<std::int64_t>(d.start_timeout_s * 1000));
      const bool everyone = alive.size() == d.allowlist.size();
      if (alive.size() >= d.min_updates && (everyone || waited || (r > 1 && joined > 0))) {
        selected = sample(alive, r);
        round = r;
        open = true;
        accepted.clear();
        deadline_ms = unix_ms() + static_cast<std::int64_t>(d.round_timeout_s * 1000);
        bump();
        return true;
      }
      cv.wait_for(lock, std::chrono::milliseconds(50));
    }
  }

  // Waits until the round may close; returns the accepted updates in selection order.
  std::optional<std::vector<Accepted>> wait_for_updates() {
    const auto& d = job.deployment;
    std::unique_lock lock(mu);
    while (true) {
      if (stopping) return std::nullopt;
      const bool all = accepted.size() == selected.size();
      const bool past = unix_ms() >= deadline_ms;
      if (all || (past && accepted.size() >= d.min_updates)) {
        open = false;
        std::vector<Accepted> out;
        for (auto i : selected) {
          auto it = accepted.find(i);
          if (it != accepted.end()) out.push_back(std::move(it->second));
        }
        accepted.clear();
        bump();
        return out;
      }
      if (past) {
        say("round %llu: deadline passed with %zu of %zu updates (quorum %zu); waiting %.0f s more",
            static_cast<unsigned long long>(round), accepted.size(), selected.size(), d.min_updates,
            d.round_timeout_s);
        deadline_ms = unix_ms() + static_cast<std::int64_t>(d.round_timeout_s * 1000);
        bump();
      }
      cv.wait_for(lock, std::chrono::milliseconds(50));
    }
  }

  Result<RoundRecord> close_round(std::uint64_t r, std::vector<Accepted> updates,
                                  std::vector<std::size_t> included, double round_start_seconds) {
    const auto t0 = Steady::now();
    const std::size_t m = updates.size();
    const std::vector<float>& w = *global;
    std::vector<ClientUpdate> all;
    std::vector<Address> addresses;
    for (const auto& u : updates) {
      all.push_back({.delta = u.delta, .samples = u.receipt.samples});
      addresses.push_back(u.receipt.participant);
    }
    // The round's inputs are kept before anything changes the strategy's state, so that
    // `flywheel attribute` can rebuild exactly this game (attribution_replay.hpp).
    if (job.config.attribution.keep_artifacts) {
      const auto server_state = strategy->state();
      RoundArtifacts artifacts{.round = r,
                               .strategy = job.config.strategy.name,
                               .model = job.config.model.name,
                               .domain = domain,
                               .start_model = w,
                               .server_state = server_state,
                               .participants = addresses,
                               .updates = {},
                               .receipts = {}};
      for (const auto& u : updates) {
        artifacts.updates.emplace_back(u.delta);
        artifacts.receipts.push_back(SignedReceipt{
            .receipt = u.receipt, .signature = u.signature, .ack = u.ack, .ack_signature = u.ack_signature});
      }
      FLYWHEEL_TRY(write_round_artifacts(out_dir, artifacts));
    }
    // The same game, estimator options and seed as the simulation and the replay.
    const std::uint64_t seed = internal::attribution_seed(job.config, r, global_hash, addresses);
    auto attributed = internal::attribute_round(
        internal::RoundGame{.config = job.config, .strategy = *strategy, .global = w, .updates = all,
                            .train = train, .validation = validation},
        method, internal::estimator_options(job.config, options.threads, seed));
    if (!attributed) return tl::unexpected(with_context(attributed.error(), "attributing round " + std::to_string(r)));
    const attribution::Estimate* shapley = &attributed->estimate;
    auto next = strategy->aggregate(w, all);
    if (!next) return tl::unexpected(next.error());
    auto test_eval = evaluate(job.config.model, *next, test);
    if (!test_eval) return tl::unexpected(test_eval.error());

    const Hash32 start_hash = global_hash;
    RoundRecord record;
    record.round = r;
    record.model_hash = hash_floats(*next);
    std::vector<Hash32> receipts;
    std::vector<std::uint64_t> samples;
    for (const auto& u : updates) {
      receipts.push_back(u.receipt_digest);
      samples.push_back(u.receipt.samples);
    }
    internal::set_round_leaves(record, job.deployment.allowlist,
                               {.selected = included, .receipts = receipts, .values = shapley->values,
                                .samples = samples});
    for (std::size_t k = 0; k < m; ++k) total_values[included[k]] += shapley->values[k];
    record.test_accuracy = test_eval->accuracy;
    record.test_loss = test_eval->loss;

    // The round's artifacts: every receipt and ack with its signature, and a Merkle root over the
    // receipt digests.
    Json doc;
    doc["round"] = r;
    doc["job"] = job.config.job.name;
    doc["start_model_hash"] = start_hash.hex();
    doc["model_hash"] = record.model_hash.hex();
    doc["attribution_root"] = record.attribution_root.hex();
    doc["aggregator"] = to_checksum(key.address());
    doc["domain"] = {{"name", domain.name}, {"version", domain.version}, {"chainId", domain.chain_id}};
    doc["receipts"] = Json::array();
    std::vector<Hash32> receipt_leaves;
    for (std::size_t k = 0; k < m; ++k) {
      const auto& u = updates[k];
      Json j;
      j["participant"] = to_checksum(u.receipt.participant);
      j["receipt"] = {{"jobId", u.receipt.job_id},
                      {"round", u.receipt.round},
                      {"participant", u.receipt.participant.hex()},
                      {"startModelHash", u.receipt.start_model_hash.hex()},
                      {"updateHash", u.receipt.update_hash.hex()},
                      {"samples", u.receipt.samples},
                      {"computeUnits", u.receipt.compute_units},
                      {"computeMillis", u.receipt.compute_millis}};
      j["receipt_digest"] = u.receipt_digest.hex();
      j["signature"] = to_hex(u.signature);
      j["ack"] = {{"receiptDigest", u.ack.receipt_digest.hex()},
                  {"aggregator", u.ack.aggregator.hex()},
                  {"round", u.ack.round},
                  {"acceptedAtMillis", u.ack.accepted_at_millis}};
      j["ack_signature"] = to_hex(u.ack_signature);
      j["value"] = shapley->values[k];
      doc["receipts"].push_back(std::move(j));
      receipt_leaves.push_back(u.receipt_digest);
    }
    doc["receipts_root"] = attribution::MerkleTree(std::move(receipt_leaves)).root().hex();
    doc["leaves"] = Json::array();
    for (const auto& l : record.leaves) {
      doc["leaves"].push_back({{"participant", to_checksum(l.participant)},
                               {"receipt", l.receipt.hex()},
                               {"value", l.value},
                               {"value_fixed", attribution::value_to_fixed(l.value)},
                               {"samples", l.samples}});
    }
    std::error_code ec;
    std::filesystem::create_directories(out_dir / "rounds", ec);
    char name[32];
    std::snprintf(name, sizeof name, "%06llu.json", static_cast<unsigned long long>(r));
    FLYWHEEL_TRY(write_atomically(out_dir / "rounds" / name, doc.dump(2) + "\n"));

    Json details = internal::estimate_details(*shapley, addresses);

    std::map<std::string, std::uint64_t> rejections_now;
    {
      std::lock_guard lock(mu);
      global = std::make_shared<const std::vector<float>>(std::move(*next));
      global_hash = record.model_hash;
      records.push_back(record);
      round_details.push_back(std::move(details));
      rejections_now = rejections;
    }
    const double attribution_seconds = std::chrono::duration<double>(Steady::now() - t0).count();
    Json line;
    line["round"] = r;
    line["test_accuracy"] = record.test_accuracy;
    line["test_loss"] = record.test_loss;
    line["utility_empty"] = shapley->empty_utility;
    line["utility_full"] = shapley->grand_utility;
    line["participants"] = m;
    line["selected"] = included;
    line["coalitions"] = shapley->evaluations;
    line["model_hash"] = record.model_hash.hex();
    line["attribution_root"] = record.attribution_root.hex();
    line["seconds"] = round_start_seconds + attribution_seconds;
    line["attribution_seconds"] = attribution_seconds;
    line["rejections"] = rejections_now;
    metrics << line.dump() << '\n' << std::flush;
    if (!metrics) return fail(Errc::io, "error writing metrics.jsonl");
    say("round %llu/%llu  test acc %.4f  loss %.4f  %zu updates  %.2f s",
        static_cast<unsigned long long>(r), static_cast<unsigned long long>(job.config.job.rounds),
        record.test_accuracy, record.test_loss, m, round_start_seconds + attribution_seconds);
    return record;
  }

  std::vector<ParticipantInfo> infos() const {
    std::vector<ParticipantInfo> out;
    for (std::size_t i = 0; i < job.deployment.allowlist.size(); ++i) {
      out.push_back(ParticipantInfo{.address = job.deployment.allowlist[i],
                                    .profile = std::string(profile_name(job.config.participants.profiles[i])),
                                    .samples = samples[i]});
    }
    return out;
  }

  Result<JobSummary> summarise() {
    auto summary = internal::summarise_job(infos(), total_values, job.config.total_shares);
    if (!summary) return tl::unexpected(summary.error());
    // The simulation's report format (internal/round_report.hpp), so `flywheel attribute` and the
    // chain commands read a deployment's report the same way; plus the aggregator's address.
    Json doc = internal::attribution_report(job.config, *summary, records, round_details);
    doc["aggregator"] = to_checksum(key.address());
    FLYWHEEL_TRY(write_atomically(out_dir / "attribution.json", doc.dump(2) + "\n"));
    return summary;
  }

  Result<JobSummary> run() {
    FLYWHEEL_TRY(sink->on_job_start(infos()));
    std::uint64_t first;
    std::vector<RoundRecord> done_rounds;
    {
      std::lock_guard lock(mu);
      first = round + 1;
      done_rounds = records;
    }
    // A round is checkpointed before the sink sees it, so a crash in between leaves a round the
    // sink may have missed: a resumed run hands the sink every checkpointed round again (the
    // chain sink's outbox makes that idempotent).
    for (const auto& record : done_rounds) {
      if (auto sent = sink->on_round(record); !sent) {
        return tl::unexpected(with_context(sent.error(), "handing checkpointed round " + std::to_string(record.round) +
                                                             " to the round sink"));
      }
    }
    for (std::uint64_t r = first; r <= job.config.job.rounds; ++r) {
      const auto t0 = Steady::now();
      if (!open_round(r)) return fail(Errc::timeout, "aggregator stopped");
      {
        std::lock_guard lock(mu);
        say("round %llu opened: %zu participants selected, deadline in %.0f s",
            static_cast<unsigned long long>(r), selected.size(), job.deployment.round_timeout_s);
      }
      auto updates = wait_for_updates();
      if (!updates) return fail(Errc::timeout, "aggregator stopped");
      std::vector<std::size_t> included;
      {
        std::lock_guard lock(mu);
        for (const auto& u : *updates) {
          auto it = std::find(job.deployment.allowlist.begin(), job.deployment.allowlist.end(), u.receipt.participant);
          const auto i = static_cast<std::size_t>(it - job.deployment.allowlist.begin());
          included.push_back(i);
          samples[i] = u.receipt.samples;
        }
      }
      auto record = close_round(r, std::move(*updates), included,
                                std::chrono::duration<double>(Steady::now() - t0).count());
      if (!record) return tl::unexpected(record.error());
      {
        std::lock_guard lock(mu);
        FLYWHEEL_TRY(save_checkpoint());
      }
      if (auto sent = sink->on_round(*record); !sent) {
        return tl::unexpected(with_context(sent.error(), "round sink rejected round " + std::to_string(r)));
      }
    }
    auto summary = summarise();
    if (!summary) return tl::unexpected(summary.error());
    FLYWHEEL_TRY(sink->on_job_end(*summary));
    {
      // Tell everyone the job ended: answer JOB_DONE until each joined participant heard it or a
      // grace period passed.
      std::unique_lock lock(mu);
      done = true;
      bump();
      cv.wait_for(lock, std::chrono::seconds(5), [&] {
        for (std::size_t i = 0; i < told_done.size(); ++i) {
          if (last_seen[i] && !told_done[i]) return false;
        }
        return true;
      });
    }
    say("job done: %zu rounds, attribution.json written", records.size());
    return summary;
  }

  // ---- request handlers (called by the gRPC service) -------------------------------------------

  void plan_locked(std::size_t i, pb::RoundPlan* reply) {
    reply->set_version(kProtocolVersion);
    reply->set_rounds(job.config.job.rounds);
    if (done) {
      told_done[i] = true;
      cv.notify_all();
      reply->set_status(pb::JOB_DONE);
      reply->set_message("the job finished");
      return;
    }
    reply->set_status(pb::OK);
    if (!open) return;
    reply->set_round(round);
    const bool is_selected = std::binary_search(selected.begin(), selected.end(), i);
    reply->set_selected(is_selected);
    reply->set_submitted(accepted.contains(i));
    reply->set_model_hash(bytes_string(global_hash.view()));
    reply->set_model_bytes(global->size() * sizeof(float));
    reply->set_deadline_unix_ms(deadline_ms);
    reply->set_train_seed(internal::derive_seed(job.config.job.seed, {kTrainStream, round, i}));
    reply->set_proximal_mu(strategy->proximal_mu());
    for (const auto& t : tensors) {
      auto* spec = reply->add_tensors();
      spec->set_name(t.name);
      for (auto dim : t.shape) spec->add_shape(dim);
      spec->set_dtype(t.dtype);
    }
  }

  // The checks of an update header, in order; OK or the refusal.
  std::pair<TransportStatus, std::string> check_header(const pb::UpdateHeader& h, std::size_t& index,
                                                       eip712::UpdateReceipt& receipt, Hash32& digest) {
    using S = TransportStatus;
    auto session = session_index(h.session());
    if (!session) return {S::unknown_participant, "unknown session: join first"};
    const auto& r = h.receipt();
    auto participant = fixed<20>(r.participant());
    if (!participant) return {S::malformed, "receipt.participant must be 20 bytes"};
    const auto& allow = job.deployment.allowlist;
    if (std::find(allow.begin(), allow.end(), *participant) == allow.end()) {
      return {S::unknown_participant, to_checksum(*participant) + " is not on the job's allowlist"};
    }
    if (*participant != allow[*session]) {
      return {S::wrong_signer, "receipt names " + to_checksum(*participant) + " but the session belongs to " +
                                   to_checksum(allow[*session])};
    }
    auto start_hash = fixed<32>(r.start_model_hash());
    auto update_hash = fixed<32>(r.update_hash());
    if (!start_hash || !update_hash) return {S::malformed, "receipt hashes must be 32 bytes"};
    receipt = eip712::UpdateReceipt{.job_id = r.job_id(),
                                    .round = r.round(),
                                    .participant = *participant,
                                    .start_model_hash = *start_hash,
                                    .update_hash = *update_hash,
                                    .samples = r.samples(),
                                    .compute_units = r.compute_units(),
                                    .compute_millis = r.compute_millis()};
    digest = eip712::digest(domain, receipt);
    const auto& sig = h.signature();
    auto signer = eip712::recover_signer(digest, as_bytes(sig));
    if (!signer) return {S::bad_signature, signer.error().message};
    if (*signer != *participant) {
      return {S::wrong_signer, "receipt signed by " + to_checksum(*signer) + ", not by " + to_checksum(*participant)};
    }
    index = *session;
    if (receipt.job_id != job.config.job.name) {
      return {S::wrong_job, "receipt is for job \"" + receipt.job_id + "\", this is \"" + job.config.job.name + "\""};
    }
    if (receipt.round < round || (receipt.round == round && !open)) {
      if (accepted_history.contains({index, receipt.round})) {
        return {S::replay, "an update for round " + std::to_string(receipt.round) + " was already accepted"};
      }
      return {S::late, "round " + std::to_string(receipt.round) + " is closed"};
    }
    if (receipt.round != round) {
      return {S::wrong_round, "round " + std::to_string(receipt.round) + " is not open (current " +
                                  std::to_string(round) + ")"};
    }
    if (accepted.contains(index)) return {S::replay, "this round's update was already accepted"};
    if (unix_ms() > deadline_ms) return {S::late, "the round's deadline passed"};
    if (!std::binary_search(selected.begin(), selected.end(), index)) {
      return {S::not_selected, "not selected for round " + std::to_string(round)};
    }
    if (receipt.start_model_hash != global_hash) {
      return {S::stale_model, "update started from " + receipt.start_model_hash.hex() + ", the round's model is " +
                                  global_hash.hex()};
    }
    std::vector<TensorSpec> sent;
    for (const auto& t : h.tensors()) {
      sent.push_back(TensorSpec{.name = t.name(), .shape = {t.shape().begin(), t.shape().end()}, .dtype = t.dtype()});
    }
    if (sent != tensors) {
      std::string why = "tensors differ from the model's";
      for (std::size_t k = 0; k < std::min(sent.size(), tensors.size()); ++k) {
        if (sent[k] != tensors[k]) {
          why = "tensor " + std::to_string(k) + " is " + sent[k].name + " (" + sent[k].dtype + "), expected " +
                tensors[k].name + " (" + tensors[k].dtype + ") with the model's shape";
          break;
        }
      }
      if (sent.size() != tensors.size()) {
        why = std::to_string(sent.size()) + " tensors sent, the model has " + std::to_string(tensors.size());
      }
      return {S::tensor_mismatch, why};
    }
    return declared_size_check(h);
  }

  // The header's declared body size against the model's (it bounds what the body may allocate).
  std::pair<TransportStatus, std::string> declared_size_check(const pb::UpdateHeader& h) const {
    if (h.total_bytes() != parameters * sizeof(float)) {
      return {TransportStatus::tensor_mismatch, "declared " + std::to_string(h.total_bytes()) +
                                                    " bytes, the model has " + std::to_string(parameters * sizeof(float))};
    }
    return {TransportStatus::ok, ""};
  }

  // Must hold mu. What can be checked of a header whose receipt follows the body (UpdateTrailer)
  // before accepting the body: a known session and the model's size, which bounds what the body
  // may allocate. check_header runs on the completed header once the trailer arrives.
  std::pair<TransportStatus, std::string> check_stream_header(const pb::UpdateHeader& h) {
    using S = TransportStatus;
    if (!session_index(h.session())) return {S::unknown_participant, "unknown session: join first"};
    return declared_size_check(h);
  }
};

namespace {

class Service final : public pb::Aggregator::Service {
 public:
  explicit Service(Aggregator::State& s) : s_(s) {}

  grpc::Status GetChallenge(grpc::ServerContext*, const pb::ChallengeRequest* request,
                            pb::Challenge* reply) override {
    reply->set_version(kProtocolVersion);
    std::lock_guard lock(s_.mu);
    if (request->version() != kProtocolVersion) return refuse(reply, TransportStatus::version_mismatch, kVersionExpected);
    if (request->job_id() != s_.job.config.job.name) return refuse(reply, TransportStatus::wrong_job, "this aggregator runs job \"" + s_.job.config.job.name + "\"");
    auto address = fixed<20>(request->address());
    const auto& allow = s_.job.deployment.allowlist;
    auto it = address ? std::find(allow.begin(), allow.end(), *address) : allow.end();
    if (it == allow.end()) {
      return refuse(reply, TransportStatus::unknown_participant,
                    (address ? to_checksum(*address) : std::string("a malformed address")) + " is not on the allowlist");
    }
    const Hash32 nonce = keccak256(PrivateKey::random().secret());
    reply->set_nonce(bytes_string(nonce.view()));
    s_.nonces[bytes_string(nonce.view())] = {static_cast<std::size_t>(it - allow.begin()), Steady::now()};
    reply->set_status(pb::OK);
    return grpc::Status::OK;
  }

  grpc::Status Join(grpc::ServerContext*, const pb::JoinRequest* request, pb::JoinReply* reply) override {
    reply->set_version(kProtocolVersion);
    std::lock_guard lock(s_.mu);
    if (request->version() != kProtocolVersion) return refuse(reply, TransportStatus::version_mismatch, kVersionExpected);
    auto it = s_.nonces.find(request->nonce());
    if (it == s_.nonces.end() || Steady::now() - it->second.second > std::chrono::seconds(60)) {
      return refuse(reply, TransportStatus::bad_challenge, "unknown or expired nonce: ask for a new challenge");
    }
    const std::size_t index = it->second.first;
    s_.nonces.erase(it);
    const Address& expected = s_.job.deployment.allowlist[index];
    auto signer = eip712::recover_signer(join_digest(request->job_id(), as_bytes(request->nonce())),
                                         as_bytes(request->signature()));
    if (!signer) return refuse(reply, TransportStatus::bad_signature, signer.error().message);
    if (*signer != expected) {
      return refuse(reply, TransportStatus::wrong_signer, "challenge signed by " + to_checksum(*signer) +
                                                              ", expected " + to_checksum(expected));
    }
    const Hash32 session = keccak256(PrivateKey::random().secret());
    // One session per participant: a rejoin (e.g. after a restart) replaces the old one.
    std::erase_if(s_.sessions, [&](const auto& kv) { return kv.second == index; });
    s_.sessions[bytes_string(session.view())] = index;
    s_.last_seen[index] = Steady::now();
    s_.say("participant %zu %s joined", index, to_checksum(expected).c_str());
    s_.bump();
    reply->set_status(pb::OK);
    reply->set_session(bytes_string(session.view()));
    reply->set_participant_index(static_cast<std::uint32_t>(index));
    reply->set_participant_count(static_cast<std::uint32_t>(s_.job.deployment.allowlist.size()));
    reply->set_aggregator_address(bytes_string(s_.key.address().view()));
    reply->set_chain_id(s_.domain.chain_id);
    if (s_.domain.verifying_contract) reply->set_verifying_contract(bytes_string(s_.domain.verifying_contract->view()));
    return grpc::Status::OK;
  }

  grpc::Status GetRoundPlan(grpc::ServerContext* context, const pb::PlanRequest* request,
                            pb::RoundPlan* reply) override {
    std::unique_lock lock(s_.mu);
    reply->set_version(kProtocolVersion);
    if (request->version() != kProtocolVersion) return refuse(reply, TransportStatus::version_mismatch, kVersionExpected);
    auto index = s_.session_index(request->session());
    if (!index) return refuse(reply, TransportStatus::unknown_participant, "unknown session: join again");
    // Long poll: return at once when there is something to do, else wait for a change.
    const auto until = Steady::now() + std::chrono::milliseconds(std::min<std::uint32_t>(request->wait_ms(), 30000));
    auto actionable = [&] {
      if (s_.done) return true;
      if (!s_.open) return false;
      return std::binary_search(s_.selected.begin(), s_.selected.end(), *index) && !s_.accepted.contains(*index);
    };
    while (!actionable() && Steady::now() < until && !context->IsCancelled() && !s_.stopping) {
      s_.cv.wait_until(lock, std::min(until, Steady::now() + std::chrono::milliseconds(200)));
    }
    s_.last_seen[*index] = Steady::now();
    s_.plan_locked(*index, reply);
    return grpc::Status::OK;
  }

  grpc::Status FetchModel(grpc::ServerContext* context, const pb::ModelRequest* request,
                          grpc::ServerWriter<pb::ModelChunk>* writer) override {
    std::shared_ptr<const std::vector<float>> model;
    {
      std::lock_guard lock(s_.mu);
      if (request->version() != kProtocolVersion) return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "VERSION_MISMATCH");
      auto index = s_.session_index(request->session());
      if (!index) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "UNKNOWN_PARTICIPANT: join first");
      if (!s_.open || request->round() != s_.round) {
        return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "WRONG_ROUND: round " + std::to_string(request->round()) + " is not open");
      }
      model = s_.global;
    }
    // Streams from the shared snapshot without the lock: the model of an open round never changes.
    const auto* bytes = reinterpret_cast<const char*>(model->data());
    const std::uint64_t total = model->size() * sizeof(float);
    pb::ModelChunk chunk;
    chunk.set_version(kProtocolVersion);
    chunk.set_round(request->round());
    chunk.set_total_bytes(total);
    for (std::uint64_t offset = 0; offset < total; offset += s_.job.deployment.chunk_bytes) {
      if (context->IsCancelled()) return grpc::Status::CANCELLED;
      const auto n = std::min<std::uint64_t>(s_.job.deployment.chunk_bytes, total - offset);
      chunk.set_offset(offset);
      chunk.set_data(bytes + offset, n);
      if (!writer->Write(chunk)) return grpc::Status::CANCELLED;
    }
    return grpc::Status::OK;
  }

  grpc::Status PushUpdate(grpc::ServerContext*, grpc::ServerReader<pb::UpdateChunk>* reader,
                          pb::PushReply* reply) override {
    reply->set_version(kProtocolVersion);
    pb::UpdateChunk chunk;
    if (!reader->Read(&chunk)) return push_refuse(reply, TransportStatus::malformed, "empty stream");
    if (chunk.version() != kProtocolVersion) return push_refuse(reply, TransportStatus::version_mismatch, kVersionExpected);
    if (!chunk.has_header()) return push_refuse(reply, TransportStatus::malformed, "the first message must be the header");
    pb::UpdateHeader header = std::move(*chunk.mutable_header());
    // Without a receipt in the header, the receipt and signature come in a trailer after the body
    // (the sender hashed while streaming); they get the same checks, once the body is in.
    const bool receipt_follows = !header.has_receipt();
    std::size_t index = 0;
    eip712::UpdateReceipt receipt;
    Hash32 digest;
    std::uint64_t round = 0;
    {
      std::lock_guard lock(s_.mu);
      auto [status, why] = receipt_follows ? s_.check_stream_header(header)
                                           : s_.check_header(header, index, receipt, digest);
      if (status != TransportStatus::ok) return push_refuse_locked(reply, status, why);
      round = s_.round;
    }
    // The body goes straight into one float vector of the model's size; `chunk` is reused for it.
    const std::uint64_t declared = header.total_bytes();
    std::vector<float> delta(declared / sizeof(float));
    auto* out = reinterpret_cast<char*>(delta.data());
    std::uint64_t received = 0;
    // Each chunk is hashed and checked as it arrives, while it is in cache, so neither needs a
    // second pass over the update; the digest equals hash_floats(delta) because the chunks are
    // delta's bytes in order. Refusals keep their order: size, receipt (when it follows), hash,
    // finiteness, norm.
    Sha256 update_hasher;
    const double bound = s_.job.deployment.max_update_norm;
    UpdateScan scan(bound > 0);
    std::optional<pb::UpdateTrailer> trailer;
    while (reader->Read(&chunk)) {
      if (chunk.version() != kProtocolVersion) return push_refuse(reply, TransportStatus::version_mismatch, kVersionExpected);
      if (chunk.has_header()) return push_refuse(reply, TransportStatus::malformed, "a second header in one stream");
      if (trailer) return push_refuse(reply, TransportStatus::malformed, "a message after the trailer");
      if (chunk.has_trailer()) {
        if (!receipt_follows) {
          return push_refuse(reply, TransportStatus::malformed, "a trailer after a header that carried the receipt");
        }
        trailer = std::move(*chunk.mutable_trailer());
        continue;
      }
      const auto& data = chunk.data();
      if (received + data.size() > declared) {
        return push_refuse(reply, TransportStatus::size_exceeded, "the stream carries more than the declared " +
                                                                      std::to_string(declared) + " bytes");
      }
      std::memcpy(out + received, data.data(), data.size());
      update_hasher.update(ByteView(reinterpret_cast<const std::uint8_t*>(out + received), data.size()));
      received += data.size();
      scan.advance(delta, received / sizeof(float));
    }
    if (received != declared) {
      return push_refuse(reply, TransportStatus::malformed, "stream ended after " + std::to_string(received) +
                                                                " of " + std::to_string(declared) + " bytes");
    }
    if (receipt_follows) {
      if (!trailer) {
        return push_refuse(reply, TransportStatus::malformed,
                           "the header carried no receipt and no trailer with one followed the body");
      }
      *header.mutable_receipt() = std::move(*trailer->mutable_receipt());
      header.set_signature(trailer->signature());
      std::lock_guard lock(s_.mu);
      auto [status, why] = s_.check_header(header, index, receipt, digest);
      if (status != TransportStatus::ok) return push_refuse_locked(reply, status, why);
      round = s_.round;
    }
    const Bytes signature(header.signature().begin(), header.signature().end());
    scan.advance(delta, delta.size(), /*last=*/true);
    if (update_hasher.finish() != receipt.update_hash) {
      return push_refuse(reply, TransportStatus::hash_mismatch, "the update's bytes do not hash to the receipt's updateHash");
    }
    if (auto k = scan.first_non_finite()) {
      return push_refuse(reply, TransportStatus::non_finite, "element " + std::to_string(*k) + " is NaN or Inf");
    }
    if (bound > 0 && scan.norm() > bound) {
      return push_refuse(reply, TransportStatus::norm_too_large,
                         "update norm " + std::to_string(scan.norm()) + " exceeds deployment.max_update_norm " +
                             std::to_string(bound));
    }
    std::lock_guard lock(s_.mu);
    if (!s_.open || s_.round != round || unix_ms() > s_.deadline_ms) {
      return push_refuse_locked(reply, TransportStatus::late, "the round closed while the update was uploading");
    }
    if (s_.accepted.contains(index)) return push_refuse_locked(reply, TransportStatus::replay, "this round's update was already accepted");
    Accepted a;
    a.receipt = receipt;
    a.signature = signature;
    a.receipt_digest = digest;
    a.ack = eip712::UpdateAck{.receipt_digest = digest,
                              .aggregator = s_.key.address(),
                              .round = round,
                              .accepted_at_millis = static_cast<std::uint64_t>(unix_ms())};
    a.ack_signature = eip712::sign_digest(s_.key, eip712::digest(s_.domain, a.ack));
    a.delta = std::move(delta);
    reply->set_status(pb::OK);
    auto* ack = reply->mutable_ack();
    ack->set_receipt_digest(bytes_string(a.ack.receipt_digest.view()));
    ack->set_aggregator(bytes_string(a.ack.aggregator.view()));
    ack->set_round(a.ack.round);
    ack->set_accepted_at_millis(a.ack.accepted_at_millis);
    reply->set_ack_signature(bytes_string(a.ack_signature));
    s_.accepted_history.insert({index, round});
    s_.accepted.emplace(index, std::move(a));
    s_.bump();
    return grpc::Status::OK;
  }

  grpc::Status Heartbeat(grpc::ServerContext*, const pb::HeartbeatRequest* request,
                         pb::HeartbeatReply* reply) override {
    std::lock_guard lock(s_.mu);
    reply->set_version(kProtocolVersion);
    if (request->version() != kProtocolVersion) return refuse(reply, TransportStatus::version_mismatch, kVersionExpected);
    if (!s_.session_index(request->session())) return refuse(reply, TransportStatus::unknown_participant, "unknown session: join again");
    reply->set_status(s_.done ? pb::JOB_DONE : pb::OK);
    reply->set_round(s_.round);
    return grpc::Status::OK;
  }

  grpc::Status GetRoundResult(grpc::ServerContext*, const pb::RoundResultRequest* request,
                              pb::RoundResult* reply) override {
    std::lock_guard lock(s_.mu);
    reply->set_version(kProtocolVersion);
    auto index = s_.session_index(request->session());
    if (!index) return refuse(reply, TransportStatus::unknown_participant, "unknown session: join again");
    for (const auto& r : s_.records) {
      if (r.round != request->round()) continue;
      reply->set_status(pb::OK);
      reply->set_round(r.round);
      reply->set_model_hash(bytes_string(r.model_hash.view()));
      reply->set_attribution_root(bytes_string(r.attribution_root.view()));
      reply->set_test_accuracy(r.test_accuracy);
      reply->set_value(r.leaves[*index].value);
      reply->set_included(std::binary_search(r.selected.begin(), r.selected.end(), *index));
      return grpc::Status::OK;
    }
    return refuse(reply, TransportStatus::wrong_round, "round " + std::to_string(request->round()) + " has no result yet");
  }

 private:
  template <class Reply>
  grpc::Status refuse(Reply* reply, TransportStatus status, const std::string& message) {
    // Callers hold the lock.
    s_.count_rejection(status);
    reply->set_status(static_cast<pb::Status>(status));
    reply->set_message(message);
    return grpc::Status::OK;
  }

  grpc::Status push_refuse_locked(pb::PushReply* reply, TransportStatus status, const std::string& message) {
    s_.count_rejection(status);
    s_.say("refused an update: %s: %s", std::string(transport_status_name(status)).c_str(), message.c_str());
    reply->set_status(static_cast<pb::Status>(status));
    reply->set_message(message);
    return grpc::Status::OK;
  }

  grpc::Status push_refuse(pb::PushReply* reply, TransportStatus status, const std::string& message) {
    std::lock_guard lock(s_.mu);
    return push_refuse_locked(reply, status, message);
  }

  Aggregator::State& s_;
};

}  // namespace

Aggregator::Aggregator(std::unique_ptr<State> state) : state_(std::move(state)) {}

Aggregator::~Aggregator() {
  stop();
  if (state_->server) state_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

int Aggregator::port() const { return state_->port; }

void Aggregator::stop() {
  std::lock_guard lock(state_->mu);
  state_->stopping = true;
  state_->cv.notify_all();
}

std::map<std::string, std::uint64_t> Aggregator::rejections() const {
  std::lock_guard lock(state_->mu);
  return state_->rejections;
}

Result<JobSummary> Aggregator::run() { return state_->run(); }

Result<std::unique_ptr<Aggregator>> Aggregator::start(const DeploymentJob& job, const PrivateKey& key,
                                                      const std::filesystem::path& out_dir, RoundSink& sink,
                                                      const AggregatorOptions& options) {
  auto s = std::make_unique<State>();
  s->job = job;
  s->key = key;
  s->out_dir = out_dir;
  s->sink = &sink;
  s->options = options;
  s->progress = options.progress ? options.progress : &std::cerr;
  s->domain = job.deployment.domain();
  s->tensors = tensor_specs(job.config.model);
  s->parameters = parameter_count(job.config.model);
  const std::size_t n = job.deployment.allowlist.size();
  s->last_seen.assign(n, std::nullopt);
  s->told_done.assign(n, false);
  s->samples.assign(n, 0);
  s->total_values.assign(n, 0.0);
  auto method = attribution::parse_method(job.config.attribution.method);
  if (!method) return fail(Errc::config, "attribution.method: " + method.error().message);
  // Per-round participant limits of the method were checked with the job (parse_simulation_config).
  s->method = *method;
  auto strategy = make_strategy(job.config.strategy);
  if (!strategy) return tl::unexpected(strategy.error());
  s->strategy = std::move(*strategy);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return fail(Errc::io, "cannot create run folder " + out_dir.string() + ": " + ec.message());
  FLYWHEEL_TRY(s->load_data());

  bool resumed = false;
  if (options.resume) {
    auto loaded = s->load_checkpoint();
    if (!loaded) return tl::unexpected(loaded.error());
    resumed = *loaded;
  }
  if (!resumed) {
    auto initial = initial_parameters(job.config.model, internal::derive_seed(job.config.job.seed, {kInitStream}));
    if (!initial) return tl::unexpected(initial.error());
    s->global = std::make_shared<const std::vector<float>>(std::move(*initial));
    s->global_hash = hash_floats(*s->global);
  }
  s->metrics.open(out_dir / "metrics.jsonl", resumed ? std::ios::app : std::ios::trunc);
  if (!s->metrics) return fail(Errc::io, "cannot write " + (out_dir / "metrics.jsonl").string());

  // TLS: server certificate and key; a CA (and require_client_cert) turns on mutual TLS.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  const auto& tls = job.deployment.tls;
  if (tls.cert || tls.key) {
    if (!tls.cert || !tls.key) return fail(Errc::config, "deployment.tls needs both cert and key");
    auto cert = read_file(*tls.cert, "TLS file");
    if (!cert) return tl::unexpected(cert.error());
    auto pkey = read_file(*tls.key, "TLS file");
    if (!pkey) return tl::unexpected(pkey.error());
    grpc::SslServerCredentialsOptions ssl(tls.require_client_cert
                                              ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                              : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    if (tls.ca) {
      auto ca = read_file(*tls.ca, "TLS file");
      if (!ca) return tl::unexpected(ca.error());
      ssl.pem_root_certs = *ca;
    } else if (tls.require_client_cert) {
      return fail(Errc::config, "deployment.tls.require_client_cert needs tls.ca to verify clients");
    }
    ssl.pem_key_cert_pairs.push_back({*pkey, *cert});
    credentials = grpc::SslServerCredentials(ssl);
  } else {
    credentials = grpc::InsecureServerCredentials();
  }
  s->service = std::make_unique<Service>(*s);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(job.deployment.listen, credentials, &s->port);
  builder.RegisterService(s->service.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(job.deployment.chunk_bytes + (1 << 16)));
  s->server = builder.BuildAndStart();
  if (!s->server || s->port == 0) {
    return fail(Errc::io, "cannot listen on " + job.deployment.listen + " (address in use or invalid?)");
  }
  const auto colon = job.deployment.listen.rfind(':');
  const std::string endpoint = job.deployment.listen.substr(0, colon) + ":" + std::to_string(s->port);
  FLYWHEEL_TRY(write_atomically(out_dir / "endpoint", endpoint + "\n"));
  s->say("aggregator %s listening on %s (%s), job \"%s\", %zu participants allowed%s",
         to_checksum(key.address()).c_str(), endpoint.c_str(), (tls.cert ? "TLS" : "plaintext"), job.config.job.name.c_str(), n,
         resumed ? (", resumed after round " + std::to_string(s->round)).c_str() : "");
  return std::unique_ptr<Aggregator>(new Aggregator(std::move(s)));
}

}  // namespace flywheel::fedtrain
