// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The deployment participant's loop: join (EIP-191 signed challenge), long-poll the round plan,
// fetch w_t, train (FedAvg ClientUpdate, McMahan et al. 2017), push Δ with an EIP-712 receipt,
// verify the aggregator's EIP-712 ack. Reconnects with exponential backoff.
#include "fedtrain/transport/participant.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <numeric>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "fedtrain/data/dataset.hpp"
#include "fedtrain/data/job_data.hpp"
#include "fedtrain/data/partition.hpp"
#include "fedtrain/data/profile.hpp"
#include "fedtrain/internal/random.hpp"
#include "fedtrain/model/model.hpp"

namespace flywheel::fedtrain {
namespace {

using Steady = std::chrono::steady_clock;

struct LocalData {
  Dataset train;
  std::vector<std::size_t> indices;
  std::vector<std::int64_t> labels;
};

// This participant's rows and labels: the job's one split (fedtrain/data/job_data.hpp), as the
// simulation and the aggregator make it; the test set is not needed here. The split needs every
// row's label, but the participant keeps only its own rows, copied in its order: train_local draws
// batches by position in `indices`, so the batches and the update are the same, and a participant
// holds its share instead of the whole job's training set (with 200 participants of 20 samples,
// 63 kB instead of 12.9 MB each).
Result<LocalData> load_local_data(const SimulationConfig& config, std::size_t index) {
  auto data = load_job_data(config, /*with_test_set=*/false);
  if (!data) return tl::unexpected(data.error());
  auto shares = split_among_participants(config, data->train, data->pool_indices);
  if (!shares) return tl::unexpected(shares.error());
  ParticipantData& mine = (*shares)[index];
  LocalData local{.train = {}, .indices = {}, .labels = std::move(mine.labels)};
  local.train.images.reserve(mine.indices.size() * Dataset::kFeatures);
  local.train.labels.reserve(mine.indices.size());
  for (const std::size_t row : mine.indices) {
    const auto pixels = data->train.row(row);
    local.train.images.insert(local.train.images.end(), pixels.begin(), pixels.end());
    local.train.labels.push_back(data->train.labels[row]);
  }
  local.indices.resize(mine.indices.size());
  std::iota(local.indices.begin(), local.indices.end(), std::size_t{0});
  return local;
}

// What rank 0 of a data-parallel participant broadcasts before each round it trains (then the
// global model's floats); kStop ends the other ranks' loop.
struct TrainOrder {
  std::uint64_t command = 0;  // kTrain or kStop
  std::uint64_t seed = 0;
  double proximal_mu = 0;
  std::uint64_t floats = 0;
};
constexpr std::uint64_t kTrain = 1;
constexpr std::uint64_t kStop = 2;

Result<void> broadcast_order(DataParallelGroup& group, TrainOrder& order) {
  return group.broadcast(std::span(reinterpret_cast<std::uint8_t*>(&order), sizeof order));
}

Result<void> broadcast_floats(DataParallelGroup& group, std::vector<float>& values) {
  return group.broadcast(std::span(reinterpret_cast<std::uint8_t*>(values.data()), values.size() * sizeof(float)));
}

Result<std::size_t> allowlist_index(const DeploymentJob& job, const Address& address) {
  const auto& allow = job.deployment.allowlist;
  auto it = std::find(allow.begin(), allow.end(), address);
  if (it == allow.end()) {
    return fail(Errc::config, to_checksum(address) + " is not on the job's deployment.allowlist");
  }
  return static_cast<std::size_t>(it - allow.begin());
}

class Participant {
 public:
  Participant(const DeploymentJob& job, const PrivateKey& key, const ParticipantOptions& options)
      : job_(job), key_(key), options_(options), progress_(options.progress ? options.progress : &std::cerr) {}

