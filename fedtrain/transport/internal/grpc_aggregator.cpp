// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The deployment aggregator over gRPC (proto/flywheel.proto): the round pipeline
// (fedtrain/round/pipeline.hpp) with an update source whose participants are other processes.
// This file holds what only a deployment has: joins by signed challenge (EIP-191), round plans
// and model streams, and the checks of every incoming update (session, EIP-712 receipt and its
// signature, job, round, selection, start model, tensors, size, hash, finiteness, norm), each
// refusal with its status and message. Selection, training rounds, attribution and the run
// folder are the pipeline's, exactly as in a simulation.
//
// Why one file of ~900 lines: the update source and the gRPC handlers share one lock and one
// state (the open round, the sessions, the accepted updates); split, that state would become a
// header every part includes.
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

#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/method_handler.h>
#include <malloc.h>
#include <nlohmann/json.hpp>

#include "attribution/estimator.hpp"
#include "attribution/merkle.hpp"
#include "attribution/shares.hpp"
#include "common/eip712.hpp"
#include "common/file_io.hpp"
#include "common/keccak.hpp"
#include "common/sha256.hpp"
#include "fedtrain/data/dataset.hpp"
#include "fedtrain/data/job_data.hpp"
#include "fedtrain/data/profile.hpp"
#include "fedtrain/internal/random.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/round/pipeline.hpp"
#include "fedtrain/strategy/strategy.hpp"
#include "fedtrain/transport/aggregator.hpp"
#include "fedtrain/valuation/attribution_replay.hpp"
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
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
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

// A peer-supplied name as messages show it: its first 64 bytes, printable ASCII kept and every
// other byte written \xNN, so a refusal never echoes a huge field back and is always valid UTF-8
// (a reply's message is a proto `string`).
std::string shown(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 64)) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f && b != '\\') {
      out += c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += {'\\', 'x', kHex[b >> 4], kHex[b & 15]};
    }
  }
  if (text.size() > 64) out += "… (" + std::to_string(text.size()) + " bytes)";
  return out;
}

// The first field of `message`, or of a message inside it, that its type does not define, as
// "flywheel.v1.UpdateHeader field 17"; none when every field is the protocol's. Protobuf keeps
// such fields aside silently: a peer of this protocol version never sends one.
std::optional<std::string> unknown_field(const google::protobuf::Message& message) {
  const auto* reflection = message.GetReflection();
  if (const auto& unknown = reflection->GetUnknownFields(message); !unknown.empty()) {
    return message.GetDescriptor()->full_name() + " field " + std::to_string(unknown.field(0).number());
  }
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (!field->is_repeated()) {
      if (auto inner = unknown_field(reflection->GetMessage(message, field))) return inner;
      continue;
    }
    for (int k = 0; k < reflection->FieldSize(message, field); ++k) {
      if (auto inner = unknown_field(reflection->GetRepeatedMessage(message, field, k))) return inner;
    }
  }
  return std::nullopt;
}

// The gRPC status code a refusal ends its call with (proto/flywheel.proto, "Refusals").
grpc::StatusCode grpc_code(TransportStatus status) {
  using S = TransportStatus;
  using C = grpc::StatusCode;
  switch (status) {
    case S::ok:
      return C::OK;
    case S::unknown_participant:
    case S::bad_challenge:
    case S::bad_signature:
      return C::UNAUTHENTICATED;
    case S::wrong_signer:
    case S::not_selected:
      return C::PERMISSION_DENIED;
    case S::replay:
      return C::ALREADY_EXISTS;
    case S::version_mismatch:
    case S::wrong_job:
    case S::wrong_round:
    case S::stale_model:
    case S::late:
    case S::job_done:
      return C::FAILED_PRECONDITION;
    case S::tensor_mismatch:
    case S::non_finite:
    case S::norm_too_large:
    case S::size_exceeded:
    case S::hash_mismatch:
    case S::malformed:
      return C::INVALID_ARGUMENT;
  }
  return C::UNKNOWN;
}

