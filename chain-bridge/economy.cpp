// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Bindings for the ModelShares revenue pool and the Flywheel DAO (docs/onchain.md) over the
// Solidity ABI. Proposal ids follow OpenZeppelin v5
// Governor.hashProposal; roles follow OpenZeppelin TimelockController (keccak256 of the role name).
#include "chain-bridge/economy.hpp"

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "chain-bridge/ledger.hpp"
#include "common/keccak.hpp"
#include "common/keys.hpp"

#ifndef FLYWHEEL_SOURCE_DIR
#define FLYWHEEL_SOURCE_DIR "."
#endif

namespace flywheel::chain {
namespace {

// Sends `signature(args)` to `to` and names a revert with `errors`.
Result<Receipt> send_call(Signer& signer, const Address& to, std::string_view signature,
                          const std::vector<AbiValue>& args, const std::vector<std::string>& errors,
                          std::string_view what, const U256& value = 0) {
  auto data = encode_call(signature, args);
  if (!data) return tl::unexpected(data.error());
  auto receipt = signer.send(to, *data, value);
  if (!receipt) {
    return tl::unexpected(
        with_context(name_revert(receipt.error(), errors), std::string(what) + "." + std::string(signature)));
  }
  return receipt;
}

// eth_call of `signature(args)` on `to`, decoded as the single type `returns`.
Result<AbiValue> read_call(RpcClient& rpc, const std::optional<Address>& from, const Address& to,
                           std::string_view signature, const std::vector<AbiValue>& args, std::string_view returns,
                           const std::vector<std::string>& errors, std::string_view what) {
  auto data = encode_call(signature, args);
  if (!data) return tl::unexpected(data.error());
  const std::string context = std::string(what) + "." + std::string(signature);
  auto out = rpc.call(CallRequest{.from = from, .to = to, .data = *data, .value = 0, .gas = std::nullopt});
  if (!out) return tl::unexpected(with_context(name_revert(out.error(), errors), context));
  if (out->empty()) {
    return fail(Errc::rpc, context + " returned no data; is " + to_checksum(to) + " a " + std::string(what) + "?");
  }
  auto values = abi_decode(returns, *out);
  if (!values) return tl::unexpected(with_context(values.error(), context));
  return (*values)[0];
}

std::vector<AbiValue> proposal_args(const Proposal& p, bool with_description_hash) {
  std::vector<AbiValue> targets;
  for (const Address& a : p.targets) targets.push_back(AbiValue::of_address(a));
  std::vector<AbiValue> values;
  for (const U256& v : p.values) values.push_back(AbiValue::of_uint(v));
  std::vector<AbiValue> calldatas;
  for (const Bytes& c : p.calldatas) calldatas.push_back(AbiValue::of_bytes(c));
  // Empty arrays still need their element type for encoding; AbiValue arrays carry it in
  // encode_call's signature, so empty vectors are fine here.
  std::vector<AbiValue> args = {AbiValue::of_array(std::move(targets)), AbiValue::of_array(std::move(values)),
                                AbiValue::of_array(std::move(calldatas))};
  if (with_description_hash) {
    args.push_back(AbiValue::of_bytes32(p.description_hash()));
  } else {
    args.push_back(AbiValue::of_string(p.description));
  }
  return args;
}

constexpr std::string_view kProposeSig = "propose(address[],uint256[],bytes[],string)";
constexpr std::string_view kQueueSig = "queue(address[],uint256[],bytes[],bytes32)";
constexpr std::string_view kExecuteSig = "execute(address[],uint256[],bytes[],bytes32)";
constexpr std::string_view kHashSig = "hashProposal(address[],uint256[],bytes[],bytes32)";

}  // namespace

// ---- revenue pool --------------------------------------------------------------------------

const std::vector<std::string>& model_shares_errors() {
  static const std::vector<std::string> kErrors = {
      "ZeroAddress()",
      "NotLedger(address)",
      "ZeroTotalShares()",
      "TotalSharesTooLarge(uint256)",
      "SupplyOverflow(uint256)",
      "ZeroDeposit()",
      "WrongDepositValue(uint256,uint256)",
      "DepositTooSmall(uint256)",
      "RevenueOverflow()",
      "NothingToClaim(address)",
      "RevenueTransferFailed(address,uint256)",
      "InvalidInitialization()",
      "NotInitializing()",
      "ReentrancyGuardReentrantCall()",
      "SafeERC20FailedOperation(address)",
      "SafeCastOverflowedIntDowncast(uint8,int256)",
      "ERC20InsufficientAllowance(address,uint256,uint256)",
      "ERC20InsufficientBalance(address,uint256,uint256)",
      "ERC20InvalidApprover(address)",
      "ERC20InvalidReceiver(address)",
      "ERC20InvalidSender(address)",
      "ERC20InvalidSpender(address)",
  };
  return kErrors;
}

Result<Address> revenue_token_of(RpcClient& rpc, const Address& token) {
  auto v = read_call(rpc, std::nullopt, token, "revenueToken()", {}, "address", model_shares_errors(), "ModelShares");
  if (!v) return tl::unexpected(v.error());
  return v->address;
}

Result<Receipt> deposit_revenue(Signer& signer, const Address& token, const U256& amount) {
  auto asset = revenue_token_of(signer.rpc(), token);
  if (!asset) return tl::unexpected(asset.error());
  if (asset->is_zero()) {
    return send_call(signer, token, "depositRevenue(uint256)", {AbiValue::of_uint(amount)}, model_shares_errors(),
                     "ModelShares", amount);
  }
  auto approved =
      send_call(signer, *asset, "approve(address,uint256)", {AbiValue::of_address(token), AbiValue::of_uint(amount)},
                model_shares_errors(), "revenue ERC-20 " + to_checksum(*asset));
  if (!approved) return tl::unexpected(approved.error());
  return send_call(signer, token, "depositRevenue(uint256)", {AbiValue::of_uint(amount)}, model_shares_errors(),
                   "ModelShares");
}

Result<U256> claim_revenue(Signer& signer, const Address& token) {
  auto receipt = send_call(signer, token, "claimRevenue()", {}, model_shares_errors(), "ModelShares");
  if (!receipt) return tl::unexpected(receipt.error());
  const Hash32 topic = topic_of("RevenueClaimed(address,uint256)");
  for (const Log& log : receipt->logs) {
    if (log.address == token && !log.topics.empty() && log.topics[0] == topic && log.data.size() >= 32) {
      return U256::from_be_bytes(ByteView(log.data).first(32));
    }
  }
  return fail(Errc::rpc,
              "claimRevenue transaction " + receipt->transaction_hash.hex() + " emitted no RevenueClaimed event");
}

Result<U256> claimable_revenue(RpcClient& rpc, const Address& token, const Address& account) {
  auto v = read_call(rpc, std::nullopt, token, "claimableRevenue(address)", {AbiValue::of_address(account)}, "uint256",
                     model_shares_errors(), "ModelShares");
  if (!v) return tl::unexpected(v.error());
  return v->word;
}

// ---- DAO -----------------------------------------------------------------------------------

const std::vector<std::string>& governance_errors() {
  static const std::vector<std::string> kErrors = [] {
    std::vector<std::string> errors = {
        // FlywheelGovernor (OpenZeppelin Governor and extensions).
        "CheckpointUnorderedInsertion()",
        "ERC6372InconsistentClock()",
        "FailedCall()",
        "GovernorAlreadyCastVote(address)",
        "GovernorAlreadyQueuedProposal(uint256)",
        "GovernorDisabledDeposit()",
        "GovernorInsufficientProposerVotes(address,uint256,uint256)",
        "GovernorInvalidProposalLength(uint256,uint256,uint256)",
        "GovernorInvalidQuorumFraction(uint256,uint256)",
        "GovernorInvalidSignature(address)",
        "GovernorInvalidVoteParams()",
        "GovernorInvalidVoteType()",
        "GovernorInvalidVotingPeriod(uint256)",
        "GovernorNonexistentProposal(uint256)",
        "GovernorOnlyExecutor(address)",
        "GovernorProposalQueueingFailed(uint256)",
        "GovernorProposalQueueingNotRequired(uint256)",
        "GovernorRestrictedProposer(address)",
        "GovernorUnableToCancel(uint256,address)",
        "GovernorUnexpectedProposalState(uint256,uint8,bytes32)",
        "InvalidAccountNonce(address,uint256)",
        "InvalidShortString()",
        "SafeCastOverflowedUintDowncast(uint8,uint256)",
        "StringTooLong(string)",
        // TimelockController.
        "AccessControlBadConfirmation()",
        "AccessControlUnauthorizedAccount(address,bytes32)",
        "TimelockInsufficientDelay(uint256,uint256)",
        "TimelockInvalidOperationLength(uint256,uint256,uint256)",
        "TimelockUnauthorizedCaller(address)",
        "TimelockUnexecutedPredecessor(bytes32)",
        "TimelockUnexpectedOperationState(bytes32,bytes32)",
        // FlywheelToken (ERC20Votes + ERC20Permit).
        "ECDSAInvalidSignature()",
        "ECDSAInvalidSignatureLength(uint256)",
        "ECDSAInvalidSignatureS(bytes32)",
        "ERC20ExceededSafeSupply(uint256,uint256)",
        "ERC20InsufficientAllowance(address,uint256,uint256)",
        "ERC20InsufficientBalance(address,uint256,uint256)",
        "ERC20InvalidApprover(address)",
        "ERC20InvalidReceiver(address)",
        "ERC20InvalidSender(address)",
        "ERC20InvalidSpender(address)",
        "ERC2612ExpiredSignature(uint256)",
        "ERC2612InvalidSigner(address,address)",
        "ERC5805FutureLookup(uint256,uint48)",
        "VotesExpiredSignature(uint256)",
    };
    // A proposal's call reverting inside the timelock bubbles the ledger's error up.
    for (const std::string& e : attribution_ledger_errors()) {
      if (std::find(errors.begin(), errors.end(), e) == errors.end()) errors.push_back(e);
    }
    return errors;
  }();
  return kErrors;
}

std::string default_artifact_path(std::string_view file, std::string_view name) {
  return std::string(FLYWHEEL_SOURCE_DIR) + "/chain-bridge/contracts/out/" + std::string(file) + ".sol/" +
         std::string(name) + ".json";
}

Result<Governance> deploy_governance(Signer& signer, const GovernanceParams& params,
                                     const GovernanceArtifacts& artifacts) {
  if (params.voting_delay_s >= (std::uint64_t{1} << 48)) {
    return fail(Errc::invalid_argument, "voting delay must fit uint48 seconds");
  }
  if (params.voting_period_s == 0 || params.voting_period_s > 0xffffffffULL) {
    return fail(Errc::invalid_argument, "voting period must be 1..2^32-1 seconds");
  }
  if (params.quorum_percent > 100) {
    return fail(Errc::invalid_argument, "quorum percent must be 0..100");
  }
  if (params.initial_holder.is_zero()) {
    return fail(Errc::invalid_argument, "the initial FLY holder must not be the zero address");
  }
  auto token_code = read_artifact_bytecode(artifacts.token);
  if (!token_code) return tl::unexpected(token_code.error());
  auto timelock_code = read_artifact_bytecode(artifacts.timelock);
  if (!timelock_code) return tl::unexpected(timelock_code.error());
  auto governor_code = read_artifact_bytecode(artifacts.governor);
  if (!governor_code) return tl::unexpected(governor_code.error());

  const auto& errors = governance_errors();
  auto deploy = [&](const Bytes& code, const std::vector<AbiValue>& args, std::string_view name) -> Result<Address> {
    auto address = signer.deploy(code, abi_encode(args));
    if (!address) {
      return tl::unexpected(with_context(name_revert(address.error(), errors), "deploying " + std::string(name)));
    }
    return address;
  };

  Governance g;
  auto token = deploy(*token_code, {AbiValue::of_address(params.initial_holder), AbiValue::of_uint(params.supply)},
                      "FlywheelToken");
  if (!token) return tl::unexpected(token.error());
  g.token = *token;
  auto timelock =
      deploy(*timelock_code,
             {AbiValue::of_uint(params.min_delay_s), AbiValue::of_array({}),
              AbiValue::of_array({AbiValue::of_address(Address{})}), AbiValue::of_address(signer.address())},
             "TimelockController");
  if (!timelock) return tl::unexpected(timelock.error());
  g.timelock = *timelock;
  auto governor = deploy(*governor_code,
                         {AbiValue::of_address(g.token), AbiValue::of_address(g.timelock),
                          AbiValue::of_uint(params.voting_delay_s), AbiValue::of_uint(params.voting_period_s),
                          AbiValue::of_uint(params.proposal_threshold), AbiValue::of_uint(params.quorum_percent)},
                         "FlywheelGovernor");
  if (!governor) return tl::unexpected(governor.error());
  g.governor = *governor;

  const Hash32 proposer_role = keccak256(as_bytes("PROPOSER_ROLE"));
  const Hash32 canceller_role = keccak256(as_bytes("CANCELLER_ROLE"));
  for (const Hash32& role : {proposer_role, canceller_role}) {
    auto granted =
        send_call(signer, g.timelock, "grantRole(bytes32,address)",
                  {AbiValue::of_bytes32(role), AbiValue::of_address(g.governor)}, errors, "TimelockController");
    if (!granted) return tl::unexpected(granted.error());
  }
  auto renounced =
      send_call(signer, g.timelock, "renounceRole(bytes32,address)",
                {AbiValue::of_bytes32(Hash32{}), AbiValue::of_address(signer.address())}, errors, "TimelockController");
  if (!renounced) return tl::unexpected(renounced.error());
  return g;
}

Hash32 Proposal::description_hash() const { return keccak256(as_bytes(description)); }

U256 Proposal::id() const {
  const Bytes encoded = abi_encode(proposal_args(*this, /*with_description_hash=*/true));
  const Hash32 h = keccak256(encoded);
  return U256::from_be_bytes(h.view()).value();
}

Proposal veto_proposal(const Address& ledger, const U256& job_id, std::string_view reason) {
  Proposal p;
  p.targets = {ledger};
  p.values = {U256(0)};
  p.calldatas = {encode_call("veto(uint256)", {AbiValue::of_uint(job_id)}).value()};
  p.description = "Veto job " + job_id.to_dec() + " of AttributionLedger " + to_checksum(ledger);
  if (!reason.empty()) p.description += ": " + std::string(reason);
  return p;
}

std::string_view to_string(ProposalState state) {
  switch (state) {
    case ProposalState::pending:
      return "Pending";
    case ProposalState::active:
      return "Active";
    case ProposalState::canceled:
      return "Canceled";
    case ProposalState::defeated:
      return "Defeated";
    case ProposalState::succeeded:
      return "Succeeded";
    case ProposalState::queued:
      return "Queued";
    case ProposalState::expired:
      return "Expired";
    case ProposalState::executed:
      return "Executed";
  }
  return "Unknown";
}

Governor::Governor(const Address& address, Signer& signer) : address_(address), signer_(&signer) {}

Result<Receipt> Governor::transact(std::string_view signature, const std::vector<AbiValue>& args) {
  return send_call(*signer_, address_, signature, args, governance_errors(), "FlywheelGovernor");
}

Result<AbiValue> Governor::view(std::string_view signature, const std::vector<AbiValue>& args,
                                std::string_view returns) {
  return read_call(signer_->rpc(), signer_->address(), address_, signature, args, returns, governance_errors(),
                   "FlywheelGovernor");
}

Result<U256> Governor::propose(const Proposal& proposal) {
  auto receipt = transact(kProposeSig, proposal_args(proposal, false));
  if (!receipt) return tl::unexpected(receipt.error());
  const Hash32 topic = topic_of(
      "ProposalCreated(uint256,address,address[],uint256[],string[],bytes[],uint256,uint256,"
      "string)");
  for (const Log& log : receipt->logs) {
    if (log.address == address_ && !log.topics.empty() && log.topics[0] == topic && log.data.size() >= 32) {
      return U256::from_be_bytes(ByteView(log.data).first(32));
    }
  }
  return fail(Errc::rpc,
              "propose transaction " + receipt->transaction_hash.hex() + " emitted no ProposalCreated event");
}

Result<Receipt> Governor::cast_vote(const U256& proposal_id, VoteSupport support) {
  return transact("castVote(uint256,uint8)",
                  {AbiValue::of_uint(proposal_id), AbiValue::of_uint(static_cast<std::uint64_t>(support))});
}

Result<Receipt> Governor::queue(const Proposal& proposal) { return transact(kQueueSig, proposal_args(proposal, true)); }

Result<Receipt> Governor::execute(const Proposal& proposal) {
  U256 total;
  for (const U256& v : proposal.values) total = total + v;
  return send_call(*signer_, address_, kExecuteSig, proposal_args(proposal, true), governance_errors(),
                   "FlywheelGovernor", total);
}

Result<ProposalState> Governor::state(const U256& proposal_id) {
  auto v = view("state(uint256)", {AbiValue::of_uint(proposal_id)}, "uint8");
  if (!v) return tl::unexpected(v.error());
  if (!v->word.fits_u64() || v->word.limbs[0] > 7) {
    return fail(Errc::parse, "Governor.state returned an unknown state " + v->word.to_dec());
  }
  return static_cast<ProposalState>(v->word.limbs[0]);
}

Result<U256> Governor::hash_proposal(const Proposal& proposal) {
  auto v = view(kHashSig, proposal_args(proposal, true), "uint256");
  if (!v) return tl::unexpected(v.error());
  return v->word;
}

Result<U256> Governor::proposal_snapshot(const U256& proposal_id) {
  auto v = view("proposalSnapshot(uint256)", {AbiValue::of_uint(proposal_id)}, "uint256");
  if (!v) return tl::unexpected(v.error());
  return v->word;
}

Result<U256> Governor::proposal_deadline(const U256& proposal_id) {
  auto v = view("proposalDeadline(uint256)", {AbiValue::of_uint(proposal_id)}, "uint256");
  if (!v) return tl::unexpected(v.error());
  return v->word;
}

Result<U256> Governor::proposal_eta(const U256& proposal_id) {
  auto v = view("proposalEta(uint256)", {AbiValue::of_uint(proposal_id)}, "uint256");
  if (!v) return tl::unexpected(v.error());
  return v->word;
}

Result<Address> Governor::timelock() {
  auto v = view("timelock()", {}, "address");
  if (!v) return tl::unexpected(v.error());
  return v->address;
}

Result<Address> Governor::token() {
  auto v = view("token()", {}, "address");
  if (!v) return tl::unexpected(v.error());
  return v->address;
}

Result<Receipt> delegate_votes(Signer& signer, const Address& token, const Address& delegatee) {
  return send_call(signer, token, "delegate(address)", {AbiValue::of_address(delegatee)}, governance_errors(),
                   "FlywheelToken");
}

Result<Receipt> erc20_transfer(Signer& signer, const Address& token, const Address& to, const U256& amount) {
  return send_call(signer, token, "transfer(address,uint256)", {AbiValue::of_address(to), AbiValue::of_uint(amount)},
                   governance_errors(), "ERC-20");
}

Result<std::uint64_t> latest_block_timestamp(RpcClient& rpc) {
  auto text = rpc.request("eth_getBlockByNumber", R"(["latest", false])");
  if (!text) return tl::unexpected(text.error());
  try {
    const auto block = nlohmann::json::parse(*text);
    auto ts = U256::from_hex(block.at("timestamp").get<std::string>());
    if (!ts || !ts->fits_u64()) {
      return fail(Errc::rpc, "latest block has a malformed timestamp");
    }
    return ts->limbs[0];
  } catch (const nlohmann::json::exception& e) {
    return fail(Errc::rpc, std::string("eth_getBlockByNumber answered malformed JSON: ") + e.what());
  }
}

}  // namespace flywheel::chain
