// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Web3 Secret Storage Definition, version 3 (ethereum.org/developers/docs/data-structures-and-
// encoding/web3-secret-storage): scrypt per RFC 7914 and PBKDF2-HMAC-SHA256 per RFC 8018 through
// OpenSSL, AES-128-CTR (NIST SP 800-38A) keyed with derivedKey[0..16], MAC keccak-256 over
// derivedKey[16..32] || ciphertext.
#include "common/keystore.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/file_io.hpp"
#include "common/internal/scrypt.hpp"
#include "common/keccak.hpp"

namespace flywheel {
namespace {

using nlohmann::json;

constexpr std::size_t kDerivedKeyLen = 32;
// 128·n·r bytes of scrypt memory above this are refused: a hostile file must not exhaust RAM.
constexpr std::uint64_t kMaxScryptMemory = std::uint64_t{2} << 30;

// Overwrites secrets on scope exit (derived keys, plaintext).
class SecretBytes {
 public:
  explicit SecretBytes(std::size_t n) : bytes_(n) {}
  ~SecretBytes() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  std::uint8_t* data() { return bytes_.data(); }
  [[nodiscard]] const std::uint8_t* data() const { return bytes_.data(); }
  [[nodiscard]] std::size_t size() const { return bytes_.size(); }
  [[nodiscard]] ByteView view() const { return {bytes_.data(), bytes_.size()}; }

 private:
  Bytes bytes_;
};

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

Result<void> derive_scrypt(std::string_view password, ByteView salt, std::uint64_t n, std::uint64_t r, std::uint64_t p,
                           SecretBytes& out) {
  if (n < 2 || (n & (n - 1)) != 0) {
    return fail(Errc::parse, "crypto.kdfparams.n must be a power of two > 1, got " + std::to_string(n));
  }
  if (r == 0 || p == 0) return fail(Errc::parse, "crypto.kdfparams.r and .p must be positive");
  if (n > kMaxScryptMemory / 128 / r) {
    return fail(Errc::parse, "crypto.kdfparams n·r needs more than 2 GiB of scrypt memory");
  }
  if (p > 0xffff || r > 0xffff) {
    return fail(Errc::parse, "crypto.kdfparams.r and .p must be below 65536");
  }
  // OpenSSL follows RFC 7914's advice N < 2^(128·r/8) and refuses other parameters, but geth does
  // not (the specification's own scrypt vector has N = 2^18, r = 1): those go to our own ROMix.
  if (16 * r < 64 && n >= (std::uint64_t{1} << (16 * r))) {
    return internal::scrypt(password, salt, n, static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(p),
                            {out.data(), out.size()});
  }
  // OpenSSL refuses parameters above maxmem (default 32 MiB); allow what these parameters need.
  const std::uint64_t maxmem = 128 * r * (n + p + 2) + (std::uint64_t{1} << 20);
  if (EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(), n, r, p, maxmem, out.data(),
                     out.size()) != 1) {
    return fail(Errc::crypto, "scrypt key derivation failed (parameters n=" + std::to_string(n) +
                                  " r=" + std::to_string(r) + " p=" + std::to_string(p) + ")");
  }
  return {};
}

Result<void> derive_pbkdf2(std::string_view password, ByteView salt, std::uint64_t c, SecretBytes& out) {
  if (c == 0 || c > 0x7fffffff) {
    return fail(Errc::parse, "crypto.kdfparams.c must be a positive iteration count");
  }
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(), static_cast<int>(salt.size()),
                        static_cast<int>(c), EVP_sha256(), static_cast<int>(out.size()), out.data()) != 1) {
    return fail(Errc::crypto, "PBKDF2-HMAC-SHA256 key derivation failed");
  }
  return {};
}

