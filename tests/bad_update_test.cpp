// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Every refusal of a bad update or join, sent by a hand-driven TransportClient to an in-process
// aggregator on loopback, with the status and message each gets; and the deployment section's own
// checks.
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/eip712.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/transport/aggregator.hpp"
#include "fedtrain/transport/protocol.hpp"
#include "proto/flywheel.grpc.pb.h"
#include "tests/internal/deployment_jobs.hpp"
#include "tests/internal/in_process_aggregator.hpp"
#include "tests/internal/run_command.hpp"
#include "tests/internal/test_files.hpp"

namespace flywheel::fedtrain {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using ::flywheel::testing::base_job;
using ::flywheel::testing::participant_key;

// ---- bad inputs, against an in-process aggregator ----------------------------------------------

// Bad updates and joins from hand-driven clients (tests/internal/in_process_aggregator.hpp).
class BadUpdate : public fedtrain::testing::InProcessAggregator {};

TEST_F(BadUpdate, AGoodUpdateIsAcceptedWithAnAckSignedByTheAggregator) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  auto outcome = c.push_update(good(0, plan, delta)).value();
  ASSERT_EQ(outcome.status, TransportStatus::ok) << outcome.message;
  EXPECT_EQ(
      eip712::recover_signer(eip712::digest(job_.deployment.domain(), outcome.ack), outcome.ack_signature).value(),
      outcome.ack.aggregator);
}

TEST_F(BadUpdate, AnUpdateSignedWhileStreamingIsAcceptedAndItsAckNamesTheReceipt) {
  start(one_of_two());
  auto c = client(0, 4096);  // several chunks, each hashed as it leaves
  auto plan = open_plan(c);
  std::vector<float> delta = zeros();
  for (std::size_t k = 0; k < delta.size(); ++k) delta[k] = 1e-4F * static_cast<float>(k % 7);
  const PrivateKey key = participant_key(0);
  UpdateSubmission s = good(0, plan, delta);
  s.receipt.update_hash = {};
  s.signature.clear();
  s.sign_while_streaming = UpdateSubmission::StreamSigner{.key = &key, .domain = job_.deployment.domain()};
  auto outcome = c.push_update(s).value();
  ASSERT_EQ(outcome.status, TransportStatus::ok) << outcome.message;
  EXPECT_EQ(outcome.receipt.update_hash, hash_floats(delta));
  EXPECT_EQ(outcome.receipt_digest, eip712::digest(job_.deployment.domain(), outcome.receipt));
  EXPECT_EQ(outcome.ack.receipt_digest, outcome.receipt_digest);
}

TEST_F(BadUpdate, AReceiptInTheTrailerSignedByAnotherKeyIsRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  const PrivateKey other = participant_key(1);  // the receipt names participant 0
  UpdateSubmission s = good(0, plan, delta);
  s.sign_while_streaming = UpdateSubmission::StreamSigner{.key = &other, .domain = job_.deployment.domain()};
  EXPECT_EQ(push(c, s), TransportStatus::wrong_signer);
  EXPECT_EQ(refused("WRONG_SIGNER"), 1U);
}

TEST_F(BadUpdate, AMissingSignatureIsRefusedAndCounted) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  auto s = good(0, plan, delta);
  s.signature.clear();
  EXPECT_EQ(push(c, s), TransportStatus::bad_signature);
  EXPECT_EQ(refused("BAD_SIGNATURE"), 1U);
}

TEST_F(BadUpdate, AMalformedSignatureIsRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  auto s = good(0, plan, delta);
  s.signature[64] = 99;  // v must be 27 or 28
  EXPECT_EQ(push(c, s), TransportStatus::bad_signature);
}

TEST_F(BadUpdate, ASignatureByAnotherKeyIsRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  auto s = good(0, plan, delta);
  resign(s, participant_key(1));
  EXPECT_EQ(push(c, s), TransportStatus::wrong_signer);
  EXPECT_EQ(refused("WRONG_SIGNER"), 1U);
}

