// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Deployment transport against plain TCP, in one run (issue 4, "Performance"): N participants, a
// float32 model of P parameters, loopback.
//
//  (a) T_tcp: a C++ TCP server sends each of N clients the P·4-byte global model and receives a
//      P·4-byte update back from each, all clients at once: the bytes of one round, nothing else.
//      Printed beside it, T_tcp+h: the same with the protocol's SHA-256 work (each client hashes
//      the model and its update, the server each update), to separate hashing from transport.
//  (b) T_fw: a real round of the deployment protocol: the in-process fedtrain::Aggregator (gRPC
//      server) and N TransportClient threads doing what fedtrain/transport/participant.cpp does — long-poll
//      the plan, FetchModel (chunked stream, SHA-256 checked as it arrives), make an update,
//      PushUpdate (chunked stream hashed as it leaves; the EIP-712 receipt is signed then and sent
//      after the body; the aggregator checks size, receipt, hash, finiteness and signs an ack),
//      verify the ack. Local training is a trivial
//      update, timed and subtracted: T_fw = (last ack − round open) − slowest "training". The
//      process CPU seconds over the same window are printed too (all parties share the cores).
//      The aggregator's work after the last ack (strategy merge, leave-one-out attribution over
//      N + 2 coalition models, artifacts, test evaluation) is compute that does not depend on the
//      transport; it is printed separately as close time.
//  (c) push throughput: one more round in which the participants push one at a time; each push
//      moves P·4 bytes alone; MB/s = bytes / push seconds (10^6 bytes per MB). A push counts the
//      participant's SHA-256 of its update (computed chunk by chunk as it streams) and the
//      receipt's signature (sent after the body), up to the verified ack.
//
// Every figure is the median of --repeats rounds. Run: flywheel_transport_bench [--help].
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/eip712.hpp"
#include "common/sha256.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/round/round_sink.hpp"
#include "fedtrain/transport/aggregator.hpp"
#include "fedtrain/transport/protocol.hpp"

