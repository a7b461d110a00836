// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// TransportClient over gRPC (proto/flywheel.proto): the participant side of the deployment
// protocol. Models arrive as a server stream of chunks written straight into one float vector;
// updates leave as a client stream of chunks read straight from the caller's buffer.
//
// TLS failures: gRPC reports a failed handshake as UNAVAILABLE, exactly like an aggregator that is
// down, and a participant would retry it until it gives up. A handshake that fails because of the
// certificates fails the same way every time, so such errors become Errc::crypto with the fix in
// the message. A plaintext client cannot see a TLS server in gRPC's status at all ("Socket
// closed"), and neither can a TLS client that a mutual-TLS server drops for want of a client
// certificate; then the client sends the server one TLS 1.2 ClientHello (RFC 5246 §7.4.1.2): a TLS
// record in reply (content type 21 or 22, version 3.x; §6.2.1) identifies a TLS server, and a
// CertificateRequest in its first flight (§7.4.4) one that requires client certificates.
// Likewise an address that does not resolve, or where something that is not a gRPC server answers,
// becomes Errc::config at once instead of a retry.
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include <grpcpp/grpcpp.h>

#include "common/file_io.hpp"
#include "common/keccak.hpp"
#include "common/sha256.hpp"
#include "fedtrain/transport/protocol.hpp"
#include "proto/flywheel.grpc.pb.h"