// AES-128-CTR is its own inverse: the same call encrypts and decrypts.
Result<void> aes_128_ctr(ByteView key16, ByteView iv, ByteView in, std::uint8_t* out) {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int final_len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, key16.data(), iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &len, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + len, &final_len) != 1) {
    return fail(Errc::crypto, "AES-128-CTR failed");
  }
  return {};
}

Hash32 keystore_mac(const SecretBytes& derived, ByteView ciphertext) {
  return keccak256(derived.view().subspan(16, 16), ciphertext);
}

// Field accessors that name the field on failure.
Result<const json*> member(const json& object, const std::string& key, const std::string& path) {
  if (!object.is_object() || !object.contains(key)) {
    return fail(Errc::parse, "keystore field " + path + " is missing");
  }
  return &object.at(key);
}

Result<Bytes> hex_field(const json& object, const std::string& key, const std::string& path) {
  auto value = member(object, key, path);
  if (!value) return tl::unexpected(value.error());
  if (!(*value)->is_string()) return fail(Errc::parse, "keystore field " + path + " must be hex text");
  auto bytes = from_hex((*value)->get<std::string>());
  if (!bytes) return fail(Errc::parse, "keystore field " + path + " is not hex: " + bytes.error().message);
  return bytes;
}

Result<std::uint64_t> uint_field(const json& object, const std::string& key, const std::string& path) {
  auto value = member(object, key, path);
  if (!value) return tl::unexpected(value.error());
  if (!(*value)->is_number_unsigned()) {
    return fail(Errc::parse, "keystore field " + path + " must be a non-negative integer");
  }
  return (*value)->get<std::uint64_t>();
}

Result<std::string> string_field(const json& object, const std::string& key, const std::string& path) {
  auto value = member(object, key, path);
  if (!value) return tl::unexpected(value.error());
  if (!(*value)->is_string()) return fail(Errc::parse, "keystore field " + path + " must be a string");
  return (*value)->get<std::string>();
}

