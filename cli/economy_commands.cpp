// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// `flywheel revenue deposit|claim|claimable` (a job's ModelShares revenue pool) and
// `flywheel dao deploy|delegate|propose|vote|execute` (the FlywheelGovernor + TimelockController
// that may veto share proposals): docs/onchain.md.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "chain-bridge/economy.hpp"
#include "chain-bridge/ledger.hpp"
#include "cli/chain_options.hpp"
#include "cli/commands.hpp"

namespace flywheel::cli {

namespace {

struct EconomyRequest {
  ChainOptions chain;
  std::string ledger;
  std::string job;
  std::string amount;
  std::string account;
  std::string governor;
  std::string token;
  std::string delegatee;
  std::string proposal;
  std::string reason;
  std::string support = "for";
  std::string holder;
  std::string supply = "1000000000000000000000000";  // 1,000,000 FLY
  std::string threshold = "1000000000000000000000";  // 1,000 FLY
  std::uint64_t voting_delay_s = 86400;
  std::uint64_t voting_period_s = 259200;
  std::uint64_t min_delay_s = 86400;
  std::uint64_t quorum_percent = 4;
};

// Reverts these commands can meet: the governor, timelock and FLY token, and ModelShares.
std::vector<std::string> economy_errors() {
  std::vector<std::string> errors = chain::governance_errors();
  for (const auto& e : chain::model_shares_errors()) errors.push_back(e);
  return errors;
}

Result<ChainSession> connect(const EconomyRequest& request, KeyUse key_use) {
  return connect_chain(request.chain, key_use, economy_errors());
}

// The finalized ModelShares token of --ledger/--job.
Result<Address> shares_token_of(ChainSession& c, const EconomyRequest& request) {
  auto ledger_address = parse_contract(*c.rpc, request.ledger, "--ledger", "deploy one with `flywheel chain deploy`");
  if (!ledger_address) return tl::unexpected(ledger_address.error());
  auto job = parse_positive(request.job, "--job");
  if (!job) return tl::unexpected(job.error());
  chain::AttributionLedger ledger(*ledger_address, *c.signer);
  auto token = ledger.shares_token(*job);
  if (!token) return tl::unexpected(token.error());
  if (token->is_zero()) {
    return fail(Errc::not_found, "job " + job->to_dec() +
                                     " has no shares token yet; finalize its shares first "
                                     "(`flywheel shares finalize`)");
  }
  return *token;
}

std::string asset_name(const Address& asset) {
  return asset.is_zero() ? std::string("wei") : "base units of ERC-20 " + to_checksum(asset);
}

Result<void> revenue_deposit(const EconomyRequest& request) {
  auto amount = parse_positive(request.amount, "--amount");
  if (!amount) return tl::unexpected(amount.error());
  auto c = connect(request, KeyUse::dev_key_allowed);
  if (!c) return tl::unexpected(c.error());
  auto token = shares_token_of(*c, request);
  if (!token) return tl::unexpected(token.error());
  auto asset = chain::revenue_token_of(*c->rpc, *token);
  if (!asset) return tl::unexpected(asset.error());
  auto receipt = chain::deposit_revenue(*c->signer, *token, *amount);
  if (!receipt) return tl::unexpected(with_context(receipt.error(), "depositing revenue"));
  std::cout << "deposited " << amount->to_dec() << " " << asset_name(*asset) << " into the revenue pool of job "
            << request.job << " (ModelShares " << to_checksum(*token) << ", tx " << receipt->transaction_hash.hex()
            << ")\n";
  return {};
}

Result<void> revenue_claim(const EconomyRequest& request) {
  auto c = connect(request, KeyUse::keystore_required);
  if (!c) return tl::unexpected(c.error());
  auto token = shares_token_of(*c, request);
  if (!token) return tl::unexpected(token.error());
  auto asset = chain::revenue_token_of(*c->rpc, *token);
  if (!asset) return tl::unexpected(asset.error());
  auto paid = chain::claim_revenue(*c->signer, *token);
  if (!paid) return tl::unexpected(with_context(paid.error(), "claiming revenue"));
  std::cout << to_checksum(c->signer->address()) << " claimed " << paid->to_dec() << " " << asset_name(*asset)
            << " of job " << request.job << "'s revenue\n";
  return {};
}

Result<void> revenue_claimable(const EconomyRequest& request) {
  auto c = connect(request, KeyUse::read_only);
  if (!c) return tl::unexpected(c.error());
  auto account = parse_address(request.account);
  if (!account) return fail(Errc::config, "--account must be an address: " + account.error().message);
  auto token = shares_token_of(*c, request);
  if (!token) return tl::unexpected(token.error());
  auto asset = chain::revenue_token_of(*c->rpc, *token);
  if (!asset) return tl::unexpected(asset.error());
  auto amount = chain::claimable_revenue(*c->rpc, *token, *account);
  if (!amount) return tl::unexpected(amount.error());
  std::cout << to_checksum(*account) << " can claim " << amount->to_dec() << " " << asset_name(*asset) << " of job "
            << request.job << "'s revenue\n";
  return {};
}

Result<void> dao_deploy(const EconomyRequest& request) {
  auto c = connect(request, KeyUse::dev_key_allowed);
  if (!c) return tl::unexpected(c.error());
  chain::GovernanceParams params;
  params.initial_holder = c->signer->address();
  if (!request.holder.empty()) {
    auto holder = parse_address(request.holder);
    if (!holder) return fail(Errc::config, "--holder must be an address: " + holder.error().message);
    params.initial_holder = *holder;
  }
  auto supply = parse_positive(request.supply, "--supply");
  if (!supply) return tl::unexpected(supply.error());
  auto threshold = U256::from_dec(request.threshold);
  if (!threshold) return fail(Errc::config, "--threshold must be a decimal integer (FLY base units)");
  params.supply = *supply;
  params.proposal_threshold = *threshold;
  params.voting_delay_s = request.voting_delay_s;
  params.voting_period_s = request.voting_period_s;
  params.min_delay_s = request.min_delay_s;
  params.quorum_percent = request.quorum_percent;
  auto g = chain::deploy_governance(*c->signer, params);
  if (!g) return tl::unexpected(with_context(g.error(), "deploying the DAO"));
  std::cout << "FlywheelToken      " << to_checksum(g->token) << " (" << supply->to_dec() << " base units to "
            << to_checksum(params.initial_holder) << ")\n"
            << "TimelockController " << to_checksum(g->timelock) << " (min delay " << params.min_delay_s << " s)\n"
            << "FlywheelGovernor   " << to_checksum(g->governor) << " (voting delay " << params.voting_delay_s
            << " s, period " << params.voting_period_s << " s, quorum " << params.quorum_percent << " %)\n"
            << "holders must delegate their FLY before they can vote: flywheel dao delegate "
            << "--token " << to_checksum(g->token) << "\n"
            << "make the timelock the ledger's DAO: flywheel chain deploy --dao " << to_checksum(g->timelock) << "\n";
  return {};
}

Result<void> dao_delegate(const EconomyRequest& request) {
  auto c = connect(request, KeyUse::dev_key_allowed);
  if (!c) return tl::unexpected(c.error());
  auto token = parse_contract(*c->rpc, request.token, "--token", "the FlywheelToken `flywheel dao deploy` printed");
  if (!token) return tl::unexpected(token.error());
  Address to = c->signer->address();
  if (!request.delegatee.empty()) {
    auto parsed = parse_address(request.delegatee);
    if (!parsed) return fail(Errc::config, "--to must be an address: " + parsed.error().message);
    to = *parsed;
  }
  auto receipt = chain::delegate_votes(*c->signer, *token, to);
  if (!receipt) return tl::unexpected(with_context(receipt.error(), "delegating votes"));
  std::cout << to_checksum(c->signer->address()) << " delegated its FLY votes to " << to_checksum(to)
            << " (counted from the next block's timestamp)\n";
  return {};
}

// The governor binding and the veto proposal named by --governor/--ledger/--job/--reason.
struct VetoContext {
  ChainSession c;
  std::optional<chain::Governor> governor;
  chain::Proposal proposal;
};

Result<VetoContext> veto_context(const EconomyRequest& request) {
  auto c = connect(request, KeyUse::dev_key_allowed);
  if (!c) return tl::unexpected(c.error());
  auto governor = parse_contract(*c->rpc, request.governor, "--governor", "deploy one with `flywheel dao deploy`");
  if (!governor) return tl::unexpected(governor.error());
  auto ledger = parse_contract(*c->rpc, request.ledger, "--ledger", "deploy one with `flywheel chain deploy`");
  if (!ledger) return tl::unexpected(ledger.error());
  auto job = parse_positive(request.job, "--job");
  if (!job) return tl::unexpected(job.error());
  VetoContext v{
      .c = std::move(*c), .governor = std::nullopt, .proposal = chain::veto_proposal(*ledger, *job, request.reason)};
  v.governor.emplace(*governor, *v.c.signer);
  return v;
}

std::string seconds_from_now(chain::RpcClient& rpc, const U256& when) {
  auto now = chain::latest_block_timestamp(rpc);
  if (!now || !when.fits_u64()) return "timestamp " + when.to_dec();
  const std::uint64_t t = when.limbs[0];
  return "timestamp " + when.to_dec() +
         (t > *now ? " (in " + std::to_string(t - *now) + " s of chain time)" : " (now)");
}

Result<void> dao_propose(const EconomyRequest& request) {
  auto v = veto_context(request);
  if (!v) return tl::unexpected(v.error());
  auto id = v->governor->propose(v->proposal);
  if (!id) return tl::unexpected(with_context(id.error(), "proposing the veto"));
  auto snapshot = v->governor->proposal_snapshot(*id);
  auto deadline = v->governor->proposal_deadline(*id);
  std::cout << "proposed \"" << v->proposal.description << "\"\nproposal id " << id->to_dec() << "\n";
  if (snapshot && deadline) {
    std::cout << "voting opens after " << seconds_from_now(*v->c.rpc, *snapshot) << " and closes at "
              << deadline->to_dec() << "\n";
  }
  return {};
}

Result<void> dao_vote(const EconomyRequest& request) {
  chain::VoteSupport support;
  if (request.support == "for") {
    support = chain::VoteSupport::for_;
  } else if (request.support == "against") {
    support = chain::VoteSupport::against;
  } else if (request.support == "abstain") {
    support = chain::VoteSupport::abstain;
  } else {
    return fail(Errc::config, "--support must be for, against or abstain, got '" + request.support + "'");
  }
  auto id = U256::from_dec(request.proposal);
  if (!id) return fail(Errc::config, "--proposal must be the decimal proposal id `dao propose` printed");
  auto c = connect(request, KeyUse::dev_key_allowed);
  if (!c) return tl::unexpected(c.error());
  auto address = parse_contract(*c->rpc, request.governor, "--governor", "deploy one with `flywheel dao deploy`");
  if (!address) return tl::unexpected(address.error());
  chain::Governor governor(*address, *c->signer);
  auto state = governor.state(*id);
  if (!state) return tl::unexpected(state.error());
  if (*state == chain::ProposalState::pending) {
    auto snapshot = governor.proposal_snapshot(*id);
    return fail(Errc::config, "proposal is Pending: voting opens after " +
                                  (snapshot ? seconds_from_now(*c->rpc, *snapshot) : std::string("the voting delay")));
  }
  if (*state != chain::ProposalState::active) {
    return fail(Errc::config, "proposal is " + std::string(chain::to_string(*state)) +
                                  "; votes are only accepted while it is Active");
  }
  auto receipt = governor.cast_vote(*id, support);
  if (!receipt) return tl::unexpected(with_context(receipt.error(), "voting"));
  std::cout << to_checksum(c->signer->address()) << " voted " << request.support << " on proposal " << id->to_dec()
            << " (tx " << receipt->transaction_hash.hex() << ")\n";
  return {};
}

Result<void> dao_execute(const EconomyRequest& request) {
  auto v = veto_context(request);
  if (!v) return tl::unexpected(v.error());
  const U256 id = v->proposal.id();
  auto state = v->governor->state(id);
  if (!state) {
    return tl::unexpected(
        with_context(state.error(), "proposal " + id.to_dec() + " (\"" + v->proposal.description +
                                        "\"; --ledger, --job and --reason must match `dao propose`)"));
  }
  switch (*state) {
    case chain::ProposalState::pending: {
      auto snapshot = v->governor->proposal_snapshot(id);
      return fail(Errc::config,
                  "proposal is Pending: waiting for voting to open after " +
                      (snapshot ? seconds_from_now(*v->c.rpc, *snapshot) : std::string("the voting delay")));
    }
    case chain::ProposalState::active: {
      auto deadline = v->governor->proposal_deadline(id);
      return fail(Errc::config, "proposal is Active: waiting for voting to close at " +
                                    (deadline ? seconds_from_now(*v->c.rpc, *deadline) : std::string("the deadline")));
    }
    case chain::ProposalState::succeeded: {
      auto queued = v->governor->queue(v->proposal);
      if (!queued) return tl::unexpected(with_context(queued.error(), "queueing the veto"));
      std::cout << "proposal " << id.to_dec() << " queued in the timelock (tx " << queued->transaction_hash.hex()
                << ")\n";
      break;
    }
    case chain::ProposalState::queued:
      break;
    case chain::ProposalState::executed:
      std::cout << "proposal " << id.to_dec() << " was already executed\n";
      return {};
    default:
      return fail(Errc::config,
                  "proposal is " + std::string(chain::to_string(*state)) + "; it can no longer be executed");
  }
  auto eta = v->governor->proposal_eta(id);
  if (!eta) return tl::unexpected(eta.error());
  auto now = chain::latest_block_timestamp(*v->c.rpc);
  if (!now) return tl::unexpected(now.error());
  if (eta->fits_u64() && eta->limbs[0] > *now) {
    std::cout << "waiting for the timelock delay: executable from " << seconds_from_now(*v->c.rpc, *eta)
              << "; run `flywheel dao execute` again then "
              << "(before the ledger's challenge window closes)\n";
    return {};
  }
  auto executed = v->governor->execute(v->proposal);
  if (!executed) return tl::unexpected(with_context(executed.error(), "executing the veto"));
  std::cout << "proposal " << id.to_dec() << " executed: \"" << v->proposal.description << "\" (tx "
            << executed->transaction_hash.hex() << ")\n";
  return {};
}

void add_veto_target(CLI::App& command, EconomyRequest& request) {
  command.add_option("--governor", request.governor, "FlywheelGovernor address")->required();
  command
      .add_option("--ledger", request.ledger,
                  "AttributionLedger address (its dao must be the "
                  "governor's timelock)")
      ->required();
  command.add_option("--job", request.job, "Job whose share proposal is vetoed")->required();
  command.add_option("--reason", request.reason,
                     "Why (part of the proposal description; give the same text to execute)");
}

}  // namespace

void add_economy_commands(CLI::App& app, Action& action) {
  static EconomyRequest request;  // must outlive parsing

  auto* revenue = app.add_subcommand("revenue", "Deposit and claim a job's model revenue");
  revenue->require_subcommand(1);
  auto* deposit =
      revenue->add_subcommand("deposit",
                              "Deposit revenue for all holders of a job's shares (ETH, or the job's ERC-20: "
                              "approved, then pulled)");
  add_chain_options(*deposit, request.chain, true);
  deposit->add_option("--ledger", request.ledger, "AttributionLedger address")->required();
  deposit->add_option("--job", request.job, "Job id")->required();
  deposit->add_option("--amount", request.amount, "Revenue in base units of the revenue asset (wei for ETH)")
      ->required();
  deposit->callback([&action] { action = [] { return revenue_deposit(request); }; });

  auto* claim = revenue->add_subcommand("claim", "Claim the keystore account's revenue of a job");
  add_chain_options(*claim, request.chain, true);
  claim->add_option("--ledger", request.ledger, "AttributionLedger address")->required();
  claim->add_option("--job", request.job, "Job id")->required();
  claim->callback([&action] { action = [] { return revenue_claim(request); }; });

  auto* claimable = revenue->add_subcommand("claimable", "Print what an account could claim now");
  add_chain_options(*claimable, request.chain, false);
  claimable->add_option("--ledger", request.ledger, "AttributionLedger address")->required();
  claimable->add_option("--job", request.job, "Job id")->required();
  claimable->add_option("--account", request.account, "Shareholder address")->required();
  claimable->callback([&action] { action = [] { return revenue_claimable(request); }; });

  auto* dao = app.add_subcommand("dao", "Deploy the DAO and veto share proposals through it");
  dao->require_subcommand(1);
  auto* deploy = dao->add_subcommand("deploy",
                                     "Deploy FlywheelToken, TimelockController and FlywheelGovernor (without "
                                     "--keystore: anvil's dev account 0)");
  add_chain_options(*deploy, request.chain, true);
  deploy->add_option("--holder", request.holder, "Receives the FLY supply (default: deployer)");
  deploy->add_option("--supply", request.supply, "FLY minted, base units (default 1e24)");
  deploy->add_option("--threshold", request.threshold, "Votes needed to propose, FLY base units (default 1e21)");
  deploy->add_option("--voting-delay", request.voting_delay_s, "Seconds before voting opens");
  deploy->add_option("--voting-period", request.voting_period_s, "Seconds voting lasts");
  deploy->add_option("--min-delay", request.min_delay_s, "Timelock delay in seconds");
  deploy->add_option("--quorum", request.quorum_percent, "Quorum, percent of supply")->check(CLI::Range(0, 100));
  deploy->callback([&action] { action = [] { return dao_deploy(request); }; });

  auto* delegate =
      dao->add_subcommand("delegate", "Delegate the account's FLY votes (to itself by default); needed before voting");
  add_chain_options(*delegate, request.chain, true);
  delegate->add_option("--token", request.token, "FlywheelToken address")->required();
  delegate->add_option("--to", request.delegatee, "Delegatee (default: the account itself)");
  delegate->callback([&action] { action = [] { return dao_delegate(request); }; });

  auto* propose = dao->add_subcommand("propose", "Propose vetoing a job's share proposal");
  add_chain_options(*propose, request.chain, true);
  add_veto_target(*propose, request);
  propose->callback([&action] { action = [] { return dao_propose(request); }; });

  auto* vote = dao->add_subcommand("vote", "Vote on a proposal with the account's delegated FLY");
  add_chain_options(*vote, request.chain, true);
  vote->add_option("--governor", request.governor, "FlywheelGovernor address")->required();
  vote->add_option("--proposal", request.proposal, "Proposal id (decimal)")->required();
  vote->add_option("--support", request.support, "for, against or abstain (default for)");
  vote->callback([&action] { action = [] { return dao_vote(request); }; });

  auto* execute =
      dao->add_subcommand("execute", "Queue a succeeded veto and execute it once the timelock delay has passed");
  add_chain_options(*execute, request.chain, true);
  add_veto_target(*execute, request);
  execute->callback([&action] { action = [] { return dao_execute(request); }; });
}

}  // namespace flywheel::cli
