// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Deployment mode's shared pieces: the job file's "deployment" section, the protocol's status
//! codes, tensor specs, and TransportClient, the participant side of the gRPC protocol in
//! proto/flywheel.proto (gRPC and protobuf stay inside fedtrain/transport/internal/grpc_*.cpp).
//!
//! A deployment job file is a simulation config (fedtrain/config.hpp) plus a "deployment" section:
//!
//!   "deployment": {
//!     "listen": "127.0.0.1:50051",      // aggregator: address to serve on (port 0 = any free)
//!     "aggregator": "127.0.0.1:50051",  // participants: where to connect
//!     "allowlist": ["0x...", ...],      // participant addresses, in job order (required)
//!     "min_updates": 1,                 // quorum: a round closes at its deadline with ≥ this many
//!     "round_timeout_s": 60,            // deadline of a round after it opens
//!     "start_timeout_s": 30,            // round 1 waits this long for everyone to join
//!     "liveness_s": 10,                 // a participant silent this long is not selected
//!     "stream_idle_timeout_s": 30,      // an update or model stream idle this long is closed
//!     "stream_max_s": 900,              // any update or model stream open this long is closed
//!     "max_update_norm": 0,             // L2 bound on an update; 0 = none
//!     "chunk_bytes": 1048576,           // model and update chunks
//!     "chain_id": 31337,                // EIP-712 domain of receipts and acks
//!     "verifying_contract": "0x...",    // optional, EIP-712 domain
//!     "tls": {"ca": "ca.pem", "cert": "server.pem", "key": "server.key",
//!             "client_cert": "...", "client_key": "...", "require_client_cert": false}
//!   }
//!
//! participants.count is set to the allowlist's size (a different explicit count is refused).
//!
//!   auto job = load_deployment_job("job.json");            // Errc::config naming the key
//!   auto client = TransportClient::connect(job->deployment.aggregator, job->deployment.tls);
//!   auto joined = client->join(job->config.job.name, key); // challenge, then the signed join
//!   auto plan = client->round_plan(/*wait_ms=*/2000);      // long-polls for the next round
//!   auto w = client->fetch_model(plan->round, plan->model_bytes, plan->model_hash);
//! run_participant (fedtrain/transport/participant.hpp) runs that loop, with retries.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/eip712.hpp"
#include "common/keys.hpp"
#include "common/result.hpp"
#include "fedtrain/config.hpp"

namespace flywheel::fedtrain {

//! The protocol version every message carries. 2: model and update hashes are SHA-256 (1 used
//! Keccak-256), so peers of different versions refuse each other by version, not by hash. 3: a
//! refusal ends the call with a gRPC error code and carries the reply in the status details
//! (proto/flywheel.proto), and peer-sent text fields are bytes.
inline constexpr std::uint32_t kProtocolVersion = 3;

//! The gRPC metadata key under which a participant names its session when it opens an update
//! stream (binary metadata: the raw session bytes), so that the stream counts against that
//! participant's stream budget from the start (docs/security.md, "Limits").
inline constexpr const char* kSessionMetadata = "flywheel-session-bin";

//! TLS files. Server: cert + key (+ ca to verify client certificates when
//! require_client_cert). Client: ca to verify the server (+ client_cert and client_key for mutual
//! TLS). All PEM. No file set = plaintext.
struct TlsFiles {
  std::optional<std::filesystem::path> ca;
  std::optional<std::filesystem::path> cert;
  std::optional<std::filesystem::path> key;
  std::optional<std::filesystem::path> client_cert;
  std::optional<std::filesystem::path> client_key;
  bool require_client_cert = false;
  //! The name the server certificate must carry (default: the target's host).
  std::optional<std::string> server_name;
};

//! The "deployment" section, resolved.
struct DeploymentConfig {
  std::string listen = "127.0.0.1:50051";
  std::string aggregator = "127.0.0.1:50051";
  std::vector<Address> allowlist;
  std::size_t min_updates = 1;
  double round_timeout_s = 60;
  double start_timeout_s = 30;
  double liveness_s = 10;
  //! An update stream that brings nothing for this long, or a model stream whose reader takes
  //! nothing, is closed (CANCELLED): a peer that never logs in or stops half-way does not hold a
  //! server thread.
  double stream_idle_timeout_s = 30;
  //! Any update or model stream open this long is closed (CANCELLED): a peer trickling a few bytes
  //! at a time cannot hold a thread for ever. 900 s moves a 1 GB update at ~1.2 MB/s.
  double stream_max_s = 900;
  double max_update_norm = 0;
  std::size_t chunk_bytes = 1 << 20;
  std::uint64_t chain_id = 31337;
  std::optional<Address> verifying_contract;
  TlsFiles tls;

