// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {AttributionLedger} from "../../src/AttributionLedger.sol";
import {FlywheelGovernor} from "../../src/governance/FlywheelGovernor.sol";
import {FlywheelToken} from "../../src/governance/FlywheelToken.sol";

/// @notice The DAO path end to end: FlywheelToken holders delegate, propose `ledger.veto(jobId)`, vote,
///         queue it in the TimelockController (the ledger's DAO) and execute it within the job's
///         challenge window. Governance clock: timestamps (seconds).
contract GovernanceTest is Test {
    uint48 internal constant kVotingDelay = 1 days;
    uint32 internal constant kVotingPeriod = 3 days;
    uint256 internal constant kMinDelay = 1 days;
    uint64 internal constant kWindow = 7 days;
    uint256 internal constant kSupply = 1_000_000e18;
    uint256 internal constant kThreshold = 1_000e18;
    uint256 internal constant kQuorumPercent = 4;

    FlywheelToken internal token;
    TimelockController internal timelock;
    FlywheelGovernor internal governor;
    AttributionLedger internal ledger;
    address internal alice = makeAddr("alice"); // 60 %
    address internal bob = makeAddr("bob"); // 35 %
    address internal carol = makeAddr("carol"); // 5 %
    address internal aggregator = makeAddr("aggregator");
    uint256 internal jobId;

    function setUp() public {
        vm.warp(1_700_000_000);
        token = new FlywheelToken(address(this), kSupply);
        address[] memory none = new address[](0);
        address[] memory anyone = new address[](1); // address(0): anyone may execute
        timelock = new TimelockController(kMinDelay, none, anyone, address(this));
        governor = new FlywheelGovernor(token, timelock, kVotingDelay, kVotingPeriod, kThreshold, kQuorumPercent);
        timelock.grantRole(timelock.PROPOSER_ROLE(), address(governor));
        timelock.grantRole(timelock.CANCELLER_ROLE(), address(governor));
        timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), address(this));
        ledger = new AttributionLedger(address(timelock));

        _give(alice, kSupply * 60 / 100);
        _give(bob, kSupply * 35 / 100);
        _give(carol, kSupply * 5 / 100);
        vm.warp(block.timestamp + 1); // delegations become past checkpoints

        jobId = ledger.registerJob(aggregator, kWindow, "mnist-fedavg");
        vm.startPrank(aggregator);
        ledger.recordRound(jobId, 1, keccak256("model"), keccak256("attribution"));
        ledger.proposeShares(jobId, keccak256("bad root"), 1000);
        vm.stopPrank();
    }

    function _give(address holder, uint256 amount) internal {
        assertTrue(token.transfer(holder, amount));
        vm.prank(holder);
        token.delegate(holder);
    }

    function _vetoProposal()
        internal
        view
        returns (address[] memory targets, uint256[] memory values, bytes[] memory calldatas, string memory text)
    {
        targets = new address[](1);
        targets[0] = address(ledger);
        values = new uint256[](1);
        calldatas = new bytes[](1);
        calldatas[0] = abi.encodeCall(AttributionLedger.veto, (jobId));
        text = "Veto job 1: the shares root does not follow the job's share policy";
    }

    function _propose() internal returns (uint256 proposalId) {
        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) = _vetoProposal();
        vm.prank(alice);
        proposalId = governor.propose(t, v, c, d);
    }

    function _queue() internal {
        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) = _vetoProposal();
        governor.queue(t, v, c, keccak256(bytes(d)));
    }

    function _execute() internal {
        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) = _vetoProposal();
        governor.execute(t, v, c, keccak256(bytes(d)));
    }

    function test_setup_timelockIsTheDaoAndGovernorItsOnlyProposer() public view {
        assertEq(ledger.dao(), address(timelock));
        assertEq(governor.timelock(), address(timelock));
        assertTrue(timelock.hasRole(timelock.PROPOSER_ROLE(), address(governor)));
        assertTrue(timelock.hasRole(timelock.EXECUTOR_ROLE(), address(0)));
        assertFalse(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(this)));
        assertEq(governor.votingDelay(), kVotingDelay);
        assertEq(governor.votingPeriod(), kVotingPeriod);
        assertEq(governor.proposalThreshold(), kThreshold);
        assertEq(governor.CLOCK_MODE(), "mode=timestamp");
    }

    function test_token_delegationGivesVotesAndQuorumIsAFractionOfSupply() public view {
        assertEq(token.getVotes(alice), kSupply * 60 / 100);
        assertEq(token.clock(), block.timestamp);
        assertEq(governor.quorum(block.timestamp - 1), kSupply * kQuorumPercent / 100);
    }

    function test_hashProposal_isKeccakOfTheAbiEncodedProposal() public view {
        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) = _vetoProposal();
        uint256 expected = uint256(keccak256(abi.encode(t, v, c, keccak256(bytes(d)))));
        assertEq(governor.hashProposal(t, v, c, keccak256(bytes(d))), expected);
    }

    /// The full path fits the 7-day window: 1 day delay + 3 days voting + 1 day timelock.
    function test_dao_vetoesThroughGovernorAndTimelockWithinTheWindow() public {
        uint256 proposalId = _propose();
        assertEq(uint256(governor.state(proposalId)), uint256(IGovernor.ProposalState.Pending));
        vm.warp(block.timestamp + kVotingDelay + 1);
        assertEq(uint256(governor.state(proposalId)), uint256(IGovernor.ProposalState.Active));
        vm.prank(alice);
        governor.castVote(proposalId, 1); // for
        vm.prank(bob);
        governor.castVote(proposalId, 0); // against
        vm.prank(carol);
        governor.castVote(proposalId, 2); // abstain
        vm.warp(block.timestamp + kVotingPeriod);
        assertEq(uint256(governor.state(proposalId)), uint256(IGovernor.ProposalState.Succeeded));
        _queue();
        assertEq(uint256(governor.state(proposalId)), uint256(IGovernor.ProposalState.Queued));
        vm.warp(block.timestamp + kMinDelay);
        assertLt(block.timestamp, ledger.proposedAt(jobId) + kWindow);

        vm.expectEmit(true, true, true, true, address(ledger));
        emit AttributionLedger.SharesVetoed(jobId, keccak256("bad root"));
        _execute();
        assertEq(uint256(governor.state(proposalId)), uint256(IGovernor.ProposalState.Executed));
        assertEq(ledger.sharesRoot(jobId), bytes32(0));

        // The aggregator may propose again; with no veto this time, anyone finalizes after the window.
        vm.prank(aggregator);
        ledger.proposeShares(jobId, keccak256("good root"), 1000);
        vm.warp(block.timestamp + kWindow);
        ledger.finalize(jobId);
        assertTrue(ledger.isFinalized(jobId));
    }

    function test_dao_vetoExecutedAfterTheWindowReverts() public {
        uint256 proposalId = _propose();
        vm.warp(block.timestamp + kVotingDelay + 1);
        vm.prank(alice);
        governor.castVote(proposalId, 1);
        vm.warp(block.timestamp + kVotingPeriod);
        _queue();
        uint256 endsAt = ledger.proposedAt(jobId) + kWindow;
        vm.warp(endsAt); // the timelock delay has passed, but so has the window
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.ChallengeWindowClosed.selector, jobId, endsAt));
        _execute();
        assertEq(ledger.sharesRoot(jobId), keccak256("bad root"));
    }

    function test_dao_defeatedProposalCannotBeQueued() public {
        uint256 proposalId = _propose();
        vm.warp(block.timestamp + kVotingDelay + 1);
        vm.prank(alice);
        governor.castVote(proposalId, 0); // 60 % against
        vm.prank(bob);
        governor.castVote(proposalId, 1);
        vm.warp(block.timestamp + kVotingPeriod);
        assertEq(uint256(governor.state(proposalId)), uint256(IGovernor.ProposalState.Defeated));
        vm.expectRevert();
        _queue();
    }

    function test_dao_proposalBelowQuorumIsDefeated() public {
        uint256 proposalId = _propose();
        vm.warp(block.timestamp + kVotingDelay + 1);
        vm.prank(carol);
        governor.castVote(proposalId, 2); // only 5 % abstain: quorum counts for + abstain, 4 % needed
        vm.warp(block.timestamp + kVotingPeriod);
        assertEq(uint256(governor.state(proposalId)), uint256(IGovernor.ProposalState.Defeated));
    }

    function test_dao_governorItselfCannotVetoDirectly() public {
        vm.prank(address(governor));
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.NotDao.selector, address(governor)));
        ledger.veto(jobId);
    }

    function test_dao_proposingNeedsTheThreshold() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) = _vetoProposal();
        address poor = makeAddr("poor");
        vm.prank(poor);
        vm.expectRevert(abi.encodeWithSelector(IGovernor.GovernorInsufficientProposerVotes.selector, poor, 0, kThreshold));
        governor.propose(t, v, c, d);
    }
}
