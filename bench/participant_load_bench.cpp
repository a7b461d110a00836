// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Many participant processes against one aggregator on loopback (issue 19): starts a real
// `flywheel aggregator` and N real `flywheel participant` processes on a small job (a 784-8-10
// MLP, a few samples each, leave-one-out attribution so every participant can be in every round),
// and, beside them, an optional bounded flood of silent PushUpdate streams and GetChallenge calls
// from this process. Prints the aggregator's resident memory and threads (sampled from
// /proc/<pid>/status) before the participants, at its peak and per participant connection, the
// participants' resident and proportional memory (/proc/<pid>/smaps_rollup), every round's time,
// and what the flood got. Exits 1 unless every round completed and every process exited 0.
//
//   flywheel_participant_load_bench --participants 200 --rounds 3 --flood-streams 200 --flood-callers 4
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/keccak.hpp"
#include "common/keystore.hpp"
#include "fedtrain/transport/protocol.hpp"
#include "proto/flywheel.grpc.pb.h"
#include "tests/internal/child_process.hpp"
#include "tests/internal/test_files.hpp"

namespace {

using namespace flywheel;
using Clock = std::chrono::steady_clock;
using flywheel::testing::ChildProcess;

// One "Key: value kB"-style field of a /proc file, or -1.
long proc_field(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
  }
  return -1;
}

struct Sample {
  long rss_kb = 0;
  long threads = 0;
};

Sample sample(pid_t pid) {
  const std::string status = "/proc/" + std::to_string(pid) + "/status";
  return {.rss_kb = proc_field(status, "VmRSS:"), .threads = proc_field(status, "Threads:")};
}

// One sweep over the participant processes.
struct Sweep {
  long processes = 0;
  long rss_kb = 0;
  long pss_kb = 0;
  long pss_anon_kb = 0;
  long threads = 0;
};

PrivateKey participant_key(std::size_t i) {
  return PrivateKey::from_bytes(keccak256(as_bytes("load bench participant " + std::to_string(i))).view()).value();
}

