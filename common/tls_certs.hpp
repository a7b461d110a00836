// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A local certificate authority for deployment mode's TLS (`flywheel keys tls`): X.509 v3
//! certificates (RFC 5280) with ECDSA P-256 keys (FIPS 186-4) and SHA-256 signatures, written as
//! PEM (RFC 7468). One self-signed CA signs a server certificate whose subjectAltName lists the
//! hosts participants dial (RFC 6125 name checks), and one client certificate per participant
//! for mutual TLS. Built with OpenSSL's libcrypto; every OpenSSL handle is owned by a unique_ptr.
//!
//!   auto files = make_tls_setup("tls", {.hosts = {"aggregator.lan"}, .clients = {"alice", "bob"}});
//!   FLYWHEEL_TRY(verify_certificate(files->ca.cert, files->server.cert));
//!   // deployment.tls: {"ca": "tls/ca.pem", "cert": "tls/server.pem", "key": "tls/server.key"}

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace flywheel {

//! What make_tls_setup() creates.
struct TlsSetupOptions {
  //! Names the server certificate is valid for: DNS names, IPv4 or IPv6 addresses. Not empty.
  std::vector<std::string> hosts{"localhost", "127.0.0.1"};
  //! Validity of every certificate, in days from now; in [1, 36500].
  std::uint32_t days = 365;
  //! One client certificate per name (the certificate's CN); letters, digits, '-', '_' and '.'.
  std::vector<std::string> clients;
};

//! One key pair's files.
struct TlsKeyPairFiles {
  std::string name;            //!< "ca", "server" or the client's name
  std::filesystem::path cert;  //!< PEM certificate
  std::filesystem::path key;   //!< PEM PKCS#8 private key, mode 0600
};

//! The files make_tls_setup() wrote.
struct TlsSetupFiles {
  TlsKeyPairFiles ca;                    //!< ca.pem, ca.key
  TlsKeyPairFiles server;                //!< server.pem, server.key
  std::vector<TlsKeyPairFiles> clients;  //!< client-<name>.pem, client-<name>.key
};

//! Creates `out_dir` (if needed) and writes a CA, a server certificate for options.hosts and one
//! client certificate per options.clients, all signed by the CA. Never overwrites: when any of the
//! files exists nothing is written. Errors: Errc::invalid_argument for an empty host list, a host
//! or client name that cannot go into a certificate, a repeated client name or days out of range;
//! Errc::io naming the file that exists or cannot be written; Errc::crypto when OpenSSL fails (its
//! error text is in the message).
Result<TlsSetupFiles> make_tls_setup(const std::filesystem::path& out_dir, const TlsSetupOptions& options = {});

//! Checks that the PEM certificate `cert` was signed by the PEM CA certificate `ca` and is valid
//! now. Errc::io when a file cannot be read, Errc::parse when it is not a PEM certificate,
//! Errc::crypto with OpenSSL's verdict (e.g. "certificate signature failure") otherwise.
Result<void> verify_certificate(const std::filesystem::path& ca, const std::filesystem::path& cert);

//! The subjectAltName entries of a PEM certificate as "DNS:name" / "IP:address" strings, in
//! certificate order. Errc::io / Errc::parse as for verify_certificate().
Result<std::vector<std::string>> subject_alt_names(const std::filesystem::path& cert);

}  // namespace flywheel
