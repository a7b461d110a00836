// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Keystore decoding (common/keystore.hpp, Web3 Secret Storage v3) on arbitrary text, decrypted
// with the password "testpassword" (the corpus's keystores are encrypted under it, so the fuzzer
// starts from files that decrypt). Properties:
//   - decrypt_keystore returns a key or an error, for any text (no exception escapes, no crash);
//   - a key it returns round-trips: encrypt_keystore(key) with small scrypt and PBKDF2 costs
//     decrypts to the same key, and a wrong password is refused as Errc::crypto.
// Inputs whose KDF would cost more than 2^16 scrypt blocks or PBKDF2 iterations are skipped before
// decryption: the library accepts up to 2 GiB of scrypt memory (a real cost, covered by
// common/keystore_test.cpp), which would turn every mutation of such a seed into a timeout.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/keystore.hpp"
#include "fuzz/internal/check.hpp"

namespace {

using namespace flywheel;

constexpr std::string_view kPassword = "testpassword";
constexpr std::uint64_t kMaxCost = std::uint64_t{1} << 16;

// The KDF cost the text names, where it is readable; 0 when it names none.
std::uint64_t kdf_cost(std::string_view text) {
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  std::uint64_t cost = 0;
  for (const char* crypto : {"crypto", "Crypto"}) {
    if (!json.is_object() || !json.contains(crypto) || !json[crypto].is_object()) continue;
    const auto& c = json[crypto];
    if (!c.contains("kdfparams") || !c["kdfparams"].is_object()) continue;
    const auto& kp = c["kdfparams"];
    const auto number = [&](const char* name) -> std::uint64_t {
      if (!kp.contains(name) || !kp[name].is_number_unsigned()) return 1;
      return kp[name].get<std::uint64_t>();
    };
    const std::uint64_t n = number("n"), r = number("r"), p = number("p"), iterations = number("c");
    // Saturating n·r·p: any factor above the cap is over it already.
    const bool big = n > kMaxCost || r > kMaxCost || p > kMaxCost || n * r * p > kMaxCost;
    cost = std::max({cost, big ? kMaxCost + 1 : n * r * p, iterations});
  }
  return cost;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (kdf_cost(text) > kMaxCost) return 0;
  auto key = decrypt_keystore(text, kPassword);
  if (!key) return 0;
  for (const KeystoreOptions& options : {KeystoreOptions{.kdf = KeystoreKdf::scrypt, .n = 16, .r = 8, .p = 1},
                                         KeystoreOptions{.kdf = KeystoreKdf::pbkdf2, .c = 16}}) {
    auto encrypted = encrypt_keystore(*key, kPassword, options);
    FLYWHEEL_FUZZ_CHECK(encrypted.has_value(), "a decrypted key encrypts again");
    auto again = decrypt_keystore(*encrypted, kPassword);
    FLYWHEEL_FUZZ_CHECK(again && again->secret() == key->secret(), "decrypt(encrypt(k)) == k");
    auto wrong = decrypt_keystore(*encrypted, "not the password");
    FLYWHEEL_FUZZ_CHECK(!wrong && wrong.error().code == Errc::crypto, "a wrong password is refused");
  }
  return 0;
}