namespace {

using namespace flywheel;
using namespace flywheel::fedtrain;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

[[noreturn]] void die(const std::string& what) {
  std::cerr << "transport_bench: " << what << "\n";
  std::exit(1);
}

// ---- (a) plain TCP ---------------------------------------------------------------------------------

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

void send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) die("tcp send failed");
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void recv_all(int fd, char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::recv(fd, data, size, 0);
    if (n <= 0) die("tcp recv failed");
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Receives `size` bytes into `data`; with `hasher`, hashes each piece as it lands (as the
// framework does per chunk).
void recv_hashed(int fd, char* data, std::size_t size, Sha256* hasher) {
  constexpr std::size_t kPiece = 1 << 20;
  while (size > 0) {
    const std::size_t want = std::min(size, kPiece);
    recv_all(fd, data, want);
    if (hasher != nullptr) hasher->update(ByteView(reinterpret_cast<const std::uint8_t*>(data), want));
    data += want;
    size -= want;
  }
}

// One round's bytes over plain sockets: a server thread per connection, as a blocking server
// would run it. Returns seconds from the start signal until the last update is received. With
// `hashes`, the same SHA-256 work as the protocol: each client hashes the model as it arrives and
// its update before sending, the server hashes each update as it arrives.
double tcp_round(std::size_t clients, const std::vector<char>& model, bool hashes) {
  const std::size_t bytes = model.size();
  Fd listener(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener.get(), static_cast<int>(clients)) != 0 ||
      ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    die("tcp listen failed");
  }
  std::vector<Fd> client_fds;
  std::vector<Fd> server_fds;
  for (std::size_t i = 0; i < clients; ++i) {
    Fd c(::socket(AF_INET, SOCK_STREAM, 0));
    if (::connect(c.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("tcp connect failed");
    Fd s(::accept(listener.get(), nullptr, nullptr));
    if (s.get() < 0) die("tcp accept failed");
    const int one = 1;
    ::setsockopt(c.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    client_fds.push_back(std::move(c));
    server_fds.push_back(std::move(s));
  }
  std::barrier start(static_cast<std::ptrdiff_t>(2 * clients + 1));
  std::vector<std::thread> threads;
  std::atomic<std::uint8_t> sink{0};  // keeps the digests alive
  for (std::size_t i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {  // server side of connection i
      std::vector<char> update(bytes);
      Sha256 hasher;
      start.arrive_and_wait();
      send_all(server_fds[i].get(), model.data(), bytes);
      recv_hashed(server_fds[i].get(), update.data(), bytes, hashes ? &hasher : nullptr);
      if (hashes) sink ^= hasher.finish().bytes[0];
    });
    threads.emplace_back([&, i] {  // client i
      std::vector<char> global(bytes);
      Sha256 hasher;
      start.arrive_and_wait();
      recv_hashed(client_fds[i].get(), global.data(), bytes, hashes ? &hasher : nullptr);
      if (hashes) {
        sink ^= hasher.finish().bytes[0];
        hasher.update(ByteView(reinterpret_cast<const std::uint8_t*>(global.data()), bytes));  // "the update"
        sink ^= hasher.finish().bytes[0];
      }
      send_all(client_fds[i].get(), global.data(), bytes);  // an update of the same size
    });
  }
  start.arrive_and_wait();
  const auto t0 = Clock::now();
  for (auto& t : threads) t.join();
  return seconds_since(t0);
}

// ---- (b), (c) the deployment protocol --------------------------------------------------------------

PrivateKey bench_key(std::size_t i) {
  Bytes secret(32, 0);
  secret[0] = 0x5b;
  secret[31] = static_cast<std::uint8_t>(i + 1);
  return PrivateKey::from_bytes(secret).value();
}

// CPU seconds used so far by the whole process (every thread: participants and aggregator).
double process_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

struct ParticipantTimes {
  Clock::time_point plan_seen;
  Clock::time_point acked;
  double cpu_at_plan = 0;  // process_cpu_seconds() at plan_seen
  double cpu_at_ack = 0;   // process_cpu_seconds() at acked
  double training_s = 0;
  double push_s = 0;  // PushUpdate (hashing while streaming, receipt signed after the body) + verify the ack
};

// One participant thread: the protocol steps of fedtrain/transport/participant.cpp with a trivial update.
class BenchParticipant {
 public:
  BenchParticipant(std::size_t index, const std::string& target, const DeploymentJob& job)
      : index_(index), key_(bench_key(index)), job_(job) {
    auto client = TransportClient::connect(target, job.deployment.tls, job.deployment.chunk_bytes);
    if (!client) die(client.error().to_string());
    client_.emplace(std::move(*client));
    auto joined = client_->join(job.config.job.name, key_);
    if (!joined || joined->status != TransportStatus::ok) die("join failed");
    domain_ = joined->domain;
    aggregator_ = joined->aggregator;
  }

  // Waits for round `round` to open (long poll), records when it saw it.
  RoundPlanInfo wait_for_round(std::uint64_t round, ParticipantTimes& times) {
    while (true) {
      auto plan = client_->round_plan(2000);
      if (!plan) die(plan.error().to_string());
      if (plan->round == round && plan->selected && !plan->submitted) {
        times.plan_seen = Clock::now();
        times.cpu_at_plan = process_cpu_seconds();
        return *plan;
      }
    }
  }

  void fetch_train(const RoundPlanInfo& plan, ParticipantTimes& times) {
    auto global = client_->fetch_model(plan.round, plan.model_bytes, plan.model_hash);
    if (!global) die(global.error().to_string());
    const auto t0 = Clock::now();
    // "Local training": a small step away from the global model, whatever its values.
    update_.assign(global->size(), 1e-4F * static_cast<float>(index_ + 1));
    times.training_s = seconds_since(t0);
    round_ = plan.round;
    start_hash_ = plan.model_hash;
    tensors_ = plan.tensors;
  }

  void push(ParticipantTimes& times) {
    const auto t0 = Clock::now();
    // As fedtrain/transport/participant.cpp: the update is hashed while it streams and the receipt, signed
    // then, follows the body.
    const eip712::UpdateReceipt receipt{.job_id = job_.config.job.name,
                                        .round = round_,
                                        .participant = key_.address(),
                                        .start_model_hash = start_hash_,
                                        .update_hash = {},
                                        .samples = 100,
                                        .compute_units = 100,
                                        .compute_millis = 1};
    UpdateSubmission submission{
        .receipt = receipt,
        .signature = {},
        .tensors = tensors_,
        .body = ByteView(reinterpret_cast<const std::uint8_t*>(update_.data()), update_.size() * sizeof(float)),
        .declared_bytes = std::nullopt,
        .session = std::nullopt,
        .sign_while_streaming = UpdateSubmission::StreamSigner{.key = &key_, .domain = domain_}};
    auto outcome = client_->push_update(submission);
    if (!outcome) die(outcome.error().to_string());
    if (outcome->status != TransportStatus::ok) die("update refused: " + outcome->message);
    auto signer = eip712::recover_signer(eip712::digest(domain_, outcome->ack), outcome->ack_signature);
    if (!signer || *signer != aggregator_ || outcome->ack.receipt_digest != outcome->receipt_digest) {
      die("ack does not verify");
    }
    times.acked = Clock::now();
    times.cpu_at_ack = process_cpu_seconds();
    times.push_s = seconds_since(t0);
    // Outside the timed push: the hash filled in while streaming must be the update's.
    if (outcome->receipt.update_hash != hash_floats(update_)) die("the streamed hash is not the update's");
  }

 private:
  std::size_t index_;
  PrivateKey key_;
  const DeploymentJob& job_;
  std::optional<TransportClient> client_;
  eip712::Domain domain_;
  Address aggregator_;
  std::vector<float> update_;
  std::uint64_t round_ = 0;
  Hash32 start_hash_;
  std::vector<TensorSpec> tensors_;
};

struct Options {
  std::size_t participants = 8;
  std::size_t parameters = 10'000'000;
  std::size_t repeats = 3;
  std::size_t chunk_bytes = 1 << 20;
  std::string out = "";
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Deployment transport (gRPC, chunked streams, signed receipts) against plain TCP on loopback"};
  app.add_option("--participants", o.participants, "Participants (TCP clients)")->capture_default_str();
  app.add_option("--parameters", o.parameters, "float32 parameters of the model (an MLP 784-h-10 near this size)")
      ->capture_default_str();
  app.add_option("--repeats", o.repeats, "Rounds measured per figure (the median is printed)")->capture_default_str();
  app.add_option("--chunk-bytes", o.chunk_bytes, "deployment.chunk_bytes")->capture_default_str();
  app.add_option("--out", o.out, "Aggregator run folder (default: a fresh temp folder)");
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  // An MLP 784-h-10 has 795·h + 10 parameters.
  const std::size_t hidden = std::max<std::size_t>(1, (o.parameters - 10 + 794) / 795);
  nlohmann::json job_json = {
      {"job", {{"name", "transport-bench"}, {"seed", 1}, {"rounds", o.repeats + 1}}},
      {"data", {{"partition", "iid"}, {"validation_size", 8}, {"train_limit", 1000}}},
      {"model", {{"name", "mlp"}, {"hidden", {hidden}}}},
      // The close (merge, attribution, artifacts) is not transport; leave-one-out keeps it short.
      {"attribution", {{"method", "loo"}}},
      {"deployment",
       {{"listen", "127.0.0.1:0"},
        {"min_updates", o.participants},
        {"round_timeout_s", 600},
        {"start_timeout_s", 600},
        {"liveness_s", 600},
        {"chunk_bytes", o.chunk_bytes}}}};
  for (std::size_t i = 0; i < o.participants; ++i) {
    job_json["deployment"]["allowlist"].push_back(bench_key(i).address().hex());
  }
  auto job = parse_deployment_job(job_json.dump());
  if (!job) die(job.error().to_string());
  const std::size_t parameters = parameter_count(job->config.model);
  const std::size_t bytes = parameters * sizeof(float);
  std::printf("transport bench: %zu participants, %zu float32 parameters (%.1f MB), chunk %zu bytes, %zu repeats\n",
              o.participants, parameters, static_cast<double>(bytes) / 1e6, o.chunk_bytes, o.repeats);

  // (a) plain TCP.
  std::vector<char> model(bytes, 1);
  std::vector<double> tcp;
  std::vector<double> tcp_hashed;
  for (std::size_t r = 0; r < o.repeats; ++r) {
    tcp.push_back(tcp_round(o.participants, model, false));
    tcp_hashed.push_back(tcp_round(o.participants, model, true));
  }
  model = {};

  // (b), (c) the framework.
  const std::filesystem::path out = o.out.empty() ? std::filesystem::temp_directory_path() /
                                                        ("flywheel-transport-bench-" + std::to_string(::getpid()))
                                                  : std::filesystem::path(o.out);
  std::filesystem::remove_all(out);
  NullSink sink;
  std::ostringstream aggregator_log;
  auto aggregator = Aggregator::start(*job, PrivateKey::random(), out, sink,
                                      {.threads = 0, .progress = &aggregator_log, .quiet = false, .resume = false});
  if (!aggregator) die(aggregator.error().to_string());
  const std::string target = "127.0.0.1:" + std::to_string((*aggregator)->port());
  std::vector<std::unique_ptr<BenchParticipant>> participants;
  for (std::size_t i = 0; i < o.participants; ++i) {
    participants.push_back(std::make_unique<BenchParticipant>(i, target, *job));
  }
  Result<JobSummary> summary = fail(Errc::internal, "not run");
  std::thread server([&] { summary = (*aggregator)->run(); });

  std::vector<double> framework;
  std::vector<double> framework_gross;
  std::vector<double> framework_cpu;  // process CPU seconds over the same window
  std::vector<double> push_rates;
  std::vector<double> push_seconds;
  for (std::uint64_t round = 1; round <= o.repeats + 1; ++round) {
    const bool serial_pushes = round == o.repeats + 1;
    std::vector<ParticipantTimes> times(o.participants);
    std::mutex turn_mu;
    std::condition_variable turn_cv;
    std::size_t turn = 0;
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < o.participants; ++i) {
      threads.emplace_back([&, i] {
        auto plan = participants[i]->wait_for_round(round, times[i]);
        participants[i]->fetch_train(plan, times[i]);
        if (serial_pushes) {
          std::unique_lock lock(turn_mu);
          turn_cv.wait(lock, [&] { return turn == i; });
        }
        participants[i]->push(times[i]);
        if (serial_pushes) {
          std::lock_guard lock(turn_mu);
          ++turn;
          turn_cv.notify_all();
        }
      });
    }
    for (auto& t : threads) t.join();
    std::fprintf(stderr, "round %llu: transport done\n", static_cast<unsigned long long>(round));
    if (serial_pushes) {
      for (const auto& t : times) {
        push_seconds.push_back(t.push_s);
        push_rates.push_back(static_cast<double>(bytes) / 1e6 / t.push_s);
      }
      continue;
    }
    Clock::time_point open = times[0].plan_seen;
    Clock::time_point last = times[0].acked;
    double slowest_training = 0;
    double cpu_open = times[0].cpu_at_plan;
    double cpu_last = times[0].cpu_at_ack;
    for (const auto& t : times) {
      open = std::min(open, t.plan_seen);
      last = std::max(last, t.acked);
      slowest_training = std::max(slowest_training, t.training_s);
      cpu_open = std::min(cpu_open, t.cpu_at_plan);
      cpu_last = std::max(cpu_last, t.cpu_at_ack);
    }
    const double gross = std::chrono::duration<double>(last - open).count();
    framework_gross.push_back(gross);
    framework.push_back(gross - slowest_training);
    framework_cpu.push_back(cpu_last - cpu_open);
  }
  server.join();
  // The trivial updates carry no value, so the job's share summary may be refused; the rounds ran.
  if (!summary && summary.error().code != Errc::invalid_argument) die("aggregator: " + summary.error().to_string());

  // The aggregator's close time per round (from its metrics: attribution_seconds).
  std::vector<double> close;
  {
    std::ifstream metrics(out / "metrics.jsonl");
    std::string line;
    while (std::getline(metrics, line)) {
      if (!line.empty()) close.push_back(nlohmann::json::parse(line).value("attribution_seconds", 0.0));
    }
  }
  std::filesystem::remove_all(out);

  const double t_tcp = median(tcp);
  const double t_fw = median(framework);
  const double rate = median(push_rates);
  std::printf("(a) plain TCP round   T_tcp = %.3f s   (%zu × %.1f MB down + up; runs:", t_tcp, o.participants,
              static_cast<double>(bytes) / 1e6);
  for (double t : tcp) std::printf(" %.3f", t);
  std::printf(
      ")\n    TCP + SHA-256     T_tcp+h = %.3f s   (the protocol's 3 hashes per participant: model, update, "
      "update on arrival; runs:",
      median(tcp_hashed));
  for (double t : tcp_hashed) std::printf(" %.3f", t);
  std::printf(")\n(b) framework round   T_fw  = %.3f s   (open → last ack − slowest training; runs:", t_fw);
  for (double t : framework) std::printf(" %.3f", t);
  std::printf(")\n    CPU over the round: median %.3f CPU-s on %u hardware threads (%.0f%% busy)",
              median(framework_cpu), std::thread::hardware_concurrency(),
              100 * median(framework_cpu) / (median(framework_gross) * std::thread::hardware_concurrency()));
  std::printf(
      "\n    aggregator close (merge + leave-one-out over %zu + 2 coalitions + test eval), not transport: "
      "median %.2f s\n",
      o.participants, median(close));
  std::printf("    ratio T_fw / T_tcp = %.2f   (target ≤ 1.2)  %s\n", t_fw / t_tcp,
              t_fw / t_tcp <= 1.2 ? "PASS" : "MISS");
  std::printf("    ratio T_fw / T_tcp+h = %.2f   (against TCP doing the same hashing, for information)\n",
              t_fw / median(tcp_hashed));
  std::printf("(c) push of one %.1f MB update: median %.3f s = %.0f MB/s   (target ≥ 500 MB/s)  %s\n",
              static_cast<double>(bytes) / 1e6, median(push_seconds), rate, rate >= 500 ? "PASS" : "MISS");
  return 0;
}
