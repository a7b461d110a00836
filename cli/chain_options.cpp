// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The connection set-up shared by cli/chain_commands.cpp and cli/economy_commands.cpp.
#include "cli/chain_options.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

namespace flywheel::cli {

void add_chain_options(CLI::App& command, ChainOptions& options, bool keystore) {
  command.add_option("--rpc", options.rpc, "JSON-RPC URL of the chain")->required();
  if (!keystore) return;
  command.add_option_function<std::string>(
      "--keystore", [&options](const std::string& v) { options.wallet.keystore = v; },
      "Keystore of the sending account (Web3 Secret Storage v3)");
  command.add_option_function<std::string>(
      "--password-file", [&options](const std::string& v) { options.wallet.password_file = v; },
      "File whose first line is the keystore password (default: $FLYWHEEL_PASSWORD)");
}

Result<ChainSession> connect_chain(const ChainOptions& options, KeyUse key_use, std::vector<std::string> known_errors) {
  // Reads need no key of the user's: anvil's dev key is only the eth_call sender.
  const WalletSource source = key_use == KeyUse::read_only ? WalletSource{} : options.wallet;
  auto wallet = load_wallet(source, key_use != KeyUse::keystore_required);
  if (!wallet) return tl::unexpected(wallet.error());
  if (wallet->dev_key && key_use == KeyUse::dev_key_allowed) {
    std::cout << "no --keystore: using anvil's public dev account 0 (" << to_checksum(wallet->key.address())
              << "); never do this on a real network\n";
  }
  ChainSession s;
  s.dev_key = wallet->dev_key;
  s.rpc = std::make_unique<chain::RpcClient>(options.rpc);
  auto id = s.rpc->chain_id();
  if (!id) return tl::unexpected(with_context(id.error(), "connecting to " + options.rpc));
  chain::SignerOptions signer_options;
  signer_options.known_errors = std::move(known_errors);
  s.signer = std::make_unique<chain::Signer>(wallet->key, *s.rpc, signer_options);
  return s;
}

Result<Address> parse_contract(chain::RpcClient& rpc, const std::string& text, std::string_view flag,
                               std::string_view hint) {
  auto address = parse_address(text);
  if (!address) {
    return fail(Errc::config, std::string(flag) + " must be a contract address: " + address.error().message);
  }
  auto code = rpc.get_code(*address);
  if (!code) return tl::unexpected(code.error());
  if (code->empty()) {
    return fail(Errc::config, std::string(flag) + ": no contract at " + to_checksum(*address) + " on " + rpc.url() +
                                  " (" + std::string(hint) + ")");
  }
  return *address;
}

Result<U256> parse_positive(const std::string& text, std::string_view flag) {
  auto value = U256::from_dec(text);
  if (!value || value->is_zero()) {
    return fail(Errc::config, std::string(flag) + " must be a positive decimal integer, got '" + text + "'");
  }
  return *value;
}

}  // namespace flywheel::cli
