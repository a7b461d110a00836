// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Floods against one aggregator (issue 19, items 5 and 7; docs/security.md): the aggregator runs
// in a child process (4 allowlisted participants), this process floods it and reads the child's
// threads and resident memory from /proc, so the numbers are the server's alone.
//   1. Silent update streams: N PushUpdate streams that never send a message.
//   2. Challenge calls: M GetChallenge calls issued at once, over C connections.
// For each: threads and memory before, during (peak) and after, how each call ended, how long a
// probe GetChallenge on its own connection takes during and after the flood, and how long the
// server's memory takes to come back within 10 % (+16 MB) of its baseline (at most 60 s).
//
//   flywheel_stream_flood_bench --streams 3000 --idle 5 --challenges 50000 --connections 500
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/keccak.hpp"
#include "fedtrain/round/round_sink.hpp"
#include "fedtrain/transport/aggregator.hpp"
#include "fedtrain/transport/protocol.hpp"
#include "proto/flywheel.grpc.pb.h"

namespace {

using namespace flywheel;
using namespace flywheel::fedtrain;
namespace pb = ::flywheel::v1;
using Clock = std::chrono::steady_clock;

struct Usage {
  long threads = 0;
  double rss_mb = 0;
};

// "Threads:" and "VmRSS:" of process `pid`.
Usage usage_of(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  Usage u;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Threads:", 0) == 0) u.threads = std::stol(line.substr(8));
    if (line.rfind("VmRSS:", 0) == 0) u.rss_mb = static_cast<double>(std::stol(line.substr(6))) / 1024.0;
  }
  return u;
}

// Samples a process's usage every 50 ms on a thread and keeps the peak.
class PeakWatch {
 public:
  explicit PeakWatch(pid_t pid)
      : thread_([this, pid] {
          while (!stop_) {
            const Usage u = usage_of(pid);
            peak_threads_ = std::max(peak_threads_.load(), u.threads);
            peak_rss_kb_ = std::max(peak_rss_kb_.load(), static_cast<long>(u.rss_mb * 1024));
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
          }
        }) {}
  ~PeakWatch() { finish(); }
  Usage finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return {peak_threads_.load(), static_cast<double>(peak_rss_kb_.load()) / 1024.0};
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<long> peak_threads_{0};
  std::atomic<long> peak_rss_kb_{0};
  std::thread thread_;
};

PrivateKey key(std::size_t i) {
  return PrivateKey::from_bytes(keccak256(as_bytes("flood " + std::to_string(i))).view()).value();
}

