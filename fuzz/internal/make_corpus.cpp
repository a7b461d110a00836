// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Writes the seed corpus of every fuzz target, fuzz/corpus/<target>/, from real encodings: the
// specification test vectors the unit tests check (RLP, EIP-155, EIP-1559, keystore), the
// examples' job configs, and files the project's own writers produce (save_checkpoint,
// write_round_artifacts, protobuf serialisation). Running it again rewrites the same files, except
// the keystores: encrypt_keystore draws a fresh salt and IV each time.
//
//   ninja -C build flywheel_fuzz_corpus && build/fuzz/flywheel_fuzz_corpus fuzz/corpus
//
// Seeds are named <what>.bin; libFuzzer adds its own finds under their SHA-1 names when
// scripts/fuzz runs with --update-corpus.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <nlohmann/json.hpp>

#include "chain-bridge/abi.hpp"
#include "chain-bridge/rlp.hpp"
#include "chain-bridge/transaction.hpp"
#include "common/eip712.hpp"
#include "common/file_io.hpp"
#include "common/keccak.hpp"
#include "common/keystore.hpp"
#include "fedtrain/round/checkpoint.hpp"
#include "fedtrain/transport/protocol.hpp"
#include "fuzz/internal/fixtures.hpp"
#include "proto/flywheel.pb.h"

