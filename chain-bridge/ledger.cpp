// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Binding for AttributionLedger.sol (docs/onchain.md) over the Solidity ABI,
// and EIP-20 reads for its ModelShares tokens.
#include "chain-bridge/ledger.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

#include "chain-bridge/abi.hpp"
#include "common/keccak.hpp"

#ifndef FLYWHEEL_SOURCE_DIR
#define FLYWHEEL_SOURCE_DIR "."
#endif

namespace flywheel::chain {

Result<Bytes> read_artifact_bytecode(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return fail(Errc::not_found, "contract artifact " + path +
                                     " not found; build it with `cd chain-bridge/contracts && "
                                     "../../node_modules/@foundry-rs/forge-linux-amd64/bin/forge "
                                     "build`");
  }
  try {
    const nlohmann::json artifact = nlohmann::json::parse(in);
    const std::string hex = artifact.at("bytecode").at("object").get<std::string>();
    auto code = from_hex(hex);
    if (!code || code->empty()) {
      return fail(Errc::parse, "artifact " + path + " has no valid bytecode.object");
    }
    return code;
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::parse, "artifact " + path + " is not a forge artifact: " + e.what());
  }
}

Hash32 topic_of(std::string_view event_signature) { return keccak256(as_bytes(event_signature)); }

const std::vector<std::string>& attribution_ledger_errors() {
  static const std::vector<std::string> kErrors = {
      "ZeroAddress()",
      "UnknownJob(uint256)",
      "NotAggregator(uint256,address)",
      "NotDao(address)",
      "RoundOutOfOrder(uint256,uint256)",
      "AlreadyFinalized(uint256)",
      "ProposalLive(uint256)",
      "NoRoundsRecorded(uint256)",
      "NoProposal(uint256)",
      "ZeroSharesRoot()",
      "ZeroTotalShares()",
      "TotalSharesTooLarge(uint256)",
      "ChallengeWindowOpen(uint256,uint256)",
      "ChallengeWindowClosed(uint256,uint256)",
      "NotFinalized(uint256)",
      "AlreadyClaimed(uint256,address)",
      "InvalidProof()",
      "ClaimExceedsTotal(uint256,uint256,uint256)",
      "InvalidSharePolicy(uint16,uint16,uint16)",
      "InvalidRevenueToken(address)",
      // OpenZeppelin errors reachable through Clones / ModelShares.
      "FailedDeployment()",
      "InsufficientBalance(uint256,uint256)",
      "ERC20InvalidReceiver(address)",
      "InvalidInitialization()",
  };
  return kErrors;
}

std::string default_ledger_artifact_path() {
  return std::string(FLYWHEEL_SOURCE_DIR) + "/chain-bridge/contracts/out/AttributionLedger.sol/AttributionLedger.json";
}

AttributionLedger::AttributionLedger(const Address& address, Signer& signer) : address_(address), signer_(&signer) {}

Result<AttributionLedger> AttributionLedger::deploy(Signer& signer, const std::string& artifact_path,
                                                    const Address& dao) {
  auto code = read_artifact_bytecode(artifact_path);
  if (!code) return tl::unexpected(code.error());
  auto address = signer.deploy(*code, abi_encode({AbiValue::of_address(dao)}));
  if (!address) {
    return tl::unexpected(
        with_context(name_revert(address.error(), attribution_ledger_errors()), "deploying AttributionLedger"));
  }
  return AttributionLedger(*address, signer);
}

Result<Receipt> AttributionLedger::transact(std::string_view signature, const std::vector<AbiValue>& args) {
  auto data = encode_call(signature, args);
  if (!data) return tl::unexpected(data.error());
  auto receipt = signer_->send(address_, *data);
  if (!receipt) {
    return tl::unexpected(with_context(name_revert(receipt.error(), attribution_ledger_errors()),
                                       "AttributionLedger." + std::string(signature)));
  }
  return receipt;
}

Result<std::vector<AbiValue>> AttributionLedger::view(std::string_view signature, const std::vector<AbiValue>& args,
                                                      std::string_view returns) {
  auto data = encode_call(signature, args);
  if (!data) return tl::unexpected(data.error());
  auto out = signer_->rpc().call(
      CallRequest{.from = signer_->address(), .to = address_, .data = *data, .value = 0, .gas = std::nullopt});
  if (!out) {
    return tl::unexpected(with_context(name_revert(out.error(), attribution_ledger_errors()),
                                       "AttributionLedger." + std::string(signature)));
  }
  if (out->empty()) {
    return fail(Errc::rpc, "AttributionLedger." + std::string(signature) + " returned no data; is " + address_.hex() +
                               " an AttributionLedger?");
  }
  auto values = abi_decode(returns, *out);
  if (!values) {
    return tl::unexpected(with_context(values.error(), "AttributionLedger." + std::string(signature)));
  }
  return values;
}

Result<U256> AttributionLedger::register_job(const Address& aggregator, std::uint64_t challenge_window_s,
                                             std::string_view name) {
  auto receipt =
      transact("registerJob(address,uint64,string)",
               {AbiValue::of_address(aggregator), AbiValue::of_uint(challenge_window_s), AbiValue::of_string(name)});
  if (!receipt) return tl::unexpected(receipt.error());
  const Hash32 topic = topic_of("JobRegistered(uint256,address,address,uint64,string)");
  for (const Log& log : receipt->logs) {
    if (log.address == address_ && log.topics.size() >= 2 && log.topics[0] == topic) {
      return U256::from_be_bytes(log.topics[1].view());
    }
  }
  return fail(Errc::rpc,
              "registerJob transaction " + receipt->transaction_hash.hex() + " emitted no JobRegistered event");
}