Result<PrivateKey> decrypt_parsed(const json& doc, std::string_view password) {
  auto version = uint_field(doc, "version", "version");
  if (!version) return tl::unexpected(version.error());
  if (*version != 3) {
    return fail(Errc::parse, "keystore field version is " + std::to_string(*version) + "; only version 3 is supported");
  }
  // geth reads "Crypto" as well as "crypto" (older files use the capitalised name).
  const char* crypto_key = doc.contains("crypto") ? "crypto" : "Crypto";
  auto crypto = member(doc, crypto_key, "crypto");
  if (!crypto) return tl::unexpected(crypto.error());
  const json& c = **crypto;

  auto cipher = string_field(c, "cipher", "crypto.cipher");
  if (!cipher) return tl::unexpected(cipher.error());
  if (*cipher != "aes-128-ctr") {
    return fail(Errc::parse, "keystore field crypto.cipher is '" + *cipher + "'; only aes-128-ctr is supported");
  }
  auto cipherparams = member(c, "cipherparams", "crypto.cipherparams");
  if (!cipherparams) return tl::unexpected(cipherparams.error());
  auto iv = hex_field(**cipherparams, "iv", "crypto.cipherparams.iv");
  if (!iv) return tl::unexpected(iv.error());
  if (iv->size() != 16) return fail(Errc::parse, "keystore field crypto.cipherparams.iv must be 16 bytes");
  auto ciphertext = hex_field(c, "ciphertext", "crypto.ciphertext");
  if (!ciphertext) return tl::unexpected(ciphertext.error());
  if (ciphertext->size() != 32) {
    return fail(Errc::parse, "keystore field crypto.ciphertext must be 32 bytes (a secp256k1 key), got " +
                                 std::to_string(ciphertext->size()));
  }
  auto mac = hex_field(c, "mac", "crypto.mac");
  if (!mac) return tl::unexpected(mac.error());
  if (mac->size() != 32) return fail(Errc::parse, "keystore field crypto.mac must be 32 bytes");

  auto kdf = string_field(c, "kdf", "crypto.kdf");
  if (!kdf) return tl::unexpected(kdf.error());
  auto params = member(c, "kdfparams", "crypto.kdfparams");
  if (!params) return tl::unexpected(params.error());
  const json& kp = **params;
  auto salt = hex_field(kp, "salt", "crypto.kdfparams.salt");
  if (!salt) return tl::unexpected(salt.error());
  auto dklen = uint_field(kp, "dklen", "crypto.kdfparams.dklen");
  if (!dklen) return tl::unexpected(dklen.error());
  if (*dklen < kDerivedKeyLen || *dklen > 1024) {
    return fail(Errc::parse,
                "keystore field crypto.kdfparams.dklen must be at least 32, got " + std::to_string(*dklen));
  }

  SecretBytes derived(*dklen);
  if (*kdf == "scrypt") {
    auto n = uint_field(kp, "n", "crypto.kdfparams.n");
    if (!n) return tl::unexpected(n.error());
    auto r = uint_field(kp, "r", "crypto.kdfparams.r");
    if (!r) return tl::unexpected(r.error());
    auto p = uint_field(kp, "p", "crypto.kdfparams.p");
    if (!p) return tl::unexpected(p.error());
    FLYWHEEL_TRY(derive_scrypt(password, *salt, *n, *r, *p, derived));
  } else if (*kdf == "pbkdf2") {
    auto prf = string_field(kp, "prf", "crypto.kdfparams.prf");
    if (!prf) return tl::unexpected(prf.error());
    if (*prf != "hmac-sha256") {
      return fail(Errc::parse, "keystore field crypto.kdfparams.prf is '" + *prf + "'; only hmac-sha256 is supported");
    }
    auto iterations = uint_field(kp, "c", "crypto.kdfparams.c");
    if (!iterations) return tl::unexpected(iterations.error());
    FLYWHEEL_TRY(derive_pbkdf2(password, *salt, *iterations, derived));
  } else {
    return fail(Errc::parse, "keystore field crypto.kdf is '" + *kdf + "'; supported: scrypt, pbkdf2");
  }

  const Hash32 expected = keystore_mac(derived, *ciphertext);
  if (CRYPTO_memcmp(expected.bytes.data(), mac->data(), 32) != 0) {
    return fail(Errc::crypto, "wrong password (MAC mismatch)");
  }
  SecretBytes plain(32);
  FLYWHEEL_TRY(aes_128_ctr(derived.view().subspan(0, 16), *iv, *ciphertext, plain.data()));
  auto key = PrivateKey::from_bytes(plain.view());
  if (!key) return fail(Errc::crypto, "keystore decrypts to an invalid secp256k1 key: " + key.error().message);

  if (doc.contains("address")) {
    auto text = string_field(doc, "address", "address");
    if (!text) return tl::unexpected(text.error());
    auto address = parse_address(*text);
    if (!address) return fail(Errc::parse, "keystore field address is malformed: " + address.error().message);
    if (*address != key->address()) {
      return fail(Errc::crypto, "keystore field address " + address->hex() +
                                    " does not match the decrypted key's address " + key->address().hex());
    }
  }
  return key;
}

Result<Bytes> random_bytes(std::size_t n) {
  Bytes out(n);
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    return fail(Errc::crypto, "the system random generator failed (OpenSSL RAND_bytes)");
  }
  return out;
}

// RFC 4122 version-4 UUID text from 16 random bytes.
std::string uuid_v4(Bytes b) {
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  const std::string hex = to_hex(b, false);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20, 12);
}

}  // namespace

Result<PrivateKey> decrypt_keystore(std::string_view json_text, std::string_view password) {
  try {
    const json doc = json::parse(json_text);
    if (!doc.is_object()) return fail(Errc::parse, "keystore is not a JSON object");
    return decrypt_parsed(doc, password);
  } catch (const json::exception& e) {
    return fail(Errc::parse, std::string("keystore is not valid JSON: ") + e.what());
  }
}

