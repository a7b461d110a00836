// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {AttributionLedger} from "../src/AttributionLedger.sol";
import {ModelShares} from "../src/ModelShares.sol";
import {LedgerTestBase} from "./utils/LedgerTestBase.sol";
import {MerkleTree} from "./utils/MerkleTree.sol";
import {MockRevenueToken} from "./utils/MockRevenueToken.sol";

/// @notice Share policies (registerJobWithPolicy, sharePolicy) and the revenue pool of finalized jobs.
contract AttributionLedgerPolicyTest is LedgerTestBase {
    MockRevenueToken internal usd;
    address internal compute = makeAddr("compute");

    function setUp() public override {
        super.setUp();
        usd = new MockRevenueToken();
    }

    function _registerWithPolicy(uint16 dataBps, uint16 computeBps, uint16 sponsorBps, address asset)
        internal
        returns (uint256 jobId)
    {
        jobId = ledger.registerJobWithPolicy(aggregator, kWindow, "cifar", sponsor, dataBps, computeBps, sponsorBps, asset);
    }

    function test_registerJob_recordsTheDefaultPolicy() public {
        uint256 jobId = _register(kWindow);
        (address s, uint16 dataBps, uint16 computeBps, uint16 sponsorBps, address asset) = ledger.sharePolicy(jobId);
        assertEq(s, sponsor);
        assertEq(dataBps, 10_000);
        assertEq(computeBps, 0);
        assertEq(sponsorBps, 0);
        assertEq(asset, address(0));
    }

    function test_registerJob_emitsSharePolicySetAfterJobRegistered() public {
        vm.expectEmit(true, true, true, true, address(ledger));
        emit AttributionLedger.JobRegistered(1, aggregator, sponsor, kWindow, "mnist-fedavg");
        vm.expectEmit(true, true, true, true, address(ledger));
        emit AttributionLedger.SharePolicySet(1, sponsor, 10_000, 0, 0, address(0));
        _register(kWindow);
    }

    function test_registerJobWithPolicy_storesPolicyAggregatorAndWindow() public {
        vm.prank(stranger);
        uint256 jobId = _registerWithPolicy(7000, 2000, 1000, address(usd));
        (address s, uint16 dataBps, uint16 computeBps, uint16 sponsorBps, address asset) = ledger.sharePolicy(jobId);
        assertEq(s, sponsor);
        assertEq(dataBps, 7000);
        assertEq(computeBps, 2000);
        assertEq(sponsorBps, 1000);
        assertEq(asset, address(usd));
        assertEq(ledger.revenueToken(jobId), address(usd));
        assertEq(ledger.jobSponsor(jobId), sponsor);
        assertEq(ledger.jobAggregator(jobId), aggregator);
        assertEq(ledger.challengeWindow(jobId), kWindow);
    }

    function test_registerJobWithPolicy_emitsBothEvents() public {
        vm.expectEmit(true, true, true, true, address(ledger));
        emit AttributionLedger.JobRegistered(1, aggregator, sponsor, kWindow, "cifar");
        vm.expectEmit(true, true, true, true, address(ledger));
        emit AttributionLedger.SharePolicySet(1, sponsor, 5000, 5000, 0, address(usd));
        _registerWithPolicy(5000, 5000, 0, address(usd));
    }

    function test_registerJobWithPolicy_revertsWhenBpsDoNotSumTo10000() public {
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.InvalidSharePolicy.selector, 5000, 4000, 999));
        _registerWithPolicy(5000, 4000, 999, address(0));
        assertEq(ledger.jobCount(), 0);
    }

    function test_registerJobWithPolicy_revertsOnZeroSponsor() public {
        vm.expectRevert(AttributionLedger.ZeroAddress.selector);
        ledger.registerJobWithPolicy(aggregator, kWindow, "x", address(0), 10_000, 0, 0, address(0));
    }

    function test_registerJobWithPolicy_revertsOnZeroAggregator() public {
        vm.expectRevert(AttributionLedger.ZeroAddress.selector);
        ledger.registerJobWithPolicy(address(0), kWindow, "x", sponsor, 10_000, 0, 0, address(0));
    }

    function test_registerJobWithPolicy_revertsOnRevenueTokenWithoutCode() public {
        vm.expectRevert(abi.encodeWithSelector(AttributionLedger.InvalidRevenueToken.selector, stranger));
        _registerWithPolicy(10_000, 0, 0, stranger);
    }

    function testFuzz_registerJobWithPolicy_acceptsExactlyBpsSumming10000(uint16 a, uint16 b, uint16 c) public {
        if (uint256(a) + b + c == 10_000) {
            uint256 jobId = _registerWithPolicy(a, b, c, address(0));
            (, uint16 dataBps, uint16 computeBps, uint16 sponsorBps,) = ledger.sharePolicy(jobId);
            assertEq(uint256(dataBps) + computeBps + sponsorBps, 10_000);
        } else {
            vm.expectRevert(abi.encodeWithSelector(AttributionLedger.InvalidSharePolicy.selector, a, b, c));
            _registerWithPolicy(a, b, c, address(0));
        }
    }

    function test_sharePolicy_isZeroForUnknownJob() public view {
        (address s, uint16 dataBps,,, address asset) = ledger.sharePolicy(9);
        assertEq(s, address(0));
        assertEq(dataBps, 0);
        assertEq(asset, address(0));
    }

    // ------------------------------------------------------------------------------ end to end

    /// A 70/20/10 job paid in an ERC-20: finalize hands the revenue token and total to the clone; data
    /// contributor, compute provider and sponsor claim their shares and then their revenue.
    function test_finalizedJob_paysRevenueInItsTokenToShareClaimers() public {
        uint256 jobId = _registerWithPolicy(7000, 2000, 1000, address(usd));
        _recordRounds(jobId, 2);
        bytes32[] memory leaves = new bytes32[](3);
        leaves[0] = MerkleTree.leaf(kAccountA, 700);
        leaves[1] = MerkleTree.leaf(compute, 200);
        leaves[2] = MerkleTree.leaf(sponsor, 100);
        _propose(jobId, MerkleTree.root(leaves), 1000);
        vm.warp(block.timestamp + kWindow);
        ModelShares token = ModelShares(ledger.finalize(jobId));
        assertEq(token.revenueToken(), address(usd));
        assertEq(token.totalShares(), 1000);

        vm.prank(kAccountA);
        ledger.claimShares(jobId, 700, MerkleTree.proof(leaves, 0));
        // Revenue arrives while compute and sponsor have not claimed their shares yet.
        usd.mint(stranger, 5000);
        vm.startPrank(stranger);
        usd.approve(address(token), 5000);
        token.depositRevenue(5000);
        vm.stopPrank();
        vm.prank(compute);
        ledger.claimShares(jobId, 200, MerkleTree.proof(leaves, 1));
        vm.prank(sponsor);
        ledger.claimShares(jobId, 100, MerkleTree.proof(leaves, 2));

        vm.prank(kAccountA);
        token.claimRevenue();
        vm.prank(compute);
        token.claimRevenue();
        vm.prank(sponsor);
        token.claimRevenue();
        assertEq(usd.balanceOf(kAccountA), 3500);
        assertEq(usd.balanceOf(compute), 1000);
        assertEq(usd.balanceOf(sponsor), 500);
        assertEq(usd.balanceOf(address(token)), 0);
        assertEq(ledger.totalClaimed(jobId), 1000);
    }

    function test_finalizedDefaultJob_paysRevenueInEth() public {
        uint256 jobId = _finalizedJob(_fixedLeaves(), kAmountA + kAmountB);
        ModelShares token = ModelShares(ledger.sharesToken(jobId));
        assertEq(token.revenueToken(), address(0));
        vm.prank(kAccountA);
        ledger.claimShares(jobId, kAmountA, MerkleTree.proof(_fixedLeaves(), 0));
        vm.deal(stranger, 1 ether);
        vm.prank(stranger);
        token.depositRevenue{value: 1 ether}(1 ether);
        vm.prank(kAccountA);
        token.claimRevenue();
        assertEq(kAccountA.balance, 0.6 ether);
        assertEq(token.claimableRevenue(kAccountB), 0); // B has not claimed its shares yet
        vm.prank(kAccountB);
        ledger.claimShares(jobId, kAmountB, MerkleTree.proof(_fixedLeaves(), 1));
        assertEq(token.claimableRevenue(kAccountB), 0.4 ether);
    }
}