std::shared_ptr<grpc::Channel> connection(const std::string& target, int tag) {
  grpc::ChannelArguments args;
  args.SetInt("flood-channel", tag);  // distinct arguments: distinct connections
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

// The child: runs an aggregator until killed, after writing its port to `fd`.
[[noreturn]] void serve(double idle, int fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  nlohmann::json job_json = {{"job", {{"name", "flood-bench"}, {"seed", 1}, {"rounds", 1}}},
                             {"data", {{"partition", "iid"}, {"validation_size", 8}, {"train_limit", 1000}}},
                             {"model", {{"name", "mlp"}, {"hidden", {8}}}},
                             {"deployment", {{"listen", "127.0.0.1:0"}, {"stream_idle_timeout_s", idle}}}};
  for (std::size_t i = 0; i < 4; ++i) job_json["deployment"]["allowlist"].push_back(key(i).address().hex());
  auto job = parse_deployment_job(job_json.dump());
  if (!job) {
    std::fprintf(stderr, "%s\n", job.error().to_string().c_str());
    std::_Exit(1);
  }
  const auto out = std::filesystem::temp_directory_path() / ("flywheel-flood-bench-" + std::to_string(::getpid()));
  NullSink sink;
  std::ostringstream log;
  auto aggregator = Aggregator::start(*job, PrivateKey::random(), out, sink, {.threads = 1, .progress = &log});
  if (!aggregator) {
    std::fprintf(stderr, "%s\n", aggregator.error().to_string().c_str());
    std::_Exit(1);
  }
  const int port = (*aggregator)->port();
  (void)!::write(fd, &port, sizeof port);
  ::close(fd);
  while (true) ::pause();
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t streams = 3000;
  double idle = 5;
  std::size_t challenges = 50000;
  std::size_t connections = 500;
  CLI::App app{"flywheel_stream_flood_bench: silent update streams and challenge calls against one aggregator"};
  app.add_option("--streams", streams, "silent PushUpdate streams to open (0: skip)");
  app.add_option("--idle", idle, "deployment.stream_idle_timeout_s of the aggregator");
  app.add_option("--challenges", challenges, "GetChallenge calls to issue at once (0: skip)");
  app.add_option("--connections", connections, "connections the challenge calls spread over");
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  // Fork before this process touches gRPC: the child runs the aggregator.
  int fds[2];
  if (::pipe(fds) != 0) return 1;
  const pid_t server = ::fork();
  if (server < 0) return 1;
  if (server == 0) {
    ::close(fds[0]);
    serve(idle, fds[1]);
  }
  ::close(fds[1]);
  int port = 0;
  if (::read(fds[0], &port, sizeof port) != sizeof port) {
    std::fprintf(stderr, "the aggregator did not start\n");
    return 1;
  }
  ::close(fds[0]);
  const std::string target = "127.0.0.1:" + std::to_string(port);
  auto probe = TransportClient::connect(target).value();
  auto challenge_ms = [&] {
    const auto t0 = Clock::now();
    auto reply = probe.challenge("flood-bench", key(0).address(), 30);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return reply && reply->first == TransportStatus::ok ? ms : -1.0;
  };
  (void)challenge_ms();  // connect
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const Usage base = usage_of(server);
  std::printf("aggregator (pid %d) before: %ld threads, %.1f MB resident, GetChallenge %.1f ms\n", server, base.threads,
              base.rss_mb, challenge_ms());
  // Samples the server until its memory is back within 10 % (+16 MB) of the baseline, at most 60 s.
  auto settle = [&](const char* what) {
    const auto t0 = Clock::now();
    Usage u = usage_of(server);
    while (u.rss_mb > base.rss_mb * 1.1 + 16 && Clock::now() - t0 < std::chrono::seconds(60)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      u = usage_of(server);
    }
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("%s, %.1f s later: %ld threads, %.1f MB resident (%s), GetChallenge %.1f ms\n", what, s, u.threads,
                u.rss_mb, u.rss_mb <= base.rss_mb * 1.1 + 16 ? "back to baseline" : "NOT back within 60 s",
                challenge_ms());
  };

  if (streams > 0) {
    std::printf("\n== %zu silent update streams ==\n", streams);
    // 25 streams per connection, within the server's 32 calls per connection.
    constexpr std::size_t kPerChannel = 25;
    struct Silent {
      grpc::ClientContext context;
      pb::PushReply reply;
      std::unique_ptr<grpc::ClientWriter<pb::UpdateChunk>> writer;
    };
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    for (std::size_t c = 0; c < (streams + kPerChannel - 1) / kPerChannel; ++c) {
      channels.push_back(connection(target, static_cast<int>(c)));
    }
    PeakWatch peak(server);
    std::vector<std::unique_ptr<Silent>> open;
    const auto opened_at = Clock::now();
    for (std::size_t k = 0; k < streams; ++k) {
      auto s = std::make_unique<Silent>();
      auto stub = pb::Aggregator::NewStub(channels[k / kPerChannel]);
      s->writer = stub->PushUpdate(&s->context, &s->reply);
      open.push_back(std::move(s));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const Usage during = usage_of(server);
    std::printf("open:  %ld threads, %.1f MB resident, GetChallenge %.1f ms\n", during.threads, during.rss_mb,
                challenge_ms());
    std::map<std::string, std::size_t> ended;
    for (auto& s : open) {
      const auto status = s->writer->Finish();  // returns when the server closes the stream
      ++ended[status.error_code() == grpc::StatusCode::CANCELLED            ? "closed idle (CANCELLED)"
              : status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ? "refused (RESOURCE_EXHAUSTED)"
                                                                            : "other"];
    }
    const double closed_s = std::chrono::duration<double>(Clock::now() - opened_at).count();
    const Usage top = peak.finish();
    open.clear();
    channels.clear();
    std::printf("all ended after %.1f s; peak %ld threads, %.1f MB resident; streams:", closed_s, top.threads,
                top.rss_mb);
    for (const auto& [how, n] : ended) std::printf(" %zu %s;", n, how.c_str());
    std::printf("\n");
    settle("after");
  }

  if (challenges > 0) {
    std::printf("\n== %zu GetChallenge calls at once over %zu connections ==\n", challenges, connections);
    std::vector<std::unique_ptr<pb::Aggregator::Stub>> stubs;
    for (std::size_t c = 0; c < connections; ++c) {
      stubs.push_back(pb::Aggregator::NewStub(connection(target, static_cast<int>(100000 + c))));
    }
    struct Call {
      grpc::ClientContext context;
      pb::Challenge reply;
      grpc::Status status;
      std::unique_ptr<grpc::ClientAsyncResponseReader<pb::Challenge>> reader;
    };
    grpc::CompletionQueue cq;
    std::vector<std::unique_ptr<Call>> calls(challenges);
    pb::ChallengeRequest request;
    request.set_version(kProtocolVersion);
    request.set_job_id("flood-bench");
    PeakWatch peak(server);
    const auto t0 = Clock::now();
    for (std::size_t k = 0; k < challenges; ++k) {
      auto& call = calls[k];
      call = std::make_unique<Call>();
      call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
      request.set_address(std::string(reinterpret_cast<const char*>(key(k % 4).address().view().data()), 20));
      call->reader = stubs[k % connections]->AsyncGetChallenge(&call->context, request, &cq);
      call->reader->Finish(&call->reply, &call->status, reinterpret_cast<void*>(k));
    }
    std::printf("issued in %.1f s\n", std::chrono::duration<double>(Clock::now() - t0).count());
    // Probes from their own connection while the calls are in flight.
    std::atomic<bool> flooding{true};
    std::vector<double> probes;
    std::thread prober([&] {
      while (flooding) {
        probes.push_back(challenge_ms());
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
      }
    });
    std::map<std::string, std::size_t> ended;
    void* tag = nullptr;
    bool ok = false;
    for (std::size_t done = 0; done < challenges && cq.Next(&tag, &ok); ++done) {
      const auto& call = calls[reinterpret_cast<std::size_t>(tag)];
      ++ended[call->status.ok() ? "answered" : "gRPC code " + std::to_string(call->status.error_code())];
    }
    const double took = std::chrono::duration<double>(Clock::now() - t0).count();
    flooding = false;
    prober.join();
    const Usage top = peak.finish();
    calls.clear();
    stubs.clear();
    std::sort(probes.begin(), probes.end());
    const double worst = probes.empty() ? 0 : probes.back();
    const double median = probes.empty() ? 0 : probes[probes.size() / 2];
    std::printf("all ended after %.1f s (%.0f calls/s); peak %ld threads, %.1f MB resident; calls:", took,
                static_cast<double>(challenges) / took, top.threads, top.rss_mb);
    for (const auto& [how, n] : ended) std::printf(" %zu %s;", n, how.c_str());
    std::printf("\nprobe GetChallenge during the flood: median %.1f ms, worst %.1f ms over %zu probes\n", median, worst,
                probes.size());
    settle("after");
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
  }
  ::kill(server, SIGKILL);
  ::waitpid(server, nullptr, 0);
  std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                              ("flywheel-flood-bench-" + std::to_string(server)));
  return 0;
}
