// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A signing wallet: builds, signs (EIP-1559), sends and confirms transactions from one key.
//! The contract bindings (ledger.hpp, economy.hpp) and the outbox send their transactions with it.
//!
//!   Signer signer(*load_keystore("aggregator.json", password), rpc);
//!   auto receipt = signer.send(contract, calldata);       // estimate, sign, send, wait
//!   auto pending = signer.broadcast(contract, calldata);  // store pending->hash first, then
//!   auto mined = signer.wait_for(*pending);               // Errc::reverted names the error

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chain-bridge/rpc.hpp"
#include "common/keys.hpp"

namespace flywheel::chain {

//! How a Signer prices and confirms transactions.
struct SignerOptions {
  unsigned gas_margin_percent = 20;  //!< added on top of eth_estimateGas
  std::optional<U256> priority_fee;  //!< wei per gas; default eth_maxPriorityFeePerGas
  std::chrono::milliseconds receipt_timeout{60000};
  std::chrono::milliseconds poll_interval{50};
  //! Custom error signatures ("RoundOutOfOrder(uint256,uint256)") used to name reverts.
  std::vector<std::string> known_errors;
};

//! Per-transaction overrides.
struct SendOptions {
  std::optional<std::uint64_t> gas_limit;  //!< skip eth_estimateGas and use this limit
};

//! A transaction handed to the node but not yet known to be mined.
struct PendingTransaction {
  Hash32 hash;              //!< keccak256 of the signed envelope
  std::uint64_t nonce = 0;  //!< the sender nonce it uses
  CallRequest call;         //!< what it does (from, to, data, value), to replay a revert
};

//! Holds a private key and borrows an RpcClient (which must outlive it). Thread-safe: broadcasts
//! are serialised so that nonces stay consecutive. The chain id is fetched once; the nonce is fetched
//! on the first send and then tracked locally (re-fetched after a failed broadcast).
class Signer {
 public:
  Signer(PrivateKey key, RpcClient& rpc, SignerOptions options = {});
  ~Signer();
  Signer(Signer&&) noexcept;
  Signer& operator=(Signer&&) noexcept;

  //! The sender address.
  [[nodiscard]] Address address() const;
  //! The borrowed client.
  [[nodiscard]] RpcClient& rpc() const;
  //! The options in force.
  [[nodiscard]] const SignerOptions& options() const;

  //! Sends a transaction to `to` (nullopt creates a contract from `data`) with `value` wei and
  //! waits for its receipt. Errors: Errc::reverted when gas estimation reverts or the receipt has
  //! status 0 — the message carries the reason (Error(string), panic code, named custom error or
  //! selector), replayed with eth_call at the receipt's block; Errc::rpc / Errc::timeout from the
  //! client.
  Result<Receipt> send(const std::optional<Address>& to, ByteView data, const U256& value = 0,
                       const SendOptions& send_options = {});

  //! Signs and broadcasts a transaction like send() but returns as soon as the node has accepted
  //! it, so that a caller can persist the hash before waiting (see wait_for()). Nonces of several
  //! broadcasts in a row are consecutive. Errors: Errc::reverted when gas estimation reverts
  //! (named with options().known_errors); Errc::rpc / Errc::timeout from the client, after which
  //! the tracked nonce is forgotten and re-fetched by the next broadcast.
  Result<PendingTransaction> broadcast(const std::optional<Address>& to, ByteView data, const U256& value = 0,
                                       const SendOptions& send_options = {});

  //! Waits up to options().receipt_timeout for `tx`'s receipt. Errc::reverted when it has status
  //! 0 (the reason replayed as for send()), Errc::timeout when none arrives, Errc::rpc from the
  //! client.
  Result<Receipt> wait_for(const PendingTransaction& tx);

  //! Deploys `init_code` followed by `constructor_args` (ABI-encoded); returns the new contract's
  //! address. Errors as for send(); Errc::rpc when the receipt lacks a contract address.
  Result<Address> deploy(ByteView init_code, ByteView constructor_args = {});

  //! eth_call from this signer's address; errors as for RpcClient::call, with reverts named
  //! using options().known_errors.
  Result<Bytes> call(const Address& to, ByteView data, std::string_view block = "latest");

  //! Forgets the tracked nonce so the next send fetches it from the node.
  void reset_nonce();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! Rewrites an Errc::reverted error's reason using `known_errors` (custom error signatures) when
//! its revert data matches one; other errors pass through unchanged.
Error name_revert(Error error, const std::vector<std::string>& known_errors);

}  // namespace flywheel::chain