Result<Receipt> AttributionLedger::record_round(const U256& job_id, const U256& round, const Hash32& model_hash,
                                                const Hash32& attribution_root) {
  return transact("recordRound(uint256,uint256,bytes32,bytes32)",
                  {AbiValue::of_uint(job_id), AbiValue::of_uint(round), AbiValue::of_bytes32(model_hash),
                   AbiValue::of_bytes32(attribution_root)});
}

Result<Receipt> AttributionLedger::propose_shares(const U256& job_id, const Hash32& shares_root,
                                                  const U256& total_shares) {
  return transact("proposeShares(uint256,bytes32,uint256)",
                  {AbiValue::of_uint(job_id), AbiValue::of_bytes32(shares_root), AbiValue::of_uint(total_shares)});
}

Result<Receipt> AttributionLedger::veto(const U256& job_id) {
  return transact("veto(uint256)", {AbiValue::of_uint(job_id)});
}

Result<Address> AttributionLedger::finalize(const U256& job_id) {
  auto receipt = transact("finalize(uint256)", {AbiValue::of_uint(job_id)});
  if (!receipt) return tl::unexpected(receipt.error());
  const Hash32 topic = topic_of("SharesFinalized(uint256,address,bytes32,uint256)");
  for (const Log& log : receipt->logs) {
    if (log.address == address_ && log.topics.size() >= 3 && log.topics[0] == topic) {
      return Address::from(log.topics[2].view().subspan(12));
    }
  }
  return shares_token(job_id);
}

Result<Receipt> AttributionLedger::claim_shares(const U256& job_id, const U256& amount,
                                                const std::vector<Hash32>& proof) {
  return transact("claimShares(uint256,uint256,bytes32[])",
                  {AbiValue::of_uint(job_id), AbiValue::of_uint(amount), AbiValue::of_bytes32_array(proof)});
}

Result<Hash32> AttributionLedger::round_root(const U256& job_id, const U256& round) {
  auto v = view("roundRoot(uint256,uint256)", {AbiValue::of_uint(job_id), AbiValue::of_uint(round)}, "bytes32");
  if (!v) return tl::unexpected(v.error());
  return (*v)[0].fixed;
}

Result<Hash32> AttributionLedger::round_model_hash(const U256& job_id, const U256& round) {
  auto v = view("roundModelHash(uint256,uint256)", {AbiValue::of_uint(job_id), AbiValue::of_uint(round)}, "bytes32");
  if (!v) return tl::unexpected(v.error());
  return (*v)[0].fixed;
}

Result<U256> AttributionLedger::round_count(const U256& job_id) {
  auto v = view("roundCount(uint256)", {AbiValue::of_uint(job_id)}, "uint256");
  if (!v) return tl::unexpected(v.error());
  return (*v)[0].word;
}

Result<Hash32> AttributionLedger::shares_root(const U256& job_id) {
  auto v = view("sharesRoot(uint256)", {AbiValue::of_uint(job_id)}, "bytes32");
  if (!v) return tl::unexpected(v.error());
  return (*v)[0].fixed;
}

Result<Address> AttributionLedger::shares_token(const U256& job_id) {
  auto v = view("sharesToken(uint256)", {AbiValue::of_uint(job_id)}, "address");
  if (!v) return tl::unexpected(v.error());
  return (*v)[0].address;
}

Result<U256> AttributionLedger::total_shares(const U256& job_id) {
  auto v = view("totalShares(uint256)", {AbiValue::of_uint(job_id)}, "uint256");
  if (!v) return tl::unexpected(v.error());
  return (*v)[0].word;
}

Result<bool> AttributionLedger::is_finalized(const U256& job_id) {
  auto v = view("isFinalized(uint256)", {AbiValue::of_uint(job_id)}, "bool");
  if (!v) return tl::unexpected(v.error());
  return (*v)[0].as_bool();
}

Result<bool> AttributionLedger::has_claimed(const U256& job_id, const Address& account) {
  auto v = view("hasClaimed(uint256,address)", {AbiValue::of_uint(job_id), AbiValue::of_address(account)}, "bool");
  if (!v) return tl::unexpected(v.error());
  return (*v)[0].as_bool();
}

Result<U256> AttributionLedger::job_count() {
  auto v = view("jobCount()", {}, "uint256");
  if (!v) return tl::unexpected(v.error());
  return (*v)[0].word;
}

Hash32 shares_leaf(const Address& account, const U256& amount) {
  const Hash32 inner = keccak256(abi_encode({AbiValue::of_address(account), AbiValue::of_uint(amount)}));
  return keccak256(inner.view());
}

namespace {
Result<U256> erc20_read(RpcClient& rpc, const Address& token, const Bytes& data, std::string_view what) {
  auto out = rpc.call(CallRequest{.from = std::nullopt, .to = token, .data = data, .value = 0, .gas = std::nullopt});
  if (!out) return tl::unexpected(with_context(out.error(), what));
  auto v = abi_decode("uint256", *out);
  if (!v) return tl::unexpected(with_context(v.error(), std::string(what) + " of " + token.hex()));
  return (*v)[0].word;
}
}  // namespace

Result<U256> erc20_balance_of(RpcClient& rpc, const Address& token, const Address& account) {
  return erc20_read(rpc, token, encode_call("balanceOf(address)", {AbiValue::of_address(account)}).value(),
                    "ERC-20 balanceOf");
}

Result<U256> erc20_total_supply(RpcClient& rpc, const Address& token) {
  return erc20_read(rpc, token, encode_call("totalSupply()", {}).value(), "ERC-20 totalSupply");
}

}  // namespace flywheel::chain