  //! The EIP-712 domain of receipts and acks.
  [[nodiscard]] eip712::Domain domain() const {
    eip712::Domain d;
    d.chain_id = chain_id;
    d.verifying_contract = verifying_contract;
    return d;
  }
};

//! A deployment job: what to train (the simulation config) and how to connect.
struct DeploymentJob {
  SimulationConfig config;
  DeploymentConfig deployment;
};

//! Parses a deployment job from JSON text. Errc::config naming the key when the text is not JSON,
//! the "deployment" section or its allowlist is missing, a value is out of range (min_updates 0 or
//! above the allowlist, a timeout ≤ 0, chunk_bytes outside [1 KiB, 64 MiB]), an address is
//! malformed or repeated, or the rest fails parse_simulation_config.
Result<DeploymentJob> parse_deployment_job(std::string_view json_text);

//! Reads and parses a deployment job file. Errc::io when it cannot be read.
Result<DeploymentJob> load_deployment_job(const std::filesystem::path& file);

//! Why the aggregator refused something (proto Status); `ok` when it did not.
enum class TransportStatus {
  ok = 0,
  version_mismatch = 1,
  unknown_participant = 2,
  bad_challenge = 3,
  bad_signature = 4,
  wrong_signer = 5,
  wrong_job = 6,
  wrong_round = 7,
  replay = 8,
  not_selected = 9,
  stale_model = 10,
  tensor_mismatch = 11,
  non_finite = 12,
  norm_too_large = 13,
  size_exceeded = 14,
  hash_mismatch = 15,
  late = 16,
  malformed = 17,
  job_done = 18,
};

//! The proto name of a status, e.g. "NORM_TOO_LARGE".
std::string_view transport_status_name(TransportStatus status);

//! One named tensor of the flat parameter vector.
struct TensorSpec {
  std::string name;
  std::vector<std::uint64_t> shape;
  std::string dtype = "float32";
  bool operator==(const TensorSpec&) const = default;
};

//! The tensors of a model's flat layout: for "mlp", "layers.<k>.weight" [out, in] and
//! "layers.<k>.bias" [out] per layer; for other models one tensor "parameters" [count].
std::vector<TensorSpec> tensor_specs(const ModelConfig& model);

//! The message a participant signs (EIP-191 personal message) to answer a join challenge:
//! "flywheel join:" + job_id + ":" + hex(nonce).
Hash32 join_digest(std::string_view job_id, ByteView nonce);

//! What Join answered.
struct JoinInfo {
  TransportStatus status = TransportStatus::ok;
  std::string message;
  Bytes session;
  std::uint32_t participant_index = 0;
  std::uint32_t participant_count = 0;
  Address aggregator;
  eip712::Domain domain;
};

//! The aggregator's plan as a participant sees it.
struct RoundPlanInfo {
  TransportStatus status = TransportStatus::ok;  //!< job_done when finished; unknown_participant: rejoin
  std::string message;
  std::uint64_t round = 0;  //!< 0 while no round is open
  std::uint64_t rounds = 0;
  bool selected = false;
  bool submitted = false;
  Hash32 model_hash;
  std::uint64_t model_bytes = 0;
  std::int64_t deadline_unix_ms = 0;
  std::uint64_t train_seed = 0;
  double proximal_mu = 0;
  std::vector<TensorSpec> tensors;
};

//! An update to push. Everything is sent as given (tests craft bad ones on purpose).
struct UpdateSubmission {
  eip712::UpdateReceipt receipt;
  Bytes signature;  //!< 65-byte EIP-712 signature of receipt (empty = missing)
  std::vector<TensorSpec> tensors;
  ByteView body;                                //!< the update's float32 bytes
  std::optional<std::uint64_t> declared_bytes;  //!< default body.size()
  std::optional<Bytes> session;                 //!< default: this client's session

