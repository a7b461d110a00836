// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Silent update streams against one aggregator (issue 19, item 5): N PushUpdate streams that never
// send a message, from one process that also runs the aggregator. Prints the process's threads and
// resident memory before, with the streams open, and after deployment.stream_idle_timeout_s, how
// many streams the server took and how many it refused (RESOURCE_EXHAUSTED past its budget of
// update streams or its thread cap),
// and how long a GetChallenge takes while they are open. Before the idle timeout and the thread
// cap, 3,000 such streams held 3,014 server threads and 797 MB for good.
//
//   flywheel_stream_flood_bench --streams 3000 --idle 5
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
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
using Clock = std::chrono::steady_clock;

// "Threads:" and "VmRSS:" (kB) of this process.
std::pair<long, long> threads_and_rss_kb() {
  std::ifstream status("/proc/self/status");
  long threads = 0;
  long rss = 0;
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("Threads:", 0) == 0) threads = std::stol(line.substr(8));
    if (line.rfind("VmRSS:", 0) == 0) rss = std::stol(line.substr(6));
  }
  return {threads, rss};
}

PrivateKey key(std::size_t i) {
  return PrivateKey::from_bytes(keccak256(as_bytes("flood " + std::to_string(i))).view()).value();
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t streams = 3000;
  double idle = 5;
  CLI::App app{"flywheel_stream_flood_bench: silent update streams against one aggregator"};
  app.add_option("--streams", streams, "silent PushUpdate streams to open");
  app.add_option("--idle", idle, "deployment.stream_idle_timeout_s of the aggregator");
  CLI11_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  nlohmann::json job_json = {{"job", {{"name", "flood-bench"}, {"seed", 1}, {"rounds", 1}}},
                             {"data", {{"partition", "iid"}, {"validation_size", 8}, {"train_limit", 1000}}},
                             {"model", {{"name", "mlp"}, {"hidden", {8}}}},
                             {"deployment", {{"listen", "127.0.0.1:0"}, {"stream_idle_timeout_s", idle}}}};
  for (std::size_t i = 0; i < 4; ++i) job_json["deployment"]["allowlist"].push_back(key(i).address().hex());
  auto job = parse_deployment_job(job_json.dump());
  if (!job) {
    std::fprintf(stderr, "%s\n", job.error().to_string().c_str());
    return 1;
  }
  const auto out = std::filesystem::temp_directory_path() / ("flywheel-flood-bench-" + std::to_string(::getpid()));
  NullSink sink;
  std::ostringstream log;
  auto aggregator = Aggregator::start(*job, PrivateKey::random(), out, sink, {.threads = 1, .progress = &log});
  if (!aggregator) {
    std::fprintf(stderr, "%s\n", aggregator.error().to_string().c_str());
    return 1;
  }
  const std::string target = "127.0.0.1:" + std::to_string((*aggregator)->port());
  auto probe = TransportClient::connect(target).value();
  auto challenge_ms = [&] {
    const auto t0 = Clock::now();
    auto reply = probe.challenge("flood-bench", key(0).address());
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    return reply && reply->first == TransportStatus::ok ? ms : -1.0;
  };
  const auto [threads0, rss0] = threads_and_rss_kb();
  std::printf("before:        %ld threads, %.1f MB resident, GetChallenge %.1f ms\n", threads0, rss0 / 1024.0,
              challenge_ms());

  // Many channels, as many clients would open; each stream starts and then sends nothing.
  struct Silent {
    grpc::ClientContext context;
    flywheel::v1::PushReply reply;
    std::unique_ptr<grpc::ClientWriter<flywheel::v1::UpdateChunk>> writer;
  };
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (std::size_t c = 0; c < (streams + 99) / 100; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("flood-channel", static_cast<int>(c));  // distinct arguments: distinct connections
    channels.push_back(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  std::vector<std::unique_ptr<Silent>> open;
  const auto opened_at = Clock::now();
  for (std::size_t k = 0; k < streams; ++k) {
    auto s = std::make_unique<Silent>();
    auto stub = flywheel::v1::Aggregator::NewStub(channels[k / 100]);
    s->writer = stub->PushUpdate(&s->context, &s->reply);
    open.push_back(std::move(s));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const auto [threads1, rss1] = threads_and_rss_kb();
  std::printf("%zu open:   %ld threads, %.1f MB resident, GetChallenge %.1f ms\n", streams, threads1, rss1 / 1024.0,
              challenge_ms());

  std::size_t cancelled = 0;
  std::size_t exhausted = 0;
  std::size_t other = 0;
  for (auto& s : open) {
    const auto status = s->writer->Finish();  // returns when the server closes the stream
    if (status.error_code() == grpc::StatusCode::CANCELLED) {
      ++cancelled;
    } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      ++exhausted;
    } else {
      ++other;
    }
  }
  const double closed_s = std::chrono::duration<double>(Clock::now() - opened_at).count();
  open.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const auto [threads2, rss2] = threads_and_rss_kb();
  std::printf("after %.1f s: %ld threads, %.1f MB resident, GetChallenge %.1f ms\n", closed_s, threads2, rss2 / 1024.0,
              challenge_ms());
  std::printf(
      "streams: %zu closed idle by the server (CANCELLED), %zu refused past its stream budget or "
      "thread cap (RESOURCE_EXHAUSTED), %zu other\n",
      cancelled, exhausted, other);
  std::printf("threads with the streams open / before: %.2f; after / before: %.2f\n",
              static_cast<double>(threads1) / static_cast<double>(threads0),
              static_cast<double>(threads2) / static_cast<double>(threads0));
  aggregator->reset();
  std::filesystem::remove_all(out);
  return 0;
}
