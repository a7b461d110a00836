// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// secp256k1 keys and recoverable ECDSA (SEC 1 v2; nonces per RFC 6979; low-s per BIP 62 as
// libsecp256k1 produces them), Ethereum addresses (Yellow Paper, appendix F), EIP-55 checksums and
// EIP-191 personal-message digests.
#include "common/keys.hpp"

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "common/keccak.hpp"

namespace flywheel {
namespace {

// Fills `out` from the kernel's CSPRNG. Having no entropy is not a recoverable condition.
void fill_random(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::perror("flywheel: getrandom failed");
      std::abort();
    }
    done += static_cast<std::size_t>(n);
  }
}

struct ContextDeleter {
  void operator()(secp256k1_context* ctx) const { secp256k1_context_destroy(ctx); }
};
using ContextPtr = std::unique_ptr<secp256k1_context, ContextDeleter>;

// One process-wide context. It is randomised once (blinding against side channels) before it is
// shared; afterwards every use takes it as const, which libsecp256k1 documents as thread-safe.
const secp256k1_context* context() {
  static const ContextPtr ctx = [] {
    ContextPtr c(secp256k1_context_create(SECP256K1_CONTEXT_NONE));
    if (!c) std::abort();
    std::array<std::uint8_t, 32> seed{};
    fill_random(seed);
    if (secp256k1_context_randomize(c.get(), seed.data()) != 1) std::abort();
    return c;
  }();
  return ctx.get();
}

Address address_of_pubkey(const secp256k1_pubkey& pubkey) {
  std::array<std::uint8_t, 65> raw{};
  std::size_t len = raw.size();
  secp256k1_ec_pubkey_serialize(context(), raw.data(), &len, &pubkey, SECP256K1_EC_UNCOMPRESSED);
  const Hash32 hash = keccak256(ByteView(raw.data() + 1, 64));
  Address out;
  std::copy(hash.bytes.begin() + 12, hash.bytes.end(), out.bytes.begin());
  return out;
}

}  // namespace

Bytes Signature::to_rsv() const {
  Bytes out(r.begin(), r.end());
  out.insert(out.end(), s.begin(), s.end());
  out.push_back(static_cast<std::uint8_t>(recovery_id + 27));
  return out;
}

Result<Signature> Signature::from_rsv(ByteView rsv) {
  if (rsv.size() != 65) {
    return fail(Errc::parse, "a signature is 65 bytes r || s || v, got " + std::to_string(rsv.size()));
  }
  const std::uint8_t v = rsv[64];
  if (v != 0 && v != 1 && v != 27 && v != 28) {
    return fail(Errc::parse, "signature v must be 0, 1, 27 or 28, got " + std::to_string(v));
  }
  Signature sig;
  std::copy(rsv.begin(), rsv.begin() + 32, sig.r.begin());
  std::copy(rsv.begin() + 32, rsv.begin() + 64, sig.s.begin());
  sig.recovery_id = static_cast<std::uint8_t>(v >= 27 ? v - 27 : v);
  return sig;
}

Result<PrivateKey> PrivateKey::from_bytes(ByteView secret) {
  if (secret.size() != 32) {
    return fail(Errc::crypto, "a private key is 32 bytes, got " + std::to_string(secret.size()));
  }
  if (secp256k1_ec_seckey_verify(context(), secret.data()) != 1) {
    return fail(Errc::crypto, "private key is zero or not below the secp256k1 group order");
  }
  PrivateKey key;
  std::copy(secret.begin(), secret.end(), key.secret_.begin());
  return key;
}

Result<PrivateKey> PrivateKey::from_hex(std::string_view hex) {
  auto raw = ::flywheel::from_hex(hex);
  if (!raw) return tl::unexpected(with_context(raw.error(), "private key"));
  auto key = from_bytes(*raw);
  std::fill(raw->begin(), raw->end(), 0);
  return key;
}

PrivateKey PrivateKey::random() {
  std::array<std::uint8_t, 32> secret{};
  for (;;) {
    fill_random(secret);
    // Fails with probability ~2^-128 (secret ≥ the group order or zero); draw again.
    if (auto key = from_bytes(secret)) {
      std::fill(secret.begin(), secret.end(), 0);
      return *key;
    }
  }
}

