// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// What a gRPC client sees when the aggregator refuses it (proto/flywheel.proto, "Refusals"):
// requests that do not parse, refusals with their gRPC codes and replies, text that is not UTF-8;
// and the stream limits (docs/security.md), each counted where the operator sees it.
#include <chrono>
#include <fstream>
#include <thread>

#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/client_unary_call.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/eip712.hpp"
#include "fedtrain/transport/protocol.hpp"
#include "proto/flywheel.grpc.pb.h"
#include "tests/internal/in_process_aggregator.hpp"

namespace flywheel::fedtrain {
namespace {

namespace pb = ::flywheel::v1;
using nlohmann::json;
using namespace std::chrono_literals;
using ::flywheel::testing::participant_key;

class ProtocolErrors : public fedtrain::testing::InProcessAggregator {
 protected:
  std::shared_ptr<grpc::Channel> channel() {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(aggregator_->port()), grpc::InsecureChannelCredentials());
  }
  static grpc::ByteBuffer buffer(const std::string& bytes) {
    grpc::Slice slice(bytes);
    return grpc::ByteBuffer(&slice, 1);
  }
  // A unary call of `method` ("GetChallenge") whose request is `bytes`, as they are.
  grpc::Status raw_unary(const std::string& method, const std::string& bytes) {
    grpc::ClientContext context;
    grpc::ByteBuffer reply;
    const std::string path = "/flywheel.v1.Aggregator/" + method;
    const grpc::internal::RpcMethod rpc(path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
    auto ch = channel();
    return grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(ch.get(), rpc, &context, buffer(bytes),
                                                                                 &reply);
  }
  // An update stream whose messages are `messages`, as they are.
  grpc::Status raw_push(const std::vector<std::string>& messages) {
    grpc::ClientContext context;
    grpc::ByteBuffer reply;
    const grpc::internal::RpcMethod rpc("/flywheel.v1.Aggregator/PushUpdate",
                                        grpc::internal::RpcMethod::CLIENT_STREAMING);
    auto ch = channel();
    std::unique_ptr<grpc::ClientWriter<grpc::ByteBuffer>> writer(
        grpc::internal::ClientWriterFactory<grpc::ByteBuffer>::Create(ch.get(), rpc, &context, &reply));
    for (const auto& m : messages) {
      if (!writer->Write(buffer(m))) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }
  // The session of participant i, joined by a TransportClient.
  Bytes session_of(std::size_t i) {
    auto c = TransportClient::connect("127.0.0.1:" + std::to_string(aggregator_->port())).value();
    const auto joined = c.join("deploy-test", participant_key(i)).value();
    EXPECT_EQ(joined.status, TransportStatus::ok);
    return joined.session;
  }
  // rejections.json once it shows `name` at `count` (it follows the counters within a second).
  json rejections_file_showing(const std::string& name, std::uint64_t count) {
    json doc;
    for (int k = 0; k < 50; ++k) {
      std::ifstream in(std::filesystem::path(dir_.path()) / "rejections.json");
      if (in) doc = json::parse(in, nullptr, false);
      if (doc.is_object() && doc.value(name, std::uint64_t{0}) == count) break;
      std::this_thread::sleep_for(100ms);
    }
    return doc;
  }
};

// Bytes that are no protocol message (a tag whose varint never ends) get INVALID_ARGUMENT naming
// the message expected, never INTERNAL; each counts as MALFORMED, and the aggregator goes on.
TEST_F(ProtocolErrors, ARequestThatDoesNotParseIsInvalidArgumentNamingTheMessageExpected) {
  start(one_of_two());
  const std::string garbage = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff";
  const std::pair<const char*, const char*> methods[] = {{"GetChallenge", "flywheel.v1.ChallengeRequest"},
                                                         {"Join", "flywheel.v1.JoinRequest"},
                                                         {"GetRoundPlan", "flywheel.v1.PlanRequest"},
                                                         {"Heartbeat", "flywheel.v1.HeartbeatRequest"},
                                                         {"GetRoundResult", "flywheel.v1.RoundResultRequest"}};
  for (const auto& [method, message] : methods) {
    const auto status = raw_unary(method, garbage);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method << ": " << status.error_message();
    EXPECT_EQ(status.error_message(),
              "MALFORMED: the request (11 bytes) is not a valid " + std::string(message) + " message");
  }
  EXPECT_EQ(refused("MALFORMED"), 5U);
  EXPECT_EQ(rejections_file_showing("MALFORMED", 5).value("MALFORMED", 0), 5);
  auto c = TransportClient::connect("127.0.0.1:" + std::to_string(aggregator_->port())).value();
  EXPECT_EQ(c.join("deploy-test", participant_key(0)).value().status, TransportStatus::ok);
}

TEST_F(ProtocolErrors, AModelRequestThatDoesNotParseIsInvalidArgument) {
  start(one_of_two());
  grpc::ClientContext context;
  const grpc::internal::RpcMethod rpc("/flywheel.v1.Aggregator/FetchModel",
                                      grpc::internal::RpcMethod::SERVER_STREAMING);
  auto ch = channel();
  std::unique_ptr<grpc::ClientReader<grpc::ByteBuffer>> reader(
      grpc::internal::ClientReaderFactory<grpc::ByteBuffer>::Create(ch.get(), rpc, &context, buffer("\x0a\xff")));
  grpc::ByteBuffer chunk;
  EXPECT_FALSE(reader->Read(&chunk));
  const auto status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "MALFORMED: the request (2 bytes) is not a valid flywheel.v1.ModelRequest message");
}

// A field the protocol does not define, in a request or in a message inside a stream message, is
// refused: protobuf would keep it aside silently.
TEST_F(ProtocolErrors, AFieldTheProtocolDoesNotDefineIsRefusedNamingIt) {
  start(one_of_two());
  pb::ChallengeRequest request;
  request.set_version(kProtocolVersion);
  request.set_job_id("deploy-test");
  const Address address = participant_key(0).address();
  request.set_address(std::string(address.view().begin(), address.view().end()));
  ASSERT_TRUE(raw_unary("GetChallenge", request.SerializeAsString()).ok());
  const auto status = raw_unary("GetChallenge", request.SerializeAsString() + "\x98\x06\x01");  // field 99 = 1
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "MALFORMED: flywheel.v1.ChallengeRequest field 99 is not part of the protocol");
  auto header = stream_header(session_of(0));
  header.mutable_header()->GetReflection()->MutableUnknownFields(header.mutable_header())->AddVarint(77, 1);
  const auto pushed = raw_push({header.SerializeAsString()});
  EXPECT_EQ(pushed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(pushed.error_message(),
            "MALFORMED: message 1 of the stream: flywheel.v1.UpdateHeader field 77 is not part of the protocol");
  EXPECT_EQ(refused("MALFORMED"), 2U);
}

// An update stream is read message by message: one that does not parse is named by its place in
// the stream, not taken for the end of the stream ("empty stream", a short body).
TEST_F(ProtocolErrors, AnUpdateStreamMessageThatDoesNotParseIsRefusedByItsPlace) {
  start(one_of_two());
  auto first = raw_push({"\xff\xff"});
  EXPECT_EQ(first.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(first.error_message(),
            "MALFORMED: message 1 of the stream (2 bytes) is not a valid flywheel.v1.UpdateChunk");
  const std::string header = stream_header(session_of(0)).SerializeAsString();
  auto second = raw_push({header, "\xff\xff\xff"});
  EXPECT_EQ(second.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(second.error_message(),
            "MALFORMED: message 2 of the stream (3 bytes) is not a valid flywheel.v1.UpdateChunk");
  EXPECT_EQ(refused("MALFORMED"), 2U);
}

// A refusal ends the call with the gRPC code of its Status, "NAME: why", and the reply in the
// status details, so plain gRPC clients and TransportClient both see what happened.
TEST_F(ProtocolErrors, ARefusalEndsTheCallWithItsGrpcCodeAndCarriesTheReply) {
  start(one_of_two());
  auto stub = raw_stub();
  {
    grpc::ClientContext context;
    pb::ChallengeRequest request;
    request.set_version(kProtocolVersion);
    request.set_job_id("deploy-test");
    request.set_address(std::string(20, '\x01'));
    pb::Challenge reply;
    const auto status = stub->GetChallenge(&context, request, &reply);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(status.error_message(),
              "UNKNOWN_PARTICIPANT: 0x0101010101010101010101010101010101010101 is not on the allowlist");
    pb::Challenge carried;
    ASSERT_TRUE(carried.ParseFromString(status.error_details()));
    EXPECT_EQ(carried.status(), pb::UNKNOWN_PARTICIPANT);
    EXPECT_EQ(carried.version(), kProtocolVersion);
  }
  {
    grpc::ClientContext context;
    pb::ChallengeRequest request;
    request.set_version(kProtocolVersion - 1);
    pb::Challenge reply;
    const auto status = stub->GetChallenge(&context, request, &reply);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(status.error_message(),
              "VERSION_MISMATCH: protocol version " + std::to_string(kProtocolVersion) + " expected");
  }
  {
    grpc::ClientContext context;
    pb::JoinRequest request;
    request.set_version(kProtocolVersion);
    request.set_nonce(std::string(32, '\0'));
    pb::JoinReply reply;
    const auto status = stub->Join(&context, request, &reply);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(status.error_message(),
              "BAD_CHALLENGE: unknown or expired nonce for this address: ask for a new challenge");
  }
  {
    grpc::ClientContext context;
    pb::HeartbeatRequest request;
    request.set_version(kProtocolVersion);
    request.set_session("no such session");
    pb::HeartbeatReply reply;
    const auto status = stub->Heartbeat(&context, request, &reply);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // TransportClient reads the refusal back as a reply, as before.
  auto c = TransportClient::connect("127.0.0.1:" + std::to_string(aggregator_->port())).value();
  const auto joined = c.join("deploy-test", participant_key(5)).value();
  EXPECT_EQ(joined.status, TransportStatus::unknown_participant);
}

// Text a peer sends is bytes on the wire: a job id that is not UTF-8 is refused as WRONG_JOB, and
// the refusal shows it escaped (the reply's message stays valid UTF-8 for the client to parse).
TEST_F(ProtocolErrors, AJobIdThatIsNotUtf8IsWrongJobAndShownEscaped) {
  start(one_of_two());
  auto c = TransportClient::connect("127.0.0.1:" + std::to_string(aggregator_->port())).value();
  const auto key = participant_key(0);
  auto nonce = c.challenge("deploy-test", key.address()).value();
  ASSERT_EQ(nonce.first, TransportStatus::ok);
  const std::string job = "deploy-\xff\xfe\\";
  const auto signature = eip712::sign_digest(key, join_digest(job, nonce.second));
  const auto joined = c.join(job, key.address(), nonce.second, signature).value();
  EXPECT_EQ(joined.status, TransportStatus::wrong_job);
  EXPECT_NE(joined.message.find("\"deploy-\\xff\\xfe\\x5c\""), std::string::npos) << joined.message;
}

// ---- stream limits ---------------------------------------------------------------------------

class ProtocolLimits : public ProtocolErrors {
 protected:
  // An update stream that sent its header and waits, holding its server thread.
  struct OpenStream {
    grpc::ClientContext context;
    pb::PushReply reply;
    std::unique_ptr<grpc::ClientWriter<pb::UpdateChunk>> writer;
  };
  std::unique_ptr<OpenStream> open_stream(pb::Aggregator::Stub& stub, const std::optional<Bytes>& session) {
    auto s = std::make_unique<OpenStream>();
    s->writer = stub.PushUpdate(&s->context, &s->reply);
    if (session) {
      EXPECT_TRUE(s->writer->Write(stream_header(*session)));
    }
    return s;
  }
};

// A participant has at most two update streams open at once: a third is refused at its header
// with RESOURCE_EXHAUSTED, counted once as PARTICIPANT_STREAM_LIMIT; another's stream goes on.
TEST_F(ProtocolLimits, AParticipantsThirdConcurrentUpdateStreamIsResourceExhausted) {
  start(one_of_two());
  const Bytes mine = session_of(0);
  auto stub = raw_stub();
  auto a = open_stream(*stub, mine);
  auto b = open_stream(*stub, mine);
  std::this_thread::sleep_for(500ms);  // both headers read and claimed
  auto third = open_stream(*stub, mine);
  third->writer->WritesDone();
  const auto status = third->writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), "participant 0 already has 2 update streams open; finish one first");
  EXPECT_EQ(refused("PARTICIPANT_STREAM_LIMIT"), 1U);
  auto other = open_stream(*stub, session_of(1));
  std::this_thread::sleep_for(300ms);
  for (auto* s : {a.get(), b.get(), other.get()}) s->context.TryCancel();
  for (auto* s : {a.get(), b.get(), other.get()}) {
    EXPECT_EQ(s->writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  EXPECT_EQ(refused("PARTICIPANT_STREAM_LIMIT"), 1U);
}

// Past the budget of 2 per allowlisted participant + 8, an update stream is refused at once, even
// before it sends anything.
TEST_F(ProtocolLimits, UpdateStreamsPastTheBudgetAreRefusedAtOnce) {
  start(one_of_two());  // 2 participants: 12 streams
  auto stub = raw_stub();
  std::vector<std::unique_ptr<OpenStream>> silent;
  for (int k = 0; k < 12; ++k) silent.push_back(open_stream(*stub, std::nullopt));
  std::this_thread::sleep_for(1s);  // every handler started
  auto extra = open_stream(*stub, std::nullopt);
  const auto started = std::chrono::steady_clock::now();
  const auto status = extra->writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), "too many update streams open (12); try again later");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(refused("STREAM_LIMIT"), 1U);
  for (auto& s : silent) s->context.TryCancel();
  for (auto& s : silent) (void)s->writer->Finish();
}

// Streams nobody has logged in (an outsider's) fill only their own budget: a participant names its
// session when it opens its stream, and its update goes through.
TEST_F(ProtocolLimits, SilentStreamsFillingTheBudgetDoNotKeepAParticipantsUpdateOut) {
  start(one_of_two());  // 2 participants: 12 streams whose sender is not known
  auto stub = raw_stub();
  std::vector<std::unique_ptr<OpenStream>> silent;
  for (int k = 0; k < 12; ++k) silent.push_back(open_stream(*stub, std::nullopt));
  std::this_thread::sleep_for(1s);  // every handler started
  auto extra = open_stream(*stub, std::nullopt);
  EXPECT_EQ(extra->writer->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  auto c = client(0);
  auto plan = open_plan(c);
  EXPECT_EQ(push(c, good(0, plan, zeros())), TransportStatus::ok);
  for (auto& s : silent) s->context.TryCancel();
  for (auto& s : silent) (void)s->writer->Finish();
}

// A stream that keeps sending a few bytes is never idle; deployment.stream_max_s closes it
// anyway, counted as STREAM_TOO_LONG.
TEST_F(ProtocolLimits, ATricklingStreamIsClosedAfterStreamMaxS) {
  json job = one_of_two();
  job["deployment"]["stream_max_s"] = 1;
  start(job);
  auto stub = raw_stub();
  auto s = open_stream(*stub, session_of(0));
  const auto started = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - started < 10s && s->writer->Write(zero_bytes(4))) {
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(s->writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_EQ(refused("STREAM_TOO_LONG"), 1U);
  EXPECT_EQ(refused("MALFORMED"), 0U);
}

TEST(DeploymentConfig, AStreamMaxOfZeroIsRefused) {
  json job = ::flywheel::testing::base_job(2, 1);
  job["deployment"]["stream_max_s"] = 0;
  const auto parsed = parse_deployment_job(job.dump());
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("stream_max_s"), std::string::npos) << parsed.error().message;
}

}  // namespace
}  // namespace flywheel::fedtrain
