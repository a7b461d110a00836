// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Sending EIP-1559 transactions: max_fee_per_gas = 2 * base_fee + priority_fee (the headroom that
// survives six consecutive full blocks of base-fee growth, EIP-1559 "elasticity"), gas from
// eth_estimateGas plus a margin, and revert reasons recovered by replaying the call.
#include "chain-bridge/signer.hpp"

#include <mutex>

#include "chain-bridge/abi.hpp"
#include "chain-bridge/transaction.hpp"

namespace flywheel::chain {

struct Signer::Impl {
  PrivateKey key;
  RpcClient* rpc;
  SignerOptions options;
  Address address;
  std::mutex mutex;
  std::optional<std::uint64_t> chain_id;
  std::optional<std::uint64_t> next_nonce;
};

Signer::Signer(PrivateKey key, RpcClient& rpc, SignerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->address = key.address();
  impl_->key = key;
  impl_->rpc = &rpc;
  impl_->options = std::move(options);
}
Signer::~Signer() = default;
Signer::Signer(Signer&&) noexcept = default;
Signer& Signer::operator=(Signer&&) noexcept = default;

Address Signer::address() const { return impl_->address; }
RpcClient& Signer::rpc() const { return *impl_->rpc; }
const SignerOptions& Signer::options() const { return impl_->options; }

void Signer::reset_nonce() {
  std::lock_guard lock(impl_->mutex);
  impl_->next_nonce.reset();
}

Error name_revert(Error error, const std::vector<std::string>& known_errors) {
  if (error.code != Errc::reverted || known_errors.empty()) return error;
  auto data = revert_data_of(error);
  if (!data) return error;
  const RevertReason reason = decode_revert(*data, known_errors);
  if (reason.error_signature.empty()) return error;
  // Put the name in front, keeping the original text (with the raw data) for debugging.
  error.message = "execution reverted: " + reason.to_string() + " [" + error.message + "]";
  return error;
}

Result<PendingTransaction> Signer::broadcast(const std::optional<Address>& to, ByteView data, const U256& value,
                                             const SendOptions& send_options) {
  std::lock_guard lock(impl_->mutex);
  RpcClient& rpc = *impl_->rpc;
  const auto& known = impl_->options.known_errors;
  const std::string what = to ? "transaction to " + to->hex() : std::string("contract creation");

  if (!impl_->chain_id) {
    auto id = rpc.chain_id();
    if (!id) return tl::unexpected(id.error());
    impl_->chain_id = *id;
  }
  if (!impl_->next_nonce) {
    auto nonce = rpc.get_transaction_count(impl_->address, "pending");
    if (!nonce) return tl::unexpected(nonce.error());
    impl_->next_nonce = *nonce;
  }

  const CallRequest call{
      .from = impl_->address, .to = to, .data = Bytes(data.begin(), data.end()), .value = value, .gas = std::nullopt};
  std::uint64_t gas_limit = 0;
  if (send_options.gas_limit) {
    gas_limit = *send_options.gas_limit;
  } else {
    auto estimate = rpc.estimate_gas(call);
    if (!estimate) return tl::unexpected(with_context(name_revert(estimate.error(), known), what));
    gas_limit = *estimate + *estimate * impl_->options.gas_margin_percent / 100;
  }

  U256 priority = 0;
  if (impl_->options.priority_fee) {
    priority = *impl_->options.priority_fee;
  } else {
    auto tip = rpc.max_priority_fee();
    if (!tip) return tl::unexpected(tip.error());
    priority = *tip;
  }
  auto base = rpc.base_fee();
  if (!base) return tl::unexpected(base.error());

  Eip1559Transaction tx;
  tx.chain_id = *impl_->chain_id;
  tx.nonce = *impl_->next_nonce;
  tx.max_priority_fee_per_gas = priority;
  tx.max_fee_per_gas = U256(2) * *base + priority;
  tx.gas_limit = gas_limit;
  tx.to = to;
  tx.value = value;
  tx.data = call.data;
  const SignedTransaction signed_tx = sign_transaction(tx, impl_->key);

  auto hash = rpc.send_raw_transaction(signed_tx.raw());
  if (!hash) {
    impl_->next_nonce.reset();  // the node may know better (e.g. another wallet used the key)
    return tl::unexpected(with_context(hash.error(), what));
  }
  ++*impl_->next_nonce;
  return PendingTransaction{.hash = *hash, .nonce = tx.nonce, .call = call};
}

Result<Receipt> Signer::wait_for(const PendingTransaction& tx) {
  RpcClient& rpc = *impl_->rpc;
  const std::string what = tx.call.to ? "transaction to " + tx.call.to->hex() : std::string("contract creation");
  auto receipt = rpc.wait_for_receipt(tx.hash, impl_->options.receipt_timeout, impl_->options.poll_interval);
  if (!receipt) return tl::unexpected(receipt.error());
  if (!receipt->status) {
    // Replay on the state the transaction saw to learn why it failed.
    auto replay = rpc.call(tx.call, block_tag(receipt->block_number));
    std::string why = "no revert reason (out of gas?)";
    if (!replay) {
      if (replay.error().code != Errc::reverted) {
        why = "reason unavailable: " + replay.error().message;
      } else {
        why = name_revert(replay.error(), impl_->options.known_errors).message;
      }
    }
    return fail(Errc::reverted, what + " " + tx.hash.hex() + " reverted in block " +
                                    std::to_string(receipt->block_number) + ": " + why);
  }
  return receipt;
}

Result<Receipt> Signer::send(const std::optional<Address>& to, ByteView data, const U256& value,
                             const SendOptions& send_options) {
  auto pending = broadcast(to, data, value, send_options);
  if (!pending) return tl::unexpected(pending.error());
  return wait_for(*pending);
}

Result<Address> Signer::deploy(ByteView init_code, ByteView constructor_args) {
  Bytes code(init_code.begin(), init_code.end());
  code.insert(code.end(), constructor_args.begin(), constructor_args.end());
  auto receipt = send(std::nullopt, code);
  if (!receipt) return tl::unexpected(receipt.error());
  if (!receipt->contract_address) {
    return fail(Errc::rpc, "deployment receipt " + receipt->transaction_hash.hex() + " has no contract address");
  }
  return *receipt->contract_address;
}

Result<Bytes> Signer::call(const Address& to, ByteView data, std::string_view block) {
  const CallRequest call{
      .from = impl_->address, .to = to, .data = Bytes(data.begin(), data.end()), .value = 0, .gas = std::nullopt};
  auto out = impl_->rpc->call(call, block);
  if (!out) return tl::unexpected(name_revert(out.error(), impl_->options.known_errors));
  return out;
}

}  // namespace flywheel::chain