Result<PrivateKey> load_keystore(const std::filesystem::path& path, std::string_view password) {
  auto text = read_file(path, "keystore file");
  if (!text) return tl::unexpected(text.error());
  auto key = decrypt_keystore(*text, password);
  if (!key) return tl::unexpected(with_context(key.error(), "keystore " + path.string()));
  return key;
}

Result<std::string> encrypt_keystore(const PrivateKey& key, std::string_view password, const KeystoreOptions& options) {
  auto salt = random_bytes(32);
  if (!salt) return tl::unexpected(salt.error());
  auto iv = random_bytes(16);
  if (!iv) return tl::unexpected(iv.error());
  auto id = random_bytes(16);
  if (!id) return tl::unexpected(id.error());

  SecretBytes derived(kDerivedKeyLen);
  json kdfparams;
  if (options.kdf == KeystoreKdf::scrypt) {
    auto derived_ok = derive_scrypt(password, *salt, options.n, options.r, options.p, derived);
    if (!derived_ok) {
      return fail(Errc::invalid_argument, "keystore scrypt options out of range: " + derived_ok.error().message);
    }
    kdfparams = {{"dklen", kDerivedKeyLen},
                 {"n", options.n},
                 {"r", options.r},
                 {"p", options.p},
                 {"salt", to_hex(*salt, false)}};
  } else {
    auto derived_ok = derive_pbkdf2(password, *salt, options.c, derived);
    if (!derived_ok) {
      return fail(Errc::invalid_argument, "keystore PBKDF2 options out of range: " + derived_ok.error().message);
    }
    kdfparams = {{"c", options.c}, {"dklen", kDerivedKeyLen}, {"prf", "hmac-sha256"}, {"salt", to_hex(*salt, false)}};
  }

  Bytes ciphertext(32);
  FLYWHEEL_TRY(aes_128_ctr(derived.view().subspan(0, 16), *iv, ByteView(key.secret().data(), key.secret().size()),
                           ciphertext.data()));
  const Hash32 mac = keystore_mac(derived, ciphertext);
  const json doc = {
      {"address", to_hex(key.address().view(), false)},
      {"crypto",
       {{"cipher", "aes-128-ctr"},
        {"cipherparams", {{"iv", to_hex(*iv, false)}}},
        {"ciphertext", to_hex(ciphertext, false)},
        {"kdf", options.kdf == KeystoreKdf::scrypt ? "scrypt" : "pbkdf2"},
        {"kdfparams", kdfparams},
        {"mac", to_hex(mac.view(), false)}}},
      {"id", uuid_v4(*id)},
      {"version", 3},
  };
  return doc.dump();
}

Result<void> save_keystore(const std::filesystem::path& path, const PrivateKey& key, std::string_view password,
                           const KeystoreOptions& options) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return fail(Errc::io, "keystore file " + path.string() +
                              " already exists; refusing to overwrite a key (choose another path)");
  }
  auto text = encrypt_keystore(key, password, options);
  if (!text) return tl::unexpected(text.error());

  // Write a private temp file, then link() it into place: link fails instead of replacing an
  // existing file, so a concurrent writer or a crash never leaves a half-written keystore.
  const std::string tmp = path.string() + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Errc::io, "cannot create " + tmp + ": " + std::strerror(errno));
  }
  std::size_t written = 0;
  bool ok = true;
  while (written < text->size()) {
    const ssize_t n = ::write(fd, text->data() + written, text->size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      ok = false;
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return fail(Errc::io, "cannot write " + tmp + ": " + std::strerror(saved));
  }
  const int linked = ::link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0) {
    return fail(Errc::io, "cannot create keystore file " + path.string() + ": " + std::strerror(link_errno) +
                              (link_errno == EEXIST ? " (refusing to overwrite)" : ""));
  }
  return {};
}

}  // namespace flywheel
