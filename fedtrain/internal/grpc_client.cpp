// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// TransportClient over gRPC (proto/flywheel.proto): the participant side of the deployment
// protocol. Models arrive as a server stream of chunks written straight into one float vector;
// updates leave as a client stream of chunks read straight from the caller's buffer.
#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include <grpcpp/grpcpp.h>

#include "common/keccak.hpp"
#include "fedtrain/transport.hpp"
#include "proto/flywheel.grpc.pb.h"

namespace flywheel::fedtrain {
namespace {

namespace pb = ::flywheel::v1;

std::string to_string_bytes(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
Bytes to_bytes(const std::string& s) { return {s.begin(), s.end()}; }

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::io, "cannot read TLS file " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

template <std::size_t N>
FixedBytes<N> fixed(const std::string& s) {
  FixedBytes<N> out;
  if (s.size() == N) std::memcpy(out.bytes.data(), s.data(), N);
  return out;
}

Error rpc_error(const grpc::Status& status, std::string_view what) {
  return Error{.code = Errc::rpc,
               .message = std::string(what) + " failed: " + status.error_message() + " (gRPC code " +
                          std::to_string(static_cast<int>(status.error_code())) + ")"};
}

void set_deadline(grpc::ClientContext& context, double seconds) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000)));
}

pb::UpdateReceipt to_proto(const eip712::UpdateReceipt& r) {
  pb::UpdateReceipt p;
  p.set_job_id(r.job_id);
  p.set_round(r.round);
  p.set_participant(to_string_bytes(r.participant.view()));
  p.set_start_model_hash(to_string_bytes(r.start_model_hash.view()));
  p.set_update_hash(to_string_bytes(r.update_hash.view()));
  p.set_samples(r.samples);
  p.set_compute_units(r.compute_units);
  p.set_compute_millis(r.compute_millis);
  return p;
}

}  // namespace

struct TransportClient::Impl {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::Aggregator::Stub> stub;
  std::size_t chunk_bytes = 1 << 20;
  mutable std::mutex mu;  // guards session: a heartbeat thread reads it while a rejoin replaces it
  Bytes session;

  Bytes current_session() const {
    std::lock_guard lock(mu);
    return session;
  }
};

TransportClient::TransportClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TransportClient::TransportClient(TransportClient&&) noexcept = default;
TransportClient& TransportClient::operator=(TransportClient&&) noexcept = default;
TransportClient::~TransportClient() = default;

Result<TransportClient> TransportClient::connect(const std::string& target, const TlsFiles& tls,
                                                 std::size_t chunk_bytes) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  // Reconnect quickly after an aggregator restart.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  if (tls.ca) {
    grpc::SslCredentialsOptions options;
    auto ca = read_file(*tls.ca);
    if (!ca) return tl::unexpected(ca.error());
    options.pem_root_certs = *ca;
    if (tls.client_cert && tls.client_key) {
      auto cert = read_file(*tls.client_cert);
      if (!cert) return tl::unexpected(cert.error());
      auto key = read_file(*tls.client_key);
      if (!key) return tl::unexpected(key.error());
      options.pem_cert_chain = *cert;
      options.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(options);
    if (tls.server_name) args.SetSslTargetNameOverride(*tls.server_name);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  auto impl = std::make_unique<Impl>();
  impl->channel = grpc::CreateCustomChannel(target, credentials, args);
  impl->stub = pb::Aggregator::NewStub(impl->channel);
  impl->chunk_bytes = chunk_bytes;
  return TransportClient(std::move(impl));
}

Bytes TransportClient::session() const { return impl_->current_session(); }

Result<std::pair<TransportStatus, Bytes>> TransportClient::challenge(std::string_view job_id,
                                                                     const Address& address,
                                                                     double timeout_s) {
  pb::ChallengeRequest request;
  request.set_version(kProtocolVersion);
  request.set_job_id(std::string(job_id));
  request.set_address(to_string_bytes(address.view()));
  pb::Challenge reply;
  grpc::ClientContext context;
  set_deadline(context, timeout_s);
  auto status = impl_->stub->GetChallenge(&context, request, &reply);
  if (!status.ok()) return tl::unexpected(rpc_error(status, "GetChallenge"));
  return std::pair{static_cast<TransportStatus>(reply.status()), to_bytes(reply.nonce())};
}

