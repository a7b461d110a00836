// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {AttributionLedger} from "../src/AttributionLedger.sol";
import {ModelShares} from "../src/ModelShares.sol";
import {LedgerTestBase} from "./utils/LedgerTestBase.sol";
import {MerkleTree} from "./utils/MerkleTree.sol";

/// @notice Property tests (fuzz.runs = 1000 in foundry.toml) for AttributionLedger.
contract AttributionLedgerFuzzTest is LedgerTestBase {
    uint256 internal constant kMaxClaimants = 24;

    /// Any round number other than lastRound + 1 reverts with RoundOutOfOrder and changes nothing.
    function testFuzz_recordRound_nonConsecutiveRoundReverts(uint8 recorded, uint256 got) public {
        uint256 jobId = _register(kWindow);
        uint256 count = bound(recorded, 0, 12);
        _recordRounds(jobId, count);
        vm.assume(got != count + 1);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.RoundOutOfOrder.selector, count + 1, got));
        ledger.recordRound(jobId, got, bytes32(uint256(1)), bytes32(uint256(2)));
        assertEq(ledger.roundCount(jobId), count);
    }

    /// Recording rounds 1..n in order always succeeds and stores every pair.
    function testFuzz_recordRound_consecutiveRoundsAreStored(uint8 rounds, bytes32 salt) public {
        uint256 jobId = _register(kWindow);
        uint256 n = bound(rounds, 1, 20);
        for (uint256 round = 1; round <= n; ++round) {
            vm.prank(aggregator);
            ledger.recordRound(jobId, round, keccak256(abi.encode(salt, round)), keccak256(abi.encode(round, salt)));
        }
        assertEq(ledger.roundCount(jobId), n);
        for (uint256 round = 1; round <= n; ++round) {
            assertEq(ledger.roundModelHash(jobId, round), keccak256(abi.encode(salt, round)));
            assertEq(ledger.roundRoot(jobId, round), keccak256(abi.encode(round, salt)));
        }
    }

    /// No account but the aggregator can record a round or propose shares.
    function testFuzz_nonAggregatorCallsRevert(address caller) public {
        vm.assume(caller != aggregator);
        uint256 jobId = _register(kWindow);
        _recordRounds(jobId, 1);
        vm.startPrank(caller);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.NotAggregator.selector, jobId, caller));
        ledger.recordRound(jobId, 2, bytes32(uint256(1)), bytes32(uint256(1)));
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.NotAggregator.selector, jobId, caller));
        ledger.proposeShares(jobId, kFixedRoot, 1000);
        vm.stopPrank();
    }

    /// No account but the DAO can veto.
    function testFuzz_nonDaoVetoReverts(address caller) public {
        vm.assume(caller != dao);
        uint256 jobId = _proposedJob(kFixedRoot, 1000);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.NotDao.selector, caller));
        ledger.veto(jobId);
    }

    /// finalize before proposedAt + window always reverts; at or after it always succeeds.
    function testFuzz_finalizeRespectsWindow(uint64 window, uint256 elapsed, uint256 start) public {
        start = bound(start, 1, type(uint64).max / 2);
        vm.warp(start);
        uint256 jobId = _register(window);
        _recordRounds(jobId, 1);
        _propose(jobId, kFixedRoot, 1000);
        uint256 endsAt = start + window;
        elapsed = bound(elapsed, 0, uint256(window) * 2 + 1);
        vm.warp(start + elapsed);
        if (elapsed < window) {
            vm.expectRevert(abi.encodeWithSelector(AttributionLedger.ChallengeWindowOpen.selector, jobId, endsAt));
            ledger.finalize(jobId);
            assertFalse(ledger.isFinalized(jobId));
        } else {
            ledger.finalize(jobId);
            assertTrue(ledger.isFinalized(jobId));
        }
    }

    /// The DAO can veto exactly while finalize is impossible.
    function testFuzz_vetoOnlyWhileWindowIsOpen(uint64 window, uint256 elapsed) public {
        uint256 jobId = _register(window);
        _recordRounds(jobId, 1);
        _propose(jobId, kFixedRoot, 1000);
        uint256 endsAt = block.timestamp + window;
        elapsed = bound(elapsed, 0, uint256(window) * 2 + 1);
        vm.warp(block.timestamp + elapsed);
        vm.prank(dao);
        if (elapsed < window) {
            ledger.veto(jobId);
            assertEq(ledger.sharesRoot(jobId), bytes32(0));
        } else {
            vm.expectRevert(abi.encodeWithSelector(AttributionLedger.ChallengeWindowClosed.selector, jobId, endsAt));
            ledger.veto(jobId);
        }
    }

    /// Every account of a random (account, amount) list claims its amount with its proof; the minted
    /// supply equals the sum, never exceeds totalShares, and a second claim by anyone reverts.
    function testFuzz_merkleClaimsVerifyAndMatchTotal(bytes32 seed, uint8 size, uint96[kMaxClaimants] memory amounts)
        public
    {
        uint256 n = bound(size, 1, kMaxClaimants);
        (address[] memory accounts, bytes32[] memory leaves, uint256 sum) = _tree(seed, n, amounts);
        uint256 total = sum == 0 ? 1 : sum;
        uint256 jobId = _finalizedJob(leaves, total);
        ModelShares token = ModelShares(ledger.sharesToken(jobId));

        for (uint256 i = 0; i < n; ++i) {
            vm.prank(accounts[i]);
            ledger.claimShares(jobId, amounts[i], MerkleTree.proof(leaves, i));
            assertEq(token.balanceOf(accounts[i]), amounts[i]);
            assertLe(token.totalSupply(), total);
        }
        assertEq(token.totalSupply(), sum);
        assertEq(ledger.totalClaimed(jobId), sum);

        uint256 again = uint256(seed) % n;
        vm.prank(accounts[again]);
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.AlreadyClaimed.selector, jobId, accounts[again]));
        ledger.claimShares(jobId, amounts[again], MerkleTree.proof(leaves, again));
    }

    /// When the proposed total is smaller than the tree's sum, claims succeed in order until the next
    /// one would exceed the total, which reverts; the supply never exceeds the total.
    function testFuzz_claimsNeverExceedTotal(
        bytes32 seed,
        uint8 size,
        uint96[kMaxClaimants] memory amounts,
        uint256 cap
    ) public {
        uint256 n = bound(size, 1, kMaxClaimants);
        (address[] memory accounts, bytes32[] memory leaves, uint256 sum) = _tree(seed, n, amounts);
        uint256 total = bound(cap, 1, sum == 0 ? 1 : sum);
        uint256 jobId = _finalizedJob(leaves, total);
        ModelShares token = ModelShares(ledger.sharesToken(jobId));

        uint256 claimed = 0;
        for (uint256 i = 0; i < n; ++i) {
            bytes32[] memory proof = MerkleTree.proof(leaves, i);
            vm.prank(accounts[i]);
            if (claimed + amounts[i] > total) {
                vm.expectRevert(
                    abi.encodeWithSelector(
                        AttributionLedger.ClaimExceedsTotal.selector, jobId, amounts[i], total - claimed
                    )
                );
                ledger.claimShares(jobId, amounts[i], proof);
                assertFalse(ledger.hasClaimed(jobId, accounts[i]));
            } else {
                ledger.claimShares(jobId, amounts[i], proof);
                claimed += amounts[i];
            }
            assertLe(token.totalSupply(), total);
        }
        assertEq(token.totalSupply(), claimed);
    }

    /// A claim with any amount other than the account's own leaf amount reverts with InvalidProof.
    function testFuzz_claimWithWrongAmountReverts(
        bytes32 seed,
        uint8 size,
        uint96[kMaxClaimants] memory amounts,
        uint256 index,
        uint256 wrong
    ) public {
        uint256 n = bound(size, 1, kMaxClaimants);
        (address[] memory accounts, bytes32[] memory leaves, uint256 sum) = _tree(seed, n, amounts);
        uint256 jobId = _finalizedJob(leaves, sum == 0 ? 1 : sum);
        uint256 i = bound(index, 0, n - 1);
        vm.assume(wrong != amounts[i]);
        vm.prank(accounts[i]);
        vm.expectRevert(AttributionLedger.InvalidProof.selector);
        ledger.claimShares(jobId, wrong, MerkleTree.proof(leaves, i));
    }

    /// An account outside the tree cannot claim with any member's proof and amount.
    function testFuzz_claimByOutsiderReverts(
        bytes32 seed,
        uint8 size,
        uint96[kMaxClaimants] memory amounts,
        address outsider,
        uint256 index
    ) public {
        uint256 n = bound(size, 1, kMaxClaimants);
        (address[] memory accounts, bytes32[] memory leaves, uint256 sum) = _tree(seed, n, amounts);
        for (uint256 k = 0; k < n; ++k) {
            vm.assume(outsider != accounts[k]);
        }
        uint256 jobId = _finalizedJob(leaves, sum == 0 ? 1 : sum);
        uint256 i = bound(index, 0, n - 1);
        vm.prank(outsider);
        vm.expectRevert(AttributionLedger.InvalidProof.selector);
        ledger.claimShares(jobId, amounts[i], MerkleTree.proof(leaves, i));
    }

    /// Distinct pseudo-random accounts (derived from `seed`) paired with the first `n` amounts.
    function _tree(bytes32 seed, uint256 n, uint96[kMaxClaimants] memory amounts)
        internal
        pure
        returns (address[] memory accounts, bytes32[] memory leaves, uint256 sum)
    {
        accounts = new address[](n);
        leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            // Distinct by construction: the index occupies the low bytes.
            accounts[i] = address(uint160(uint256(keccak256(abi.encode(seed))) << 32 | (i + 1)));
            leaves[i] = MerkleTree.leaf(accounts[i], amounts[i]);
            sum += amounts[i];
        }
    }
}