namespace flywheel::fedtrain {
namespace {

namespace pb = ::flywheel::v1;

std::string to_string_bytes(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
Bytes to_bytes(const std::string& s) { return {s.begin(), s.end()}; }

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

// A refused call (proto/flywheel.proto, "Refusals") ends with a gRPC error whose details carry the
// reply: read back into `reply`, the refusal reaches the caller as a reply with its Status and
// message, like any other answer. False for every other error.
template <class Reply>
bool read_refusal(const grpc::Status& status, Reply& reply) {
  return !status.ok() && !status.error_details().empty() && reply.ParseFromString(status.error_details()) &&
         reply.status() != pb::OK;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// A socket closed on destruction.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_;
};

struct AddrInfoFree {
  void operator()(addrinfo* p) const { ::freeaddrinfo(p); }
};

// What a server answered to a TLS 1.2 ClientHello.
enum class TlsProbe {
  no_tls,              // unreachable, closed, or answered something else (plaintext HTTP/2)
  tls,                 // a TLS server
  tls_requires_client  // a TLS server that asks for a client certificate (mutual TLS)
};

// Sends `target` ("host:port", "[v6]:port", optionally "dns:///", "ipv4:" or "ipv6:") one TLS 1.2
// ClientHello and reads the server's first flight. In TLS 1.2 that flight is in the clear, so a
// CertificateRequest (handshake type 13, RFC 5246 §7.4.4) shows that the server wants a client
// certificate.
TlsProbe probe_tls(std::string target) {
  for (std::string_view prefix : {"dns:///", "ipv4:", "ipv6:"}) {
    if (target.starts_with(prefix)) target.erase(0, prefix.size());
  }
  const auto colon = target.rfind(':');
  if (colon == std::string::npos) return TlsProbe::no_tls;
  std::string host = target.substr(0, colon);
  const std::string port = target.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return TlsProbe::no_tls;
  std::unique_ptr<addrinfo, AddrInfoFree> addresses(found);
  // ClientHello, TLS 1.2: zero random, no session, ECDHE-ECDSA/RSA-AES128-GCM-SHA256, no
  // compression; extensions supported_groups (P-256), ec_point_formats (uncompressed),
  // signature_algorithms (ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256) and ALPN "h2", which a gRPC
  // server needs before it answers at all.
  static constexpr std::array<std::uint8_t, 87> kHello = {
      0x16, 0x03, 0x01, 0x00, 0x52, 0x01, 0x00, 0x00, 0x4e, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xc0, 0x2b, 0xc0, 0x2f, 0x01, 0x00, 0x00, 0x21,
      0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x17, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x0d, 0x00, 0x06,
      0x00, 0x04, 0x04, 0x03, 0x08, 0x04, 0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, 0x68, 0x32};
  for (addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
    Socket socket(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (socket.fd() < 0) continue;
    timeval timeout{.tv_sec = 2, .tv_usec = 0};
    ::setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(socket.fd(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (::connect(socket.fd(), a->ai_addr, a->ai_addrlen) != 0) continue;
    if (::send(socket.fd(), kHello.data(), kHello.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(kHello.size())) {
      continue;
    }
    // Read records until ServerHelloDone (type 14), an alert, or 64 KiB.
    std::vector<std::uint8_t> in;
    std::vector<std::uint8_t> handshake;
    bool is_tls = false;
    while (in.size() < (64U << 10)) {
      std::array<std::uint8_t, 4096> buffer{};
      const ssize_t n = ::recv(socket.fd(), buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      in.insert(in.end(), buffer.begin(), buffer.begin() + n);
      // Whole records: type, version (3.x), 2-byte length.
      std::size_t at = 0;
      bool done = false;
      handshake.clear();
      while (in.size() - at >= 5) {
        if ((in[at] != 0x15 && in[at] != 0x16) || in[at + 1] != 0x03) return is_tls ? TlsProbe::tls : TlsProbe::no_tls;
        is_tls = true;
        const std::size_t length = (std::size_t{in[at + 3]} << 8) | in[at + 4];
        if (in.size() - at - 5 < length) break;
        if (in[at] == 0x15) done = true;
        if (in[at] == 0x16) handshake.insert(handshake.end(), in.begin() + at + 5, in.begin() + at + 5 + length);
        at += 5 + length;
      }
      for (std::size_t h = 0; h + 4 <= handshake.size();) {
        const std::uint8_t type = handshake[h];
        if (type == 13) return TlsProbe::tls_requires_client;
        if (type == 14) done = true;
        h += 4 + ((std::size_t{handshake[h + 1]} << 16) | (std::size_t{handshake[h + 2]} << 8) | handshake[h + 3]);
      }
      if (done) break;
    }
    return is_tls ? TlsProbe::tls : TlsProbe::no_tls;
  }
  return TlsProbe::no_tls;
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

void set_deadline(grpc::ClientContext& context, double seconds) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000)));
}

}  // namespace

struct TransportClient::Impl {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<pb::Aggregator::Stub> stub;
  std::size_t chunk_bytes = 1 << 20;
  std::string target;
  TlsFiles tls;
  mutable std::mutex mu;  // guards session: a heartbeat thread reads it while a rejoin replaces it
  Bytes session;

  Bytes current_session() const {
    std::lock_guard lock(mu);
    return session;
  }

  // rpc_error(), turned into Errc::crypto with the fix when the failure is a TLS mismatch that
  // retrying cannot cure.
  Error transport_error(const grpc::Status& status, std::string_view what) const {
    Error error = rpc_error(status, what);
    const std::string text = lower(status.error_message());
    // Two mistakes that retrying cannot cure: a name that does not resolve, and an address where
    // something answers that is not a gRPC server (e.g. an HTTP server on that port).
    if (contains(text, "domain name not found")) {
      return Error{.code = Errc::config,
                   .message = "the aggregator address " + target +
                              " does not resolve (no such host): check deployment.aggregator or --aggregator (" +
                              status.error_message() + ")"};
    }
    if (contains(text, "failed parsing http/2") || contains(text, "http1.x") ||
        status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      return Error{.code = Errc::config,
                   .message = "something answers at " + target +
                              " but it is not a Flywheel aggregator (it does not speak the Flywheel gRPC protocol): "
                              "check the host and port in deployment.aggregator or --aggregator (" +
                              status.error_message() + ")"};
    }
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return error;
    auto tls_error = [&](const std::string& why) {
      return Error{.code = Errc::crypto,
                   .message = "TLS handshake with the aggregator at " + target + " failed: " + why + " (" +
                              status.error_message() + ")"};
    };
    const bool has_client_cert = tls.client_cert && tls.client_key;
    // gRPC says only "Socket closed" when the server drops a plaintext client or a TLS client
    // without the certificate it requires: ask the server itself.
    if (!contains(text, "connection refused") && (!tls.ca || !has_client_cert)) {
      const TlsProbe probe = probe_tls(target);
      if (!tls.ca && probe != TlsProbe::no_tls) {
        return Error{.code = Errc::crypto,
                     .message = "the aggregator at " + target +
                                " speaks TLS but this participant connects in plaintext: set deployment.tls.ca "
                                "to the CA certificate that signed the aggregator's (flywheel keys tls writes "
                                "it as ca.pem)"};
      }
      if (tls.ca && probe == TlsProbe::tls_requires_client) {
        return tls_error(
            "the aggregator requires a client certificate (mutual TLS): set "
            "deployment.tls.client_cert and client_key to one signed by its CA "
            "(flywheel keys tls --clients N)");
      }
    }
    if (!tls.ca) return error;
    if (contains(text, "certificate required") || contains(text, "peer did not return a certificate") ||
        (contains(text, "alert") && contains(text, "handshake failure") && !has_client_cert)) {
      return tls_error(has_client_cert
                           ? "the aggregator refused this participant's client certificate; use one signed by "
                             "the aggregator's deployment.tls.ca"
                           : "the aggregator requires a client certificate (mutual TLS): set "
                             "deployment.tls.client_cert and client_key to one signed by its CA "
                             "(flywheel keys tls --clients N)");
    }
    if (contains(text, "unknown ca") || contains(text, "bad certificate") || contains(text, "certificate unknown") ||
        contains(text, "decrypt error")) {
      return tls_error(
          "the aggregator refused this participant's client certificate: it is not signed by the "
          "CA in the aggregator's deployment.tls.ca");
    }
    if (contains(text, "certificate verify failed") || contains(text, "peer name") || contains(text, "hostname") ||
        contains(text, "verify")) {
      return tls_error("the aggregator's certificate does not verify against deployment.tls.ca (" + tls.ca->string() +
                       ") or does not name the host dialled; use the CA that signed the "
                       "aggregator's certificate, and a host from its subjectAltName (or tls.server_name)");
    }
    if (contains(text, "wrong version number") || contains(text, "packet length too long") ||
        contains(text, "record layer failure") || contains(text, "http request")) {
      return tls_error(
          "the aggregator does not speak TLS (plaintext server?): remove deployment.tls.ca on the "
          "participant or give the aggregator deployment.tls.cert and key");
    }
    if (contains(text, "ssl") || contains(text, "handshake") || contains(text, "tls")) {
      return tls_error("check deployment.tls on both sides (flywheel keys tls makes a matching set)");
    }
    return error;
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
  // Keepalive: a ping every 10 s, and the connection counts as dead when one goes unanswered for
  // 5 s, so after a network partition the participant reconnects at once instead of waiting out
  // TCP's retransmission backoff, and a push on a dead connection fails instead of waiting for its
  // deadline. The aggregator permits pings down to every 5 s (grpc_aggregator.cpp).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  if (tls.ca) {
    grpc::SslCredentialsOptions options;
    auto ca = read_file(*tls.ca, "TLS file");
    if (!ca) return tl::unexpected(ca.error());
    options.pem_root_certs = *ca;
    if (tls.client_cert && tls.client_key) {
      auto cert = read_file(*tls.client_cert, "TLS file");
      if (!cert) return tl::unexpected(cert.error());
      auto key = read_file(*tls.client_key, "TLS file");
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
  impl->target = target;
  impl->tls = tls;
  return TransportClient(std::move(impl));
}

Bytes TransportClient::session() const { return impl_->current_session(); }

Result<std::pair<TransportStatus, Bytes>> TransportClient::challenge(std::string_view job_id, const Address& address,
                                                                     double timeout_s) {
  pb::ChallengeRequest request;
  request.set_version(kProtocolVersion);
  request.set_job_id(std::string(job_id));
  request.set_address(to_string_bytes(address.view()));
  pb::Challenge reply;
  grpc::ClientContext context;
  set_deadline(context, timeout_s);
  auto status = impl_->stub->GetChallenge(&context, request, &reply);
  if (!status.ok() && !read_refusal(status, reply))
    return tl::unexpected(impl_->transport_error(status, "GetChallenge"));
  return std::pair{static_cast<TransportStatus>(reply.status()), to_bytes(reply.nonce())};
}

Result<JoinInfo> TransportClient::join(std::string_view job_id, const Address& address, ByteView nonce,
                                       ByteView signature, double timeout_s) {
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
  if (!status.ok() && !read_refusal(status, reply)) return tl::unexpected(impl_->transport_error(status, "Join"));
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

Result<JoinInfo> TransportClient::join(std::string_view job_id, const PrivateKey& key, double timeout_s) {
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
  if (!status.ok() && !read_refusal(status, reply)) return tl::unexpected(rpc_error(status, "GetRoundPlan"));
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
    plan.tensors.push_back(
        TensorSpec{.name = t.name(), .shape = {t.shape().begin(), t.shape().end()}, .dtype = t.dtype()});
  }
  return plan;
}

Result<std::vector<float>> TransportClient::fetch_model(std::uint64_t round, std::uint64_t expected_bytes,
                                                        const Hash32& expected_hash) {
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
  // Hashed chunk by chunk while the chunk is still in cache: the same digest as hash_floats(model).
  Sha256 hasher;
  pb::ModelChunk chunk;
  while (reader->Read(&chunk)) {
    if (chunk.offset() != received || received + chunk.data().size() > expected_bytes) {
      context.TryCancel();
      reader->Finish();
      return fail(Errc::data,
                  "model stream out of order or larger than the plan's " + std::to_string(expected_bytes) + " bytes");
    }
    std::memcpy(out + received, chunk.data().data(), chunk.data().size());
    hasher.update(ByteView(reinterpret_cast<const std::uint8_t*>(out + received), chunk.data().size()));
    received += chunk.data().size();
  }
  auto status = reader->Finish();
  if (!status.ok()) return tl::unexpected(rpc_error(status, "FetchModel"));
  if (received != expected_bytes) {
    return fail(Errc::data, "model stream ended after " + std::to_string(received) + " of " +
                                std::to_string(expected_bytes) + " bytes");
  }
  if (hasher.finish() != expected_hash) {
    return fail(Errc::data, "the fetched model does not hash to the plan's model hash " + expected_hash.hex());
  }
  return model;
}

Result<PushOutcome> TransportClient::push_update(const UpdateSubmission& update) {
  const auto* signer = update.sign_while_streaming ? &*update.sign_while_streaming : nullptr;
  if (signer != nullptr && signer->key == nullptr) {
    return fail(Errc::invalid_argument, "sign_while_streaming needs a key");
  }
  grpc::ClientContext context;
  set_deadline(context, 600);
  const std::string session = to_string_bytes(update.session ? *update.session : impl_->current_session());
  context.AddMetadata(kSessionMetadata, session);
  pb::PushReply reply;
  auto writer = impl_->stub->PushUpdate(&context, &reply);
  pb::UpdateChunk first;
  first.set_version(kProtocolVersion);
  auto* header = first.mutable_header();
  header->set_session(session);
  if (signer == nullptr) {
    *header->mutable_receipt() = to_proto(update.receipt);
    header->set_signature(to_string_bytes(update.signature));
  }
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
  Sha256 hasher;
  for (std::size_t offset = 0; open && offset < update.body.size(); offset += impl_->chunk_bytes) {
    const std::size_t n = std::min(impl_->chunk_bytes, update.body.size() - offset);
    if (signer != nullptr) hasher.update(update.body.subspan(offset, n));
    chunk.set_data(reinterpret_cast<const char*>(update.body.data() + offset), n);
    // The aggregator may refuse early (e.g. an oversized stream); it then closes the stream and the
    // write fails, and Finish() carries its verdict.
    open = writer->Write(chunk);
  }
  PushOutcome outcome;
  if (signer != nullptr) {
    outcome.receipt = update.receipt;
    outcome.receipt.update_hash = hasher.finish();
    outcome.receipt_digest = eip712::digest(signer->domain, outcome.receipt);
    if (open) {
      pb::UpdateChunk last;
      last.set_version(kProtocolVersion);
      *last.mutable_trailer()->mutable_receipt() = to_proto(outcome.receipt);
      last.mutable_trailer()->set_signature(to_string_bytes(eip712::sign_digest(*signer->key, outcome.receipt_digest)));
      open = writer->Write(last);
    }
  }
  writer->WritesDone();
  auto status = writer->Finish();
  if (!status.ok() && !read_refusal(status, reply)) return tl::unexpected(rpc_error(status, "PushUpdate"));
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
  if (!status.ok() && !read_refusal(status, reply)) return tl::unexpected(rpc_error(status, "Heartbeat"));
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
  if (!status.ok() && !read_refusal(status, reply)) return tl::unexpected(rpc_error(status, "GetRoundResult"));
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