  //! Sign while streaming: when set, push_update hashes the body chunk by chunk as it sends it,
  //! sets receipt.update_hash to hash_floats of the body, signs the receipt with `key` in `domain`
  //! and sends receipt and signature in a trailer after the body (`signature` above is ignored).
  //! Hashing then overlaps the transfer instead of preceding it. The key must outlive the call.
  struct StreamSigner {
    const PrivateKey* key = nullptr;
    eip712::Domain domain;
  };
  std::optional<StreamSigner> sign_while_streaming;
};

//! The aggregator's answer to a push.
struct PushOutcome {
  TransportStatus status = TransportStatus::ok;
  std::string message;
  eip712::UpdateAck ack;
  Bytes ack_signature;
  //! Signed while streaming only (else zero/empty: the caller signed the receipt it gave): the
  //! receipt as sent, with update_hash filled in, and its EIP-712 digest, which a valid ack carries.
  eip712::UpdateReceipt receipt;
  Hash32 receipt_digest;
};

//! A finished round as the aggregator reports it to a participant.
struct RoundResultInfo {
  TransportStatus status = TransportStatus::ok;
  std::string message;
  std::uint64_t round = 0;
  Hash32 model_hash;
  Hash32 attribution_root;
  double test_accuracy = 0;
  double value = 0;
  bool included = false;
};

//! A connection to an aggregator. Methods are thread-safe after join(). Errors: Errc::rpc when the
//! aggregator cannot be reached or the call fails in transport (the gRPC status is in the
//! message); refusals are not errors but a status in the returned value.
class TransportClient {
 public:
  //! Opens a channel to `target` ("host:port"). Plaintext unless tls.ca is set. Errc::io when a
  //! TLS file cannot be read. Does not connect yet.
  static Result<TransportClient> connect(const std::string& target, const TlsFiles& tls = {},
                                         std::size_t chunk_bytes = 1 << 20);
  TransportClient(TransportClient&&) noexcept;
  TransportClient& operator=(TransportClient&&) noexcept;
  ~TransportClient();

  //! Asks for a join nonce for `address`. status unknown_participant when not allowlisted.
  Result<std::pair<TransportStatus, Bytes>> challenge(std::string_view job_id, const Address& address,
                                                      double timeout_s = 10);
  //! Completes a join with a signature over join_digest(job_id, nonce); stores the session.
  Result<JoinInfo> join(std::string_view job_id, const Address& address, ByteView nonce, ByteView signature,
                        double timeout_s = 10);
  //! challenge() then join() signed by `key`.
  Result<JoinInfo> join(std::string_view job_id, const PrivateKey& key, double timeout_s = 10);

  //! The current plan, long-polling up to wait_ms for a change that concerns this participant.
  Result<RoundPlanInfo> round_plan(std::uint32_t wait_ms = 0);
  //! Streams round `round`'s global model, hashing each chunk as it arrives (hash_floats, so the
  //! check costs no second pass over the model). Errc::rpc on transport failure; Errc::data when
  //! the chunks do not add up to `expected_bytes`, are not whole floats, or do not hash to
  //! `expected_hash` (the plan's model_hash).
  Result<std::vector<float>> fetch_model(std::uint64_t round, std::uint64_t expected_bytes,
                                         const Hash32& expected_hash);
  //! Streams an update in chunks of chunk_bytes and returns the aggregator's verdict.
  Result<PushOutcome> push_update(const UpdateSubmission& update);
  //! Tells the aggregator this participant is alive; returns its status (unknown_participant
  //! means rejoin).
  Result<TransportStatus> heartbeat();
  //! The result of a finished round.
  Result<RoundResultInfo> round_result(std::uint64_t round);

  //! The session from the last successful join (empty before).
  [[nodiscard]] Bytes session() const;

 private:
  struct Impl;
  explicit TransportClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace flywheel::fedtrain
