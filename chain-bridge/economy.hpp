// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Flywheel's on-chain economy from C++: the revenue pool of a job's ModelShares token
//! (chain-bridge/contracts/src/ModelShares.sol: depositRevenue / claimRevenue / claimableRevenue)
//! and the DAO that may veto share proposals (src/governance/FlywheelToken.sol,
//! FlywheelGovernor.sol — OpenZeppelin v5 Governor + TimelockController; docs/onchain.md).
//! `flywheel revenue` and `flywheel dao` run on these.
//!
//!   FLYWHEEL_TRY(deposit_revenue(signer, token, U256(1'000'000'000'000'000'000ULL)));  // 1 ETH
//!   auto paid = claim_revenue(holder, token);              // holder: a share holder's Signer
//!   auto dao = deploy_governance(signer, {.initial_holder = signer.address(), .supply = supply});
//!   auto id = Governor(dao->governor, signer).propose(veto_proposal(ledger, job_id, "bad data"));

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chain-bridge/abi.hpp"
#include "chain-bridge/signer.hpp"

namespace flywheel::chain {

// ---- revenue pool --------------------------------------------------------------------------

//! Custom errors ModelShares (and the OpenZeppelin ERC-20 code it uses) can revert with.
const std::vector<std::string>& model_shares_errors();

//! revenueToken() of the ModelShares `token`: the ERC-20 revenue is paid in, the zero address for
//! ETH. Errc::rpc when `token` answers no data (not a ModelShares token).
Result<Address> revenue_token_of(RpcClient& rpc, const Address& token);

//! Deposits `amount` (base units of the revenue asset; wei for ETH) into `token`'s revenue pool.
//! Reads revenueToken() first: for ETH sends value = amount; for an ERC-20 first sends
//! approve(token, amount) on that ERC-20, then depositRevenue(amount). Returns the deposit's
//! receipt. Errc::reverted with the named error (ZeroDeposit, DepositTooSmall, ...).
Result<Receipt> deposit_revenue(Signer& signer, const Address& token, const U256& amount);

//! claimRevenue() for the signer; returns the amount paid (from the RevenueClaimed event), in base
//! units. Errc::reverted "NothingToClaim(<signer>)" when there is nothing to claim.
Result<U256> claim_revenue(Signer& signer, const Address& token);

//! claimableRevenue(account): revenue `account` could claim now, in base units.
Result<U256> claimable_revenue(RpcClient& rpc, const Address& token, const Address& account);

// ---- DAO -----------------------------------------------------------------------------------

//! Custom errors of FlywheelGovernor, TimelockController and FlywheelToken, plus the ledger's
//! (a vetoed call's revert bubbles up through the timelock).
const std::vector<std::string>& governance_errors();

//! Where `forge build` writes a contract's artifact: contracts/out/<file>.sol/<name>.json.
std::string default_artifact_path(std::string_view file, std::string_view name);

//! Artifacts (forge JSON with bytecode.object) of the three governance contracts.
struct GovernanceArtifacts {
  std::string token = default_artifact_path("FlywheelToken", "FlywheelToken");
  std::string timelock = default_artifact_path("TimelockController", "TimelockController");
  std::string governor = default_artifact_path("FlywheelGovernor", "FlywheelGovernor");
};

//! Parameters of a new DAO. Times are seconds (FlywheelToken's clock is the block timestamp).
struct GovernanceParams {
  Address initial_holder;                  //!< receives the whole FLY supply
  U256 supply;                             //!< FLY minted, in base units (18 decimals)
  std::uint64_t min_delay_s = 86400;       //!< timelock delay between queue and execute
  std::uint64_t voting_delay_s = 86400;    //!< propose -> voting opens (uint48)
  std::uint64_t voting_period_s = 259200;  //!< voting length (uint32, > 0)
  U256 proposal_threshold;                 //!< votes needed to propose, base units
  std::uint64_t quorum_percent = 4;        //!< quorum as a percentage of the past total supply
};

//! Addresses of a deployed DAO. Make `timelock` the AttributionLedger's dao.
struct Governance {
  Address token;
  Address timelock;
  Address governor;
};

//! Deploys FlywheelToken(initialHolder, supply), TimelockController(minDelay, proposers=[],
//! executors=[address(0)], admin=signer), FlywheelGovernor(token, timelock, ...); grants the
//! governor PROPOSER_ROLE and CANCELLER_ROLE on the timelock and renounces the signer's admin
//! role (six transactions). Errc::not_found naming the build command when an artifact is missing;
//! Errc::parse when one is malformed; Errc::invalid_argument for out-of-range parameters;
//! Errc::reverted with the named error.
Result<Governance> deploy_governance(Signer& signer, const GovernanceParams& params,
                                     const GovernanceArtifacts& artifacts = {});

//! One Governor proposal: what propose/queue/execute take.
struct Proposal {
  std::vector<Address> targets;
  std::vector<U256> values;  //!< wei sent with each call
  std::vector<Bytes> calldatas;
  std::string description;

