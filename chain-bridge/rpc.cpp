// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// JSON-RPC 2.0 (jsonrpc.org/specification) over HTTP POST with libcurl, speaking the Ethereum
// execution API (ethereum.github.io/execution-apis): QUANTITY values are "0x"-hex without leading
// zeros, DATA values are "0x"-hex bytes. Revert data arrives in error.data (code 3).
#include "chain-bridge/rpc.hpp"

#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "chain-bridge/abi.hpp"
#include "chain-bridge/internal/curl_handle.hpp"

namespace flywheel::chain {

using json = nlohmann::json;

namespace {

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

Result<U256> quantity(const json& j) {
  if (!j.is_string()) return fail(Errc::rpc, "expected a hex QUANTITY, got " + j.dump());
  return U256::from_hex(j.get<std::string>());
}

Result<std::uint64_t> quantity_u64(const json& j) {
  auto v = quantity(j);
  if (!v) return tl::unexpected(v.error());
  if (!v->fits_u64()) return fail(Errc::rpc, "QUANTITY " + j.dump() + " exceeds 64 bits");
  return v->limbs[0];
}

Result<Bytes> data_of(const json& j) {
  if (!j.is_string()) return fail(Errc::rpc, "expected hex DATA, got " + j.dump());
  return from_hex(j.get<std::string>());
}

template <class Fixed>
Result<Fixed> fixed_of(const json& j) {
  if (!j.is_string()) return fail(Errc::rpc, "expected hex DATA, got " + j.dump());
  return Fixed::from_hex(j.get<std::string>());
}

json call_object(const CallRequest& call) {
  json obj = json::object();
  if (call.from) obj["from"] = call.from->hex();
  if (call.to) obj["to"] = call.to->hex();
  obj["data"] = to_hex(call.data);
  if (!call.value.is_zero()) obj["value"] = call.value.to_hex_quantity();
  if (call.gas) obj["gas"] = U256(*call.gas).to_hex_quantity();
  return obj;
}

Result<Log> parse_log(const json& j) {
  Log log;
  auto addr = fixed_of<Address>(j.at("address"));
  if (!addr) return tl::unexpected(addr.error());
  log.address = *addr;
  for (const auto& t : j.at("topics")) {
    auto topic = fixed_of<Hash32>(t);
    if (!topic) return tl::unexpected(topic.error());
    log.topics.push_back(*topic);
  }
  auto data = data_of(j.at("data"));
  if (!data) return tl::unexpected(data.error());
  log.data = std::move(*data);
  if (j.contains("blockNumber") && !j["blockNumber"].is_null()) {
    auto n = quantity_u64(j["blockNumber"]);
    if (!n) return tl::unexpected(n.error());
    log.block_number = *n;
  }
  if (j.contains("transactionHash") && !j["transactionHash"].is_null()) {
    auto h = fixed_of<Hash32>(j["transactionHash"]);
    if (!h) return tl::unexpected(h.error());
    log.transaction_hash = *h;
  }
  if (j.contains("logIndex") && !j["logIndex"].is_null()) {
    auto n = quantity_u64(j["logIndex"]);
    if (!n) return tl::unexpected(n.error());
    log.log_index = *n;
  }
  return log;
}

Result<Receipt> parse_receipt(const json& j) {
  Receipt r;
  auto tx = fixed_of<Hash32>(j.at("transactionHash"));
  auto block_hash = fixed_of<Hash32>(j.at("blockHash"));
  auto block = quantity_u64(j.at("blockNumber"));
  auto status = quantity_u64(j.at("status"));
  auto gas_used = quantity_u64(j.at("gasUsed"));
  auto from = fixed_of<Address>(j.at("from"));
  if (!tx || !block_hash || !block || !status || !gas_used || !from) {
    return fail(Errc::rpc, "malformed transaction receipt: " + j.dump());
  }
  r.transaction_hash = *tx;
  r.block_hash = *block_hash;
  r.block_number = *block;
  r.status = *status == 1;
  r.gas_used = *gas_used;
  r.from = *from;
  if (j.contains("effectiveGasPrice") && !j["effectiveGasPrice"].is_null()) {
    auto p = quantity(j["effectiveGasPrice"]);
    if (!p) return tl::unexpected(p.error());
    r.effective_gas_price = *p;
  }
  if (j.contains("to") && !j["to"].is_null()) {
    auto to = fixed_of<Address>(j["to"]);
    if (!to) return tl::unexpected(to.error());
    r.to = *to;
  }
  if (j.contains("contractAddress") && !j["contractAddress"].is_null()) {
    auto c = fixed_of<Address>(j["contractAddress"]);
    if (!c) return tl::unexpected(c.error());
    r.contract_address = *c;
  }
  for (const auto& l : j.at("logs")) {
    auto log = parse_log(l);
    if (!log) return tl::unexpected(log.error());
    r.logs.push_back(std::move(*log));
  }
  return r;
}

constexpr std::string_view kRevertDataMarker = "(revert data ";

}  // namespace

std::string block_tag(std::uint64_t number) { return U256(number).to_hex_quantity(); }

struct RpcClient::Impl {
  std::string url;
  RpcOptions options;
  std::mutex mutex;
  internal::CurlEasy curl;
  std::uint64_t next_id = 1;

