// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// secp256k1 signature recovery (common/keys.hpp recover_address, common/eip712.hpp
// recover_signer: the checks behind every receipt, join and ack) on arbitrary bytes laid out as
//   digest (32 bytes) ‖ signature (65 bytes r ‖ s ‖ v) ‖ secret (32 bytes, optional).
// Shorter inputs are zero-padded. Properties:
//   - recover_signer(digest, sig) and recover_address(digest, from_rsv(sig)) agree;
//   - from_rsv accepts a signature only if to_rsv spells it back (v 0/1 becomes 27/28);
//   - a signature that recovers is low-s (EIP-2), so its high-s twin (n - s, v ^ 1) must not;
//   - when the secret is a valid key, sign(digest) recovers to its address, through both paths.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "common/eip712.hpp"
#include "common/keys.hpp"
#include "fuzz/internal/check.hpp"

namespace {

using namespace flywheel;

// The order n of secp256k1's group, big-endian (SEC 2, section 2.4.1).
constexpr std::array<std::uint8_t, 32> kOrder = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                 0xff, 0xff, 0xff, 0xff, 0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48,
                                                 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

// n - s for 0 < s < n (big-endian bytes).
std::array<std::uint8_t, 32> negate(const std::array<std::uint8_t, 32>& s) {
  std::array<std::uint8_t, 32> out{};
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = int(kOrder[i]) - int(s[i]) - borrow;
    borrow = d < 0 ? 1 : 0;
    out[i] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::array<std::uint8_t, 32 + 65 + 32> bytes{};
  std::copy_n(data, std::min(size, bytes.size()), bytes.begin());
  Hash32 digest;
  std::copy_n(bytes.begin(), 32, digest.bytes.begin());
  const ByteView rsv(bytes.data() + 32, 65);
  const ByteView secret(bytes.data() + 97, 32);

  auto via_eip712 = eip712::recover_signer(digest, rsv);
  auto parsed = Signature::from_rsv(rsv);
  if (parsed) {
    Bytes spelled(rsv.begin(), rsv.end());
    if (spelled[64] < 27) spelled[64] += 27;
    FLYWHEEL_FUZZ_CHECK(parsed->to_rsv() == spelled, "to_rsv(from_rsv(x)) == x with v as 27/28");
    auto direct = recover_address(digest, *parsed);
    FLYWHEEL_FUZZ_CHECK(direct.has_value() == via_eip712.has_value(), "both recovery paths agree on success");
    if (direct) {
      FLYWHEEL_FUZZ_CHECK(*direct == *via_eip712, "both recovery paths recover the same address");
      Signature twin = *parsed;
      twin.s = negate(parsed->s);
      twin.recovery_id ^= 1;
      FLYWHEEL_FUZZ_CHECK(!recover_address(digest, twin), "the high-s twin of a valid signature is refused (EIP-2)");
    }
  } else {
    FLYWHEEL_FUZZ_CHECK(!via_eip712, "recover_signer refuses what from_rsv refuses");
  }

  if (auto key = PrivateKey::from_bytes(secret)) {
    const Signature signature = key->sign(digest);
    auto signer = recover_address(digest, signature);
    FLYWHEEL_FUZZ_CHECK(signer && *signer == key->address(), "recover(sign(d, k)) == address(k)");
    auto typed = eip712::recover_signer(digest, eip712::sign_digest(*key, digest));
    FLYWHEEL_FUZZ_CHECK(typed && *typed == key->address(), "recover_signer(sign_digest(k, d)) == address(k)");
  }
  return 0;
}