  //! keccak256(bytes(description)).
  [[nodiscard]] Hash32 description_hash() const;
  //! The Governor's proposal id: uint256(keccak256(abi.encode(targets, values, calldatas,
  //! descriptionHash))) (OpenZeppelin Governor.hashProposal).
  [[nodiscard]] U256 id() const;
};

//! The proposal that calls ledger.veto(jobId), with the description
//! "Veto job <id> of AttributionLedger <checksum address>" + (": " + reason when given). The same
//! inputs give the same proposal, so `dao execute` can rebuild it.
Proposal veto_proposal(const Address& ledger, const U256& job_id, std::string_view reason = {});

//! OpenZeppelin IGovernor.ProposalState (values match the contract's enum).
enum class ProposalState : std::uint8_t {
  pending = 0,
  active = 1,
  canceled = 2,
  defeated = 3,
  succeeded = 4,
  queued = 5,
  expired = 6,
  executed = 7,
};

//! "Pending", "Active", ... as in the Solidity enum.
std::string_view to_string(ProposalState state);

//! How a voter votes (GovernorCountingSimple: 0 against, 1 for, 2 abstain).
enum class VoteSupport : std::uint8_t { against = 0, for_ = 1, abstain = 2 };

//! A deployed FlywheelGovernor, driven through a Signer that must outlive the binding. Errors as
//! for AttributionLedger: Errc::reverted with the named error (governance_errors()), Errc::rpc /
//! Errc::timeout from the transport.
class Governor {
 public:
  Governor(const Address& address, Signer& signer);

  //! The contract address.
  [[nodiscard]] const Address& address() const { return address_; }

  //! propose(targets, values, calldatas, description); returns the proposal id the contract
  //! reports (from the ProposalCreated event), which equals proposal.id().
  Result<U256> propose(const Proposal& proposal);
  //! castVote(proposalId, support) from the signer.
  Result<Receipt> cast_vote(const U256& proposal_id, VoteSupport support);
  //! queue(targets, values, calldatas, descriptionHash): hands a succeeded proposal to the
  //! timelock.
  Result<Receipt> queue(const Proposal& proposal);
  //! execute(targets, values, calldatas, descriptionHash) after the timelock delay.
  Result<Receipt> execute(const Proposal& proposal);

  //! state(proposalId). Errc::reverted "GovernorNonexistentProposal(id)" for an unknown id.
  Result<ProposalState> state(const U256& proposal_id);
  //! hashProposal(targets, values, calldatas, descriptionHash) computed by the contract.
  Result<U256> hash_proposal(const Proposal& proposal);
  //! proposalSnapshot(id): timestamp (s) after which voting opens.
  Result<U256> proposal_snapshot(const U256& proposal_id);
  //! proposalDeadline(id): timestamp (s) when voting closes.
  Result<U256> proposal_deadline(const U256& proposal_id);
  //! proposalEta(id): timestamp (s) from which a queued proposal may execute; 0 when not queued.
  Result<U256> proposal_eta(const U256& proposal_id);
  //! timelock(): the executor's address.
  Result<Address> timelock();
  //! token(): the votes token.
  Result<Address> token();

 private:
  Result<Receipt> transact(std::string_view signature, const std::vector<AbiValue>& args);
  Result<AbiValue> view(std::string_view signature, const std::vector<AbiValue>& args, std::string_view returns);

  Address address_;
  Signer* signer_;
};

//! FlywheelToken.delegate(delegatee) from the signer: its balance counts as `delegatee`'s votes
//! from the next timestamp on (a holder must delegate, e.g. to itself, before it can vote).
Result<Receipt> delegate_votes(Signer& signer, const Address& token, const Address& delegatee);

//! ERC-20 transfer(to, amount) from the signer (e.g. FLY to a voter). Errc::reverted named.
Result<Receipt> erc20_transfer(Signer& signer, const Address& token, const Address& to, const U256& amount);

//! Timestamp of the latest block, in seconds (anvil's clock, moved by RpcClient::increase_time).
Result<std::uint64_t> latest_block_timestamp(RpcClient& rpc);

}  // namespace flywheel::chain