TEST_F(BadUpdate, AnUnknownParticipantCannotJoinOrPush) {
  start(one_of_two());
  auto c = TransportClient::connect("127.0.0.1:" + std::to_string(aggregator_->port())).value();
  auto joined = c.join("deploy-test", participant_key(9)).value();
  EXPECT_EQ(joined.status, TransportStatus::unknown_participant);
  auto member = client(0);
  auto plan = open_plan(member);
  const auto delta = zeros();
  auto s = good(9, plan, delta);
  EXPECT_EQ(push(member, s), TransportStatus::unknown_participant);
  s = good(0, plan, delta);
  s.session = Bytes(32, 7);
  EXPECT_EQ(push(member, s), TransportStatus::unknown_participant);
  EXPECT_EQ(refused("UNKNOWN_PARTICIPANT"), 3U);
}

TEST_F(BadUpdate, AnUpdateForAnotherJobIsRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  auto s = good(0, plan, delta);
  s.receipt.job_id = "other-job";
  resign(s, participant_key(0));
  EXPECT_EQ(push(c, s), TransportStatus::wrong_job);
}

TEST_F(BadUpdate, AnUpdateForARoundNotOpenIsRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  auto s = good(0, plan, delta);
  s.receipt.round = 2;
  resign(s, participant_key(0));
  EXPECT_EQ(push(c, s), TransportStatus::wrong_round);
}

TEST_F(BadUpdate, AReplayOfAnEarlierRoundsUpdateIsRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  const auto first = good(0, plan, delta);
  ASSERT_EQ(push(c, first), TransportStatus::ok);
  open_plan(c, 2);
  EXPECT_EQ(push(c, first), TransportStatus::replay);
  EXPECT_EQ(refused("REPLAY"), 1U);
}

// Without training.measure_compute_time a receipt's computeMillis is 0 (the round's root must not
// depend on a machine's speed); a receipt claiming time is MALFORMED and says why.
TEST_F(BadUpdate, AReceiptClaimingComputeTimeTheJobDoesNotMeasureIsRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  auto s = good(0, plan, delta);
  s.receipt.compute_millis = 5;
  resign(s, participant_key(0));
  const auto reply = c.push_update(s);
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(reply->status, TransportStatus::malformed);
  EXPECT_NE(reply->message.find("training.measure_compute_time"), std::string::npos) << reply->message;
  EXPECT_EQ(push(c, good(0, plan, delta)), TransportStatus::ok);
}

// The twin (r, n − s, v ^ 1) of a 65-byte r ‖ s ‖ v signature: valid for the same key and digest,
// and refused because its s is high (EIP-2).
Bytes high_s_twin(const Bytes& rsv) {
  static constexpr std::uint8_t kOrder[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                              0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48,
                                              0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41};
  Bytes out = rsv;
  int borrow = 0;
  for (int k = 31; k >= 0; --k) {
    int d = kOrder[k] - rsv[32 + k] - borrow;
    borrow = d < 0 ? 1 : 0;
    out[32 + k] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
  }
  out[64] = static_cast<std::uint8_t>(rsv[64] == 27 ? 28 : 27);
  return out;
}

TEST_F(BadUpdate, AnUpdateClaimingZeroSamplesIsRefusedAndTheRoundGoesOn) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  auto s = good(0, plan, delta);
  s.receipt.samples = 0;
  s.receipt.compute_units = 0;
  resign(s, participant_key(0));
  const auto reply = c.push_update(s).value();
  EXPECT_EQ(reply.status, TransportStatus::malformed);
  EXPECT_NE(reply.message.find("receipt.samples is 0"), std::string::npos) << reply.message;
  EXPECT_EQ(push(c, good(0, plan, delta)), TransportStatus::ok);
}

TEST_F(BadUpdate, AnUpdateClaimingMoreSamplesThanTheJobHoldsIsRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  auto s = good(0, plan, delta);
  s.receipt.samples = std::numeric_limits<std::uint64_t>::max();
  s.receipt.compute_units = s.receipt.samples;
  resign(s, participant_key(0));
  const auto reply = c.push_update(s).value();
  EXPECT_EQ(reply.status, TransportStatus::malformed);
  // base_job: 1,200 samples of which 200 are the aggregator's validation set.
  EXPECT_NE(reply.message.find("more than the 1000 training samples"), std::string::npos) << reply.message;
}

