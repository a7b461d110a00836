// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// A local CA with OpenSSL's libcrypto: X.509 v3 (RFC 5280) certificates, ECDSA P-256 keys,
// SHA-256 signatures, PEM (RFC 7468). The extensions follow what TLS stacks check (RFC 5280
// §4.2): the CA carries basicConstraints CA:TRUE and keyCertSign; leaves carry CA:FALSE,
// digitalSignature and an extendedKeyUsage of serverAuth or clientAuth; the server's names sit in
// subjectAltName, which is what gRPC matches against the dialled host (RFC 6125).
#include "common/tls_certs.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "common/file_io.hpp"

namespace flywheel {
namespace {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using OctetsPtr = std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;

// OpenSSL's queued errors as one line (and the queue cleared), after `what`.
tl::unexpected<Error> openssl_failure(const std::string& what) {
  std::string text = what;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    text += std::string(": ") + buffer.data();
  }
  return fail(Errc::crypto, text);
}

bool is_ip_address(const std::string& host) { return OctetsPtr(a2i_IPADDRESS(host.c_str())) != nullptr; }

bool is_dns_name(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '*';
    if (!ok) return false;
  }
  return true;
}

bool is_client_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Result<PkeyPtr> new_key() {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return openssl_failure("generating a P-256 key");
  return key;
}

Result<void> add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext) return openssl_failure(std::string("building extension ") + OBJ_nid2sn(nid) + "=" + value);
  if (X509_add_ext(cert, ext.get(), -1) != 1) return openssl_failure("adding extension " + value);
  return {};
}

struct CertRequest {
  std::string common_name;
  std::uint32_t days = 365;
  bool is_ca = false;
  std::string extended_usage;    // "serverAuth" / "clientAuth"; empty for the CA
  std::string subject_alt_name;  // "DNS:a,IP:b"; empty for none
};

// A certificate for `key`, signed by issuer_key (issuer == nullptr: self-signed).
Result<X509Ptr> make_certificate(const CertRequest& request, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  if (!cert) return openssl_failure("allocating a certificate");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) return openssl_failure("setting the version");
  // A random 159-bit serial: positive, unique per certificate, within RFC 5280's 20 octets.
  BnPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return openssl_failure("drawing a serial number");
  }
  // Valid from five minutes ago, so that a peer whose clock is slightly behind accepts it.
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(request.days), 0, nullptr) == nullptr) {
    return openssl_failure("setting the validity period");
  }
  if (X509_set_pubkey(cert.get(), key) != 1) return openssl_failure("setting the public key");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const auto* org = reinterpret_cast<const unsigned char*>("Flywheel");
  const auto* cn = reinterpret_cast<const unsigned char*>(request.common_name.c_str());
  if (X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC, org, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, cn, -1, -1, 0) != 1) {
    return openssl_failure("setting the subject name");
  }
  X509* signer = issuer != nullptr ? issuer : cert.get();
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1) {
    return openssl_failure("setting the issuer name");
  }
  if (request.is_ca) {
    FLYWHEEL_TRY(add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
    FLYWHEEL_TRY(add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign"));
  } else {
    FLYWHEEL_TRY(add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE"));
    FLYWHEEL_TRY(add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature"));
    FLYWHEEL_TRY(add_extension(cert.get(), signer, NID_ext_key_usage, request.extended_usage));
  }
  FLYWHEEL_TRY(add_extension(cert.get(), signer, NID_subject_key_identifier, "hash"));
  FLYWHEEL_TRY(add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always"));
  if (!request.subject_alt_name.empty()) {
    FLYWHEEL_TRY(add_extension(cert.get(), signer, NID_subject_alt_name, request.subject_alt_name));
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0) return openssl_failure("signing the certificate");
  return cert;
}

Result<std::string> bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size < 0 || (size > 0 && data == nullptr)) return openssl_failure("reading PEM from memory");
  return std::string(data, static_cast<std::size_t>(size));
}

Result<std::string> cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return openssl_failure("encoding a certificate as PEM");
  return bio_text(bio.get());
}

Result<std::string> key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_failure("encoding a private key as PEM");
  }
  return bio_text(bio.get());
}

Result<X509Ptr> load_certificate(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) return tl::unexpected(text.error());
  BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  if (!bio) return openssl_failure("reading " + path.string());
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return fail(Errc::parse, path.string() + " is not a PEM certificate");
  }
  return cert;
}

struct PendingFile {
  std::filesystem::path path;
  std::string text;
  mode_t mode;
};

}  // namespace

