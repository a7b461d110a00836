// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A test fixture: an aggregator started in this process on a loopback port, running its rounds on
//! a thread, and the clients that talk to it: joined TransportClients that build correct updates
//! (good) for the tests to spoil, and the raw gRPC stub for messages TransportClient never sends
//! (tests/bad_update_test.cpp, tests/protocol_limits_test.cpp).

#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/eip712.hpp"
#include "fedtrain/model/model.hpp"
#include "fedtrain/transport/aggregator.hpp"
#include "fedtrain/transport/protocol.hpp"
#include "proto/flywheel.grpc.pb.h"
#include "tests/internal/deployment_jobs.hpp"
#include "tests/internal/run_command.hpp"
#include "tests/internal/test_files.hpp"

namespace flywheel::fedtrain::testing {

using ::flywheel::testing::base_job;
using ::flywheel::testing::participant_key;
using nlohmann::json;

class InProcessAggregator : public ::testing::Test {
 protected:
  void start(json job) {
    auto parsed = parse_deployment_job(job.dump());
    ASSERT_TRUE(parsed) << parsed.error().message;
    job_ = *parsed;
    std::ostringstream quiet;
    auto aggregator = Aggregator::start(job_, PrivateKey::random(), dir_.path(), sink_, {.threads = 1, .quiet = true});
    ASSERT_TRUE(aggregator) << aggregator.error().message;
    aggregator_ = std::move(*aggregator);
    runner_ = std::thread([this] { (void)aggregator_->run(); });
  }
  void TearDown() override {
    if (aggregator_) aggregator_->stop();
    if (runner_.joinable()) runner_.join();
    aggregator_.reset();
  }
  TransportClient client(std::size_t i, std::size_t chunk_bytes = 1 << 20) {
    auto c = TransportClient::connect("127.0.0.1:" + std::to_string(aggregator_->port()), {}, chunk_bytes);
    EXPECT_TRUE(c);
    auto joined = c->join("deploy-test", participant_key(i));
    EXPECT_TRUE(joined && joined->status == TransportStatus::ok);
    return std::move(*c);
  }
  RoundPlanInfo open_plan(TransportClient& c, std::uint64_t round = 1) {
    RoundPlanInfo plan;
    for (int k = 0; k < 100 && plan.round != round; ++k) plan = c.round_plan(1000).value();
    EXPECT_EQ(plan.round, round);
    return plan;
  }
  // A well-formed, correctly signed update of participant i for `plan`.
  UpdateSubmission good(std::size_t i, const RoundPlanInfo& plan, const std::vector<float>& delta) {
    UpdateSubmission s;
    s.receipt = eip712::UpdateReceipt{.job_id = "deploy-test",
                                      .round = plan.round,
                                      .participant = participant_key(i).address(),
                                      .start_model_hash = plan.model_hash,
                                      .update_hash = hash_floats(delta),
                                      .samples = 100,
                                      .compute_units = 100,
                                      .compute_millis = 0};
    resign(s, participant_key(i));
    s.tensors = plan.tensors;
    s.body = ByteView(reinterpret_cast<const std::uint8_t*>(delta.data()), delta.size() * sizeof(float));
    return s;
  }
  void resign(UpdateSubmission& s, const PrivateKey& key) {
    s.signature = eip712::sign_digest(key, eip712::digest(job_.deployment.domain(), s.receipt));
  }
  std::vector<float> zeros() const { return std::vector<float>(parameter_count(job_.config.model), 0.0F); }
  TransportStatus push(TransportClient& c, const UpdateSubmission& s) { return c.push_update(s).value().status; }
  // The aggregator's own gRPC stub, for streams TransportClient would never send.
  std::unique_ptr<::flywheel::v1::Aggregator::Stub> raw_stub() {
    return ::flywheel::v1::Aggregator::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(aggregator_->port()), grpc::InsecureChannelCredentials()));
  }
  // The first message of an update stream of `session` whose receipt follows in a trailer.
  ::flywheel::v1::UpdateChunk stream_header(const Bytes& session) {
    ::flywheel::v1::UpdateChunk header;
    header.set_version(kProtocolVersion);
    header.mutable_header()->set_session(std::string(session.begin(), session.end()));
    header.mutable_header()->set_total_bytes(zeros().size() * sizeof(float));
    return header;
  }
  // A body message of `bytes` zero bytes.
  static ::flywheel::v1::UpdateChunk zero_bytes(std::size_t bytes) {
    ::flywheel::v1::UpdateChunk part;
    part.set_version(kProtocolVersion);
    part.set_data(std::string(bytes, '\0'));
    return part;
  }
  std::uint64_t refused(std::string_view name) {
    auto r = aggregator_->rejections();
    auto it = r.find(std::string(name));
    return it == r.end() ? 0 : it->second;
  }

  json one_of_two() {
    json job = base_job(2, 3);
    job["deployment"]["min_updates"] = 1;
    job["deployment"]["start_timeout_s"] = 0.3;
    return job;
  }

  ::flywheel::testing::TempDir dir_;
  NullSink sink_;
  DeploymentJob job_;
  std::unique_ptr<Aggregator> aggregator_;
  std::thread runner_;
};

}  // namespace flywheel::fedtrain::testing