namespace {

using namespace flywheel;
using namespace flywheel::chain;
namespace fs = std::filesystem;
namespace pb = flywheel::v1;

fs::path g_root;

void write(const std::string& target, const std::string& name, std::string_view bytes) {
  const fs::path dir = g_root / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
}

void write(const std::string& target, const std::string& name, const Bytes& bytes) {
  write(target, name, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Bytes hex(std::string_view text) { return from_hex(text).value(); }

Bytes with_mode(std::uint8_t mode, const Bytes& rest) {
  Bytes out{mode};
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

const PrivateKey& anvil_key() {
  static const PrivateKey key =
      PrivateKey::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80").value();
  return key;
}

void rlp_seeds() {
  // The Yellow Paper's and the Ethereum wiki's RLP examples (chain-bridge/rlp_test.cpp).
  write("rlp", "dog.bin", hex("83646f67"));
  write("rlp", "cat_dog.bin", hex("c88363617483646f67"));
  write("rlp", "empty_string.bin", hex("80"));
  write("rlp", "empty_list.bin", hex("c0"));
  write("rlp", "zero_byte.bin", hex("00"));
  write("rlp", "uint_15.bin", rlp_encode_uint(15));
  write("rlp", "uint_1024.bin", rlp_encode_uint(1024));
  write("rlp", "set_of_three.bin", hex("c7c0c1c0c3c0c1c0"));
  const std::string lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
  write("rlp", "long_string.bin", rlp_encode_bytes(as_bytes(lorem)));
  std::vector<RlpItem> many;
  for (int i = 0; i < 20; ++i) many.push_back(RlpItem::string(as_bytes("abc")));
  write("rlp", "long_list.bin", rlp_encode(RlpItem::list(many)));
  write("rlp", "uint_max.bin", rlp_encode_uint(U256::from_hex("0x" + std::string(64, 'f')).value()));
  write("rlp", "eip155_tx.bin",
        hex("f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61"
            "340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf5"
            "55c9f3dc64214b297fb1966a3b6d83"));
}

void abi_seeds() {
  const Address a = anvil_key().address();
  const Hash32 h = keccak256(as_bytes("flywheel"));
  // The mode byte is the index into abi_fuzz.cpp's kTypeLists.
  const std::vector<std::pair<std::uint8_t, std::vector<AbiValue>>> returns = {
      {0, {AbiValue::of_uint(1024)}},
      {1, {AbiValue::of_uint(7)}},
      {2, {AbiValue::of_bool(true)}},
      {3, {AbiValue::of_address(a)}},
      {4, {AbiValue::of_string("round out of order")}},
      {5, {AbiValue::of_bytes32_array({h, keccak256(h.view())})}},
      {6, {AbiValue::of_uint(3), AbiValue::of_uint(5)}},
      {7, {AbiValue::of_uint(1), AbiValue::of_bytes32_array({h})}},
      {8, {AbiValue::of_bytes(hex("0xdeadbeef"))}},
      {9, {AbiValue::of_int(-1), AbiValue::of_int(-128), AbiValue::of_uint(255)}},
      {10, {AbiValue::of_array({AbiValue::of_tuple({AbiValue::of_address(a), AbiValue::of_bool(false)})})}},
      {11, {AbiValue::of_tuple({AbiValue::of_uint(1), AbiValue::of_bytes(hex("0x01")), AbiValue::of_string("x")})}},
      {12, {AbiValue::of_bytes32(h), AbiValue::of_bytes({}), AbiValue::of_array({AbiValue::of_uint(2)})}},
      {13, {AbiValue::of_array({AbiValue::of_string("a"), AbiValue::of_string("bc")})}},
      {14,
       {AbiValue::of_tuple(
           {AbiValue::of_bytes32_array({h}), AbiValue::of_tuple({AbiValue::of_address(a), AbiValue::of_int(-5)})})}},
      {15,
       {AbiValue::of_array({AbiValue::of_array({AbiValue::of_uint(1)}), AbiValue::of_array({})}),
        AbiValue::of_array({AbiValue::of_bytes(hex("0x0102"))})}},
  };
  for (const auto& [mode, values] : returns) {
    write("abi", "return_" + std::to_string(mode) + ".bin", with_mode(mode, abi_encode(values)));
  }
  write("abi", "revert_error_string.bin",
        with_mode(0xf0, encode_call("Error(string)", {AbiValue::of_string("not the aggregator")}).value()));
  write("abi", "revert_panic.bin", with_mode(0xf0, encode_call("Panic(uint256)", {AbiValue::of_uint(0x11)}).value()));
  write(
      "abi", "revert_custom.bin",
      with_mode(0xf0,
                encode_call("RoundOutOfOrder(uint256,uint256)", {AbiValue::of_uint(3), AbiValue::of_uint(5)}).value()));
  for (const auto& [i, text] : std::vector<std::pair<int, std::string>>{
           {0, "recordRound(uint256,uint256,bytes32,bytes32)"}, {1, "uint256,bytes32[]"}, {2, "(address,bool)[][]"}}) {
    write("abi", "types_" + std::to_string(i) + ".bin", with_mode(0xff, Bytes(text.begin(), text.end())));
  }
}

void transaction_seeds() {
  // chain-bridge/transaction_test.cpp: cast mktx's transfer, and EIP-155's own example.
  write("transaction", "eip1559_cast_transfer.bin",
        sign_transaction({.chain_id = 31337,
                          .nonce = 0,
                          .max_priority_fee_per_gas = 1'000'000'000,
                          .max_fee_per_gas = 2'000'000'000,
                          .gas_limit = 21000,
                          .to = parse_address("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").value(),
                          .value = 1,
                          .data = {}},
                         anvil_key())
            .raw());
  write("transaction", "eip1559_create.bin",
        sign_transaction({.chain_id = 1,
                          .nonce = 3,
                          .max_priority_fee_per_gas = 0,
                          .max_fee_per_gas = 20'000'000'000,
                          .gas_limit = 60000,
                          .to = std::nullopt,
                          .value = 0,
                          .data = hex("0x600a600c600039600a6000f3602a60005260206000f3")},
                         anvil_key())
            .raw());
  write("transaction", "eip1559_call.bin",
        sign_transaction({.chain_id = 31337,
                          .nonce = 7,
                          .max_priority_fee_per_gas = 1'500'000'000,
                          .max_fee_per_gas = 30'000'000'000,
                          .gas_limit = 100000,
                          .to = anvil_key().address(),
                          .value = 0,
                          .data = encode_call("recordRound(uint256,uint256,bytes32,bytes32)",
                                              {AbiValue::of_uint(1), AbiValue::of_uint(2),
                                               AbiValue::of_bytes32(keccak256(as_bytes("w"))),
                                               AbiValue::of_bytes32(keccak256(as_bytes("root")))})
                                      .value()},
                         anvil_key())
            .raw());
  write("transaction", "eip155_example.bin",
        hex("f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61"
            "340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf5"
            "55c9f3dc64214b297fb1966a3b6d83"));
  write("transaction", "legacy_homestead.bin",
        sign_legacy_transaction({.chain_id = 0,
                                 .nonce = 1,
                                 .gas_price = 1'000'000'000,
                                 .gas_limit = 21000,
                                 .to = anvil_key().address(),
                                 .value = 5,
                                 .data = {}},
                                anvil_key())
            .raw());
}

void signature_seeds() {
  for (int i = 0; i < 4; ++i) {
    const Hash32 digest = keccak256(as_bytes("digest " + std::to_string(i)));
    const PrivateKey key = PrivateKey::from_hex(std::string(63, '0') + std::to_string(i + 1)).value();
    Bytes bytes(digest.bytes.begin(), digest.bytes.end());
    const Bytes rsv = eip712::sign_digest(key, digest);
    bytes.insert(bytes.end(), rsv.begin(), rsv.end());
    bytes.insert(bytes.end(), key.secret().begin(), key.secret().end());
    write("signature", "signed_" + std::to_string(i) + ".bin", bytes);
  }
  Bytes v0(97, 0);
  v0[32] = 1;
  v0[64] = 1;
  write("signature", "raw_v0.bin", v0);
}

void keystore_seeds() {
  // The Web3 Secret Storage test vectors (common/keystore_test.cpp); their KDF costs are above
  // the target's cap, so it skips them, but their mutations with small costs are not skipped.
  write(
      "keystore", "spec_pbkdf2.json",
      R"({"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"6087dab2f9fdbbfaddc31a909735c1e6"},)"
      R"("ciphertext":"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46","kdf":"pbkdf2",)"
      R"("kdfparams":{"c":262144,"dklen":32,"prf":"hmac-sha256","salt":"ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"},)"
      R"("mac":"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"},"id":"3198bc9c-6672-5ab3-d995-4942343ae5b6","version":3})");
  // Keystores the project writes, under the target's password, with costs it runs.
  const PrivateKey key =
      PrivateKey::from_hex("7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d").value();
  const std::vector<std::pair<std::string, KeystoreOptions>> options = {
      {"scrypt_n16.json", {.kdf = KeystoreKdf::scrypt, .n = 16, .r = 8, .p = 1}},
      {"scrypt_n1024_r1.json", {.kdf = KeystoreKdf::scrypt, .n = 1024, .r = 1, .p = 1}},
      {"pbkdf2_c16.json", {.kdf = KeystoreKdf::pbkdf2, .c = 16}},
      {"pbkdf2_c1000.json", {.kdf = KeystoreKdf::pbkdf2, .c = 1000}},
  };
  for (const auto& [name, o] : options) {
    auto json = nlohmann::json::parse(encrypt_keystore(key, "testpassword", o).value());
    // The spec vector's id: the generated one is random and no decoder property depends on it.
    json["id"] = "3198bc9c-6672-5ab3-d995-4942343ae5b6";
    write("keystore", name, json.dump());
  }
}

void job_config_seeds(const fs::path& source) {
  for (const char* example : {"fashion_mnist_quick", "niid_bench", "attribution_scenarios", "scale_1000"}) {
    write("job_config", std::string(example) + ".json",
          read_file(source / "examples" / example / "config.json").value());
  }
  write("job_config", "minimal.json", R"({"job": {"name": "fuzz"}})");
  const auto& config = fuzz::checkpoint_config();
  nlohmann::json allowlist = nlohmann::json::array();
  for (const auto& k : config.participants.keys) allowlist.push_back(to_checksum(k.address()));
  nlohmann::json job = {{"job", {{"name", "fuzz"}, {"rounds", 2}}},
                        {"participants", {{"count", 3}}},
                        {"deployment",
                         {{"listen", "127.0.0.1:50051"},
                          {"aggregator", "127.0.0.1:50051"},
                          {"allowlist", allowlist},
                          {"min_updates", 2},
                          {"round_timeout_s", 60},
                          {"chunk_bytes", 65536},
                          {"chain_id", 31337},
                          {"verifying_contract", to_checksum(anvil_key().address())}}}};
  write("job_config", "deployment.json", job.dump(2));
}

// save_checkpoint's file without its 32-byte digest, which checkpoint_fuzz appends.
void checkpoint_seeds(const fs::path& scratch) {
  const auto& config = fuzz::checkpoint_config();
  const std::size_t n = config.participants.count();
  fedtrain::Checkpoint c{.round = 0,
                         .model = std::vector<float>(fedtrain::parameter_count(config.model), 0.5F),
                         .server_state = {},
                         .total_values = std::vector<double>(n, 0.0),
                         .samples = std::vector<std::uint64_t>(n, 100),
                         .rounds = {},
                         .round_details = {},
                         .metrics_jsonl_bytes = 0,
                         .metrics_csv_bytes = 0};
  for (std::uint64_t round = 0; round <= 2; ++round) {
    if (round > 0) {
      fedtrain::RoundRecord record{.round = round,
                                   .model_hash = keccak256(as_bytes("model " + std::to_string(round))),
                                   .attribution_root = keccak256(as_bytes("root " + std::to_string(round))),
                                   .leaves = {},
                                   .selected = {0, 2},
                                   .test_accuracy = 0.5 + 0.1 * double(round),
                                   .test_loss = 1.0 / double(round)};
      for (std::size_t i = 0; i < n; ++i) {
        record.leaves.push_back({.participant = config.participants.keys[i].address(),
                                 .receipt = keccak256(as_bytes("receipt " + std::to_string(i))),
                                 .value = i == 1 ? 0.0 : 0.25,
                                 .samples = i == 1 ? 0U : 100U});
      }
      c.rounds.push_back(record);
      c.round = round;
      c.total_values[0] += 0.25;
      c.total_values[2] += 0.25;
      c.round_details.push_back({{"method", "exact"}, {"evaluations", 4}});
      c.metrics_jsonl_bytes += 200;
      c.metrics_csv_bytes += 100;
      c.server_state = {0.1F, 0.2F};
    }
    const fs::path run = scratch / ("checkpoint-" + std::to_string(round));
    if (!fedtrain::save_checkpoint(run, config, c)) throw std::runtime_error("save_checkpoint failed");
    std::string bytes = read_file(fedtrain::checkpoint_file(run)).value();
    bytes.resize(bytes.size() - 32);
    write("checkpoint", "round_" + std::to_string(round) + ".bin", bytes);
  }
}

void artifacts_seeds(const fs::path& scratch) {
  const fs::path run = scratch / "artifacts";
  if (!fedtrain::write_round_artifacts(run, fuzz::round_fixture().artifacts())) {
    throw std::runtime_error("write_round_artifacts failed");
  }
  const fs::path manifest = run / "artifacts" / "round-000001" / "manifest.json";
  const std::string text = read_file(manifest).value();
  write("artifacts", "manifest.json", text);
  // The same manifest compacted, and without its receipts (a Flywheel older than receipts).
  auto json = nlohmann::ordered_json::parse(text);
  write("artifacts", "manifest_compact.json", json.dump());
  // A path to the right file by a detour (the regression seed of the plain-file-name rule).
  auto detour = json;
  detour["start_model"]["file"] = "../round-000001/" + detour["start_model"]["file"].get<std::string>();
  write("artifacts", "manifest_path_detour.json", detour.dump());
  json.erase("receipts");
  write("artifacts", "manifest_no_receipts.json", json.dump());
}

std::string serialized(std::uint8_t selector, const google::protobuf::Message& message) {
  std::string out(1, static_cast<char>(selector));
  std::string body;
  google::protobuf::io::StringOutputStream stream(&body);
  {
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out + body;
}

std::string bytes_string(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

void protocol_seeds() {
  const auto& round = fuzz::round_fixture();
  const PrivateKey& key = round.keys[0];
  const std::string address = bytes_string(key.address().view());
  const std::string nonce(32, '\x07');
  const std::string session(16, '\x42');

  pb::ChallengeRequest challenge;
  challenge.set_version(1);
  challenge.set_job_id("fuzz");
  challenge.set_address(address);
  write("protocol", "challenge.bin", serialized(0, challenge));

  pb::JoinRequest join;
  join.set_version(1);
  join.set_job_id("fuzz");
  join.set_address(address);
  join.set_nonce(nonce);
  join.set_signature(bytes_string(eip712::sign_digest(key, fedtrain::join_digest("fuzz", as_bytes(nonce)))));
  write("protocol", "join.bin", serialized(1, join));

  pb::PlanRequest plan;
  plan.set_version(1);
  plan.set_session(session);
  plan.set_wait_ms(1000);
  write("protocol", "plan.bin", serialized(2, plan));

  pb::ModelRequest model;
  model.set_version(1);
  model.set_session(session);
  model.set_round(1);
  write("protocol", "model.bin", serialized(3, model));

  const eip712::UpdateReceipt r = round.receipt(0);
  const eip712::Domain domain{.name = "Flywheel", .version = "1", .chain_id = 31337, .verifying_contract = {}};
  const auto fill = [&](pb::UpdateReceipt* out) {
    out->set_job_id(r.job_id);
    out->set_round(r.round);
    out->set_participant(bytes_string(r.participant.view()));
    out->set_start_model_hash(bytes_string(r.start_model_hash.view()));
    out->set_update_hash(bytes_string(r.update_hash.view()));
    out->set_samples(r.samples);
    out->set_compute_units(r.compute_units);
    out->set_compute_millis(r.compute_millis);
  };
  const std::string signature = bytes_string(eip712::sign_digest(key, eip712::digest(domain, r)));
  pb::UpdateChunk header;
  header.set_version(1);
  header.mutable_header()->set_session(session);
  fill(header.mutable_header()->mutable_receipt());
  header.mutable_header()->set_signature(signature);
  auto* tensor = header.mutable_header()->add_tensors();
  tensor->set_name("fc1.weight");
  tensor->add_shape(2);
  tensor->add_shape(2);
  tensor->set_dtype("float32");
  header.mutable_header()->set_total_bytes(16);
  write("protocol", "update_header.bin", serialized(4, header));

  pb::UpdateChunk body;
  body.set_version(1);
  body.set_data(std::string(16, '\x01'));
  write("protocol", "update_data.bin", serialized(4, body));

  pb::UpdateChunk trailer;
  trailer.set_version(1);
  fill(trailer.mutable_trailer()->mutable_receipt());
  trailer.mutable_trailer()->set_signature(signature);
  write("protocol", "update_trailer.bin", serialized(4, trailer));

  pb::HeartbeatRequest heartbeat;
  heartbeat.set_version(1);
  heartbeat.set_session(session);
  write("protocol", "heartbeat.bin", serialized(5, heartbeat));

  pb::RoundResultRequest result;
  result.set_version(1);
  result.set_session(session);
  result.set_round(1);
  write("protocol", "round_result.bin", serialized(6, result));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus folder, e.g. fuzz/corpus>\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  const fs::path source = FLYWHEEL_SOURCE_DIR;
  const fs::path scratch = fs::temp_directory_path() / "flywheel-fuzz-corpus";
  fs::remove_all(scratch);
  rlp_seeds();
  abi_seeds();
  transaction_seeds();
  signature_seeds();
  keystore_seeds();
  job_config_seeds(source);
  checkpoint_seeds(scratch);
  artifacts_seeds(scratch);
  protocol_seeds();
  fs::remove_all(scratch);
  std::printf("seeds written to %s\n", g_root.c_str());
  return 0;
}