// "12 CANCELLED, 3 RESOURCE_EXHAUSTED" for counts by gRPC status code.
std::string codes(const std::map<int, std::size_t>& counts) {
  static const std::map<int, const char*> kNames = {
      {0, "OK"}, {1, "CANCELLED"}, {4, "DEADLINE_EXCEEDED"}, {8, "RESOURCE_EXHAUSTED"}, {14, "UNAVAILABLE"}};
  std::string out;
  for (const auto& [code, n] : counts) {
    const auto name = kNames.find(code);
    out += (out.empty() ? "" : ", ") + std::to_string(n) + " " +
           (name != kNames.end() ? name->second : "code " + std::to_string(code));
  }
  return out;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// The flood: `streams` PushUpdate streams that never send a message, over one connection per 100,
// plus `callers` threads asking GetChallenge for allowlisted addresses (they are public), back to
// back, until stop is set. Bounded: the streams are opened once and never reopened.
class Flood {
 public:
  Flood(std::string target, std::size_t streams, std::size_t callers, std::size_t participants)
      : target_(std::move(target)), streams_(streams), callers_(callers), participants_(participants) {}

  void start() {
    started_ = Clock::now();
    for (std::size_t c = 0; c < (streams_ + 99) / 100; ++c) {
      grpc::ChannelArguments args;
      args.SetInt("flood-channel", static_cast<int>(c));  // distinct arguments: distinct connections
      channels_.push_back(grpc::CreateCustomChannel(target_, grpc::InsecureChannelCredentials(), args));
    }
    for (std::size_t k = 0; k < streams_; ++k) {
      auto s = std::make_unique<Silent>();
      auto stub = flywheel::v1::Aggregator::NewStub(channels_[k / 100]);
      s->writer = stub->PushUpdate(&s->context, &s->reply);
      silent_.push_back(std::move(s));
    }
    for (std::size_t c = 0; c < callers_; ++c) {
      callers_threads_.emplace_back([this, c] {
        auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
        auto stub = flywheel::v1::Aggregator::NewStub(channel);
        flywheel::v1::ChallengeRequest request;
        request.set_version(fedtrain::kProtocolVersion);
        request.set_job_id("load-bench");
        const auto address = participant_key(c % participants_).address();
        request.set_address(std::string(reinterpret_cast<const char*>(address.view().data()), 20));
        std::vector<double> ms;
        std::map<int, std::size_t> failed;
        while (!stop_) {
          grpc::ClientContext context;
          context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
          flywheel::v1::Challenge reply;
          const auto t0 = Clock::now();
          const auto status = stub->GetChallenge(&context, request, &reply);
          ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          if (status.ok()) {
            std::lock_guard lock(mu_);
            last_success_ = std::max(last_success_, Clock::now());
          } else {
            if (failed.empty()) {
              std::lock_guard lock(mu_);
              first_failure_ = std::to_string(std::chrono::duration<double>(Clock::now() - started_).count()) +
                               " s after the flood started: " + status.error_message();
            }
            ++failed[status.error_code()];
            // Failing fast (e.g. once the aggregator has exited) must not become a busy loop.
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
          }
        }
        std::lock_guard lock(mu_);
        challenge_ms_.insert(challenge_ms_.end(), ms.begin(), ms.end());
        for (const auto& [code, n] : failed) challenge_failed_[code] += n;
      });
    }
  }

  // Stops the callers (call when the job has ended: later calls would only count a server that is gone).
  void stop_callers() {
    stop_ = true;
    for (auto& t : callers_threads_) t.join();
    callers_threads_.clear();
  }

  // Waits for every silent stream's end: closed idle by the server, refused at once, or still open
  // when the aggregator exited (UNAVAILABLE).
  void finish() {
    stop_callers();
    for (auto& s : silent_) ++stream_ends_[s->writer->Finish().error_code()];
  }

  void report() const {
    if (streams_ > 0) {
      std::printf("flood: %zu silent PushUpdate streams ended: %s\n", streams_, codes(stream_ends_).c_str());
    }
    if (callers_ > 0) {
      std::size_t failed = 0;
      for (const auto& [code, n] : challenge_failed_) failed += n;
      const std::string why = failed > 0 ? " (" + codes(challenge_failed_) + ")" : "";
      std::printf(
          "flood: %zu GetChallenge calls from %zu callers while the job ran, %zu failed%s: p50 %.2f ms, "
          "p99 %.2f ms, max %.2f ms\n",
          challenge_ms_.size(), callers_, failed, why.c_str(), percentile(challenge_ms_, 0.5),
          percentile(challenge_ms_, 0.99), percentile(challenge_ms_, 1.0));
      if (failed > 0) {
        std::printf("flood: first GetChallenge failure %s; last answered call %.1f s after the flood started\n",
                    first_failure_.c_str(), std::chrono::duration<double>(last_success_ - started_).count());
      }
    }
  }

 private:
  struct Silent {
    grpc::ClientContext context;
    flywheel::v1::PushReply reply;
    std::unique_ptr<grpc::ClientWriter<flywheel::v1::UpdateChunk>> writer;
  };
  std::string target_;
  std::size_t streams_;
  std::size_t callers_;
  std::size_t participants_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<Silent>> silent_;
  std::vector<std::thread> callers_threads_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<double> challenge_ms_;
  std::map<int, std::size_t> challenge_failed_;
  std::string first_failure_;
  Clock::time_point last_success_;
  Clock::time_point started_;
  std::map<int, std::size_t> stream_ends_;
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t participants = 200;
  std::uint64_t rounds = 3;
  std::size_t flood_streams = 0;
  std::size_t flood_callers = 0;
  std::size_t samples_each = 20;
  std::size_t per_round_max = 100;
  double round_timeout = 120;
  std::string binary = FLYWHEEL_BINARY;
  std::string keep;
  std::string flood_target;
  std::string flood_stop_file;
  CLI::App app{"flywheel_participant_load_bench: N participant processes against one aggregator on loopback"};
  app.add_option("--participants", participants, "participant processes");
  app.add_option("--rounds", rounds, "rounds of the job");
  app.add_option("--samples-each", samples_each, "training samples per participant (data.train_limit / N)");
  app.add_option("--per-round", per_round_max, "participants selected per round (at most 128: loo attribution)");
  app.add_option("--round-timeout", round_timeout, "deployment.round_timeout_s");
  app.add_option("--flood-streams", flood_streams, "silent PushUpdate streams opened beside the job");
  app.add_option("--flood-callers", flood_callers, "threads calling GetChallenge back to back beside the job");
  app.add_option("--flywheel", binary, "the flywheel binary");
  app.add_option("--keep", keep, "keep the job folder here (default: a temporary folder, removed)");
  // The flood runs in a process of its own (this binary again): gRPC in a process that forks the
  // participants would have its channels reset at every fork.
  app.add_option("--flood-target", flood_target, "internal: be the flood against this aggregator")->group("");
  app.add_option("--flood-stop-file", flood_stop_file, "internal: the flood ends when this file exists")->group("");
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  namespace fs = std::filesystem;
  if (!flood_target.empty()) {
    Flood flood(flood_target, flood_streams, flood_callers, participants);
    flood.start();
    while (!fs::exists(flood_stop_file)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    flood.finish();
    flood.report();
    return 0;
  }

  const fs::path root =
      keep.empty() ? fs::temp_directory_path() / ("flywheel-load-bench-" + std::to_string(::getpid())) : fs::path(keep);
  fs::create_directories(root);
  const std::size_t train_limit = std::max<std::size_t>(participants * samples_each + 100, 1000);
  // Leave-one-out attribution takes at most 128 participants a round (coalitions are 128-bit masks).
  const std::size_t per_round = std::min<std::size_t>(participants, per_round_max);
  const double fraction = std::min(1.0, (static_cast<double>(per_round) + 0.5) / static_cast<double>(participants));
  nlohmann::json job = {{"job", {{"name", "load-bench"}, {"seed", 3}, {"rounds", rounds}}},
                        {"data", {{"partition", "iid"}, {"validation_size", 100}, {"train_limit", train_limit}}},
                        {"model", {{"name", "mlp"}, {"hidden", {8}}}},
                        {"training", {{"local_epochs", 1}, {"batch_size", 32}, {"learning_rate", 0.05}}},
                        {"strategy", {{"name", "fedavg"}, {"fraction_fit", fraction}}},
                        {"attribution", {{"method", "loo"}, {"keep_artifacts", false}}},
                        {"deployment",
                         {{"listen", "127.0.0.1:0"},
                          {"min_updates", per_round},
                          {"round_timeout_s", round_timeout},
                          {"start_timeout_s", 300},
                          {"liveness_s", 60},
                          {"stream_idle_timeout_s", 10}}}};
  for (std::size_t i = 0; i < participants; ++i) {
    job["deployment"]["allowlist"].push_back(participant_key(i).address().hex());
    if (auto saved = save_keystore(root / ("key" + std::to_string(i) + ".json"), participant_key(i), "load",
                                   {.kdf = KeystoreKdf::pbkdf2, .c = 2});
        !saved) {
      std::fprintf(stderr, "%s\n", saved.error().to_string().c_str());
      return 1;
    }
  }
  std::ofstream(root / "job.json") << job.dump(2);
  std::ofstream(root / "password") << "load\n";
  std::printf(
      "job: %zu participants, %llu rounds, mlp 784-8-10, %zu training samples each, %zu in every round, "
      "loo attribution\n",
      participants, static_cast<unsigned long long>(rounds), samples_each, per_round);

  const fs::path run = root / "run";
  auto aggregator =
      std::make_unique<ChildProcess>(binary,
                                     std::vector<std::string>{"aggregator", "--config", (root / "job.json").string(),
                                                              "--out", run.string(), "--threads", "1"},
                                     root / "aggregator.log");
  if (!testing::wait_until([&] { return fs::exists(run / "endpoint"); }, std::chrono::seconds(60))) {
    std::fprintf(stderr, "the aggregator did not start:\n%s\n", aggregator->log().c_str());
    return 1;
  }
  std::string endpoint = testing::read_text(run / "endpoint");
  while (!endpoint.empty() && endpoint.back() == '\n') endpoint.pop_back();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const Sample idle = sample(aggregator->pid());
  std::printf("aggregator before participants: %.1f MB resident, %ld threads\n", idle.rss_kb / 1024.0, idle.threads);

  std::atomic<bool> sampling{true};
  Sample peak = idle;
  long lowest_available = proc_field("/proc/meminfo", "MemAvailable:");
  std::mutex peak_mu;
  std::thread sampler([&] {
    while (sampling) {
      const Sample s = sample(aggregator->pid());
      {
        std::lock_guard lock(peak_mu);
        peak.rss_kb = std::max(peak.rss_kb, s.rss_kb);
        peak.threads = std::max(peak.threads, s.threads);
        lowest_available = std::min(lowest_available, proc_field("/proc/meminfo", "MemAvailable:"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  // The flood runs beside the whole job: joins, rounds and the end.
  const bool flooding = flood_streams + flood_callers > 0;
  std::unique_ptr<ChildProcess> flood;
  if (flooding) {
    flood = std::make_unique<ChildProcess>(
        fs::read_symlink("/proc/self/exe").string(),
        std::vector<std::string>{"--flood-target", endpoint, "--flood-stop-file", (root / "stop-flood").string(),
                                 "--flood-streams", std::to_string(flood_streams), "--flood-callers",
                                 std::to_string(flood_callers), "--participants", std::to_string(participants)},
        root / "flood.log");
    std::printf("flood started: %zu silent update streams, %zu GetChallenge callers (for allowlisted addresses)\n",
                flood_streams, flood_callers);
  }
  const long available_before = proc_field("/proc/meminfo", "MemAvailable:");
  const auto started = Clock::now();
  std::vector<std::unique_ptr<ChildProcess>> processes;
  for (std::size_t i = 0; i < participants; ++i) {
    processes.push_back(std::make_unique<ChildProcess>(
        binary,
        std::vector<std::string>{"participant", "--config", (root / "job.json").string(), "--keystore",
                                 (root / ("key" + std::to_string(i) + ".json")).string(), "--password-file",
                                 (root / "password").string(), "--aggregator", endpoint},
        root / ("participant" + std::to_string(i) + ".log")));
  }
  // Each participant's memory, read once just after the aggregator logs its join: it has loaded
  // its data and holds its connection, and it sits idle until round 1, which opens once all have
  // joined, so at that moment they are all alive together and the sum is the total. (Sweeping
  // every process's smaps_rollup over and over does not work here: reading it waits on the
  // mmap lock of processes still loading their ~340 shared libraries, and a sweep of 200 took
  // longer than the job.)
  std::atomic<bool> sweeping{true};
  std::vector<Sweep> measured(processes.size());
  std::thread sweeper([&] {
    std::size_t seen = 0;
    while (sweeping && seen < processes.size()) {
      const std::string log = aggregator->log();
      for (auto at = log.find("participant "); at != std::string::npos; at = log.find("participant ", at + 1)) {
        const auto end = log.find('\n', at);
        const std::string line = log.substr(at, end - at);
        if (line.size() < 8 || line.compare(line.size() - 7, 7, " joined") != 0) continue;
        const std::size_t k = std::stoul(line.substr(12));
        if (k >= processes.size() || measured[k].processes != 0) continue;
        const std::string proc = "/proc/" + std::to_string(processes[k]->pid());
        Sweep m{.processes = 1};
        std::ifstream rollup(proc + "/smaps_rollup");
        for (std::string field; std::getline(rollup, field);) {
          if (field.rfind("Rss:", 0) == 0) m.rss_kb = std::stol(field.substr(4));
          if (field.rfind("Pss:", 0) == 0) m.pss_kb = std::stol(field.substr(4));
          if (field.rfind("Pss_Anon:", 0) == 0) m.pss_anon_kb = std::stol(field.substr(9));
        }
        m.threads = proc_field(proc + "/status", "Threads:");
        measured[k] = m;
        ++seen;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  });
  // Once every participant has joined, each has loaded its data and holds its connection (round 1
  // opens right after).
  auto joined = [&] {
    const std::string log = aggregator->log();
    std::size_t n = 0;
    for (auto at = log.find(" joined\n"); at != std::string::npos; at = log.find(" joined\n", at + 1)) ++n;
    return n;
  };
  const bool all_joined = testing::wait_until(
      [&] { return joined() >= participants || aggregator->wait(std::chrono::milliseconds(0)) != -1; },
      std::chrono::seconds(900));
  const double join_s = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf("%zu of %zu participants joined %.1f s after they were started\n", joined(), participants, join_s);
  if (all_joined) {
    const Sample s = sample(aggregator->pid());
    std::printf("aggregator with %zu participants connected: %.1f MB resident, %ld threads\n", participants,
                s.rss_kb / 1024.0, s.threads);
  }
  const int aggregator_exit = aggregator->wait(std::chrono::seconds(1800));
  if (flooding) std::ofstream(root / "stop-flood") << "job over\n";
  const double job_s = std::chrono::duration<double>(Clock::now() - started).count();
  sampling = false;
  sampler.join();
  sweeping = false;
  sweeper.join();
  Sweep total;
  for (const auto& m : measured) {
    if (m.processes == 0 || m.pss_kb <= 0) continue;
    total.processes += 1;
    total.rss_kb += m.rss_kb;
    total.pss_kb += m.pss_kb;
    total.pss_anon_kb += m.pss_anon_kb;
    total.threads += m.threads;
  }
  if (total.processes > 0) {
    const double n = static_cast<double>(total.processes);
    std::printf(
        "participants, each read just after its join: %ld processes, resident %.1f MB each (%.2f GB summed), "
        "proportional (PSS) %.1f MB each (%.2f GB together; anonymous %.1f MB each), %.1f threads each\n",
        total.processes, total.rss_kb / 1024.0 / n, total.rss_kb / 1048576.0, total.pss_kb / 1024.0 / n,
        total.pss_kb / 1048576.0, total.pss_anon_kb / 1024.0 / n, static_cast<double>(total.threads) / n);
  }
  std::printf("MemAvailable: %.2f GB before the participants, %.2f GB at the lowest while they ran\n",
              available_before / 1048576.0, lowest_available / 1048576.0);
  std::size_t participants_ok = 0;
  std::size_t refused_streams = 0;
  for (std::size_t i = 0; i < processes.size(); ++i) {
    if (processes[i]->wait(std::chrono::seconds(60)) == 0) {
      ++participants_ok;
    } else {
      std::printf("participant %zu failed:\n%s", i, processes[i]->log().c_str());
    }
    if (processes[i]->log().find("RESOURCE_EXHAUSTED") != std::string::npos) ++refused_streams;
  }
  const auto lines = testing::json_lines(run / "metrics.jsonl");
  for (const auto& line : lines) {
    std::printf("round %d: %d participants, %.2f s (attribution %.2f s)\n", line["round"].get<int>(),
                line["participants"].get<int>(), line["seconds"].get<double>(),
                line["attribution_seconds"].get<double>());
  }
  std::printf("job: %zu of %llu rounds in %.1f s, aggregator exit %d, %zu of %zu participants exited 0\n", lines.size(),
              static_cast<unsigned long long>(rounds), job_s, aggregator_exit, participants_ok, participants);
  std::printf("aggregator peak: %.1f MB resident, %ld threads; per participant connection: %.1f kB, %.2f threads\n",
              peak.rss_kb / 1024.0, peak.threads,
              static_cast<double>(peak.rss_kb - idle.rss_kb) / static_cast<double>(participants),
              static_cast<double>(peak.threads - idle.threads) / static_cast<double>(participants));
  if (flooding) {
    flood->wait(std::chrono::seconds(120));
    std::printf("%s", flood->log().c_str());
  }
  if (refused_streams > 0) {
    std::printf("participants that were answered RESOURCE_EXHAUSTED at least once: %zu\n", refused_streams);
  }
  const bool ok = aggregator_exit == 0 && lines.size() == rounds && participants_ok == participants;
  if (!ok)
    std::printf(
        "aggregator log (tail):\n%s\n",
        aggregator->log().substr(aggregator->log().size() > 4000 ? aggregator->log().size() - 4000 : 0).c_str());
  if (keep.empty()) fs::remove_all(root);
  return ok ? 0 : 1;
}