Bytes PrivateKey::public_key() const {
  secp256k1_pubkey pubkey;
  if (secp256k1_ec_pubkey_create(context(), &pubkey, secret_.data()) != 1) std::abort();
  std::array<std::uint8_t, 65> raw{};
  std::size_t len = raw.size();
  secp256k1_ec_pubkey_serialize(context(), raw.data(), &len, &pubkey, SECP256K1_EC_UNCOMPRESSED);
  return Bytes(raw.begin() + 1, raw.end());
}

Address PrivateKey::address() const {
  secp256k1_pubkey pubkey;
  // A PrivateKey only exists for a verified secret, so this cannot fail.
  if (secp256k1_ec_pubkey_create(context(), &pubkey, secret_.data()) != 1) std::abort();
  return address_of_pubkey(pubkey);
}

Signature PrivateKey::sign(const Hash32& digest) const {
  secp256k1_ecdsa_recoverable_signature raw;
  // Null nonce function = secp256k1_nonce_function_rfc6979; the result is always low-s.
  if (secp256k1_ecdsa_sign_recoverable(context(), &raw, digest.bytes.data(), secret_.data(), nullptr, nullptr) != 1) {
    std::abort();
  }
  std::array<std::uint8_t, 64> compact{};
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), compact.data(), &recid, &raw);
  Signature sig;
  std::copy(compact.begin(), compact.begin() + 32, sig.r.begin());
  std::copy(compact.begin() + 32, compact.end(), sig.s.begin());
  sig.recovery_id = static_cast<std::uint8_t>(recid);
  return sig;
}

Result<Address> recover_address(const Hash32& digest, const Signature& signature) {
  if (signature.recovery_id > 3) {
    return fail(Errc::crypto, "signature recovery id must be 0..3, got " + std::to_string(signature.recovery_id));
  }
  std::array<std::uint8_t, 64> compact{};
  std::copy(signature.r.begin(), signature.r.end(), compact.begin());
  std::copy(signature.s.begin(), signature.s.end(), compact.begin() + 32);
  secp256k1_ecdsa_recoverable_signature raw;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &raw, compact.data(), signature.recovery_id) !=
      1) {
    return fail(Errc::crypto, "signature r or s is not below the secp256k1 group order");
  }
  // EIP-2: s in the upper half of the group order is the malleable twin (r, n − s) of a valid
  // signature; accepting both would give one signer two different valid signatures per message.
  secp256k1_ecdsa_signature plain;
  secp256k1_ecdsa_recoverable_signature_convert(context(), &plain, &raw);
  if (secp256k1_ecdsa_signature_normalize(context(), nullptr, &plain) == 1) {
    return fail(Errc::crypto,
                "signature s is in the upper half of the secp256k1 group order (the malleable twin "
                "of a signature; EIP-2 accepts only low s)");
  }
  secp256k1_pubkey pubkey;
  if (secp256k1_ecdsa_recover(context(), &pubkey, &raw, digest.bytes.data()) != 1) {
    return fail(Errc::crypto, "signature does not recover to a public key for this digest");
  }
  return address_of_pubkey(pubkey);
}

std::string to_checksum(const Address& address) {
  const std::string lower = to_hex(address.view(), false);
  const Hash32 hash = keccak256(as_bytes(lower));
  std::string out = "0x";
  for (std::size_t i = 0; i < lower.size(); ++i) {
    const std::uint8_t nib = (hash.bytes[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0x0f;
    const char c = lower[i];
    out += (c >= 'a' && c <= 'f' && nib >= 8) ? static_cast<char>(c - 'a' + 'A') : c;
  }
  return out;
}

Result<Address> parse_address(std::string_view text) {
  const std::string shown(text);
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  if (text.size() != 40) {
    return fail(Errc::parse, "address \"" + shown + "\" must be 40 hex digits after 0x");
  }
  auto addr = Address::from_hex(text);
  if (!addr) return fail(Errc::parse, "address \"" + shown + "\": " + addr.error().message);
  bool has_lower = false;
  bool has_upper = false;
  for (char c : text) {
    has_lower |= (c >= 'a' && c <= 'f');
    has_upper |= (c >= 'A' && c <= 'F');
  }
  if (has_lower && has_upper && to_checksum(*addr).substr(2) != text) {
    return fail(Errc::parse, "address \"" + shown +
                                 "\" has an invalid EIP-55 checksum; check for a typo or pass it "
                                 "in all lower case");
  }
  return *addr;
}

Hash32 personal_message_digest(ByteView message) {
  const std::string prefix =
      "\x19"
      "Ethereum Signed Message:\n" +
      std::to_string(message.size());
  return keccak256(as_bytes(prefix), message);
}

}  // namespace flywheel
