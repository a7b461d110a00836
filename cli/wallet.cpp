// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "cli/wallet.hpp"

#include <cstdlib>
#include <fstream>

#include "chain-bridge/anvil.hpp"
#include "common/keystore.hpp"

namespace flywheel::cli {

Result<std::string> read_password(const std::optional<std::filesystem::path>& password_file) {
  if (password_file) {
    std::ifstream in(*password_file, std::ios::binary);
    if (!in) return fail(Errc::not_found, "cannot read password file " + password_file->string());
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    return line;
  }
  if (const char* env = std::getenv("FLYWHEEL_PASSWORD"); env != nullptr) return std::string(env);
  return fail(Errc::config, "no keystore password: pass --password-file FILE or set FLYWHEEL_PASSWORD");
}

Result<Wallet> load_wallet(const WalletSource& source, bool allow_dev_key) {
  if (!source.keystore) {
    if (!allow_dev_key) return fail(Errc::config, "this command needs --keystore FILE");
    return Wallet{.key = PrivateKey::from_hex(chain::kAnvilDevKeys[0]).value(), .dev_key = true};
  }
  auto password = read_password(source.password_file);
  if (!password) return tl::unexpected(password.error());
  auto key = load_keystore(*source.keystore, *password);
  if (!key) return tl::unexpected(key.error());
  return Wallet{.key = *key, .dev_key = false};
}

}  // namespace flywheel::cli