TEST_F(BadUpdate, ComputeUnitsOtherThanSamplesTimesEpochsAreRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  auto s = good(0, plan, delta);
  s.receipt.compute_units = 1'000'000;
  resign(s, participant_key(0));
  const auto reply = c.push_update(s).value();
  EXPECT_EQ(reply.status, TransportStatus::malformed);
  EXPECT_NE(reply.message.find("computeUnits"), std::string::npos) << reply.message;
}

TEST_F(BadUpdate, TheHighSTwinOfAValidReceiptSignatureIsRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  auto s = good(0, plan, delta);
  s.signature = high_s_twin(s.signature);
  const auto reply = c.push_update(s).value();
  EXPECT_EQ(reply.status, TransportStatus::bad_signature);
  EXPECT_NE(reply.message.find("EIP-2"), std::string::npos) << reply.message;
  EXPECT_EQ(push(c, good(0, plan, delta)), TransportStatus::ok);
}

TEST_F(BadUpdate, AJoinSignedForAnotherJobOrWithAHighSTwinIsRefused) {
  start(one_of_two());
  auto c = TransportClient::connect("127.0.0.1:" + std::to_string(aggregator_->port())).value();
  const auto key = participant_key(0);
  // A challenge for this job, answered with a signature over another job's name (100 KB long).
  const std::string other(100'000, 'x');
  auto nonce = c.challenge("deploy-test", key.address()).value();
  ASSERT_EQ(nonce.first, TransportStatus::ok);
  auto signature = eip712::sign_digest(key, join_digest(other, nonce.second));
  auto joined = c.join(other, key.address(), nonce.second, signature).value();
  EXPECT_EQ(joined.status, TransportStatus::wrong_job);
  EXPECT_LT(joined.message.size(), 300U) << "the refusal echoes the 100 KB job id";
  // The right job, but the high-s twin of a valid signature.
  nonce = c.challenge("deploy-test", key.address()).value();
  signature = eip712::sign_digest(key, join_digest("deploy-test", nonce.second));
  joined = c.join("deploy-test", key.address(), nonce.second, high_s_twin(signature)).value();
  EXPECT_EQ(joined.status, TransportStatus::bad_signature);
  nonce = c.challenge("deploy-test", key.address()).value();
  signature = eip712::sign_digest(key, join_digest("deploy-test", nonce.second));
  EXPECT_EQ(c.join("deploy-test", key.address(), nonce.second, signature).value().status, TransportStatus::ok);
}

// Hand-built protocol messages: a stream whose second message sets no part of the oneof.
TEST_F(BadUpdate, AStreamMessageWithNoPartSetIsRefusedNotTakenAsEmptyData) {
  start(one_of_two());
  auto c = TransportClient::connect("127.0.0.1:" + std::to_string(aggregator_->port())).value();
  const auto joined = c.join("deploy-test", participant_key(0)).value();
  ASSERT_EQ(joined.status, TransportStatus::ok);
  auto stub = raw_stub();
  grpc::ClientContext context;
  ::flywheel::v1::PushReply reply;
  auto writer = stub->PushUpdate(&context, &reply);
  ASSERT_TRUE(writer->Write(stream_header(joined.session)));
  ::flywheel::v1::UpdateChunk nothing;
  nothing.set_version(kProtocolVersion);
  (void)writer->Write(nothing);
  (void)writer->WritesDone();
  const auto status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("MALFORMED: a message with no part set"), std::string::npos)
      << status.error_message();
}

// Challenges store nothing: however many are asked for an address (by anyone: the address is
// public), the participant's own nonce stays valid, and each nonce joins once.
TEST_F(BadUpdate, ChallengesAskedByOthersForAnAddressLeaveItsOwnNonceValid) {
  start(one_of_two());
  auto c = TransportClient::connect("127.0.0.1:" + std::to_string(aggregator_->port())).value();
  const auto key = participant_key(0);
  const Bytes mine = c.challenge("deploy-test", key.address()).value().second;
  for (int k = 0; k < 1000; ++k)
    ASSERT_EQ(c.challenge("deploy-test", key.address()).value().first, TransportStatus::ok);
  const auto signature = eip712::sign_digest(key, join_digest("deploy-test", mine));
  EXPECT_EQ(c.join("deploy-test", key.address(), mine, signature).value().status, TransportStatus::ok);
  const auto again = c.join("deploy-test", key.address(), mine, signature).value();
  EXPECT_EQ(again.status, TransportStatus::bad_challenge);
  EXPECT_EQ(again.message, "this nonce was already used: ask for a new challenge");
}

