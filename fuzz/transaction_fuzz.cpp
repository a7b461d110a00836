// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Raw transaction decoding (chain-bridge/transaction.hpp: EIP-1559 type-2 envelopes, EIP-2718,
// and legacy EIP-155 transactions) and sender recovery on arbitrary bytes. Both decoders run on
// every input. Each decoder accepts only its canonical encoding, so:
//   - raw() of the decoded transaction is the input, byte for byte, and hash() is its Keccak;
//   - sender() either recovers an address or fails with an error (no crash on any r, s, parity);
//   - signing the decoded fields with a test key gives a transaction that decodes to itself and
//     whose sender is that key's address (encoder and decoder agree on every field).

#include <cstddef>
#include <cstdint>

#include "chain-bridge/transaction.hpp"
#include "common/keccak.hpp"
#include "fuzz/internal/check.hpp"

namespace {

using namespace flywheel;
using namespace flywheel::chain;

// Anvil's first development key (public test key, as in chain-bridge/transaction_test.cpp).
const PrivateKey& test_key() {
  static const PrivateKey key =
      PrivateKey::from_hex("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80").value();
  return key;
}

void check_eip1559(ByteView input) {
  auto stx = decode_transaction(input);
  if (!stx) return;
  FLYWHEEL_FUZZ_CHECK(stx->raw() == Bytes(input.begin(), input.end()), "raw(decode(x)) == x (type 2)");
  FLYWHEEL_FUZZ_CHECK(stx->hash() == keccak256(input), "hash() is keccak256 of the raw bytes (type 2)");
  (void)stx->sender();
  const SignedTransaction resigned = sign_transaction(stx->tx, test_key());
  auto decoded = decode_transaction(resigned.raw());
  FLYWHEEL_FUZZ_CHECK(decoded && *decoded == resigned, "decode(sign(tx).raw()) == sign(tx) (type 2)");
  auto sender = decoded->sender();
  FLYWHEEL_FUZZ_CHECK(sender && *sender == test_key().address(), "sender of sign(tx, key) is key (type 2)");
}

void check_legacy(ByteView input) {
  auto stx = decode_legacy_transaction(input);
  if (!stx) return;
  FLYWHEEL_FUZZ_CHECK(stx->raw() == Bytes(input.begin(), input.end()), "raw(decode(x)) == x (legacy)");
  FLYWHEEL_FUZZ_CHECK(stx->hash() == keccak256(input), "hash() is keccak256 of the raw bytes (legacy)");
  (void)stx->sender();
  const SignedLegacyTransaction resigned = sign_legacy_transaction(stx->tx, test_key());
  auto decoded = decode_legacy_transaction(resigned.raw());
  FLYWHEEL_FUZZ_CHECK(decoded && *decoded == resigned, "decode(sign(tx).raw()) == sign(tx) (legacy)");
  auto sender = decoded->sender();
  FLYWHEEL_FUZZ_CHECK(sender && *sender == test_key().address(), "sender of sign(tx, key) is key (legacy)");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  check_eip1559(input);
  check_legacy(input);
  return 0;
}
