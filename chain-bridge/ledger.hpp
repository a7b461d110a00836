// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! C++ binding of the AttributionLedger contract (chain-bridge/contracts/src/AttributionLedger.sol)
//! and the ERC-20 reads of its ModelShares tokens.
//! Through it a job's rounds (model hash, attribution root), its proposed shares root, the DAO's
//! veto, finalisation and the participants' share claims reach the chain (docs/onchain.md).
//!
//!   Signer signer(key, rpc);
//!   auto ledger = AttributionLedger::deploy(signer, default_ledger_artifact_path(), dao);
//!   auto job = ledger->register_job(signer.address(), /*challenge_window_s=*/3600, "quickstart");
//!   FLYWHEEL_TRY(ledger->record_round(*job, 1, model_hash, attribution_root));  // aggregator only
//!   FLYWHEEL_TRY(ledger->propose_shares(*job, shares_root, total_shares));

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chain-bridge/abi.hpp"
#include "chain-bridge/signer.hpp"

namespace flywheel::chain {

//! Signatures of the custom errors AttributionLedger (and the ModelShares/OpenZeppelin code it
//! calls) can revert with; used to name reverts, e.g. "RoundOutOfOrder(3, 2)".
const std::vector<std::string>& attribution_ledger_errors();

//! The creation bytecode (bytecode.object) of a forge artifact JSON file. Errc::not_found, naming
//! the forge build command, when the file is missing; Errc::parse when it is not an artifact.
Result<Bytes> read_artifact_bytecode(const std::string& path);

//! keccak256 of an event signature: the topic0 of its logs.
Hash32 topic_of(std::string_view event_signature);

//! Where `forge build` in chain-bridge/contracts writes the AttributionLedger artifact.
std::string default_ledger_artifact_path();

//! One deployed AttributionLedger, driven through a Signer (which must outlive the binding).
//! Writes send a transaction from the signer and wait for its receipt; reads are eth_calls from
//! the signer's address at the latest block. Every call returns Errc::reverted with the named
//! custom error when the contract rejects it, and Errc::rpc / Errc::timeout from the transport.
class AttributionLedger {
 public:
  AttributionLedger(const Address& address, Signer& signer);

  //! Deploys a new ledger with `dao` as its veto account from the forge artifact at
  //! `artifact_path` (JSON with bytecode.object). Errc::not_found when the artifact is missing
  //! (build it: cd chain-bridge/contracts && forge build), Errc::parse when it is malformed.
  static Result<AttributionLedger> deploy(Signer& signer, const std::string& artifact_path, const Address& dao);

  //! The contract address.
  [[nodiscard]] const Address& address() const { return address_; }

  //! registerJob(aggregator, challengeWindow, name): registers a job sponsored by the signer;
  //! `challenge_window_s` in seconds. Returns the new job id (from the JobRegistered event).
  Result<U256> register_job(const Address& aggregator, std::uint64_t challenge_window_s, std::string_view name);
  //! recordRound(jobId, round, modelHash, attributionRoot); only the job's aggregator, rounds
  //! consecutively from 1 (else RoundOutOfOrder(expected, got)).
  Result<Receipt> record_round(const U256& job_id, const U256& round, const Hash32& model_hash,
                               const Hash32& attribution_root);
  //! proposeShares(jobId, sharesRoot, totalShares); opens the challenge window.
  Result<Receipt> propose_shares(const U256& job_id, const Hash32& shares_root, const U256& total_shares);
  //! veto(jobId); only the DAO, within the challenge window.
  Result<Receipt> veto(const U256& job_id);
  //! finalize(jobId) after the window; returns the job's new ModelShares token address.
  Result<Address> finalize(const U256& job_id);
  //! claimShares(jobId, amount, proof) for the signer's own leaf
  //! keccak256(keccak256(abi.encode(signer, amount))).
  Result<Receipt> claim_shares(const U256& job_id, const U256& amount, const std::vector<Hash32>& proof);

  //! roundRoot(jobId, round): the attribution root, zero when not recorded.
  Result<Hash32> round_root(const U256& job_id, const U256& round);
  //! roundModelHash(jobId, round).
  Result<Hash32> round_model_hash(const U256& job_id, const U256& round);
  //! roundCount(jobId): rounds recorded so far.
  Result<U256> round_count(const U256& job_id);
  //! sharesRoot(jobId): zero unless a proposal is live or final.
  Result<Hash32> shares_root(const U256& job_id);
  //! sharesToken(jobId): zero address until finalized.
  Result<Address> shares_token(const U256& job_id);
  //! totalShares(jobId).
  Result<U256> total_shares(const U256& job_id);
  //! isFinalized(jobId).
  Result<bool> is_finalized(const U256& job_id);
  //! hasClaimed(jobId, account).
  Result<bool> has_claimed(const U256& job_id, const Address& account);
  //! jobCount(): number of registered jobs (ids are 1..jobCount).
  Result<U256> job_count();

 private:
  Result<Receipt> transact(std::string_view signature, const std::vector<AbiValue>& args);
  Result<std::vector<AbiValue>> view(std::string_view signature, const std::vector<AbiValue>& args,
                                     std::string_view returns);

  Address address_;
  Signer* signer_;
};

//! The Merkle leaf AttributionLedger.claimShares checks for (account, amount):
//! keccak256(keccak256(abi.encode(account, amount))) (OpenZeppelin's double-hashed leaf).
Hash32 shares_leaf(const Address& account, const U256& amount);

//! ERC-20 balanceOf(account) of `token` (EIP-20), in base units.
Result<U256> erc20_balance_of(RpcClient& rpc, const Address& token, const Address& account);
//! ERC-20 totalSupply() of `token`, in base units.
Result<U256> erc20_total_supply(RpcClient& rpc, const Address& token);

}  // namespace flywheel::chain
