// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// `flywheel keys new|address`: Web3 Secret Storage v3 keystores (common/keystore.hpp).
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/wallet.hpp"
#include "common/keystore.hpp"

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
}

}  // namespace flywheel::cli
