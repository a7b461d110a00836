// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Web3 Secret Storage v3 keystores (ethereum.org, "Web3 secret storage definition"): a secp256k1
//! private key encrypted with AES-128-CTR under a key derived from a password by scrypt (RFC 7914)
//! or PBKDF2-HMAC-SHA256 (RFC 8018), authenticated by MAC = keccak256(derivedKey[16..32] ||
//! ciphertext). Files written here open in geth, Foundry's cast and ethers, and theirs open here.
//! How Flywheel keeps keys on disk (`flywheel keys new`, then --keystore on every command).
//!
//!   FLYWHEEL_TRY(save_keystore("alice.json", PrivateKey::random(), password));  // mode 0600
//!   auto key = load_keystore("alice.json", password);   // Errc::crypto on a wrong password
//!   KeystoreOptions fast{.n = 1024};                      // small scrypt cost, for tests

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/keys.hpp"
#include "common/result.hpp"

namespace flywheel {

//! The key-derivation function a keystore uses.
enum class KeystoreKdf { scrypt, pbkdf2 };

//! How save_keystore()/encrypt_keystore() derive the encryption key. The defaults are geth's
//! "standard" scrypt parameters (256 MiB, about a second); tests use small ones.
struct KeystoreOptions {
  KeystoreKdf kdf = KeystoreKdf::scrypt;
  std::uint64_t n = 262144;  //!< scrypt CPU/memory cost; a power of two > 1
  std::uint32_t r = 8;       //!< scrypt block size
  std::uint32_t p = 1;       //!< scrypt parallelism
  std::uint32_t c = 262144;  //!< PBKDF2 iteration count
};

//! Decrypts a keystore given as JSON text. Errors: Errc::parse naming the missing or malformed
//! field (e.g. "crypto.kdfparams.salt") or an unsupported version, cipher, kdf or prf;
//! Errc::crypto "wrong password (MAC mismatch)" when the MAC does not match, and Errc::crypto when
//! the decrypted bytes are not a valid secp256k1 key. When the file names an "address", it must
//! match the decrypted key (Errc::crypto otherwise).
Result<PrivateKey> decrypt_keystore(std::string_view json_text, std::string_view password);

//! Reads and decrypts the keystore file at `path`. Errc::not_found when it does not exist,
//! Errc::io when it cannot be read, otherwise as decrypt_keystore().
Result<PrivateKey> load_keystore(const std::filesystem::path& path, std::string_view password);

//! Encrypts `key` under `password` with a fresh random salt, IV and UUID; returns the keystore as
//! JSON text (with the lower-case "address" field geth writes). Errc::invalid_argument when the
//! options are out of range (n not a power of two > 1, r, p or c zero, or scrypt memory 128·n·r
//! above 2 GiB).
Result<std::string> encrypt_keystore(const PrivateKey& key, std::string_view password,
                                     const KeystoreOptions& options = {});

//! Encrypts `key` and writes it to `path` with mode 0600, never overwriting: the file appears
//! complete or not at all. Errc::io when `path` already exists or cannot be written;
//! Errc::invalid_argument as for encrypt_keystore().
Result<void> save_keystore(const std::filesystem::path& path, const PrivateKey& key, std::string_view password,
                           const KeystoreOptions& options = {});

}  // namespace flywheel
