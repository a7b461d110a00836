// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// `flywheel keys new|address`: Web3 Secret Storage v3 keystores (common/keystore.hpp).
// `flywheel keys tls`: a local CA and TLS certificates for deployment mode (common/tls_certs.hpp).
#include <cctype>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/wallet.hpp"
#include "common/keystore.hpp"
#include "common/tls_certs.hpp"

namespace flywheel::cli {

namespace {

struct KeysRequest {
  WalletSource wallet;
  std::string kdf = "scrypt";
};

void add_wallet_options(CLI::App& command, KeysRequest& request) {
  command
      .add_option_function<std::string>(
          "--keystore", [&](const std::string& v) { request.wallet.keystore = v; },
          "Keystore file (Web3 Secret Storage v3 JSON)")
      ->required();
  command.add_option_function<std::string>(
      "--password-file", [&](const std::string& v) { request.wallet.password_file = v; },
      "File whose first line is the password (default: $FLYWHEEL_PASSWORD)");
}

Result<void> keys_new(const KeysRequest& request) {
  auto password = read_password(request.wallet.password_file);
  if (!password) return tl::unexpected(password.error());
  KeystoreOptions options;
  if (request.kdf == "pbkdf2") {
    options.kdf = KeystoreKdf::pbkdf2;
  } else if (request.kdf != "scrypt") {
    return fail(Errc::config, "--kdf must be scrypt or pbkdf2, got " + request.kdf);
  }
  const PrivateKey key = PrivateKey::random();
  FLYWHEEL_TRY(save_keystore(*request.wallet.keystore, key, *password, options));
  std::cout << "created keystore " << request.wallet.keystore->string() << "\n"
            << "address " << to_checksum(key.address()) << "\n";
  return {};
}

Result<void> keys_address(const KeysRequest& request) {
  auto wallet = load_wallet(request.wallet, /*allow_dev_key=*/false);
  if (!wallet) return tl::unexpected(wallet.error());
  std::cout << to_checksum(wallet->key.address()) << "\n";
  return {};
}

struct TlsRequest {
  std::string out;
  std::string hosts = "localhost,127.0.0.1";
  std::uint32_t days = 365;
  std::string clients;
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.erase(item.begin());
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.pop_back();
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

// --clients: a count ("3" -> client1..client3) or names ("alice,bob").
Result<std::vector<std::string>> client_names(const std::string& text) {
  if (text.empty()) return std::vector<std::string>{};
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 4 || std::stoul(text) > 1000) return fail(Errc::config, "--clients: at most 1000 clients");
    std::vector<std::string> names;
    for (unsigned long k = 1; k <= std::stoul(text); ++k) names.push_back("client" + std::to_string(k));
    return names;
  }
  return split_list(text);
}

Result<void> keys_tls(const TlsRequest& request) {
  auto clients = client_names(request.clients);
  if (!clients) return tl::unexpected(clients.error());
  TlsSetupOptions options{.hosts = split_list(request.hosts), .days = request.days, .clients = *clients};
  auto files = make_tls_setup(request.out, options);
  if (!files) return tl::unexpected(files.error());
  std::cout << "CA          " << files->ca.cert.string() << "  (key " << files->ca.key.string()
            << ": keep it offline)\n"
            << "server      " << files->server.cert.string() << "  key " << files->server.key.string() << "  names "
            << request.hosts << "\n";
  for (const auto& c : files->clients) {
    std::cout << "client      " << c.cert.string() << "  key " << c.key.string() << "  CN " << c.name << "\n";
  }
  std::cout << "valid for " << request.days << " days; private keys are mode 0600\n"
            << "aggregator: \"tls\": {\"cert\": \"" << files->server.cert.string() << "\", \"key\": \""
            << files->server.key.string() << "\""
            << (files->clients.empty() ? ""
                                       : ", \"ca\": \"" + files->ca.cert.string() + "\", \"require_client_cert\": true")
            << "}\n"
            << "participant: \"tls\": {\"ca\": \"" << files->ca.cert.string() << "\""
            << (files->clients.empty() ? std::string()
                                       : ", \"client_cert\": \"" + files->clients.front().cert.string() +
                                             "\", \"client_key\": \"" + files->clients.front().key.string() + "\"")
            << "}\n";
  return {};
}

}  // namespace

void add_keys_commands(CLI::App& app, Action& action) {
  static KeysRequest request;  // must outlive parsing
  auto* keys = app.add_subcommand("keys", "Create and inspect keystores (Web3 Secret Storage v3)");
  keys->require_subcommand(1);

  auto* create = keys->add_subcommand(
      "new", "Create a new random key in a keystore file (never overwrites) and print its address");
  add_wallet_options(*create, request);
  create->add_option("--kdf", request.kdf, "Key derivation: scrypt (default) or pbkdf2");
  create->callback([&action] { action = [] { return keys_new(request); }; });

  auto* address = keys->add_subcommand("address", "Decrypt a keystore and print its address");
  add_wallet_options(*address, request);
  address->callback([&action] { action = [] { return keys_address(request); }; });

  static TlsRequest tls;
  auto* certs = keys->add_subcommand(
      "tls", "Make a local CA, a server certificate and client certificates (PEM) for deployment.tls");
  certs->add_option("--out", tls.out, "Folder for the files (created; existing files are never overwritten)")
      ->required();
  certs->add_option("--hosts", tls.hosts, "Comma-separated names and IPs the server certificate is valid for")
      ->capture_default_str();
  certs->add_option("--days", tls.days, "Validity in days")->capture_default_str();
  certs->add_option("--clients", tls.clients,
                    "Client certificates for mutual TLS: a count (client1..clientN) or comma-separated names");
  certs->callback([&action] { action = [] { return keys_tls(tls); }; });
}

}  // namespace flywheel::cli
