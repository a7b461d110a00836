// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! What every on-chain CLI command shares (`flywheel chain|shares|revenue|dao ...`): the --rpc,
//! --keystore and --password-file options, connecting a JSON-RPC client and a signer to them, and
//! checking the contract addresses and ids users pass. The contracts: docs/onchain.md.
//!
//!   add_chain_options(*command, request.chain, /*keystore=*/true);   // before parsing
//!   auto session = connect_chain(request.chain, KeyUse::keystore_required,
//!                                chain::attribution_ledger_errors());
//!   auto ledger = parse_contract(*session->rpc, request.ledger, "--ledger",
//!                                "deploy one with `flywheel chain deploy`");

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chain-bridge/rpc.hpp"
#include "chain-bridge/signer.hpp"
#include "cli/wallet.hpp"
#include "common/result.hpp"
#include "common/u256.hpp"

namespace CLI {
class App;
}

namespace flywheel::cli {

//! The connection options of an on-chain command, filled in by CLI11.
struct ChainOptions {
  std::string rpc;      //!< --rpc: JSON-RPC URL
  WalletSource wallet;  //!< --keystore / --password-file (empty for read-only commands)
};

//! Adds --rpc (required) to `command` and, when `keystore`, --keystore and --password-file.
//! `options` must outlive parsing.
void add_chain_options(CLI::App& command, ChainOptions& options, bool keystore);

//! Which key a command signs with.
enum class KeyUse {
  keystore_required,  //!< the user's own account (claims): --keystore is mandatory
  dev_key_allowed,    //!< --keystore, else anvil's public dev account 0 (announced on stdout)
  read_only,          //!< calls only: any --keystore is ignored and nothing is announced
};

//! A JSON-RPC client and a signer on it. The signer borrows the client: keep both together.
struct ChainSession {
  std::unique_ptr<chain::RpcClient> rpc;
  std::unique_ptr<chain::Signer> signer;
  bool dev_key = false;  //!< the signer is anvil's public dev account 0
};

//! Loads the key (see KeyUse), connects to --rpc and checks it answers eth_chainId, and makes a
//! signer whose revert decoding knows `known_errors` (Solidity error signatures). Errors: those of
//! load_wallet(); Errc::rpc (with the URL named) when the chain does not answer.
Result<ChainSession> connect_chain(const ChainOptions& options, KeyUse key_use, std::vector<std::string> known_errors);

//! Parses `text` given for `flag` as an address that holds a contract on `rpc`. Errc::config
//! naming the flag when it is not an address or no code lives there (`hint` says how to get
//! one); RPC errors pass through.
Result<Address> parse_contract(chain::RpcClient& rpc, const std::string& text, std::string_view flag,
                               std::string_view hint);

//! Parses a positive decimal integer given for `flag` (a job id, an amount). Errc::config naming
//! the flag and the text otherwise.
Result<U256> parse_positive(const std::string& text, std::string_view flag);

}  // namespace flywheel::cli