  Result<ParticipantReport> run() {
    auto index = allowlist_index(job_, key_.address());
    if (!index) return tl::unexpected(index.error());
    index_ = *index;
    auto data = load_local_data(job_.config, index_);
    if (!data) return tl::unexpected(data.error());
    data_ = std::move(*data);
    say("participant %zu %s: %zu samples, profile %s", index_, to_checksum(key_.address()).c_str(),
        data_.indices.size(), profile_name(job_.config.participants.profiles[index_]).c_str());
    if (options_.data_parallel != nullptr) {
      const auto backend = options_.data_parallel->backend();
      say("participant %zu: training data-parallel on %zu ranks (%.*s all-reduce)", index_,
          options_.data_parallel->size(), static_cast<int>(backend.size()), backend.data());
    }
    if (options_.out_dir) {
      std::error_code ec;
      std::filesystem::create_directories(*options_.out_dir, ec);
      acks_.open(*options_.out_dir / "acks.jsonl", std::ios::app);
    }
    const std::string target = options_.aggregator.value_or(job_.deployment.aggregator);
    auto client = TransportClient::connect(target, job_.deployment.tls, job_.deployment.chunk_bytes);
    if (!client) return tl::unexpected(client.error());
    client_.emplace(std::move(*client));

    FLYWHEEL_TRY(join_with_backoff());
    std::atomic<bool> running = true;
    std::thread heartbeat([&] {
      while (running) {
        if (!hanging_) (void)client_->heartbeat();
        for (int k = 0; k < 10 && running; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
    auto result = loop();
    running = false;
    heartbeat.join();
    if (!result) return tl::unexpected(result.error());
    say("participant %zu: job done (%llu updates accepted, %llu refused)", index_,
        static_cast<unsigned long long>(report_.updates_accepted),
        static_cast<unsigned long long>(report_.updates_refused));
    return report_;
  }

 private:
  template <class... Args>
  void say(const char* format, Args... args) {
    if (options_.quiet) return;
    char line[1024];
    std::snprintf(line, sizeof line, format, args...);
    *progress_ << line << '\n' << std::flush;
  }

  // Joins, retrying while the aggregator cannot be reached (it may be starting or restarting),
  // with a "retrying" line at the first failure and every 10 s; errors that retrying cannot cure
  // (a refused join, a TLS mismatch, an address that does not resolve or is not an aggregator)
  // end the run at once.
  Result<void> join_with_backoff() {
    double backoff = 0.1;
    const auto start = Steady::now();
    auto next_line = start;
    while (true) {
      auto joined = client_->join(job_.config.job.name, key_);
      // A participant that comes back after the last round (it missed the aggregator's JOB_DONE)
      // is told so at its join: the job is over, nothing failed.
      if (joined && joined->status == TransportStatus::job_done) {
        job_over_ = true;
        say("participant %zu: the aggregator says the job has finished", index_);
        return {};
      }
      if (joined && joined->status == TransportStatus::ok) {
        domain_ = joined->domain;
        aggregator_ = joined->aggregator;
        if (next_line != start) say("participant %zu: joined the aggregator", index_);
        return {};
      }
      // BAD_CHALLENGE: our nonce expired before our signed join arrived (a slow signer, or an
      // aggregator restarted in between with a new challenge secret). A fresh challenge cures it:
      // retried like an outage. Every other refusal is final.
      const bool stale_nonce = joined && joined->status == TransportStatus::bad_challenge;
      if (joined && !stale_nonce) {
        return fail(Errc::crypto, "the aggregator refused the join: " +
                                      std::string(transport_status_name(joined->status)) + ": " + joined->message);
      }
      if (!joined && joined.error().code != Errc::rpc) return tl::unexpected(joined.error());
      const std::string why = joined ? "the aggregator did not take our join challenge (" + joined->message + ")"
                                     : "cannot reach the aggregator (" + joined.error().message + ")";
      const double waited = std::chrono::duration<double>(Steady::now() - start).count();
      if (waited > options_.give_up_s) {
        return fail(Errc::rpc, "gave up after " + std::to_string(static_cast<long long>(waited)) + " s: " + why);
      }
      if (Steady::now() >= next_line) {
        say("participant %zu: %s; retrying for up to %.0f s more", index_, why.c_str(), options_.give_up_s - waited);
        next_line = Steady::now() + std::chrono::seconds(10);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(backoff * 1000)));
      backoff = std::min(backoff * 2, options_.max_backoff_s);
    }
  }

  // `why`: what made us rejoin, said so that a log tells an aggregator that forgot our session
  // (it restarted) from one that stopped answering (a network fault, an overloaded machine).
  Result<void> rejoin(const std::string& why) {
    ++report_.rejoins;
    last_pushed_ = 0;  // a restarted aggregator may reopen a round we pushed to: push again
    say("participant %zu: %s; rejoining", index_, why.c_str());
    return join_with_backoff();
  }

  Result<void> loop() {
    while (true) {
      if (job_over_) return {};
      auto plan = client_->round_plan(2000);
      if (!plan) {
        FLYWHEEL_TRY(rejoin("the aggregator did not answer (" + plan.error().message + ")"));
        continue;
      }
      if (plan->status == TransportStatus::job_done) return {};
      if (plan->status == TransportStatus::unknown_participant) {
        FLYWHEEL_TRY(rejoin("lost the aggregator's session"));
        continue;
      }
      if (plan->round == 0 || !plan->selected || plan->submitted || plan->round == last_pushed_) continue;
      auto outcome = train_and_push(*plan);
      if (!outcome) {
        say("participant %zu: round %llu: %s", index_, static_cast<unsigned long long>(plan->round),
            outcome.error().message.c_str());
        if (outcome.error().code == Errc::rpc) FLYWHEEL_TRY(rejoin("the push did not reach the aggregator"));
        if (outcome.error().code == Errc::crypto) return tl::unexpected(outcome.error());
      }
    }
  }

  Result<void> train_and_push(const RoundPlanInfo& plan) {
    auto global = client_->fetch_model(plan.round, plan.model_bytes, plan.model_hash);
    if (!global) return tl::unexpected(global.error());
    if (options_.hang_in_round == plan.round) {
      say("fault: participant %zu hanging in round %llu", index_, static_cast<unsigned long long>(plan.round));
      hanging_ = true;
      while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    TrainConfig training = job_.config.training;
    training.seed = plan.train_seed;
    training.proximal_mu = plan.proximal_mu;
    Result<LocalResult> local = fail(Errc::internal, "not trained");
    if (sends_global_model(job_.config.participants.profiles[index_])) {  // "free-rider"
      local = global_model_sent_back(global->size(), data_.indices.size());
    } else {
      if (auto* group = options_.data_parallel; group != nullptr) {
        TrainOrder order{
            .command = kTrain, .seed = training.seed, .proximal_mu = training.proximal_mu, .floats = global->size()};
        FLYWHEEL_TRY(broadcast_order(*group, order));
        FLYWHEEL_TRY(broadcast_floats(*group, *global));
      }
      local = train_local(job_.config.model, *global, data_.train, data_.indices, training, data_.labels,
                          options_.data_parallel);
    }
    if (!local) return tl::unexpected(local.error());
    // The update hash is filled in and the receipt signed while the update streams (the hash
    // overlaps the transfer); the receipt follows the body in the stream's trailer.
    const eip712::UpdateReceipt receipt{
        .job_id = job_.config.job.name,
        .round = plan.round,
        .participant = key_.address(),
        .start_model_hash = plan.model_hash,
        .update_hash = {},
        .samples = local->samples,
        .compute_units = local->samples * training.local_epochs,
        // Measured time only where the job asks for it: otherwise 0, so the round's root does not
        // depend on this machine's speed (SimulationConfig::measure_compute_time).
        .compute_millis = job_.config.measure_compute_time ? static_cast<std::uint64_t>(local->seconds * 1000) : 0};
    UpdateSubmission submission{
        .receipt = receipt,
        .signature = {},
        .tensors = plan.tensors,
        .body =
            ByteView(reinterpret_cast<const std::uint8_t*>(local->update.data()), local->update.size() * sizeof(float)),
        .declared_bytes = std::nullopt,
        .session = std::nullopt,
        .sign_while_streaming = UpdateSubmission::StreamSigner{.key = &key_, .domain = domain_}};
    auto outcome = client_->push_update(submission);
    if (!outcome) return tl::unexpected(outcome.error());
    last_pushed_ = plan.round;
    if (outcome->status != TransportStatus::ok) {
      ++report_.updates_refused;
      return fail(Errc::invalid_argument,
                  "update refused: " + std::string(transport_status_name(outcome->status)) + ": " + outcome->message);
    }
    const Hash32 digest = outcome->receipt_digest;
    auto signer = eip712::recover_signer(eip712::digest(domain_, outcome->ack), outcome->ack_signature);
    if (!signer || *signer != aggregator_ || outcome->ack.receipt_digest != digest) {
      return fail(Errc::crypto, "the aggregator's ack does not verify against its address and our receipt");
    }
    // A round accepted before can come again when the aggregator restarted before it recorded
    // the round: it is redone, and counted once.
    const bool again = !accepted_rounds_.insert(plan.round).second;
    if (!again) ++report_.updates_accepted;
    if (acks_.is_open()) {
      nlohmann::json line{{"round", plan.round},
                          {"receipt_digest", digest.hex()},
                          {"ack_signature", to_hex(outcome->ack_signature)},
                          {"accepted_at_millis", outcome->ack.accepted_at_millis}};
      if (again) line["replaces_earlier_ack"] = true;
      acks_ << line.dump() << '\n' << std::flush;
    }
    if (again) {
      say("participant %zu: round %llu update accepted again (the aggregator restarted before recording the "
          "round and redid it; this ack replaces the earlier one)",
          index_, static_cast<unsigned long long>(plan.round));
    } else {
      say("participant %zu: round %llu update accepted (%llu samples, loss %.4f)", index_,
          static_cast<unsigned long long>(plan.round), static_cast<unsigned long long>(local->samples),
          local->mean_loss);
    }
    return {};
  }

  const DeploymentJob& job_;
  const PrivateKey& key_;
  ParticipantOptions options_;
  std::ostream* progress_;
  std::size_t index_ = 0;
  LocalData data_;
  std::optional<TransportClient> client_;
  eip712::Domain domain_;
  Address aggregator_;
  std::uint64_t last_pushed_ = 0;
  std::set<std::uint64_t> accepted_rounds_;
  std::atomic<bool> hanging_ = false;
  bool job_over_ = false;  // a join was answered JOB_DONE
  ParticipantReport report_;
  std::ofstream acks_;
};

}  // namespace

Result<ParticipantReport> run_participant(const DeploymentJob& job, const PrivateKey& key,
                                          const ParticipantOptions& options) {
  Participant participant(job, key, options);
  auto report = participant.run();
  if (options.data_parallel != nullptr) {
    // However the job ended on rank 0 (done, refused, unreachable), release the other ranks.
    TrainOrder stop{.command = kStop};
    if (auto sent = broadcast_order(*options.data_parallel, stop); !sent && report) {
      return tl::unexpected(sent.error());
    }
  }
  return report;
}

Result<void> run_participant_rank(const DeploymentJob& job, const PrivateKey& key, DataParallelGroup& group) {
  if (group.rank() == 0) {
    return fail(Errc::invalid_argument, "rank 0 of a data-parallel participant runs run_participant");
  }
  auto index = allowlist_index(job, key.address());
  if (!index) return tl::unexpected(index.error());
  auto data = load_local_data(job.config, *index);
  if (!data) return tl::unexpected(data.error());
  std::vector<float> global;
  while (true) {
    TrainOrder order;
    FLYWHEEL_TRY(broadcast_order(group, order));
    if (order.command == kStop) return {};
    if (order.command != kTrain) {
      return fail(Errc::internal, "rank " + std::to_string(group.rank()) + " received an unknown order " +
                                      std::to_string(order.command) + " from rank 0");
    }
    global.resize(order.floats);
    FLYWHEEL_TRY(broadcast_floats(group, global));
    TrainConfig training = job.config.training;
    training.seed = order.seed;
    training.proximal_mu = order.proximal_mu;
    auto local = train_local(job.config.model, global, data->train, data->indices, training, data->labels, &group);
    if (!local) return tl::unexpected(local.error());
  }
}

}  // namespace flywheel::fedtrain