  // One HTTP POST; returns the response body.
  Result<std::string> post(const std::string& body) {
    if (!curl) curl = internal::make_curl_easy();
    if (!curl) return fail(Errc::internal, "libcurl could not create a handle");
    CURL* h = curl.get();
    curl_easy_reset(h);
    internal::CurlSlist headers(curl_slist_append(nullptr, "Content-Type: application/json"));
    std::string response;
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &append_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM-based DNS timeouts in threads
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.request_timeout.count()));
    const CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
      const std::string why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
      return fail(Errc::rpc, "cannot reach the JSON-RPC endpoint " + url + " (" + why +
                                 "); check that the node (e.g. anvil) is running and the URL "
                                 "is right");
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
      return fail(Errc::rpc, "JSON-RPC endpoint " + url + " answered HTTP " + std::to_string(status) + ": " +
                                 response.substr(0, 200));
    }
    return response;
  }

  Result<json> rpc(std::string_view method, json params) {
    try {
      std::lock_guard lock(mutex);
      const json req = {
          {"jsonrpc", "2.0"}, {"id", next_id++}, {"method", std::string(method)}, {"params", std::move(params)}};
      auto body = post(req.dump());
      if (!body) return tl::unexpected(body.error());
      json resp = json::parse(*body, nullptr, /*allow_exceptions=*/false);
      if (resp.is_discarded() || !resp.is_object()) {
        return fail(Errc::rpc, std::string(method) + ": " + url +
                                   " did not answer with a JSON-RPC object: " + body->substr(0, 200));
      }
      if (resp.contains("error") && !resp["error"].is_null()) {
        return error_of(method, resp["error"]);
      }
      if (!resp.contains("result")) {
        return fail(Errc::rpc, std::string(method) + ": response has neither result nor error");
      }
      return std::move(resp["result"]);
    } catch (const json::exception& e) {
      return fail(Errc::rpc, std::string(method) + ": malformed JSON: " + e.what());
    }
  }

  static tl::unexpected<Error> error_of(std::string_view method, const json& err) {
    const std::string message =
        err.contains("message") && err["message"].is_string() ? err["message"].get<std::string>() : err.dump();
    const long long code = err.contains("code") && err["code"].is_number_integer() ? err["code"].get<long long>() : 0;
    Bytes data;
    if (err.contains("data") && err["data"].is_string()) {
      if (auto d = from_hex(err["data"].get<std::string>())) data = std::move(*d);
    }
    if (code == 3 || message.find("revert") != std::string::npos) {
      std::string text = std::string(method) + ": execution reverted: " + decode_revert(data).to_string();
      if (!data.empty()) text += " " + std::string(kRevertDataMarker) + to_hex(data) + ")";
      return fail(Errc::reverted, text);
    }
    return fail(Errc::rpc,
                std::string(method) + " failed: " + message + " (JSON-RPC error " + std::to_string(code) + ")");
  }

  // Runs `parse` on the result of `method`, turning JSON exceptions into Errc::rpc.
  template <class T, class Parse>
  Result<T> typed(std::string_view method, json params, Parse parse) {
    auto result = rpc(method, std::move(params));
    if (!result) return tl::unexpected(result.error());
    try {
      auto value = parse(*result);
      if (!value) return tl::unexpected(with_context(value.error(), method));
      return *std::move(value);
    } catch (const json::exception& e) {
      return fail(Errc::rpc,
                  std::string(method) + ": unexpected result " + result->dump().substr(0, 200) + " (" + e.what() + ")");
    }
  }
};

RpcClient::RpcClient(std::string url, RpcOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->url = std::move(url);
  impl_->options = options;
}
RpcClient::~RpcClient() = default;
RpcClient::RpcClient(RpcClient&&) noexcept = default;
RpcClient& RpcClient::operator=(RpcClient&&) noexcept = default;

const std::string& RpcClient::url() const { return impl_->url; }

Result<std::string> RpcClient::request(std::string_view method, std::string_view params_json) {
  json params = json::parse(params_json, nullptr, /*allow_exceptions=*/false);
  if (params.is_discarded() || !params.is_array()) {
    return fail(Errc::invalid_argument,
                std::string(method) + ": params must be a JSON array, got " + std::string(params_json.substr(0, 200)));
  }
  auto result = impl_->rpc(method, std::move(params));
  if (!result) return tl::unexpected(result.error());
  return result->dump();
}

Result<std::uint64_t> RpcClient::chain_id() {
  return impl_->typed<std::uint64_t>("eth_chainId", json::array(), quantity_u64);
}

Result<std::uint64_t> RpcClient::block_number() {
  return impl_->typed<std::uint64_t>("eth_blockNumber", json::array(), quantity_u64);
}

