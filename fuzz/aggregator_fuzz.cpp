// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The aggregator's request handlers on arbitrary bytes, over a real loopback gRPC connection to an
// aggregator started once in this process (fedtrain/transport/aggregator.hpp: 2 allowlisted
// participants, participant 0 joined, no round open). The first byte picks the method (byte % 7, in
// the proto's order); for PushUpdate the rest is the stream, each message a 2-byte big-endian
// length and that many bytes; for the others the rest is the request. Where the bytes parse as the
// method's message and its session is the single byte "S" (or a ChallengeRequest's address the
// single byte "A"), the real session (address) is put in, so the fuzzer reaches the checks behind
// the login. Properties of every call:
//   - it ends OK or with a code a refusal or a limit carries (INVALID_ARGUMENT, UNAUTHENTICATED,
//     PERMISSION_DENIED, FAILED_PRECONDITION, ALREADY_EXISTS, RESOURCE_EXHAUSTED), or with
//     DEADLINE_EXCEEDED or CANCELLED when a long poll outlives the client's 200 ms: never INTERNAL,
//     UNKNOWN or UNIMPLEMENTED;
//   - a refusal's message is at most 1 KiB, whatever the input's size (nothing is echoed whole);
//   - the aggregator still answers a challenge for participant 1 afterwards.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <nlohmann/json.hpp>

#include "common/keccak.hpp"
#include "fedtrain/round/round_sink.hpp"
#include "fedtrain/transport/aggregator.hpp"
#include "fedtrain/transport/protocol.hpp"
#include "fuzz/internal/check.hpp"
#include "proto/flywheel.grpc.pb.h"

namespace {

using namespace flywheel;
using namespace flywheel::fedtrain;
namespace pb = flywheel::v1;

PrivateKey participant(std::size_t i) {
  return PrivateKey::from_bytes(keccak256(as_bytes("aggregator fuzz " + std::to_string(i))).view()).value();
}

struct Server {
  NullSink sink;
  std::unique_ptr<Aggregator> aggregator;
  std::shared_ptr<grpc::Channel> channel;
  std::optional<TransportClient> probe;
  std::string session;
  std::string address;
  std::filesystem::path out;
};

Server& server() {
  static Server* s = [] {
    auto* made = new Server;  // lives for the process, as libFuzzer's targets do
    nlohmann::json job = {{"job", {{"name", "fuzz-job"}, {"seed", 1}, {"rounds", 1}}},
                          {"data", {{"partition", "iid"}, {"validation_size", 20}, {"train_limit", 200}}},
                          {"model", {{"name", "mlp"}, {"hidden", {4}}}},
                          {"deployment", {{"listen", "127.0.0.1:0"}, {"stream_idle_timeout_s", 2}}}};
    for (std::size_t i = 0; i < 2; ++i) job["deployment"]["allowlist"].push_back(participant(i).address().hex());
    auto parsed = parse_deployment_job(job.dump());
    FLYWHEEL_FUZZ_CHECK(parsed.has_value(), "the fuzz job parses");
    made->out = std::filesystem::temp_directory_path() / ("flywheel-aggregator-fuzz-" + std::to_string(::getpid()));
    static std::ostringstream quiet;
    auto started = Aggregator::start(*parsed, PrivateKey::random(), made->out, made->sink,
                                     {.threads = 1, .progress = &quiet, .quiet = true});
    FLYWHEEL_FUZZ_CHECK(started.has_value(), "the aggregator starts");
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(
          std::filesystem::temp_directory_path() / ("flywheel-aggregator-fuzz-" + std::to_string(::getpid())), ignored);
    });
    made->aggregator = std::move(*started);
    const std::string target = "127.0.0.1:" + std::to_string(made->aggregator->port());
    made->channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
    made->probe = TransportClient::connect(target).value();
    auto joined = made->probe->join("fuzz-job", participant(0));
    FLYWHEEL_FUZZ_CHECK(joined && joined->status == TransportStatus::ok, "participant 0 joins");
    made->session.assign(joined->session.begin(), joined->session.end());
    const Address a = participant(0).address();
    made->address.assign(reinterpret_cast<const char*>(a.view().data()), a.view().size());
    return made;
  }();
  return *s;
}

