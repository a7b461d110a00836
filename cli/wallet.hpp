// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! How CLI commands get a signing key: a v3 keystore (password from --password-file or the
//! FLYWHEEL_PASSWORD environment variable), or, for local development, anvil's dev account 0.
//!
//!   auto wallet = load_wallet({.keystore = "alice.json", .password_file = "pw.txt"}, false);
//!   chain::Signer signer(wallet->key, rpc);
//!   // load_wallet({}, true): anvil's dev account 0, with wallet->dev_key set

#include <filesystem>
#include <optional>
#include <string>

#include "common/keys.hpp"
#include "common/result.hpp"

namespace flywheel::cli {

//! Where a command's key comes from.
struct WalletSource {
  std::optional<std::filesystem::path> keystore;       //!< --keystore
  std::optional<std::filesystem::path> password_file;  //!< --password-file
};

//! The keystore password: the first line of `password_file` (trailing CR/LF removed), else
//! $FLYWHEEL_PASSWORD. Errc::not_found when the file cannot be read; Errc::config when neither is
//! given.
Result<std::string> read_password(const std::optional<std::filesystem::path>& password_file);

//! A loaded key and whether it is anvil's public dev key.
struct Wallet {
  PrivateKey key;
  bool dev_key = false;
};

//! Loads the keystore when one is given; otherwise anvil's dev account 0 when `allow_dev_key`
//! (the caller says so to the user), else Errc::config naming --keystore. Errors of
//! read_password() and load_keystore() pass through with the file named.
Result<Wallet> load_wallet(const WalletSource& source, bool allow_dev_key);

}  // namespace flywheel::cli