Result<JoinInfo> TransportClient::join(std::string_view job_id, const Address& address,
                                       ByteView nonce, ByteView signature, double timeout_s) {
  pb::JoinRequest request;
  request.set_version(kProtocolVersion);
  request.set_job_id(std::string(job_id));
  request.set_address(to_string_bytes(address.view()));
  request.set_nonce(to_string_bytes(nonce));
  request.set_signature(to_string_bytes(signature));
  pb::JoinReply reply;
  grpc::ClientContext context;
  set_deadline(context, timeout_s);
  auto status = impl_->stub->Join(&context, request, &reply);
  if (!status.ok()) return tl::unexpected(rpc_error(status, "Join"));
  JoinInfo info;
  info.status = static_cast<TransportStatus>(reply.status());
  info.message = reply.message();
  info.session = to_bytes(reply.session());
  info.participant_index = reply.participant_index();
  info.participant_count = reply.participant_count();
  info.aggregator = fixed<20>(reply.aggregator_address());
  info.domain.chain_id = reply.chain_id();
  if (reply.verifying_contract().size() == 20) {
    info.domain.verifying_contract = fixed<20>(reply.verifying_contract());
  }
  if (info.status == TransportStatus::ok) {
    std::lock_guard lock(impl_->mu);
    impl_->session = info.session;
  }
  return info;
}

Result<JoinInfo> TransportClient::join(std::string_view job_id, const PrivateKey& key,
                                       double timeout_s) {
  auto nonce = challenge(job_id, key.address(), timeout_s);
  if (!nonce) return tl::unexpected(nonce.error());
  if (nonce->first != TransportStatus::ok) {
    JoinInfo refused;
    refused.status = nonce->first;
    refused.message = "challenge refused: " + std::string(transport_status_name(nonce->first));
    return refused;
  }
  const Bytes signature = key.sign(join_digest(job_id, nonce->second)).to_rsv();
  return join(job_id, key.address(), nonce->second, signature, timeout_s);
}

Result<RoundPlanInfo> TransportClient::round_plan(std::uint32_t wait_ms) {
  pb::PlanRequest request;
  request.set_version(kProtocolVersion);
  request.set_session(to_string_bytes(impl_->current_session()));
  request.set_wait_ms(wait_ms);
  pb::RoundPlan reply;
  grpc::ClientContext context;
  set_deadline(context, 10 + wait_ms / 1000.0);
  auto status = impl_->stub->GetRoundPlan(&context, request, &reply);
  if (!status.ok()) return tl::unexpected(rpc_error(status, "GetRoundPlan"));
  RoundPlanInfo plan;
  plan.status = static_cast<TransportStatus>(reply.status());
  plan.message = reply.message();
  plan.round = reply.round();
  plan.rounds = reply.rounds();
  plan.selected = reply.selected();
  plan.submitted = reply.submitted();
  plan.model_hash = fixed<32>(reply.model_hash());
  plan.model_bytes = reply.model_bytes();
  plan.deadline_unix_ms = reply.deadline_unix_ms();
  plan.train_seed = reply.train_seed();
  plan.proximal_mu = reply.proximal_mu();
  for (const auto& t : reply.tensors()) {
    plan.tensors.push_back(TensorSpec{.name = t.name(),
                                      .shape = {t.shape().begin(), t.shape().end()},
                                      .dtype = t.dtype()});
  }
  return plan;
}

Result<std::vector<float>> TransportClient::fetch_model(std::uint64_t round,
                                                        std::uint64_t expected_bytes) {
  if (expected_bytes % sizeof(float) != 0) {
    return fail(Errc::data, "model size " + std::to_string(expected_bytes) + " is not whole floats");
  }
  pb::ModelRequest request;
  request.set_version(kProtocolVersion);
  request.set_session(to_string_bytes(impl_->current_session()));
  request.set_round(round);
  grpc::ClientContext context;
  set_deadline(context, 600);
  std::vector<float> model(expected_bytes / sizeof(float));
  auto* out = reinterpret_cast<char*>(model.data());
  std::uint64_t received = 0;
  auto reader = impl_->stub->FetchModel(&context, request);
  pb::ModelChunk chunk;
  while (reader->Read(&chunk)) {
    if (chunk.offset() != received || received + chunk.data().size() > expected_bytes) {
      context.TryCancel();
      reader->Finish();
      return fail(Errc::data, "model stream out of order or larger than the plan's " +
                                  std::to_string(expected_bytes) + " bytes");
    }
    std::memcpy(out + received, chunk.data().data(), chunk.data().size());
    received += chunk.data().size();
  }
  auto status = reader->Finish();
  if (!status.ok()) return tl::unexpected(rpc_error(status, "FetchModel"));
  if (received != expected_bytes) {
    return fail(Errc::data, "model stream ended after " + std::to_string(received) + " of " +
                                std::to_string(expected_bytes) + " bytes");
  }
  return model;
}