// `bytes` with the placeholders filled in, when they parse as `Message`.
template <class Message>
std::string with_login(const std::string& bytes) {
  Message m;
  if (!m.ParseFromString(bytes)) return bytes;
  bool changed = false;
  if constexpr (requires { m.session(); }) {
    if (m.session() == "S") {
      m.set_session(server().session);
      changed = true;
    }
  }
  if constexpr (std::is_same_v<Message, pb::ChallengeRequest>) {
    if (m.address() == "A") {
      m.set_address(server().address);
      changed = true;
    }
  }
  if constexpr (std::is_same_v<Message, pb::UpdateChunk>) {
    if (m.has_header() && m.header().session() == "S") {
      m.mutable_header()->set_session(server().session);
      changed = true;
    }
  }
  return changed ? m.SerializeAsString() : bytes;
}

grpc::ByteBuffer buffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

void check_ending(const grpc::Status& status) {
  using C = grpc::StatusCode;
  const C code = status.error_code();
  FLYWHEEL_FUZZ_CHECK(code != C::INTERNAL && code != C::UNKNOWN && code != C::UNIMPLEMENTED,
                      "a call ends OK or with a refusal's code, never INTERNAL, UNKNOWN or UNIMPLEMENTED");
  FLYWHEEL_FUZZ_CHECK(status.error_message().size() <= 1024, "a refusal's message is at most 1 KiB");
}

void unary(const char* method, const std::string& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  grpc::ByteBuffer reply;
  const std::string path = std::string("/flywheel.v1.Aggregator/") + method;
  const grpc::internal::RpcMethod rpc(path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
  check_ending(grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      server().channel.get(), rpc, &context, buffer(request), &reply));
}

void fetch(const std::string& request) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  const grpc::internal::RpcMethod rpc("/flywheel.v1.Aggregator/FetchModel",
                                      grpc::internal::RpcMethod::SERVER_STREAMING);
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(server().channel.get(), rpc, &context,
                                                                    buffer(request)));
  grpc::ByteBuffer chunk;
  while (reader->Read(&chunk)) {
  }
  check_ending(reader->Finish());
}

void push(const std::uint8_t* data, std::size_t size) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  grpc::ByteBuffer reply;
  const grpc::internal::RpcMethod rpc("/flywheel.v1.Aggregator/PushUpdate",
                                      grpc::internal::RpcMethod::CLIENT_STREAMING);
  std::unique_ptr<grpc::ClientWriter<grpc::ByteBuffer>> writer(
      grpc::internal::ClientWriterFactory<grpc::ByteBuffer>::Create(server().channel.get(), rpc, &context, &reply));
  std::size_t at = 0;
  while (at + 2 <= size) {
    const std::size_t n = std::min<std::size_t>((std::size_t{data[at]} << 8) | data[at + 1], size - at - 2);
    const std::string message(reinterpret_cast<const char*>(data + at + 2), n);
    at += 2 + n;
    if (!writer->Write(buffer(with_login<pb::UpdateChunk>(message)))) break;
  }
  writer->WritesDone();
  check_ending(writer->Finish());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 7) {
    case 0:
      unary("GetChallenge", with_login<pb::ChallengeRequest>(rest));
      break;
    case 1:
      unary("Join", with_login<pb::JoinRequest>(rest));
      break;
    case 2:
      unary("GetRoundPlan", with_login<pb::PlanRequest>(rest));
      break;
    case 3:
      fetch(with_login<pb::ModelRequest>(rest));
      break;
    case 4:
      push(data + 1, size - 1);
      break;
    case 5:
      unary("Heartbeat", with_login<pb::HeartbeatRequest>(rest));
      break;
    default:
      unary("GetRoundResult", with_login<pb::RoundResultRequest>(rest));
      break;
  }
  auto challenge = server().probe->challenge("fuzz-job", participant(1).address(), 5);
  FLYWHEEL_FUZZ_CHECK(challenge && challenge->first == TransportStatus::ok,
                      "the aggregator still answers a challenge afterwards");
  return 0;
}