TEST_F(BadUpdate, ANonceThatIsForgedOrIssuedForAnotherAddressIsRefused) {
  start(one_of_two());
  auto c = TransportClient::connect("127.0.0.1:" + std::to_string(aggregator_->port())).value();
  const auto zero = participant_key(0);
  const auto one = participant_key(1);
  Bytes forged = c.challenge("deploy-test", zero.address()).value().second;
  ASSERT_EQ(forged.size(), 32U);
  forged[31] ^= 1;
  auto joined =
      c.join("deploy-test", zero.address(), forged, eip712::sign_digest(zero, join_digest("deploy-test", forged)))
          .value();
  EXPECT_EQ(joined.status, TransportStatus::bad_challenge);
  EXPECT_EQ(joined.message, "unknown or expired nonce for this address: ask for a new challenge");
  // Participant 0's nonce, signed by participant 1 for its own address.
  const Bytes others = c.challenge("deploy-test", zero.address()).value().second;
  joined = c.join("deploy-test", one.address(), others, eip712::sign_digest(one, join_digest("deploy-test", others)))
               .value();
  EXPECT_EQ(joined.status, TransportStatus::bad_challenge);
  EXPECT_EQ(c.join("deploy-test", one).value().status, TransportStatus::ok);
}

TEST_F(BadUpdate, ATensorMismatchNamesBothShapes) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  auto s = good(0, plan, delta);
  s.tensors[0].shape = {8, 784};
  const auto reply = c.push_update(s).value();
  EXPECT_EQ(reply.status, TransportStatus::tensor_mismatch);
  EXPECT_NE(reply.message.find("layers.0.weight [8, 784] float32, the model's is layers.0.weight [16, 784] float32"),
            std::string::npos)
      << reply.message;
}

// A sender that gives up half-way is not counted as having sent a malformed update.
TEST_F(BadUpdate, AStreamTheClientCancelsIsNotCountedAsMalformed) {
  start(one_of_two());
  auto c = TransportClient::connect("127.0.0.1:" + std::to_string(aggregator_->port())).value();
  const auto joined = c.join("deploy-test", participant_key(0)).value();
  ASSERT_EQ(joined.status, TransportStatus::ok);
  auto stub = raw_stub();
  grpc::ClientContext context;
  ::flywheel::v1::PushReply reply;
  auto writer = stub->PushUpdate(&context, &reply);
  ASSERT_TRUE(writer->Write(stream_header(joined.session)));
  ASSERT_TRUE(writer->Write(zero_bytes(1024)));
  context.TryCancel();
  EXPECT_FALSE(writer->Finish().ok());
  std::this_thread::sleep_for(500ms);  // the handler sees the cancellation
  EXPECT_EQ(refused("MALFORMED"), 0U);
}