// "layers.0.weight [16, 784] float32": a tensor spec as refusals show it.
std::string describe(const TensorSpec& t) {
  std::string shape;
  for (auto d : t.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
  return shown(t.name) + " [" + shape + "] " + shown(t.dtype);
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

// The deployment's update source (fedtrain/round/pipeline.hpp): participants join over gRPC, the
// round's plan and model go out to them, their signed updates come in through the checks of the
// request handlers below, and the pipeline does the rest exactly as for a simulation.
struct Aggregator::State final : UpdateSource {
  DeploymentJob job;
  PrivateKey key;
  std::filesystem::path out_dir;
  RoundSink* sink = nullptr;
  AggregatorOptions options;
  std::ostream* progress = nullptr;
  eip712::Domain domain;
  std::vector<TensorSpec> tensors;
  std::size_t parameters = 0;
  JobData data;

  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<pb::Aggregator::Service> service;
  int port = 0;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::uint64_t epoch = 0;                                // bumps on every change participants may wait for
  std::map<std::string, Steady::time_point> used_nonces;  // nonces joined with, until they expire
  Hash32 challenge_secret;                                // random per process
  std::map<std::string, std::size_t> sessions;
  std::vector<std::optional<Steady::time_point>> last_seen;
  std::vector<bool> told_done;
  std::set<std::pair<std::size_t, std::uint64_t>> accepted_history;
  std::map<std::string, std::uint64_t> rejection_counts;  // refusals by Status name, and limits hit
  std::set<std::string> limits_told;                      // limits already said in the log
  bool rejections_dirty = false;                          // rejections.json is behind the counters

  std::uint64_t round = 0;  // the open round, or the last closed one
  bool open = false;
  bool done = false;
  bool stopping = false;
  std::vector<std::size_t> selected;
  std::int64_t deadline_ms = 0;
  std::shared_ptr<const std::vector<float>> global;
  Hash32 global_hash;
  std::map<std::size_t, Accepted> accepted;
  double proximal_mu = 0;            // the open round's μ for local training
  std::vector<RoundRecord> records;  // closed rounds, for GetRoundResult

  // Update and model streams in flight: the watchdog closes those idle for
  // deployment.stream_idle_timeout_s and those open longer than deployment.stream_max_s, so a
  // silent, stalled or trickling peer does not hold a server thread.
  enum class StreamKind { update, model };
  struct OpenStream {
    StreamKind kind;
    Steady::time_point opened;
    Steady::time_point last;           // the last message in (update) or out (model)
    std::optional<std::size_t> owner;  // the participant, once its session is known
    bool closing = false;              // cancelled by the watchdog
  };
  std::mutex streams_mu;
  std::map<grpc::ServerContext*, OpenStream> streams;
  std::atomic<bool> watching{true};
  std::thread watchdog;

  // At most two streams of each kind per allowlisted participant, plus a few, at once; and at most
  // two of each kind per participant.
  static constexpr std::size_t kStreamsPerParticipant = 2;
  [[nodiscard]] std::size_t max_streams() const { return kStreamsPerParticipant * job.deployment.allowlist.size() + 8; }

  void watch_streams() {
    const auto idle = std::chrono::milliseconds(static_cast<std::int64_t>(job.deployment.stream_idle_timeout_s * 1000));
    const auto longest = std::chrono::milliseconds(static_cast<std::int64_t>(job.deployment.stream_max_s * 1000));
    auto trimmed = Steady::now();
    while (watching) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::size_t idle_closed = 0;
      std::size_t long_closed = 0;
      {
        std::lock_guard lock(streams_mu);
        const auto now = Steady::now();
        for (auto& [context, stream] : streams) {
          if (stream.closing) continue;
          const bool is_idle = now - stream.last > idle;
          if (!is_idle && now - stream.opened <= longest) continue;
          context->TryCancel();
          stream.closing = true;
          ++(is_idle ? idle_closed : long_closed);
        }
      }
      if (idle_closed > 0 || long_closed > 0) {
        std::lock_guard lock(mu);
        if (idle_closed > 0) {
          count_limit("IDLE_TIMEOUT", idle_closed,
                      "a stream sent or read nothing for deployment.stream_idle_timeout_s (" +
                          std::to_string(job.deployment.stream_idle_timeout_s) + " s) and was closed");
        }
        if (long_closed > 0) {
          count_limit("STREAM_TOO_LONG", long_closed,
                      "a stream stayed open longer than deployment.stream_max_s (" +
                          std::to_string(job.deployment.stream_max_s) + " s) and was closed");
        }
      }
      write_rejections(false);
      // A flood of calls leaves freed memory in the allocator's per-thread arenas; hand it back to
      // the system so the process returns to its working size once the flood is over.
      if (Steady::now() - trimmed > std::chrono::seconds(10)) {
        ::malloc_trim(0);
        trimmed = Steady::now();
      }
    }
  }

  // Must hold mu. Counts `n` hits of the limit `name` with the refusals (rejections.json and every
  // metrics line) and says the first one in the log.
  void count_limit(const std::string& name, std::uint64_t n, const std::string& what) {
    rejection_counts[name] += n;
    rejections_dirty = true;
    if (limits_told.insert(name).second) say("limit %s: %s (counted in rejections.json)", name.c_str(), what.c_str());
  }

  // Writes rejections.json when the counters changed (at most once a second unless `now`): a flood
  // of refused calls must not become a flood of file writes.
  void write_rejections(bool now) {
    static constexpr auto kEvery = std::chrono::seconds(1);
    std::string text;
    {
      std::lock_guard lock(mu);
      if (!rejections_dirty || (!now && Steady::now() - rejections_written < kEvery)) return;
      rejections_dirty = false;
      rejections_written = Steady::now();
      text = Json(rejection_counts).dump(2) + "\n";
    }
    (void)write_atomically(out_dir / "rejections.json", text);  // best effort: also in every metrics line
  }
  Steady::time_point rejections_written{};

  template <class... Args>
  void say(const char* format, Args... args) {
    if (options.quiet) return;
    char line[1024];
    std::snprintf(line, sizeof line, format, args...);
    *progress << line << '\n' << std::flush;
  }

  // Must hold mu.
  void count_rejection(TransportStatus status) {
    ++rejection_counts[std::string(transport_status_name(status))];
    rejections_dirty = true;
  }

  // Challenges store nothing, so a flood of GetChallenge calls can neither fill a table nor push a
  // participant's own nonce out of one: a nonce is the time it was issued (8 bytes, big-endian
  // milliseconds of this process's steady clock) followed by the first 24 bytes of
  // keccak256(challenge_secret ‖ address ‖ those 8 bytes), which Join recomputes from the
  // request's address. Only the nonces of joins whose signature verified are kept, until they
  // expire, so that each nonce joins once.
  static constexpr std::chrono::seconds kNonceLifetime{60};
  static constexpr std::size_t kNonceBytes = 32;

  static std::uint64_t steady_ms() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now().time_since_epoch()).count());
  }

  [[nodiscard]] std::string nonce_for(const Address& address, std::uint64_t issued_ms) const {
    std::string nonce(8, '\0');
    for (int k = 0; k < 8; ++k) nonce[k] = static_cast<char>(issued_ms >> (56 - 8 * k));
    Bytes input(challenge_secret.view().begin(), challenge_secret.view().end());
    input.insert(input.end(), address.view().begin(), address.view().end());
    input.insert(input.end(), nonce.begin(), nonce.end());
    const Hash32 mac = keccak256(input);
    nonce.append(reinterpret_cast<const char*>(mac.view().data()), kNonceBytes - 8);
    return nonce;
  }

  // Whether `nonce` is one this process issued for `address` less than kNonceLifetime ago. The
  // comparison takes the same time wherever the bytes differ.
  [[nodiscard]] bool nonce_valid(const std::string& nonce, const Address& address) const {
    if (nonce.size() != kNonceBytes) return false;
    std::uint64_t issued = 0;
    for (int k = 0; k < 8; ++k) issued = (issued << 8) | static_cast<std::uint8_t>(nonce[k]);
    const std::uint64_t now = steady_ms();
    if (issued > now || now - issued > static_cast<std::uint64_t>(kNonceLifetime.count()) * 1000) return false;
    const std::string expected = nonce_for(address, issued);
    unsigned char diff = 0;
    for (std::size_t k = 0; k < kNonceBytes; ++k) diff |= static_cast<unsigned char>(nonce[k] ^ expected[k]);
    return diff == 0;
  }

  // The position of `address` on the job's allowlist (its participant index), if it is there.
  [[nodiscard]] std::optional<std::size_t> allowlist_index(const Address& address) const {
    const auto& allow = job.deployment.allowlist;
    const auto it = std::find(allow.begin(), allow.end(), address);
    if (it == allow.end()) return std::nullopt;
    return static_cast<std::size_t>(it - allow.begin());
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

  // ---- the update source -----------------------------------------------------------------------

  // A round opens when at least min_updates participants are alive. The first round this process
  // runs (round 1, or the first after --resume) waits up to start_timeout_s for everyone; later
  // rounds open as soon as the quorum is alive.
  Result<std::vector<std::size_t>> candidates(std::uint64_t r, bool first_of_run) override {
    const auto& d = job.deployment;
    const auto start = Steady::now();
    bool told = false;
    std::unique_lock lock(mu);
    while (true) {
      if (stopping) return fail(Errc::timeout, "aggregator stopped");
      auto alive = live();
      const bool waited =
          Steady::now() - start >= std::chrono::milliseconds(static_cast<std::int64_t>(d.start_timeout_s * 1000));
      const bool everyone = alive.size() == d.allowlist.size();
      if (alive.size() >= d.min_updates && (everyone || waited || !first_of_run)) return alive;
      if (!told) {
        say("round %llu: waiting for participants (%zu of %zu joined, %s)", static_cast<unsigned long long>(r),
            alive.size(), d.allowlist.size(),
            first_of_run
                ? ("everyone for up to " + std::to_string(static_cast<long long>(d.start_timeout_s)) + " s").c_str()
                : ("a quorum of " + std::to_string(d.min_updates)).c_str());
        told = true;
      }
      cv.wait_for(lock, std::chrono::milliseconds(50));
    }
  }

  // Publishes the round to the participants and waits until it may close: every selected
  // participant's update was accepted, or the deadline passed with at least min_updates (otherwise
  // the deadline moves on by round_timeout_s).
  Result<std::vector<SourcedUpdate>> collect(const RoundOpening& opening) override {
    const auto& d = job.deployment;
    std::unique_lock lock(mu);
    selected = opening.selected;
    round = opening.round;
    global = opening.model;
    global_hash = opening.model_hash;
    proximal_mu = opening.proximal_mu;
    open = true;
    accepted.clear();
    deadline_ms = unix_ms() + static_cast<std::int64_t>(d.round_timeout_s * 1000);
    bump();
    say("round %llu opened: %zu participants selected, deadline in %.0f s", static_cast<unsigned long long>(round),
        selected.size(), d.round_timeout_s);
    while (true) {
      if (stopping) return fail(Errc::timeout, "aggregator stopped");
      const bool all = accepted.size() == selected.size();
      const bool past = unix_ms() >= deadline_ms;
      if (all || (past && accepted.size() >= d.min_updates)) {
        open = false;
        std::vector<SourcedUpdate> out;
        for (auto i : selected) {
          auto it = accepted.find(i);
          if (it == accepted.end()) continue;
          Accepted& a = it->second;
          out.push_back(SourcedUpdate{
              .participant = i,
              .proof =
                  SignedReceipt{
                      .receipt = a.receipt, .signature = a.signature, .ack = a.ack, .ack_signature = a.ack_signature},
              .receipt_digest = a.receipt_digest,
              .delta = std::move(a.delta),
              .train_loss = std::nullopt});
        }
        if (!all) {
          std::string missing;
          for (auto i : selected) {
            if (!accepted.contains(i))
              missing += (missing.empty() ? "" : ", ") + to_checksum(job.deployment.allowlist[i]);
          }
          say("round %llu: closing with %zu of %zu updates; no update from %s", static_cast<unsigned long long>(round),
              out.size(), selected.size(), missing.c_str());
        }
        accepted.clear();
        bump();
        return out;
      }
      if (past) {
        say("round %llu: deadline passed with %zu of %zu updates (quorum %zu); waiting %.0f s more",
            static_cast<unsigned long long>(round), accepted.size(), selected.size(), d.min_updates, d.round_timeout_s);
        deadline_ms = unix_ms() + static_cast<std::int64_t>(d.round_timeout_s * 1000);
        bump();
      }
      cv.wait_for(lock, std::chrono::milliseconds(50));
    }
  }

  void closed(const RoundRecord& record, std::shared_ptr<const std::vector<float>> next) override {
    std::lock_guard lock(mu);
    records.push_back(record);
    round = std::max(round, record.round);
    global = std::move(next);
    global_hash = record.model_hash;
    bump();
  }

  std::map<std::string, std::uint64_t> rejections() const override {
    std::lock_guard lock(mu);
    return rejection_counts;
  }

  std::optional<Address> aggregator() const override { return key.address(); }

  // Tells everyone the job ended: JOB_DONE until each participant alive (seen within liveness_s)
  // heard it, or a grace period passed: twice the liveness window plus the longest plan poll and
  // its reply (12 s), at least 5 s, so that a participant busy or slowed down (200 processes on
  // two cores) still asks once more. One that comes back later hears JOB_DONE at its join.
  void job_done(const JobSummary&) override {
    std::unique_lock lock(mu);
    done = true;
    bump();
    const auto window = std::chrono::milliseconds(static_cast<std::int64_t>(job.deployment.liveness_s * 1000));
    const auto grace = std::max(std::chrono::milliseconds(5000), 2 * window + std::chrono::milliseconds(12000));
    auto everyone_told = [&] {
      const auto now = Steady::now();
      for (std::size_t i = 0; i < told_done.size(); ++i) {
        if (last_seen[i] && now - *last_seen[i] <= window && !told_done[i]) return false;
      }
      return true;
    };
    // Re-checked every 200 ms as well as on every change: a participant drops out of the liveness
    // window without anything happening.
    for (const auto until = Steady::now() + grace; !everyone_told() && Steady::now() < until;) {
      cv.wait_for(lock, std::chrono::milliseconds(200));
    }
    say("job done: %zu rounds, attribution.json written", records.size());
    lock.unlock();
    write_rejections(true);
  }

  Result<JobSummary> run() {
    std::vector<ParticipantInfo> infos;
    for (std::size_t i = 0; i < job.deployment.allowlist.size(); ++i) {
      infos.push_back(ParticipantInfo{.address = job.deployment.allowlist[i],
                                      .profile = std::string(profile_name(job.config.participants.profiles[i])),
                                      .samples = 0});
    }
    return run_rounds(
        job.config, data, std::move(infos), *this, out_dir, *sink,
        PipelineOptions{
            .threads = options.threads, .progress = progress, .quiet = options.quiet, .resume = options.resume});
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
    reply->set_proximal_mu(proximal_mu);
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
    if (!allowlist_index(*participant)) {
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
      return {S::wrong_job,
              "receipt is for job \"" + shown(receipt.job_id) + "\", this is \"" + job.config.job.name + "\""};
    }
    // The sample count weighs the update in the merge and the valuation: none, or more than the
    // job's participants hold together, is not a claim a real update can make.
    if (receipt.samples == 0) return {S::malformed, "receipt.samples is 0: an update trains on at least one sample"};
    if (receipt.samples > data.pool_indices.size()) {
      return {S::malformed, "receipt.samples is " + std::to_string(receipt.samples) + ", more than the " +
                                std::to_string(data.pool_indices.size()) +
                                " training samples the job's participants hold"};
    }
    if (receipt.compute_units != receipt.samples * job.config.training.local_epochs) {
      return {S::malformed, "receipt.computeUnits is " + std::to_string(receipt.compute_units) +
                                "; it must be samples × "
                                "training.local_epochs = " +
                                std::to_string(receipt.samples * job.config.training.local_epochs)};
    }
    if (!job.config.measure_compute_time && receipt.compute_millis != 0) {
      return {S::malformed, "receipt.computeMillis is " + std::to_string(receipt.compute_millis) +
                                "; it must be 0 because the job does not measure compute time "
                                "(training.measure_compute_time)"};
    }
    if (receipt.round < round || (receipt.round == round && !open)) {
      if (accepted_history.contains({index, receipt.round})) {
        return {S::replay, "an update for round " + std::to_string(receipt.round) + " was already accepted"};
      }
      return {S::late, "round " + std::to_string(receipt.round) + " is closed"};
    }
    if (receipt.round != round) {
      return {S::wrong_round,
              "round " + std::to_string(receipt.round) + " is not open (current " + std::to_string(round) + ")"};
    }
    if (accepted.contains(index)) return {S::replay, "this round's update was already accepted"};
    if (unix_ms() > deadline_ms) return {S::late, "the round's deadline passed"};
    if (!std::binary_search(selected.begin(), selected.end(), index)) {
      return {S::not_selected, "not selected for round " + std::to_string(round)};
    }
    if (receipt.start_model_hash != global_hash) {
      return {S::stale_model,
              "update started from " + receipt.start_model_hash.hex() + ", the round's model is " + global_hash.hex()};
    }
    std::vector<TensorSpec> sent;
    for (const auto& t : h.tensors()) {
      sent.push_back(TensorSpec{.name = t.name(), .shape = {t.shape().begin(), t.shape().end()}, .dtype = t.dtype()});
    }
    if (sent != tensors) {
      std::string why = "tensors differ from the model's";
      for (std::size_t k = 0; k < std::min(sent.size(), tensors.size()); ++k) {
        if (sent[k] != tensors[k]) {
          why = "tensor " + std::to_string(k) + " is " + describe(sent[k]) + ", the model's is " + describe(tensors[k]);
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
                                                    " bytes, the model has " +
                                                    std::to_string(parameters * sizeof(float))};
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

using StreamKind = Aggregator::State::StreamKind;

// Registers a stream with the watchdog for its lifetime.
class StreamWatch {
 public:
  // A stream of participant `owner` is admitted when it has fewer than kStreamsPerParticipant of
  // this kind open; a stream whose sender is not known yet when fewer than max_streams() such
  // streams of its kind are open, so that streams nobody has logged in cannot crowd out the
  // participants' own. Only an admitted stream is watched.
  StreamWatch(Aggregator::State& s, grpc::ServerContext* context, StreamKind kind,
              std::optional<std::size_t> owner = std::nullopt)
      : s_(s), context_(context), kind_(kind) {
    std::lock_guard lock(s_.streams_mu);
    const auto open = std::count_if(s_.streams.begin(), s_.streams.end(),
                                    [&](const auto& kv) { return kv.second.kind == kind && kv.second.owner == owner; });
    const std::size_t cap = owner ? Aggregator::State::kStreamsPerParticipant : s_.max_streams();
    admitted_ = static_cast<std::size_t>(open) < cap;
    const auto now = Steady::now();
    if (admitted_) s_.streams[context_] = {.kind = kind, .opened = now, .last = now, .owner = owner};
  }
  ~StreamWatch() {
    if (!admitted_) return;
    std::lock_guard lock(s_.streams_mu);
    s_.streams.erase(context_);
  }
  StreamWatch(const StreamWatch&) = delete;
  StreamWatch& operator=(const StreamWatch&) = delete;

  [[nodiscard]] bool admitted() const { return admitted_; }

  // Names the participant the stream belongs to. False when that participant already has
  // kStreamsPerParticipant streams of this kind open: then the stream is to be refused.
  [[nodiscard]] bool claim(std::size_t participant) {
    std::lock_guard lock(s_.streams_mu);
    if (s_.streams[context_].owner == participant) return true;
    const auto theirs = std::count_if(s_.streams.begin(), s_.streams.end(), [&](const auto& kv) {
      return kv.second.kind == kind_ && kv.second.owner == participant;
    });
    if (static_cast<std::size_t>(theirs) >= Aggregator::State::kStreamsPerParticipant) return false;
    s_.streams[context_].owner = participant;
    return true;
  }

  // The stream moved a message.
  void touch() {
    std::lock_guard lock(s_.streams_mu);
    s_.streams[context_].last = Steady::now();
  }

 private:
  Aggregator::State& s_;
  grpc::ServerContext* context_;
  StreamKind kind_;
  bool admitted_ = false;
};

// The call that ends a refused request: the Status's gRPC code, "NAME: why" and the reply (with
// its status and message) in the details, where a client reads it back (proto/flywheel.proto).
template <class Reply>
grpc::Status refusal(const Reply& reply) {
  const auto status = static_cast<TransportStatus>(reply.status());
  return grpc::Status(grpc_code(status), std::string(transport_status_name(status)) + ": " + reply.message(),
                      reply.SerializeAsString());
}

// The Aggregator service. Every method reads its request as raw bytes and parses it here, so a
// request that does not parse is refused with INVALID_ARGUMENT and a reason (gRPC's generated
// handlers answer INTERNAL with no message) and counted as MALFORMED. MarkMethodStreamed is gRPC's
// hook for replacing a method's handler (the generated WithStreamedUnaryMethod_* use it); the
// service takes ownership of each handler, and the indices are the methods' order in the proto.
class Service final : public pb::Aggregator::Service {
 public:
  explicit Service(Aggregator::State& s) : s_(s) {
    unary<pb::ChallengeRequest>(0, &Service::GetChallenge);
    unary<pb::JoinRequest>(1, &Service::Join);
    unary<pb::PlanRequest>(2, &Service::GetRoundPlan);
    MarkMethodStreamed(3, new grpc::internal::SplitServerStreamingHandler<grpc::ByteBuffer, pb::ModelChunk>(
                              [this](grpc::ServerContext* context, ModelStream* stream) {
                                grpc::ByteBuffer bytes;
                                pb::ModelRequest request;
                                if (!stream->Read(&bytes)) return no_request();
                                if (auto bad = parse(bytes, request)) return *bad;
                                return fetch_model(context, request, stream);
                              }));
    MarkMethodStreamed(4, new grpc::internal::TemplatedBidiStreamingHandler<UpdateStream, false>(
                              [this](grpc::ServerContext* context, UpdateStream* stream) {
                                pb::PushReply reply;
                                grpc::Status status = push_update(context, stream, &reply);
                                if (status.ok()) stream->Write(reply);
                                return status;
                              }));
    unary<pb::HeartbeatRequest>(5, &Service::Heartbeat);
    unary<pb::RoundResultRequest>(6, &Service::GetRoundResult);
  }

  grpc::Status GetChallenge(grpc::ServerContext*, const pb::ChallengeRequest* request, pb::Challenge* reply) override {
    reply->set_version(kProtocolVersion);
    std::unique_lock lock(s_.mu);
    if (request->version() != kProtocolVersion)
      return refuse(reply, TransportStatus::version_mismatch, kVersionExpected);
    if (request->job_id() != s_.job.config.job.name)
      return refuse(reply, TransportStatus::wrong_job, "this aggregator runs job \"" + s_.job.config.job.name + "\"");
    const auto address = fixed<20>(request->address());
    if (!address || !s_.allowlist_index(*address)) {
      return refuse(
          reply, TransportStatus::unknown_participant,
          (address ? to_checksum(*address) : std::string("a malformed address")) + " is not on the allowlist");
    }
    if (s_.done) return refuse(reply, TransportStatus::job_done, "the job finished");
    lock.unlock();  // a nonce needs no state
    reply->set_nonce(s_.nonce_for(*address, Aggregator::State::steady_ms()));
    reply->set_status(pb::OK);
    return grpc::Status::OK;
  }

  grpc::Status Join(grpc::ServerContext*, const pb::JoinRequest* request, pb::JoinReply* reply) override {
    reply->set_version(kProtocolVersion);
    std::lock_guard lock(s_.mu);
    if (request->version() != kProtocolVersion)
      return refuse(reply, TransportStatus::version_mismatch, kVersionExpected);
    const auto address = fixed<20>(request->address());
    const auto listed = address ? s_.allowlist_index(*address) : std::nullopt;
    if (s_.done) return refuse(reply, TransportStatus::job_done, "the job finished");
    if (!listed || !s_.nonce_valid(request->nonce(), *address)) {
      return refuse(reply, TransportStatus::bad_challenge,
                    "unknown or expired nonce for this address: ask for a new challenge");
    }
    if (s_.used_nonces.contains(request->nonce())) {
      return refuse(reply, TransportStatus::bad_challenge, "this nonce was already used: ask for a new challenge");
    }
    const std::size_t index = *listed;
    // The challenge was asked for this job; a join signed over another job's name is not a join
    // to this one (the signature would not bind the session to this job).
    if (request->job_id() != s_.job.config.job.name) {
      return refuse(reply, TransportStatus::wrong_job,
                    "the join is signed for job \"" + shown(request->job_id()) + "\", this aggregator runs \"" +
                        s_.job.config.job.name + "\"");
    }
    const Address& expected = s_.job.deployment.allowlist[index];
    auto signer = eip712::recover_signer(join_digest(request->job_id(), as_bytes(request->nonce())),
                                         as_bytes(request->signature()));
    if (!signer) return refuse(reply, TransportStatus::bad_signature, signer.error().message);
    if (*signer != expected) {
      return refuse(reply, TransportStatus::wrong_signer,
                    "challenge signed by " + to_checksum(*signer) + ", expected " + to_checksum(expected));
    }
    // The nonce joined: it may not join again while it would still be valid.
    const auto now = Steady::now();
    std::erase_if(s_.used_nonces, [&](const auto& kv) { return now - kv.second > Aggregator::State::kNonceLifetime; });
    s_.used_nonces[request->nonce()] = now;
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
    if (request->version() != kProtocolVersion)
      return refuse(reply, TransportStatus::version_mismatch, kVersionExpected);
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

  using ModelStream = grpc::ServerSplitStreamer<grpc::ByteBuffer, pb::ModelChunk>;
  using UpdateStream = grpc::ServerReaderWriter<pb::PushReply, grpc::ByteBuffer>;

  // A model stream holds a server thread while the reader takes the chunks, so model streams have
  // a budget and a watch of their own, like update streams.
  grpc::Status fetch_model(grpc::ServerContext* context, const pb::ModelRequest& request, ModelStream* writer) {
    std::shared_ptr<const std::vector<float>> model;
    std::size_t owner = 0;
    {
      std::lock_guard lock(s_.mu);
      auto refuse_model = [&](TransportStatus status, const std::string& why) {
        s_.count_rejection(status);
        return grpc::Status(grpc_code(status), std::string(transport_status_name(status)) + ": " + why);
      };
      if (request.version() != kProtocolVersion)
        return refuse_model(TransportStatus::version_mismatch, kVersionExpected);
      auto index = s_.session_index(request.session());
      if (!index) return refuse_model(TransportStatus::unknown_participant, "unknown session: join first");
      if (!s_.open || request.round() != s_.round) {
        return refuse_model(TransportStatus::wrong_round, "round " + std::to_string(request.round()) + " is not open");
      }
      model = s_.global;
      owner = *index;
    }
    // Every model stream is a known participant's (the request carries the session).
    StreamWatch watch(s_, context, StreamKind::model, owner);
    if (!watch.admitted()) {
      std::lock_guard lock(s_.mu);
      return too_many_streams_of(owner, "model");
    }
    // Streams from the shared snapshot without the lock: the model of an open round never changes.
    const auto* bytes = reinterpret_cast<const char*>(model->data());
    const std::uint64_t total = model->size() * sizeof(float);
    pb::ModelChunk chunk;
    chunk.set_version(kProtocolVersion);
    chunk.set_round(request.round());
    chunk.set_total_bytes(total);
    for (std::uint64_t offset = 0; offset < total; offset += s_.job.deployment.chunk_bytes) {
      if (context->IsCancelled()) return grpc::Status::CANCELLED;
      const auto n = std::min<std::uint64_t>(s_.job.deployment.chunk_bytes, total - offset);
      chunk.set_offset(offset);
      chunk.set_data(bytes + offset, n);
      if (!writer->Write(chunk)) return grpc::Status::CANCELLED;
      watch.touch();
    }
    return grpc::Status::OK;
  }

  grpc::Status push_update(grpc::ServerContext* context, UpdateStream* reader, pb::PushReply* reply) {
    reply->set_version(kProtocolVersion);
    // Update streams have a budget of their own, below the server's thread cap, so that streams
    // (which may sit idle until the watchdog closes them) never take the threads the unary calls
    // need: past it a stream is refused at once.
    // A participant names its session when it opens the stream (metadata kSessionMetadata), so its
    // stream counts against its own budget from the start, not against the one for streams whose
    // sender is not known yet.
    std::optional<std::size_t> caller;
    if (auto it = context->client_metadata().find(kSessionMetadata); it != context->client_metadata().end()) {
      std::lock_guard lock(s_.mu);
      caller = s_.session_index(std::string(it->second.data(), it->second.size()));
    }
    StreamWatch watch(s_, context, StreamKind::update, caller);
    if (!watch.admitted()) {
      if (!caller) return too_many_streams("update");
      std::lock_guard lock(s_.mu);
      return too_many_streams_of(*caller, "update");
    }
    pb::UpdateChunk chunk;
    std::size_t messages = 0;
    grpc::ByteBuffer bytes;
    // The stream's next message into `chunk`: true, or false at the end of the stream or (with
    // `unparseable` set) at a message that is not an UpdateChunk.
    bool unparseable = false;
    auto read = [&] {
      if (!reader->Read(&bytes)) return false;
      ++messages;
      const std::size_t size = bytes.Length();
      unparseable = !grpc::SerializationTraits<pb::UpdateChunk>::Deserialize(&bytes, &chunk).ok();
      if (unparseable) {
        push_refuse(reply, TransportStatus::malformed,
                    "message " + std::to_string(messages) + " of the stream (" + std::to_string(size) +
                        " bytes) is not a valid flywheel.v1.UpdateChunk");
      } else if (auto field = unknown_field(chunk)) {
        unparseable = true;
        push_refuse(
            reply, TransportStatus::malformed,
            "message " + std::to_string(messages) + " of the stream: " + *field + " is not part of the protocol");
      }
      return !unparseable;
    };
    // A stream the client cancelled is not a malformed update: nobody is there to be told, and the
    // refusal counters count what senders sent, not what they gave up.
    if (!read()) {
      if (unparseable) return refusal(*reply);
      if (context->IsCancelled()) return grpc::Status::CANCELLED;
      return push_refuse(reply, TransportStatus::malformed, "empty stream");
    }
    if (chunk.version() != kProtocolVersion)
      return push_refuse(reply, TransportStatus::version_mismatch, kVersionExpected);
    if (!chunk.has_header())
      return push_refuse(reply, TransportStatus::malformed, "the first message must be the header");
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
      auto [status, why] =
          receipt_follows ? s_.check_stream_header(header) : s_.check_header(header, index, receipt, digest);
      if (status != TransportStatus::ok) return push_refuse_locked(reply, status, why);
      round = s_.round;
      if (auto owner = s_.session_index(header.session()); owner) {
        if (caller && *owner != *caller) {
          return push_refuse_locked(reply, TransportStatus::malformed,
                                    "the header's session is not the one the stream was opened with");
        }
        if (!watch.claim(*owner)) return too_many_streams_of(*owner, "update");
      }
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
    while (read()) {
      watch.touch();
      if (chunk.version() != kProtocolVersion)
        return push_refuse(reply, TransportStatus::version_mismatch, kVersionExpected);
      if (chunk.has_header()) return push_refuse(reply, TransportStatus::malformed, "a second header in one stream");
      if (chunk.part_case() == pb::UpdateChunk::PART_NOT_SET) {
        return push_refuse(reply, TransportStatus::malformed, "a message with no part set (neither data nor trailer)");
      }
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
        return push_refuse(reply, TransportStatus::size_exceeded,
                           "the stream carries more than the declared " + std::to_string(declared) + " bytes");
      }
      std::memcpy(out + received, data.data(), data.size());
      update_hasher.update(ByteView(reinterpret_cast<const std::uint8_t*>(out + received), data.size()));
      received += data.size();
      scan.advance(delta, received / sizeof(float));
    }
    if (unparseable) return refusal(*reply);
    if (received != declared) {
      if (context->IsCancelled()) return grpc::Status::CANCELLED;
      return push_refuse(
          reply, TransportStatus::malformed,
          "stream ended after " + std::to_string(received) + " of " + std::to_string(declared) + " bytes");
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
      return push_refuse(reply, TransportStatus::hash_mismatch,
                         "the update's bytes do not hash to the receipt's updateHash");
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
    if (s_.accepted.contains(index))
      return push_refuse_locked(reply, TransportStatus::replay, "this round's update was already accepted");
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
    s_.say("round %llu: update of participant %zu %s accepted (%zu of %zu)", static_cast<unsigned long long>(round),
           index, to_checksum(s_.job.deployment.allowlist[index]).c_str(), s_.accepted.size(), s_.selected.size());
    s_.bump();
    return grpc::Status::OK;
  }

  grpc::Status Heartbeat(grpc::ServerContext*, const pb::HeartbeatRequest* request,
                         pb::HeartbeatReply* reply) override {
    std::lock_guard lock(s_.mu);
    reply->set_version(kProtocolVersion);
    if (request->version() != kProtocolVersion)
      return refuse(reply, TransportStatus::version_mismatch, kVersionExpected);
    if (!s_.session_index(request->session()))
      return refuse(reply, TransportStatus::unknown_participant, "unknown session: join again");
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
    return refuse(reply, TransportStatus::wrong_round,
                  "round " + std::to_string(request->round()) + " has no result yet");
  }

 private:
  // Replaces method `index`'s handler with one that parses the request itself (see the class
  // comment) and calls `handle`.
  template <class Request, class Reply>
  void unary(int index, grpc::Status (Service::*handle)(grpc::ServerContext*, const Request*, Reply*)) {
    using Stream = grpc::ServerUnaryStreamer<grpc::ByteBuffer, Reply>;
    MarkMethodStreamed(index, new grpc::internal::StreamedUnaryHandler<grpc::ByteBuffer, Reply>(
                                  [this, handle](grpc::ServerContext* context, Stream* stream) {
                                    grpc::ByteBuffer bytes;
                                    Request request;
                                    if (!stream->Read(&bytes)) return no_request();
                                    if (auto bad = parse(bytes, request)) return *bad;
                                    Reply reply;
                                    grpc::Status status = (this->*handle)(context, &request, &reply);
                                    if (status.ok()) stream->Write(reply);
                                    return status;
                                  }));
  }

  // `bytes` parsed into `message`; or, when they are not one, the INVALID_ARGUMENT that ends the
  // call (counted as MALFORMED).
  template <class Message>
  std::optional<grpc::Status> parse(grpc::ByteBuffer& bytes, Message& message) {
    const std::size_t size = bytes.Length();
    const bool parsed = grpc::SerializationTraits<Message>::Deserialize(&bytes, &message).ok();
    const auto field = parsed ? unknown_field(message) : std::nullopt;
    if (parsed && !field) return std::nullopt;
    std::lock_guard lock(s_.mu);
    s_.count_rejection(TransportStatus::malformed);
    if (field) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "MALFORMED: " + *field + " is not part of the protocol");
    }
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "MALFORMED: the request (" + std::to_string(size) +
                                                                " bytes) is not a valid " +
                                                                Message::descriptor()->full_name() + " message");
  }

  static grpc::Status no_request() {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "MALFORMED: the call carried no request message");
  }

  // RESOURCE_EXHAUSTED for a stream past the budget of its kind.
  grpc::Status too_many_streams(const char* kind) {
    std::lock_guard lock(s_.mu);
    const std::string limit = std::to_string(s_.max_streams());
    s_.count_limit("STREAM_LIMIT", 1, std::string("more than ") + limit + " " + kind + " streams were open at once");
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        std::string("too many ") + kind + " streams open (" + limit + "); try again later");
  }

  // Must hold s_.mu. RESOURCE_EXHAUSTED for a participant's stream past its own budget.
  grpc::Status too_many_streams_of(std::size_t participant, const char* kind) {
    const std::string limit = std::to_string(Aggregator::State::kStreamsPerParticipant);
    s_.count_limit("PARTICIPANT_STREAM_LIMIT", 1,
                   std::string("a participant opened more than ") + limit + " " + kind + " streams at once");
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "participant " + std::to_string(participant) +
                                                                  " already has " + limit + " " + kind +
                                                                  " streams open; finish one first");
  }

  template <class Reply>
  grpc::Status refuse(Reply* reply, TransportStatus status, const std::string& message) {
    // Callers hold the lock.
    s_.count_rejection(status);
    reply->set_status(static_cast<pb::Status>(status));
    reply->set_message(message);
    return refusal(*reply);
  }

  grpc::Status push_refuse_locked(pb::PushReply* reply, TransportStatus status, const std::string& message) {
    s_.count_rejection(status);
    s_.say("refused an update: %s: %s", std::string(transport_status_name(status)).c_str(), message.c_str());
    reply->set_status(static_cast<pb::Status>(status));
    reply->set_message(message);
    return refusal(*reply);
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
  state_->watching = false;
  if (state_->watchdog.joinable()) state_->watchdog.join();
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
  return state_->rejection_counts;
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
  s->challenge_secret = keccak256(PrivateKey::random().secret());
  // Calls run on up to 8n + 64 gRPC threads, and glibc gives threads arenas of their own (up to 8
  // per core): what a flood of calls leaves freed would stay spread over them. Four arenas keep the
  // process within ~16 MB of its working size once a flood is over (docs/security.md).
  ::mallopt(M_ARENA_MAX, 4);
  s->tensors = tensor_specs(job.config.model);
  s->parameters = parameter_count(job.config.model);
  const std::size_t n = job.deployment.allowlist.size();
  s->last_seen.assign(n, std::nullopt);
  s->told_done.assign(n, false);
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return fail(Errc::io, "cannot create run folder " + out_dir.string() + ": " + ec.message());
  // The job's one split (fedtrain/data/job_data.hpp): the aggregator keeps the validation rows.
  auto data = load_job_data(job.config);
  if (!data) return tl::unexpected(data.error());
  s->data = std::move(*data);

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
  // Every call in flight holds a server thread. An honest participant holds at most four at once
  // (a plan long-poll, a heartbeat, a model fetch, an update push); past the cap gRPC answers
  // RESOURCE_EXHAUSTED instead of starting more threads.
  grpc::ResourceQuota quota("flywheel-aggregator");
  quota.SetMaxThreads(static_cast<int>(8 * n + 64));
  builder.SetResourceQuota(quota);
  // gRPC's own limits. Calls in flight per connection: an honest participant has at most four.
  // Keepalive: the server pings a connection quiet for 30 s and drops it when no answer comes in
  // 10 s, so the calls of a peer cut off by the network end instead of waiting for their timeouts;
  // a client pinging more often than every 5 s without data is cut off after two strikes
  // (participants ping every 10 s, grpc_client.cpp).
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 32);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  s->server = builder.BuildAndStart();
  if (!s->server || s->port == 0) {
    return fail(Errc::io, "cannot listen on " + job.deployment.listen + " (address in use or invalid?)");
  }
  s->watchdog = std::thread([state = s.get()] { state->watch_streams(); });
  const auto colon = job.deployment.listen.rfind(':');
  const std::string endpoint = job.deployment.listen.substr(0, colon) + ":" + std::to_string(s->port);
  FLYWHEEL_TRY(write_atomically(out_dir / "endpoint", endpoint + "\n"));
  s->say("aggregator %s listening on %s (%s), job \"%s\", %zu participants allowed%s",
         to_checksum(key.address()).c_str(), endpoint.c_str(), (tls.cert ? "TLS" : "plaintext"),
         job.config.job.name.c_str(), n, options.resume ? ", resuming from its checkpoint" : "");
  return std::unique_ptr<Aggregator>(new Aggregator(std::move(s)));
}

}  // namespace flywheel::fedtrain