Result<U256> RpcClient::get_balance(const Address& account, std::string_view block) {
  return impl_->typed<U256>("eth_getBalance", json::array({account.hex(), std::string(block)}), quantity);
}

Result<std::uint64_t> RpcClient::get_transaction_count(const Address& account, std::string_view block) {
  return impl_->typed<std::uint64_t>("eth_getTransactionCount", json::array({account.hex(), std::string(block)}),
                                     quantity_u64);
}

Result<Bytes> RpcClient::get_code(const Address& account, std::string_view block) {
  return impl_->typed<Bytes>("eth_getCode", json::array({account.hex(), std::string(block)}), data_of);
}

Result<std::uint64_t> RpcClient::estimate_gas(const CallRequest& call) {
  return impl_->typed<std::uint64_t>("eth_estimateGas", json::array({call_object(call)}), quantity_u64);
}

Result<U256> RpcClient::gas_price() { return impl_->typed<U256>("eth_gasPrice", json::array(), quantity); }

Result<U256> RpcClient::max_priority_fee() {
  return impl_->typed<U256>("eth_maxPriorityFeePerGas", json::array(), quantity);
}

Result<U256> RpcClient::base_fee() {
  return impl_->typed<U256>("eth_getBlockByNumber", json::array({"latest", false}),
                            [](const json& block) -> Result<U256> {
                              if (!block.is_object()) return fail(Errc::rpc, "no latest block");
                              if (!block.contains("baseFeePerGas") || block["baseFeePerGas"].is_null()) return U256(0);
                              return quantity(block["baseFeePerGas"]);
                            });
}

Result<Hash32> RpcClient::send_raw_transaction(ByteView raw) {
  return impl_->typed<Hash32>("eth_sendRawTransaction", json::array({to_hex(raw)}), fixed_of<Hash32>);
}

Result<std::optional<Receipt>> RpcClient::get_transaction_receipt(const Hash32& tx_hash) {
  return impl_->typed<std::optional<Receipt>>("eth_getTransactionReceipt", json::array({tx_hash.hex()}),
                                              [](const json& j) -> Result<std::optional<Receipt>> {
                                                if (j.is_null()) return std::optional<Receipt>();
                                                auto r = parse_receipt(j);
                                                if (!r) return tl::unexpected(r.error());
                                                return std::optional<Receipt>(std::move(*r));
                                              });
}

Result<Receipt> RpcClient::wait_for_receipt(const Hash32& tx_hash, std::chrono::milliseconds timeout,
                                            std::chrono::milliseconds poll_interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto receipt = get_transaction_receipt(tx_hash);
    if (!receipt) return tl::unexpected(receipt.error());
    if (*receipt) return std::move(**receipt);
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(Errc::timeout, "transaction " + tx_hash.hex() + " was not mined within " +
                                     std::to_string(timeout.count()) + " ms; check that " + impl_->url +
                                     " is mining blocks and the fee is high enough");
    }
    std::this_thread::sleep_for(poll_interval);
  }
}

Result<Bytes> RpcClient::call(const CallRequest& call, std::string_view block) {
  return impl_->typed<Bytes>("eth_call", json::array({call_object(call), std::string(block)}), data_of);
}

Result<std::vector<Log>> RpcClient::get_logs(const LogFilter& filter) {
  json f = {{"fromBlock", filter.from_block}, {"toBlock", filter.to_block}};
  if (filter.address) f["address"] = filter.address->hex();
  json topics = json::array();
  for (const auto& t : filter.topics) topics.push_back(t ? json(t->hex()) : json(nullptr));
  f["topics"] = std::move(topics);
  return impl_->typed<std::vector<Log>>("eth_getLogs", json::array({std::move(f)}),
                                        [](const json& j) -> Result<std::vector<Log>> {
                                          std::vector<Log> logs;
                                          for (const auto& l : j) {
                                            auto log = parse_log(l);
                                            if (!log) return tl::unexpected(log.error());
                                            logs.push_back(std::move(*log));
                                          }
                                          return logs;
                                        });
}

Result<void> RpcClient::increase_time(std::uint64_t seconds) {
  auto r = impl_->rpc("evm_increaseTime", json::array({seconds}));
  if (!r) return tl::unexpected(r.error());
  return {};
}

Result<void> RpcClient::mine() {
  auto r = impl_->rpc("evm_mine", json::array());
  if (!r) return tl::unexpected(r.error());
  return {};
}

std::optional<Bytes> revert_data_of(const Error& error) {
  if (error.code != Errc::reverted) return std::nullopt;
  const auto start = error.message.rfind(kRevertDataMarker);
  if (start == std::string::npos) return std::nullopt;
  const auto begin = start + kRevertDataMarker.size();
  const auto end = error.message.find(')', begin);
  if (end == std::string::npos) return std::nullopt;
  auto data = from_hex(std::string_view(error.message).substr(begin, end - begin));
  if (!data) return std::nullopt;
  return std::move(*data);
}

}  // namespace flywheel::chain