Result<PushOutcome> TransportClient::push_update(const UpdateSubmission& update) {
  grpc::ClientContext context;
  set_deadline(context, 600);
  pb::PushReply reply;
  auto writer = impl_->stub->PushUpdate(&context, &reply);
  pb::UpdateChunk first;
  first.set_version(kProtocolVersion);
  auto* header = first.mutable_header();
  header->set_session(to_string_bytes(update.session ? *update.session : impl_->current_session()));
  *header->mutable_receipt() = to_proto(update.receipt);
  header->set_signature(to_string_bytes(update.signature));
  for (const auto& t : update.tensors) {
    auto* spec = header->add_tensors();
    spec->set_name(t.name);
    for (auto d : t.shape) spec->add_shape(d);
    spec->set_dtype(t.dtype);
  }
  header->set_total_bytes(update.declared_bytes.value_or(update.body.size()));
  bool open = writer->Write(first);
  pb::UpdateChunk chunk;
  chunk.set_version(kProtocolVersion);
  for (std::size_t offset = 0; open && offset < update.body.size(); offset += impl_->chunk_bytes) {
    const std::size_t n = std::min(impl_->chunk_bytes, update.body.size() - offset);
    chunk.set_data(reinterpret_cast<const char*>(update.body.data() + offset), n);
    // The aggregator may refuse early (e.g. an oversized stream); it then closes the stream and the
    // write fails, and Finish() carries its verdict.
    open = writer->Write(chunk);
  }
  writer->WritesDone();
  auto status = writer->Finish();
  if (!status.ok()) return tl::unexpected(rpc_error(status, "PushUpdate"));
  PushOutcome outcome;
  outcome.status = static_cast<TransportStatus>(reply.status());
  outcome.message = reply.message();
  outcome.ack.receipt_digest = fixed<32>(reply.ack().receipt_digest());
  outcome.ack.aggregator = fixed<20>(reply.ack().aggregator());
  outcome.ack.round = reply.ack().round();
  outcome.ack.accepted_at_millis = reply.ack().accepted_at_millis();
  outcome.ack_signature = to_bytes(reply.ack_signature());
  return outcome;
}

Result<TransportStatus> TransportClient::heartbeat() {
  pb::HeartbeatRequest request;
  request.set_version(kProtocolVersion);
  request.set_session(to_string_bytes(impl_->current_session()));
  pb::HeartbeatReply reply;
  grpc::ClientContext context;
  set_deadline(context, 5);
  auto status = impl_->stub->Heartbeat(&context, request, &reply);
  if (!status.ok()) return tl::unexpected(rpc_error(status, "Heartbeat"));
  return static_cast<TransportStatus>(reply.status());
}

Result<RoundResultInfo> TransportClient::round_result(std::uint64_t round) {
  pb::RoundResultRequest request;
  request.set_version(kProtocolVersion);
  request.set_session(to_string_bytes(impl_->current_session()));
  request.set_round(round);
  pb::RoundResult reply;
  grpc::ClientContext context;
  set_deadline(context, 10);
  auto status = impl_->stub->GetRoundResult(&context, request, &reply);
  if (!status.ok()) return tl::unexpected(rpc_error(status, "GetRoundResult"));
  RoundResultInfo info;
  info.status = static_cast<TransportStatus>(reply.status());
  info.message = reply.message();
  info.round = reply.round();
  info.model_hash = fixed<32>(reply.model_hash());
  info.attribution_root = fixed<32>(reply.attribution_root());
  info.test_accuracy = reply.test_accuracy();
  info.value = reply.value();
  info.included = reply.included();
  return info;
}

}  // namespace flywheel::fedtrain
