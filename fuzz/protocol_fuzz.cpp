// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The protocol messages the aggregator receives (proto/flywheel.proto) on arbitrary bytes. The
// first byte picks the message type (byte % 7: ChallengeRequest, JoinRequest, PlanRequest,
// ModelRequest, UpdateChunk, HeartbeatRequest, RoundResultRequest); the rest is parsed as that
// message. Properties of a message that parses:
//   - serialisation is stable: serialise, parse, serialise again gives the same bytes (unknown
//     fields included), and the re-parsed message equals the first;
//   - the library checks the aggregator runs on its fields give an answer, never a crash: a
//     JoinRequest's signature over join_digest (fedtrain/transport/protocol.hpp), an
//     UpdateChunk header's or trailer's EIP-712 receipt signature (common/eip712.hpp), with the
//     receipt built from the message as the aggregator builds it;
//   - a signature that recovers is one the recovered key signed: re-signing the digest with a
//     test key and recovering gives that key (the check cannot be fooled by the message).
// The aggregator's own sequencing (sessions, nonces, rounds, stream order) lives in
// fedtrain/transport/internal/grpc_aggregator.cpp and needs a running server; tests/bad_update_test.cpp
// drives it over loopback with every malformed stream.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include "common/eip712.hpp"
#include "common/keys.hpp"
#include "fedtrain/transport/protocol.hpp"
#include "fuzz/internal/check.hpp"
#include "proto/flywheel.pb.h"

namespace {

using namespace flywheel;
namespace pb = flywheel::v1;

std::unique_ptr<google::protobuf::Message> new_message(std::uint8_t selector) {
  switch (selector % 7) {
    case 0:
      return std::make_unique<pb::ChallengeRequest>();
    case 1:
      return std::make_unique<pb::JoinRequest>();
    case 2:
      return std::make_unique<pb::PlanRequest>();
    case 3:
      return std::make_unique<pb::ModelRequest>();
    case 4:
      return std::make_unique<pb::UpdateChunk>();
    case 5:
      return std::make_unique<pb::HeartbeatRequest>();
    default:
      return std::make_unique<pb::RoundResultRequest>();
  }
}

std::string serialize(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  FLYWHEEL_FUZZ_CHECK(message.SerializeToCodedStream(&coded), "a parsed message serialises");
  coded.Trim();
  return out;
}

ByteView view(const std::string& s) { return as_bytes(s); }

// Recovers the signer of `digest` from `signature` as the aggregator does; when it recovers, a
// fresh signature by a test key over the same digest recovers to that key.
void check_signature(const Hash32& digest, const std::string& signature) {
  auto signer = eip712::recover_signer(digest, view(signature));
  if (!signer) return;
  static const PrivateKey key = PrivateKey::from_hex(std::string(64, '3')).value();
  auto ours = eip712::recover_signer(digest, eip712::sign_digest(key, digest));
  FLYWHEEL_FUZZ_CHECK(ours && *ours == key.address(), "recover(sign(digest)) is the signer");
}

// The receipt of an update as the aggregator's check_header builds it; nothing when a field has
// the wrong size (the aggregator refuses those as MALFORMED).
std::optional<eip712::UpdateReceipt> receipt_of(const pb::UpdateReceipt& r) {
  auto participant = Address::from(view(r.participant()));
  auto start = Hash32::from(view(r.start_model_hash()));
  auto update = Hash32::from(view(r.update_hash()));
  if (!participant || !start || !update) return std::nullopt;
  return eip712::UpdateReceipt{.job_id = r.job_id(),
                               .round = r.round(),
                               .participant = *participant,
                               .start_model_hash = *start,
                               .update_hash = *update,
                               .samples = r.samples(),
                               .compute_units = r.compute_units(),
                               .compute_millis = r.compute_millis()};
}

void check_receipt(const pb::UpdateReceipt& r, const std::string& signature) {
  auto receipt = receipt_of(r);
  if (!receipt) return;
  const eip712::Domain domain{.name = "Flywheel", .version = "1", .chain_id = 31337, .verifying_contract = {}};
  check_signature(eip712::digest(domain, *receipt), signature);
}

void check_fields(const google::protobuf::Message& message) {
  if (const auto* join = dynamic_cast<const pb::JoinRequest*>(&message)) {
    check_signature(fedtrain::join_digest(join->job_id(), view(join->nonce())), join->signature());
  } else if (const auto* chunk = dynamic_cast<const pb::UpdateChunk*>(&message)) {
    if (chunk->has_header() && chunk->header().has_receipt()) {
      check_receipt(chunk->header().receipt(), chunk->header().signature());
    }
    if (chunk->has_trailer()) check_receipt(chunk->trailer().receipt(), chunk->trailer().signature());
  } else if (const auto* challenge = dynamic_cast<const pb::ChallengeRequest*>(&message)) {
    (void)Address::from(view(challenge->address()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // proto3 refuses invalid UTF-8 in string fields and logs each refusal: millions of lines here.
  const google::protobuf::LogSilencer quiet;
  auto message = new_message(data[0]);
  if (!message->ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  const std::string first = serialize(*message);
  auto again = new_message(data[0]);
  FLYWHEEL_FUZZ_CHECK(again->ParseFromString(first), "a serialised message parses");
  FLYWHEEL_FUZZ_CHECK(serialize(*again) == first, "serialise(parse(serialise(m))) == serialise(m)");
  FLYWHEEL_FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(*message, *again), "parse(serialise(m)) == m");
  check_fields(*message);
  return 0;
}