// A stream that never logs in, and a logged-in one that stops half-way, are closed after
// deployment.stream_idle_timeout_s instead of holding a server thread; neither counts as a refusal.
TEST_F(BadUpdate, SilentAndStalledUpdateStreamsAreClosedAfterTheIdleTimeout) {
  json job = one_of_two();
  job["deployment"]["stream_idle_timeout_s"] = 1;
  start(job);
  auto c = TransportClient::connect("127.0.0.1:" + std::to_string(aggregator_->port())).value();
  const auto joined = c.join("deploy-test", participant_key(0)).value();
  ASSERT_EQ(joined.status, TransportStatus::ok);
  auto stub = raw_stub();
  const auto started = std::chrono::steady_clock::now();
  grpc::ClientContext silent_context;
  ::flywheel::v1::PushReply silent_reply;
  auto silent = stub->PushUpdate(&silent_context, &silent_reply);  // sends nothing
  grpc::ClientContext stalled_context;
  ::flywheel::v1::PushReply stalled_reply;
  auto stalled = stub->PushUpdate(&stalled_context, &stalled_reply);
  ASSERT_TRUE(stalled->Write(stream_header(joined.session)));
  ASSERT_TRUE(stalled->Write(zero_bytes(1024)));  // then nothing more
  const auto silent_status = silent->Finish();
  const auto stalled_status = stalled->Finish();
  EXPECT_EQ(silent_status.error_code(), grpc::StatusCode::CANCELLED) << silent_status.error_message();
  EXPECT_EQ(stalled_status.error_code(), grpc::StatusCode::CANCELLED) << stalled_status.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  EXPECT_EQ(refused("MALFORMED"), 0U);
  // A real update still goes through.
  auto plan = open_plan(c);
  EXPECT_EQ(push(c, good(0, plan, zeros())), TransportStatus::ok);
}

TEST_F(BadUpdate, WrongTensorShapesOrDtypesAreRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  const auto delta = zeros();
  auto s = good(0, plan, delta);
  s.tensors[0].shape = {8, 784};
  EXPECT_EQ(push(c, s), TransportStatus::tensor_mismatch);
  s = good(0, plan, delta);
  s.tensors[1].dtype = "float16";
  EXPECT_EQ(push(c, s), TransportStatus::tensor_mismatch);
  s = good(0, plan, delta);
  s.tensors[2].name = "layers.9.weight";
  EXPECT_EQ(push(c, s), TransportStatus::tensor_mismatch);
  EXPECT_EQ(refused("TENSOR_MISMATCH"), 3U);
}

TEST_F(BadUpdate, NaNOrInfInAnUpdateIsRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  auto delta = zeros();
  delta[17] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(push(c, good(0, plan, delta)), TransportStatus::non_finite);
  delta[17] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(push(c, good(0, plan, delta)), TransportStatus::non_finite);
  EXPECT_EQ(refused("NON_FINITE"), 2U);
}

TEST_F(BadUpdate, ANaNInAFloatSplitAcrossOddSizedChunksIsRefusedNamingItsElement) {
  start(one_of_two());
  auto c = client(0, 1026);  // chunks end mid-float; float 4873 spans bytes 19492..19495, chunk 19 starts at 19494
  auto plan = open_plan(c);
  auto delta = zeros();
  ASSERT_GT(delta.size(), 4873U);
  delta[4873] = std::numeric_limits<float>::quiet_NaN();
  auto outcome = c.push_update(good(0, plan, delta)).value();
  EXPECT_EQ(outcome.status, TransportStatus::non_finite);
  EXPECT_NE(outcome.message.find("element 4873 "), std::string::npos) << outcome.message;
}

TEST_F(BadUpdate, TheNormBoundGivesTheSameVerdictWhateverTheChunkSize) {
  json job = one_of_two();
  job["deployment"]["max_update_norm"] = 1.0;
  start(job);
  auto plan_client = client(0);
  auto plan = open_plan(plan_client);
  // ‖Δ‖ = 0.009 · √12730 ≈ 1.015 > 1: refused in 1 MiB chunks and in 1026-byte chunks alike.
  const std::vector<float> delta(zeros().size(), 0.009F);
  ASSERT_EQ(delta.size(), 12730U);
  EXPECT_EQ(push(plan_client, good(0, plan, delta)), TransportStatus::norm_too_large);
  auto odd = client(0, 1026);
  EXPECT_EQ(push(odd, good(0, plan, delta)), TransportStatus::norm_too_large);
  EXPECT_EQ(refused("NORM_TOO_LARGE"), 2U);
}

TEST_F(BadUpdate, AFetchedModelThatDoesNotHashToThePlansHashIsRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  auto wrong = c.fetch_model(plan.round, plan.model_bytes, Hash32{});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, Errc::data);
  EXPECT_NE(wrong.error().message.find("does not hash to the plan's model hash"), std::string::npos);
  auto right = c.fetch_model(plan.round, plan.model_bytes, plan.model_hash);
  ASSERT_TRUE(right) << right.error().message;
  EXPECT_EQ(hash_floats(*right), plan.model_hash);
}