Result<TlsSetupFiles> make_tls_setup(const std::filesystem::path& out_dir, const TlsSetupOptions& options) {
  if (options.hosts.empty()) {
    return fail(Errc::invalid_argument, "the server certificate needs at least one host name or IP address");
  }
  if (options.days < 1 || options.days > 36500) {
    return fail(Errc::invalid_argument, "--days must be in [1, 36500], got " + std::to_string(options.days));
  }
  std::string alt_names;
  for (const auto& host : options.hosts) {
    std::string entry;
    if (is_ip_address(host)) {
      entry = "IP:" + host;
    } else if (is_dns_name(host)) {
      entry = "DNS:" + host;
    } else {
      return fail(Errc::invalid_argument, "\"" + host + "\" is neither an IP address nor a DNS name");
    }
    alt_names += (alt_names.empty() ? "" : ",") + entry;
  }
  std::set<std::string> seen;
  for (const auto& name : options.clients) {
    if (!is_client_name(name)) {
      return fail(Errc::invalid_argument, "client name \"" + name + "\" must be 1-64 letters, digits, '-', '_' or '.'");
    }
    if (!seen.insert(name).second) return fail(Errc::invalid_argument, "client name \"" + name + "\" is repeated");
  }

  TlsSetupFiles files;
  files.ca = {.name = "ca", .cert = out_dir / "ca.pem", .key = out_dir / "ca.key"};
  files.server = {.name = "server", .cert = out_dir / "server.pem", .key = out_dir / "server.key"};
  for (const auto& name : options.clients) {
    files.clients.push_back(
        {.name = name, .cert = out_dir / ("client-" + name + ".pem"), .key = out_dir / ("client-" + name + ".key")});
  }
  std::vector<const TlsKeyPairFiles*> pairs{&files.ca, &files.server};
  for (const auto& c : files.clients) pairs.push_back(&c);
  for (const auto* pair : pairs) {
    for (const auto& path : {pair->cert, pair->key}) {
      std::error_code ec;
      if (std::filesystem::exists(path, ec)) {
        return fail(Errc::io, path.string() + " already exists (refusing to overwrite; pick another --out)");
      }
    }
  }

  // Everything is built in memory first, so that a failure leaves no half-made setup behind.
  std::vector<PendingFile> pending;
  auto ca_key = new_key();
  if (!ca_key) return tl::unexpected(ca_key.error());
  auto ca = make_certificate({.common_name = "Flywheel local CA",
                              .days = options.days,
                              .is_ca = true,
                              .extended_usage = {},
                              .subject_alt_name = {}},
                             ca_key->get(), nullptr, ca_key->get());
  if (!ca) return tl::unexpected(ca.error());
  auto add_pair = [&](const TlsKeyPairFiles& pair, X509* cert, EVP_PKEY* key) -> Result<void> {
    auto cert_text = cert_pem(cert);
    if (!cert_text) return tl::unexpected(cert_text.error());
    auto key_text = key_pem(key);
    if (!key_text) return tl::unexpected(key_text.error());
    pending.push_back({pair.cert, std::move(*cert_text), 0644});
    pending.push_back({pair.key, std::move(*key_text), 0600});
    return {};
  };
  FLYWHEEL_TRY(add_pair(files.ca, ca->get(), ca_key->get()));

  auto server_key = new_key();
  if (!server_key) return tl::unexpected(server_key.error());
  auto server = make_certificate({.common_name = options.hosts.front(),
                                  .days = options.days,
                                  .is_ca = false,
                                  .extended_usage = "serverAuth",
                                  .subject_alt_name = alt_names},
                                 server_key->get(), ca->get(), ca_key->get());
  if (!server) return tl::unexpected(server.error());
  FLYWHEEL_TRY(add_pair(files.server, server->get(), server_key->get()));

  for (const auto& client : files.clients) {
    auto key = new_key();
    if (!key) return tl::unexpected(key.error());
    auto cert = make_certificate(
        {.common_name = client.name, .days = options.days, .extended_usage = "clientAuth", .subject_alt_name = {}},
        key->get(), ca->get(), ca_key->get());
    if (!cert) return tl::unexpected(cert.error());
    FLYWHEEL_TRY(add_pair(client, cert->get(), key->get()));
  }

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return fail(Errc::io, "cannot create " + out_dir.string() + ": " + ec.message());
  for (std::size_t k = 0; k < pending.size(); ++k) {
    auto written = write_new_file(pending[k].path, pending[k].text, pending[k].mode);
    if (!written) {
      for (std::size_t j = 0; j < k; ++j) std::filesystem::remove(pending[j].path, ec);
      Error error = written.error();
      if (error.message.ends_with("(refusing to overwrite it)")) error.message += "; pick another --out";
      return tl::unexpected(std::move(error));
    }
  }
  return files;
}

Result<void> verify_certificate(const std::filesystem::path& ca, const std::filesystem::path& cert) {
  auto root = load_certificate(ca);
  if (!root) return tl::unexpected(root.error());
  auto leaf = load_certificate(cert);
  if (!leaf) return tl::unexpected(leaf.error());
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), root->get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), leaf->get(), nullptr) != 1) {
    return openssl_failure("setting up certificate verification");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    const int code = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return fail(Errc::crypto,
                cert.string() + " does not verify against " + ca.string() + ": " + X509_verify_cert_error_string(code));
  }
  return {};
}

Result<std::vector<std::string>> subject_alt_names(const std::filesystem::path& cert) {
  auto x = load_certificate(cert);
  if (!x) return tl::unexpected(x.error());
  NamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x->get(), NID_subject_alt_name, nullptr, nullptr)));
  std::vector<std::string> out;
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* s = name->d.dNSName;
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                         static_cast<std::size_t>(ASN1_STRING_length(s))));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = name->d.iPAddress;
      const int length = ASN1_STRING_length(s);
      std::array<char, INET6_ADDRSTRLEN> text{};
      const int family = length == 4 ? AF_INET : AF_INET6;
      if ((length == 4 || length == 16) &&
          ::inet_ntop(family, ASN1_STRING_get0_data(s), text.data(), text.size()) != nullptr) {
        out.push_back(std::string("IP:") + text.data());
      }
    }
  }
  return out;
}

}  // namespace flywheel
