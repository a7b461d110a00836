// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Ethereum JSON-RPC 2.0 client over HTTP (Ethereum execution API: eth_* methods; anvil's evm_*
//! helpers). JSON stays out of this header: generic requests take and return JSON text.
//! All of Flywheel's chain access goes through it (Signer, the contract bindings, the outbox).
//!
//!   RpcClient rpc("http://127.0.0.1:8545");
//!   auto id = rpc.chain_id();                             // Errc::rpc when unreachable
//!   auto wei = rpc.get_balance(account);                  // at "latest"
//!   auto block = rpc.request("eth_getBlockByNumber", R"(["latest", false])");  // JSON text
//!   auto receipt = rpc.wait_for_receipt(tx_hash, std::chrono::seconds(30));

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/u256.hpp"

namespace flywheel::chain {

//! One event log.
struct Log {
  Address address;
  std::vector<Hash32> topics;
  Bytes data;
  std::uint64_t block_number = 0;
  Hash32 transaction_hash;
  std::uint64_t log_index = 0;
  bool operator==(const Log&) const = default;
};

//! A mined transaction's receipt.
struct Receipt {
  Hash32 transaction_hash;
  Hash32 block_hash;
  std::uint64_t block_number = 0;
  bool status = false;  //!< true on success (status 1)
  std::uint64_t gas_used = 0;
  U256 effective_gas_price;  //!< wei per gas
  Address from;
  std::optional<Address> to;                //!< nullopt for a contract creation
  std::optional<Address> contract_address;  //!< set for a contract creation
  std::vector<Log> logs;
};

//! The transaction-like object of eth_call and eth_estimateGas.
struct CallRequest {
  std::optional<Address> from;
  std::optional<Address> to;  //!< nullopt simulates a contract creation
  Bytes data;
  U256 value;
  std::optional<std::uint64_t> gas;
};

//! eth_getLogs filter. Blocks are tags ("latest", "earliest") or numbers (see block_tag()).
struct LogFilter {
  std::optional<Address> address;
  std::vector<std::optional<Hash32>> topics;  //!< by position; nullopt matches anything
  std::string from_block = "earliest";
  std::string to_block = "latest";
};

//! Block tag for a block number: the QUANTITY "0x..." form.
std::string block_tag(std::uint64_t number);

//! Timeouts of one client.
struct RpcOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{15000};
};

//! A JSON-RPC client bound to one HTTP endpoint. Thread-safe (requests are serialised on one
//! connection). Errors: Errc::rpc when the endpoint cannot be reached, answers with a non-200
//! status, malformed JSON or a JSON-RPC error object; Errc::reverted when a call or gas estimate
//! hits a revert — the message then carries the decoded reason and the raw revert data as
//! "(revert data 0x...)", which revert_data_of() extracts.
class RpcClient {
 public:
  explicit RpcClient(std::string url, RpcOptions options = {});
  ~RpcClient();
  RpcClient(RpcClient&&) noexcept;
  RpcClient& operator=(RpcClient&&) noexcept;
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  //! The endpoint URL.
  [[nodiscard]] const std::string& url() const;

  //! Sends {"method": method, "params": params_json} and returns the "result" member as JSON
  //! text (e.g. "\"0x7a69\"" or "null"). `params_json` must be a JSON array.
  Result<std::string> request(std::string_view method, std::string_view params_json);

  //! eth_chainId.
  Result<std::uint64_t> chain_id();
  //! eth_blockNumber.
  Result<std::uint64_t> block_number();
  //! eth_getBalance in wei at `block`.
  Result<U256> get_balance(const Address& account, std::string_view block = "latest");
  //! eth_getTransactionCount: the next nonce at `block` ("pending" includes queued txs).
  Result<std::uint64_t> get_transaction_count(const Address& account, std::string_view block = "pending");
  //! eth_getCode (empty for an externally owned account).
  Result<Bytes> get_code(const Address& account, std::string_view block = "latest");
  //! eth_estimateGas. Errc::reverted when the call would revert.
  Result<std::uint64_t> estimate_gas(const CallRequest& call);
  //! eth_gasPrice in wei per gas.
  Result<U256> gas_price();
  //! eth_maxPriorityFeePerGas in wei per gas.
  Result<U256> max_priority_fee();
  //! baseFeePerGas of the latest block in wei per gas (0 before London).
  Result<U256> base_fee();
  //! eth_sendRawTransaction; returns the transaction hash.
  Result<Hash32> send_raw_transaction(ByteView raw);
  //! eth_getTransactionReceipt; nullopt while the transaction is pending or unknown.
  Result<std::optional<Receipt>> get_transaction_receipt(const Hash32& tx_hash);
  //! Polls for a receipt every `poll_interval` until `timeout`; Errc::timeout when none arrives.
  Result<Receipt> wait_for_receipt(const Hash32& tx_hash, std::chrono::milliseconds timeout,
                                   std::chrono::milliseconds poll_interval = std::chrono::milliseconds(50));
  //! eth_call at `block`; returns the return data. Errc::reverted with the decoded reason.
  Result<Bytes> call(const CallRequest& call, std::string_view block = "latest");
  //! eth_getLogs.
  Result<std::vector<Log>> get_logs(const LogFilter& filter);

  //! anvil/hardhat evm_increaseTime: moves the next block's timestamp forward by `seconds`.
  Result<void> increase_time(std::uint64_t seconds);
  //! anvil/hardhat evm_mine: mines one block.
  Result<void> mine();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! The raw revert data embedded in an Errc::reverted error's message by RpcClient, if any.
std::optional<Bytes> revert_data_of(const Error& error);

}  // namespace flywheel::chain
