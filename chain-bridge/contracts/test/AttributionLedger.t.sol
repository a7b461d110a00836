// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

import {AttributionLedger} from "../src/AttributionLedger.sol";
import {ModelShares} from "../src/ModelShares.sol";
import {LedgerTestBase} from "./utils/LedgerTestBase.sol";
import {MerkleTree} from "./utils/MerkleTree.sol";

/// @notice Unit tests: every entry point of AttributionLedger, its events and each revert path.
contract AttributionLedgerTest is LedgerTestBase {
    // ---------------------------------------------------------------------------- constructor

    function test_constructor_storesDao() public view {
        assertEq(ledger.dao(), dao);
    }

    function test_constructor_deploysOneLockedSharesImplementation() public {
        ModelShares implementation = ModelShares(ledger.sharesImplementation());
        assertGt(address(implementation).code.length, 0);
        assertEq(implementation.ledger(), address(0));
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        implementation.initialize("x", "x", address(this), address(0), 1);
    }

    function test_constructor_revertsOnZeroDao() public {
        vm.expectRevert(AttributionLedger.ZeroAddress.selector);
        new AttributionLedger(address(0));
    }

    // ---------------------------------------------------------------------------- registerJob

    function test_registerJob_assignsIdsFromOneUpwards() public {
        assertEq(ledger.jobCount(), 0);
        assertEq(_register(kWindow), 1);
        assertEq(_register(kWindow), 2);
        assertEq(ledger.jobCount(), 2);
    }

    function test_registerJob_storesAggregatorSponsorAndWindow() public {
        uint256 jobId = _register(kWindow);
        assertEq(ledger.jobAggregator(jobId), aggregator);
        assertEq(ledger.jobSponsor(jobId), sponsor);
        assertEq(ledger.challengeWindow(jobId), kWindow);
        assertEq(ledger.roundCount(jobId), 0);
        assertFalse(ledger.isFinalized(jobId));
    }

    function test_registerJob_emitsJobRegistered() public {
        vm.expectEmit(true, true, true, true, address(ledger));
        emit AttributionLedger.JobRegistered(1, aggregator, sponsor, kWindow, "mnist-fedavg");
        _register(kWindow);
    }

    function test_registerJob_revertsOnZeroAggregator() public {
        vm.expectRevert(AttributionLedger.ZeroAddress.selector);
        ledger.registerJob(address(0), kWindow, "x");
    }

    // ---------------------------------------------------------------------------- recordRound

    function test_recordRound_storesModelHashRootAndCount() public {
        uint256 jobId = _register(kWindow);
        _recordRounds(jobId, 3);
        assertEq(ledger.roundCount(jobId), 3);
        for (uint256 round = 1; round <= 3; ++round) {
            assertEq(ledger.roundModelHash(jobId, round), _modelHash(round));
            assertEq(ledger.roundRoot(jobId, round), _attributionRoot(round));
        }
        assertEq(ledger.roundRoot(jobId, 4), bytes32(0));
    }

    function test_recordRound_emitsRoundRecorded() public {
        uint256 jobId = _register(kWindow);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit AttributionLedger.RoundRecorded(jobId, 1, _modelHash(1), _attributionRoot(1));
        _recordRounds(jobId, 1);
    }

    function test_recordRound_keepsJobsSeparate() public {
        uint256 first = _register(kWindow);
        uint256 second = _register(kWindow);
        _recordRounds(first, 2);
        assertEq(ledger.roundCount(second), 0);
        vm.prank(aggregator);
        ledger.recordRound(second, 1, bytes32(uint256(7)), bytes32(uint256(8)));
        assertEq(ledger.roundRoot(second, 1), bytes32(uint256(8)));
        assertEq(ledger.roundRoot(first, 1), _attributionRoot(1));
    }

    function test_recordRound_revertsOnUnknownJob() public {
        _register(kWindow);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.UnknownJob.selector, 2));
        ledger.recordRound(2, 1, bytes32(0), bytes32(0));
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.UnknownJob.selector, 0));
        ledger.recordRound(0, 1, bytes32(0), bytes32(0));
    }

    function test_recordRound_revertsForNonAggregator() public {
        uint256 jobId = _register(kWindow);
        vm.prank(sponsor);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.NotAggregator.selector, jobId, sponsor));
        ledger.recordRound(jobId, 1, bytes32(0), bytes32(0));
    }

    function test_recordRound_revertsWhenFirstRoundIsNotOne() public {
        uint256 jobId = _register(kWindow);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.RoundOutOfOrder.selector, 1, 0));
        ledger.recordRound(jobId, 0, bytes32(0), bytes32(0));
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.RoundOutOfOrder.selector, 1, 2));
        ledger.recordRound(jobId, 2, bytes32(0), bytes32(0));
    }

    function test_recordRound_revertsWhenRoundIsRecordedTwice() public {
        uint256 jobId = _register(kWindow);
        _recordRounds(jobId, 2);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.RoundOutOfOrder.selector, 3, 2));
        ledger.recordRound(jobId, 2, bytes32(0), bytes32(0));
        assertEq(ledger.roundRoot(jobId, 2), _attributionRoot(2));
    }

    function test_recordRound_revertsWhileProposalIsLive() public {
        uint256 jobId = _proposedJob(kFixedRoot, 1000);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.ProposalLive.selector, jobId));
        ledger.recordRound(jobId, 2, bytes32(0), bytes32(0));
    }

    function test_recordRound_isAllowedAgainAfterVeto() public {
        uint256 jobId = _proposedJob(kFixedRoot, 1000);
        vm.prank(dao);
        ledger.veto(jobId);
        _recordRounds(jobId, 1);
        assertEq(ledger.roundCount(jobId), 2);
    }

    function test_recordRound_revertsAfterFinalization() public {
        uint256 jobId = _finalizedJob(_fixedLeaves(), 1000);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.AlreadyFinalized.selector, jobId));
        ledger.recordRound(jobId, 2, bytes32(0), bytes32(0));
    }

    function test_recordRound_gasDoesNotGrowWithRoundNumber() public {
        uint256 jobId = _register(kWindow);
        _recordRounds(jobId, 2);
        bytes32 modelHash = _modelHash(3);
        bytes32 root = _attributionRoot(3);
        vm.prank(aggregator);
        ledger.recordRound(jobId, 3, modelHash, root);
        uint256 third = vm.lastCallGas().gasTotalUsed;
        _recordRounds(jobId, 47);
        modelHash = _modelHash(51);
        root = _attributionRoot(51);
        vm.prank(aggregator);
        ledger.recordRound(jobId, 51, modelHash, root);
        uint256 fiftyFirst = vm.lastCallGas().gasTotalUsed;
        assertEq(fiftyFirst, third);
    }

    // ---------------------------------------------------------------------------- proposeShares

    function test_proposeShares_storesRootTotalAndTimestamp() public {
        vm.warp(1_700_000_000);
        uint256 jobId = _proposedJob(kFixedRoot, 1000);
        assertEq(ledger.sharesRoot(jobId), kFixedRoot);
        assertEq(ledger.totalShares(jobId), 1000);
        assertEq(ledger.proposedAt(jobId), 1_700_000_000);
        assertFalse(ledger.isFinalized(jobId));
    }

    function test_proposeShares_emitsSharesProposed() public {
        uint256 jobId = _register(kWindow);
        _recordRounds(jobId, 1);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit AttributionLedger.SharesProposed(jobId, kFixedRoot, 1000, block.timestamp);
        _propose(jobId, kFixedRoot, 1000);
    }

    function test_proposeShares_revertsOnUnknownJob() public {
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.UnknownJob.selector, 1));
        ledger.proposeShares(1, kFixedRoot, 1000);
    }

    function test_proposeShares_revertsForNonAggregator() public {
        uint256 jobId = _register(kWindow);
        _recordRounds(jobId, 1);
        vm.prank(dao);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.NotAggregator.selector, jobId, dao));
        ledger.proposeShares(jobId, kFixedRoot, 1000);
    }

    function test_proposeShares_revertsBeforeAnyRound() public {
        uint256 jobId = _register(kWindow);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.NoRoundsRecorded.selector, jobId));
        ledger.proposeShares(jobId, kFixedRoot, 1000);
    }

    function test_proposeShares_revertsWhileProposalIsLive() public {
        uint256 jobId = _proposedJob(kFixedRoot, 1000);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.ProposalLive.selector, jobId));
        ledger.proposeShares(jobId, bytes32(uint256(1)), 5);
    }

    function test_proposeShares_revertsAfterFinalization() public {
        uint256 jobId = _finalizedJob(_fixedLeaves(), 1000);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.AlreadyFinalized.selector, jobId));
        ledger.proposeShares(jobId, bytes32(uint256(1)), 5);
    }

    function test_proposeShares_revertsOnZeroRoot() public {
        uint256 jobId = _register(kWindow);
        _recordRounds(jobId, 1);
        vm.prank(aggregator);
        vm.expectRevert(AttributionLedger.ZeroSharesRoot.selector);
        ledger.proposeShares(jobId, bytes32(0), 1000);
    }

    function test_proposeShares_revertsOnZeroTotal() public {
        uint256 jobId = _register(kWindow);
        _recordRounds(jobId, 1);
        vm.prank(aggregator);
        vm.expectRevert(AttributionLedger.ZeroTotalShares.selector);
        ledger.proposeShares(jobId, kFixedRoot, 0);
    }

    function test_proposeShares_revertsWhenTotalExceeds128Bits() public {
        uint256 jobId = _register(kWindow);
        _recordRounds(jobId, 1);
        uint256 tooMany = uint256(type(uint128).max) + 1;
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.TotalSharesTooLarge.selector, tooMany));
        ledger.proposeShares(jobId, kFixedRoot, tooMany);
    }

    // ---------------------------------------------------------------------------- veto

    function test_veto_clearsProposal() public {
        uint256 jobId = _proposedJob(kFixedRoot, 1000);
        vm.warp(block.timestamp + kWindow - 1);
        vm.prank(dao);
        ledger.veto(jobId);
        assertEq(ledger.sharesRoot(jobId), bytes32(0));
        assertEq(ledger.totalShares(jobId), 0);
        assertEq(ledger.proposedAt(jobId), 0);
        assertFalse(ledger.isFinalized(jobId));
    }

    function test_veto_emitsSharesVetoed() public {
        uint256 jobId = _proposedJob(kFixedRoot, 1000);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit AttributionLedger.SharesVetoed(jobId, kFixedRoot);
        vm.prank(dao);
        ledger.veto(jobId);
    }

    function test_veto_letsAggregatorProposeAgain() public {
        uint256 jobId = _proposedJob(bytes32(uint256(1)), 5);
        vm.prank(dao);
        ledger.veto(jobId);
        vm.warp(block.timestamp + 1 hours);
        _propose(jobId, kFixedRoot, 1000);
        assertEq(ledger.sharesRoot(jobId), kFixedRoot);
        assertEq(ledger.proposedAt(jobId), block.timestamp);
    }

    function test_veto_revertsForNonDao() public {
        uint256 jobId = _proposedJob(kFixedRoot, 1000);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.NotDao.selector, aggregator));
        ledger.veto(jobId);
    }

    function test_veto_revertsOnUnknownJob() public {
        vm.prank(dao);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.UnknownJob.selector, 9));
        ledger.veto(9);
    }

    function test_veto_revertsWithoutProposal() public {
        uint256 jobId = _register(kWindow);
        vm.prank(dao);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.NoProposal.selector, jobId));
        ledger.veto(jobId);
    }

    function test_veto_revertsOnceWindowHasClosed() public {
        uint256 jobId = _proposedJob(kFixedRoot, 1000);
        uint256 endsAt = block.timestamp + kWindow;
        vm.warp(endsAt);
        vm.prank(dao);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.ChallengeWindowClosed.selector, jobId, endsAt));
        ledger.veto(jobId);
    }

    function test_veto_revertsAfterFinalization() public {
        uint256 jobId = _finalizedJob(_fixedLeaves(), 1000);
        vm.prank(dao);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.AlreadyFinalized.selector, jobId));
        ledger.veto(jobId);
    }

    function test_veto_isImpossibleWithZeroWindow() public {
        uint256 jobId = _register(0);
        _recordRounds(jobId, 1);
        _propose(jobId, kFixedRoot, 1000);
        vm.prank(dao);
        vm.expectRevert(
            abi.encodeWithSelector(AttributionLedger.ChallengeWindowClosed.selector, jobId, block.timestamp)
        );
        ledger.veto(jobId);
    }

    // ---------------------------------------------------------------------------- finalize

    function test_finalize_deploysInitialisedSharesClone() public {
        uint256 jobId = _finalizedJob(_fixedLeaves(), 1000);
        ModelShares token = ModelShares(ledger.sharesToken(jobId));
        assertTrue(ledger.isFinalized(jobId));
        assertEq(token.name(), "Flywheel Job 1 Shares");
        assertEq(token.symbol(), "FWS1");
        assertEq(token.decimals(), 18);
        assertEq(token.ledger(), address(ledger));
        assertEq(token.totalSupply(), 0);
        assertEq(ledger.sharesRoot(jobId), MerkleTree.root(_fixedLeaves()));
        assertEq(ledger.totalShares(jobId), 1000);
    }

    function test_finalize_deploysAnEip1167CloneOfTheImplementation() public {
        uint256 jobId = _finalizedJob(_fixedLeaves(), 1000);
        bytes memory expected = abi.encodePacked(
            hex"363d3d373d3d3d363d73", ledger.sharesImplementation(), hex"5af43d82803e903d91602b57fd5bf3"
        );
        assertEq(ledger.sharesToken(jobId).code, expected);
    }

    function test_finalize_namesTokensAfterTheirJob() public {
        _register(kWindow);
        uint256 jobId = _finalizedJob(_fixedLeaves(), 1000);
        assertEq(jobId, 2);
        assertEq(ModelShares(ledger.sharesToken(jobId)).name(), "Flywheel Job 2 Shares");
        assertEq(ModelShares(ledger.sharesToken(jobId)).symbol(), "FWS2");
    }

    function test_finalize_emitsSharesFinalized() public {
        uint256 jobId = _proposedJob(kFixedRoot, 1000);
        vm.warp(block.timestamp + kWindow);
        address expectedToken = vm.computeCreateAddress(address(ledger), vm.getNonce(address(ledger)));
        vm.expectEmit(true, true, true, true, address(ledger));
        emit AttributionLedger.SharesFinalized(jobId, expectedToken, kFixedRoot, 1000);
        vm.prank(stranger);
        assertEq(ledger.finalize(jobId), expectedToken);
    }

    function test_finalize_succeedsExactlyAtWindowEnd() public {
        uint256 jobId = _proposedJob(kFixedRoot, 1000);
        vm.warp(block.timestamp + kWindow);
        ledger.finalize(jobId);
        assertTrue(ledger.isFinalized(jobId));
    }

    function test_finalize_succeedsImmediatelyWithZeroWindow() public {
        uint256 jobId = _register(0);
        _recordRounds(jobId, 1);
        _propose(jobId, kFixedRoot, 1000);
        ledger.finalize(jobId);
        assertTrue(ledger.isFinalized(jobId));
    }

    function test_finalize_revertsOneSecondBeforeWindowEnd() public {
        uint256 jobId = _proposedJob(kFixedRoot, 1000);
        uint256 endsAt = block.timestamp + kWindow;
        vm.warp(endsAt - 1);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.ChallengeWindowOpen.selector, jobId, endsAt));
        ledger.finalize(jobId);
    }

    function test_finalize_revertsOnUnknownJob() public {
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.UnknownJob.selector, 1));
        ledger.finalize(1);
    }

    function test_finalize_revertsWithoutProposal() public {
        uint256 jobId = _register(kWindow);
        _recordRounds(jobId, 1);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.NoProposal.selector, jobId));
        ledger.finalize(jobId);
    }

    function test_finalize_revertsAfterVeto() public {
        uint256 jobId = _proposedJob(kFixedRoot, 1000);
        vm.prank(dao);
        ledger.veto(jobId);
        vm.warp(block.timestamp + kWindow);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.NoProposal.selector, jobId));
        ledger.finalize(jobId);
    }

    function test_finalize_revertsWhenCalledTwice() public {
        uint256 jobId = _finalizedJob(_fixedLeaves(), 1000);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.AlreadyFinalized.selector, jobId));
        ledger.finalize(jobId);
    }

    // ---------------------------------------------------------------------------- claimShares

    function test_claimShares_mintsFixedVectorAmounts() public {
        bytes32[] memory leaves = _fixedLeaves();
        uint256 jobId = _finalizedJob(leaves, 1000);
        assertEq(ledger.sharesRoot(jobId), kFixedRoot);
        ModelShares token = ModelShares(ledger.sharesToken(jobId));

        vm.prank(kAccountA);
        ledger.claimShares(jobId, kAmountA, MerkleTree.proof(leaves, 0));
        vm.prank(kAccountB);
        ledger.claimShares(jobId, kAmountB, MerkleTree.proof(leaves, 1));

        assertEq(token.balanceOf(kAccountA), kAmountA);
        assertEq(token.balanceOf(kAccountB), kAmountB);
        assertEq(token.totalSupply(), 1000);
        assertEq(ledger.totalClaimed(jobId), 1000);
        assertTrue(ledger.hasClaimed(jobId, kAccountA));
        assertTrue(ledger.hasClaimed(jobId, kAccountB));
    }

    function test_claimShares_emitsSharesClaimed() public {
        bytes32[] memory leaves = _fixedLeaves();
        uint256 jobId = _finalizedJob(leaves, 1000);
        vm.expectEmit(true, true, true, true, address(ledger));
        emit AttributionLedger.SharesClaimed(jobId, kAccountA, kAmountA);
        vm.prank(kAccountA);
        ledger.claimShares(jobId, kAmountA, MerkleTree.proof(leaves, 0));
    }

    function test_claimShares_revertsOnUnknownJob() public {
        vm.prank(kAccountA);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.UnknownJob.selector, 3));
        ledger.claimShares(3, kAmountA, new bytes32[](0));
    }

    function test_claimShares_revertsBeforeFinalization() public {
        bytes32[] memory leaves = _fixedLeaves();
        uint256 jobId = _proposedJob(MerkleTree.root(leaves), 1000);
        vm.prank(kAccountA);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.NotFinalized.selector, jobId));
        ledger.claimShares(jobId, kAmountA, MerkleTree.proof(leaves, 0));
    }

    function test_claimShares_revertsOnSecondClaim() public {
        bytes32[] memory leaves = _fixedLeaves();
        uint256 jobId = _finalizedJob(leaves, 1000);
        vm.startPrank(kAccountA);
        ledger.claimShares(jobId, kAmountA, MerkleTree.proof(leaves, 0));
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.AlreadyClaimed.selector, jobId, kAccountA));
        ledger.claimShares(jobId, kAmountA, MerkleTree.proof(leaves, 0));
        vm.stopPrank();
    }

    function test_claimShares_revertsOnWrongAmount() public {
        bytes32[] memory leaves = _fixedLeaves();
        uint256 jobId = _finalizedJob(leaves, 1000);
        vm.prank(kAccountA);
        vm.expectRevert(AttributionLedger.InvalidProof.selector);
        ledger.claimShares(jobId, kAmountA + 1, MerkleTree.proof(leaves, 0));
    }

    function test_claimShares_revertsForAccountOutsideTheTree() public {
        bytes32[] memory leaves = _fixedLeaves();
        uint256 jobId = _finalizedJob(leaves, 1000);
        vm.prank(stranger);
        vm.expectRevert(AttributionLedger.InvalidProof.selector);
        ledger.claimShares(jobId, kAmountA, MerkleTree.proof(leaves, 0));
    }

    function test_claimShares_revertsOnInnerNodeAsLeaf() public {
        // A three-leaf tree: the inner node over leaves 0 and 1 must not be claimable as a leaf.
        bytes32[] memory leaves = new bytes32[](3);
        leaves[0] = MerkleTree.leaf(kAccountA, kAmountA);
        leaves[1] = MerkleTree.leaf(kAccountB, kAmountB);
        leaves[2] = MerkleTree.leaf(stranger, 1);
        uint256 jobId = _finalizedJob(leaves, 1001);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = leaves[2];
        vm.prank(kAccountA);
        vm.expectRevert(AttributionLedger.InvalidProof.selector);
        ledger.claimShares(jobId, kAmountA, proof);
    }

    function test_claimShares_revertsWhenTotalWouldBeExceeded() public {
        bytes32[] memory leaves = _fixedLeaves();
        uint256 jobId = _finalizedJob(leaves, 900); // tree sums to 1000, proposal says 900
        vm.prank(kAccountA);
        ledger.claimShares(jobId, kAmountA, MerkleTree.proof(leaves, 0));
        vm.prank(kAccountB);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.ClaimExceedsTotal.selector, jobId, kAmountB, 300));
        ledger.claimShares(jobId, kAmountB, MerkleTree.proof(leaves, 1));
        assertEq(ModelShares(ledger.sharesToken(jobId)).totalSupply(), kAmountA);
    }

    // ---------------------------------------------------------------------------- reads

    function test_reads_returnZeroForUnknownJobs() public view {
        assertEq(ledger.jobAggregator(5), address(0));
        assertEq(ledger.jobSponsor(5), address(0));
        assertEq(ledger.challengeWindow(5), 0);
        assertEq(ledger.roundCount(5), 0);
        assertEq(ledger.roundRoot(5, 1), bytes32(0));
        assertEq(ledger.roundModelHash(5, 1), bytes32(0));
        assertEq(ledger.sharesRoot(5), bytes32(0));
        assertEq(ledger.sharesToken(5), address(0));
        assertEq(ledger.totalShares(5), 0);
        assertEq(ledger.totalClaimed(5), 0);
        assertEq(ledger.proposedAt(5), 0);
        assertFalse(ledger.isFinalized(5));
        assertFalse(ledger.hasClaimed(5, kAccountA));
    }
}