TEST_F(BadUpdate, AnUpdateAboveTheNormBoundIsRefused) {
  json job = one_of_two();
  job["deployment"]["max_update_norm"] = 1.0;
  start(job);
  auto c = client(0);
  auto plan = open_plan(c);
  auto delta = zeros();
  delta[0] = 0.8F;
  delta[1] = 0.8F;  // norm 1.13
  EXPECT_EQ(push(c, good(0, plan, delta)), TransportStatus::norm_too_large);
  delta[1] = 0.5F;  // norm 0.94
  EXPECT_EQ(push(c, good(0, plan, delta)), TransportStatus::ok);
}

TEST_F(BadUpdate, AStreamLargerThanDeclaredIsRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  auto delta = zeros();
  auto s = good(0, plan, delta);
  delta.push_back(0.0F);
  s.body = ByteView(reinterpret_cast<const std::uint8_t*>(delta.data()), delta.size() * sizeof(float));
  s.declared_bytes = (delta.size() - 1) * sizeof(float);
  EXPECT_EQ(push(c, s), TransportStatus::size_exceeded);
  EXPECT_EQ(refused("SIZE_EXCEEDED"), 1U);
}

TEST_F(BadUpdate, BytesThatDoNotMatchTheReceiptHashAreRefused) {
  start(one_of_two());
  auto c = client(0);
  auto plan = open_plan(c);
  auto delta = zeros();
  auto s = good(0, plan, delta);
  delta[3] = 0.25F;  // body changed after signing
  EXPECT_EQ(push(c, s), TransportStatus::hash_mismatch);
}

TEST_F(BadUpdate, AnUpdateAfterTheDeadlineIsRefused) {
  json job = base_job(2, 3);
  job["deployment"]["min_updates"] = 1;
  // b's push (two plans, a signature, 50 KB over gRPC) must land before the deadline even when
  // another test loads the machine; a's comes after it.
  job["deployment"]["round_timeout_s"] = 3;
  start(job);
  auto a = client(0);
  auto b = client(1);
  auto plan_a = open_plan(a);
  auto plan_b = open_plan(b);
  const auto delta = zeros();
  ASSERT_EQ(push(b, good(1, plan_b, delta)), TransportStatus::ok);
  std::this_thread::sleep_for(3500ms);
  EXPECT_EQ(push(a, good(0, plan_a, delta)), TransportStatus::late);
  EXPECT_EQ(refused("LATE"), 1U);
}

TEST(DeploymentConfig, AJobWithoutAnAllowlistIsRefused) {
  json job = base_job(2, 1);
  job["deployment"].erase("allowlist");
  EXPECT_EQ(parse_deployment_job(job.dump()).error().code, Errc::config);
}

TEST(DeploymentConfig, ExactAttributionOverMoreThanItsLimitPerRoundIsRefusedWithTheJob) {
  json job = base_job(17, 1);
  job["attribution"]["method"] = "exact";
  const auto parsed = parse_deployment_job(job.dump());
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, Errc::config);
  EXPECT_NE(parsed.error().message.find("17 participants in a round"), std::string::npos) << parsed.error().message;
  job["attribution"]["method"] = "stratified";
  EXPECT_TRUE(parse_deployment_job(job.dump())) << "a sampling method takes 17";
}

TEST(DeploymentConfig, AQuorumAboveTheAllowlistIsRefused) {
  json job = base_job(2, 1);
  job["deployment"]["min_updates"] = 3;
  EXPECT_EQ(parse_deployment_job(job.dump()).error().code, Errc::config);
}

TEST(DeploymentConfig, TensorSpecsOfTheMlpCoverEveryParameter) {
  const ModelConfig model{.name = "mlp", .hidden = {16}};
  std::uint64_t total = 0;
  for (const auto& t : tensor_specs(model)) {
    std::uint64_t n = 1;
    for (auto d : t.shape) n *= d;
    total += n;
  }
  EXPECT_EQ(total, parameter_count(model));
}

}  // namespace
}  // namespace flywheel::fedtrain
