// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ModelShares} from "../src/ModelShares.sol";
import {MockRevenueToken} from "./utils/MockRevenueToken.sol";
import {ReentrantClaimer} from "./utils/ReentrantClaimer.sol";

/// @notice Unit and fuzz tests of the ModelShares revenue pool, on clones whose ledger is this test.
contract ModelSharesRevenueTest is Test {
    uint256 internal constant kTotal = 1000;

    ModelShares internal implementation;
    ModelShares internal ethShares; // revenue in ETH
    ModelShares internal usdShares; // revenue in MockRevenueToken
    MockRevenueToken internal usd;
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal payer = makeAddr("payer");

    function setUp() public {
        implementation = new ModelShares();
        usd = new MockRevenueToken();
        ethShares = _clone(address(0), kTotal);
        usdShares = _clone(address(usd), kTotal);
        vm.deal(payer, 1e30);
        usd.mint(payer, 1e30);
        vm.prank(payer);
        usd.approve(address(usdShares), type(uint256).max);
    }

    function _clone(address asset, uint256 total) internal returns (ModelShares token) {
        token = ModelShares(Clones.clone(address(implementation)));
        token.initialize("Flywheel Job 1 Shares", "FWS1", address(this), asset, total);
    }

    function _depositEth(ModelShares token, uint256 amount) internal {
        vm.prank(payer);
        token.depositRevenue{value: amount}(amount);
    }

    function _depositUsd(uint256 amount) internal {
        vm.prank(payer);
        usdShares.depositRevenue(amount);
    }

    // ------------------------------------------------------------------------------ initialize

    function test_initialize_setsRevenueTokenAndTotalShares() public view {
        assertEq(usdShares.revenueToken(), address(usd));
        assertEq(ethShares.revenueToken(), address(0));
        assertEq(usdShares.totalShares(), kTotal);
        assertEq(usdShares.revenuePerShare(), 0);
    }

    function test_initialize_emitsRevenuePoolInitialized() public {
        ModelShares fresh = ModelShares(Clones.clone(address(implementation)));
        vm.expectEmit(true, true, true, true, address(fresh));
        emit ModelShares.RevenuePoolInitialized(address(usd), 77);
        fresh.initialize("N", "S", address(this), address(usd), 77);
    }

    function test_initialize_revertsOnZeroTotalShares() public {
        ModelShares fresh = ModelShares(Clones.clone(address(implementation)));
        vm.expectRevert(ModelShares.ZeroTotalShares.selector);
        fresh.initialize("N", "S", address(this), address(0), 0);
    }

    // ------------------------------------------------------------------------------ deposits

    function test_depositRevenue_ethRaisesRevenuePerShareAndHoldsTheEth() public {
        _depositEth(ethShares, 500);
        assertEq(address(ethShares).balance, 500);
        assertEq(ethShares.revenuePerShare(), 500 * ethShares.REVENUE_MAGNITUDE() / kTotal);
    }

    function test_depositRevenue_erc20PullsTheTokens() public {
        _depositUsd(700);
        assertEq(usd.balanceOf(address(usdShares)), 700);
        assertEq(usd.balanceOf(payer), 1e30 - 700);
        assertEq(usdShares.revenuePerShare(), 700 * usdShares.REVENUE_MAGNITUDE() / kTotal);
    }

    function test_depositRevenue_emitsRevenueDeposited() public {
        uint256 perShare = 250 * ethShares.REVENUE_MAGNITUDE() / kTotal;
        vm.expectEmit(true, true, true, true, address(ethShares));
        emit ModelShares.RevenueDeposited(payer, 250, perShare);
        _depositEth(ethShares, 250);
    }

    function test_depositRevenue_revertsOnZeroAmount() public {
        vm.prank(payer);
        vm.expectRevert(ModelShares.ZeroDeposit.selector);
        ethShares.depositRevenue(0);
    }

    function test_depositRevenue_revertsWhenEthValueDiffersFromAmount() public {
        vm.prank(payer);
        vm.expectRevert(abi.encodeWithSelector(ModelShares.WrongDepositValue.selector, 100, 99));
        ethShares.depositRevenue{value: 99}(100);
    }

    function test_depositRevenue_revertsWhenEthIsSentToAnErc20Pool() public {
        vm.prank(payer);
        vm.expectRevert(abi.encodeWithSelector(ModelShares.WrongDepositValue.selector, 100, 100));
        usdShares.depositRevenue{value: 100}(100);
    }

    function test_depositRevenue_revertsWithoutAllowance() public {
        address poor = makeAddr("poor");
        usd.mint(poor, 100);
        vm.prank(poor);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(usdShares), 0, 100)
        );
        usdShares.depositRevenue(100);
    }

    function test_depositRevenue_revertsWhenTooSmallToCount() public {
        ModelShares huge = _clone(address(0), type(uint128).max);
        vm.prank(payer);
        vm.expectRevert(abi.encodeWithSelector(ModelShares.DepositTooSmall.selector, 1));
        huge.depositRevenue{value: 1}(1);
    }

    function test_depositRevenue_revertsBeforeTheAccountingCouldOverflow() public {
        ModelShares single = _clone(address(0), 1);
        vm.deal(payer, 1e42);
        vm.prank(payer);
        vm.expectRevert(ModelShares.RevenueOverflow.selector);
        single.depositRevenue{value: 1e41}(1e41);
    }

    function test_depositRevenue_plainEthTransferIsRejected() public {
        vm.prank(payer);
        (bool ok,) = address(ethShares).call{value: 1}("");
        assertFalse(ok);
    }

    // ------------------------------------------------------------------------------ claims

    function test_claimRevenue_paysHoldersProRata() public {
        ethShares.mint(alice, 600);
        ethShares.mint(bob, 400);
        _depositEth(ethShares, 1000);
        assertEq(ethShares.claimableRevenue(alice), 600);
        assertEq(ethShares.claimableRevenue(bob), 400);
        vm.prank(alice);
        assertEq(ethShares.claimRevenue(), 600);
        vm.prank(bob);
        assertEq(ethShares.claimRevenue(), 400);
        assertEq(alice.balance, 600);
        assertEq(bob.balance, 400);
        assertEq(address(ethShares).balance, 0);
    }

    function test_claimRevenue_paysErc20Revenue() public {
        usdShares.mint(alice, 250);
        _depositUsd(4000);
        vm.prank(alice);
        usdShares.claimRevenue();
        assertEq(usd.balanceOf(alice), 1000);
        assertEq(usd.balanceOf(address(usdShares)), 3000);
    }

    function test_claimRevenue_emitsRevenueClaimed() public {
        ethShares.mint(alice, 500);
        _depositEth(ethShares, 10);
        vm.expectEmit(true, true, true, true, address(ethShares));
        emit ModelShares.RevenueClaimed(alice, 5);
        vm.prank(alice);
        ethShares.claimRevenue();
    }

    function test_claimRevenue_revertsOnSecondClaimWithoutNewDeposit() public {
        ethShares.mint(alice, 500);
        _depositEth(ethShares, 10);
        vm.startPrank(alice);
        ethShares.claimRevenue();
        vm.expectRevert(abi.encodeWithSelector(ModelShares.NothingToClaim.selector, alice));
        ethShares.claimRevenue();
        vm.stopPrank();
        assertEq(alice.balance, 5);
    }

    function test_claimRevenue_revertsForNonHolder() public {
        ethShares.mint(alice, 500);
        _depositEth(ethShares, 10);
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(ModelShares.NothingToClaim.selector, bob));
        ethShares.claimRevenue();
    }

    function test_claimRevenue_accumulatesOverSeveralDeposits() public {
        ethShares.mint(alice, 100);
        _depositEth(ethShares, 1000);
        vm.prank(alice);
        ethShares.claimRevenue();
        _depositEth(ethShares, 2000);
        _depositEth(ethShares, 3000);
        assertEq(ethShares.claimableRevenue(alice), 500);
        vm.prank(alice);
        ethShares.claimRevenue();
        assertEq(alice.balance, 600);
    }

    /// Revenue is divided by the job's total shares, so shares claimed after a deposit still get their
    /// part of it, and nobody gets the part of shares that are not claimed yet.
    function test_claimRevenue_laterShareClaimersGetRevenueDepositedBeforeTheirClaim() public {
        ethShares.mint(alice, 600);
        _depositEth(ethShares, 1000);
        assertEq(ethShares.claimableRevenue(alice), 600);
        assertEq(ethShares.claimableRevenue(bob), 0);
        ethShares.mint(bob, 400);
        assertEq(ethShares.claimableRevenue(bob), 400);
        assertEq(ethShares.claimableRevenue(alice), 600);
    }

    /// Revenue earned before a transfer stays with the sender; after it, the receiver earns.
    function test_transfer_settlesRevenueEarnedBeforeIt() public {
        ethShares.mint(alice, 600);
        ethShares.mint(bob, 400);
        _depositEth(ethShares, 1000);
        vm.prank(alice);
        assertTrue(ethShares.transfer(bob, 300));
        assertEq(ethShares.claimableRevenue(alice), 600);
        assertEq(ethShares.claimableRevenue(bob), 400);
        _depositEth(ethShares, 1000);
        assertEq(ethShares.claimableRevenue(alice), 900);
        assertEq(ethShares.claimableRevenue(bob), 1100);
    }

    function test_transferFrom_settlesRevenueEarnedBeforeIt() public {
        ethShares.mint(alice, 1000);
        _depositEth(ethShares, 1000);
        vm.prank(alice);
        ethShares.approve(bob, 1000);
        vm.prank(bob);
        assertTrue(ethShares.transferFrom(alice, bob, 1000));
        _depositEth(ethShares, 500);
        assertEq(ethShares.claimableRevenue(alice), 1000);
        assertEq(ethShares.claimableRevenue(bob), 500);
    }

    function test_transfer_toSelfChangesNothing() public {
        ethShares.mint(alice, 500);
        _depositEth(ethShares, 1000);
        vm.prank(alice);
        assertTrue(ethShares.transfer(alice, 500));
        assertEq(ethShares.claimableRevenue(alice), 500);
    }

    /// Three equal holders of a 3-share job and a deposit of 10 wei: each gets 3, 1 wei of dust stays.
    function test_claimRevenue_roundingNeverOverpays() public {
        ModelShares three = _clone(address(0), 3);
        three.mint(alice, 1);
        three.mint(bob, 1);
        three.mint(payer, 1);
        _depositEth(three, 10);
        uint256 paid;
        address[3] memory holders = [alice, bob, payer];
        for (uint256 i = 0; i < 3; ++i) {
            vm.prank(holders[i]);
            paid += three.claimRevenue();
        }
        assertEq(paid, 9);
        assertEq(address(three).balance, 1);
    }

    /// A holder that sends all its shares away keeps the revenue they earned and can still claim it.
    function test_claimRevenue_paysRevenueEarnedBeforeSendingEveryShare() public {
        ethShares.mint(alice, 500);
        _depositEth(ethShares, 1000);
        vm.prank(alice);
        assertTrue(ethShares.transfer(bob, 500));
        _depositEth(ethShares, 1000);
        assertEq(ethShares.claimableRevenue(alice), 500);
        assertEq(ethShares.claimableRevenue(bob), 500);
        vm.prank(alice);
        assertEq(ethShares.claimRevenue(), 500);
        assertEq(ethShares.claimableRevenue(alice), 0);
        assertEq(ethShares.balanceOf(alice), 0);
    }

    /// A revenue per share that is not a whole number of base units per share base unit: a transfer
    /// credits the sender the rounded-down part and debits the receiver the rounded-up part, so the
    /// pool keeps the fraction and never pays out more than it holds.
    function test_transfer_roundsAgainstTheAccountsNotThePool() public {
        ModelShares three = _clone(address(0), 3);
        three.mint(alice, 2);
        three.mint(bob, 1);
        _depositEth(three, 10); // revenue per share unit 3.33..., alice earned 6.66..., bob 3.33...
        vm.prank(alice);
        assertTrue(three.transfer(bob, 1)); // moves 3.33...: alice keeps 3 + 3 = 6, bob pays 4
        assertEq(three.claimableRevenue(alice), 6);
        assertEq(three.claimableRevenue(bob), 2); // floor(6.66...) - 4
        _depositEth(three, 3);
        assertEq(three.claimableRevenue(alice), 7); // floor(1 * 4.33...) + 3
        assertEq(three.claimableRevenue(bob), 4); // floor(2 * 4.33...) - 4
        assertLe(three.claimableRevenue(alice) + three.claimableRevenue(bob), address(three).balance);
    }

    function test_claimRevenue_blocksReentrancyAndPaysOnce() public {
        ReentrantClaimer attacker = new ReentrantClaimer(ethShares);
        ethShares.mint(address(attacker), 500);
        _depositEth(ethShares, 1000);
        assertEq(attacker.claim(), 500);
        assertTrue(attacker.reentered());
        assertFalse(attacker.reentrySucceeded());
        assertEq(attacker.reentryError(), abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector));
        assertEq(address(attacker).balance, 500);
        assertEq(ethShares.claimableRevenue(address(attacker)), 0);
    }

    function test_claimRevenue_revertsWhenTheReceiverRejectsEth() public {
        // This test contract has no receive function, so it cannot take ETH.
        ethShares.mint(address(this), 500);
        _depositEth(ethShares, 1000);
        vm.expectRevert(abi.encodeWithSelector(ModelShares.RevenueTransferFailed.selector, address(this), 500));
        ethShares.claimRevenue();
        assertEq(ethShares.claimableRevenue(address(this)), 500);
    }

    // ------------------------------------------------------------------------------ fuzz

    /// Two holders, a deposit, a transfer, another deposit: each is paid its exact pro-rata part rounded
    /// down (within one base unit), and together never more than was deposited.
    function testFuzz_revenue_proRataAcrossATransfer(
        uint256 total,
        uint256 aliceShares,
        uint256 bobShares,
        uint256 moved,
        uint128 first,
        uint128 second
    ) public {
        total = bound(total, 1, 1e30);
        aliceShares = bound(aliceShares, 0, total);
        bobShares = bound(bobShares, 0, total - aliceShares);
        moved = bound(moved, 0, aliceShares);
        uint256 d1 = bound(first, 1, 1e27);
        uint256 d2 = bound(second, 1, 1e27);
        ModelShares token = _clone(address(usd), total);
        vm.prank(payer);
        usd.approve(address(token), type(uint256).max);
        if (aliceShares > 0) token.mint(alice, aliceShares);
        if (bobShares > 0) token.mint(bob, bobShares);
        vm.startPrank(payer);
        token.depositRevenue(d1); // d1 * 1e36 / total > 0 because total <= 1e30
        vm.stopPrank();
        vm.prank(alice);
        assertTrue(token.transfer(bob, moved));
        vm.prank(payer);
        token.depositRevenue(d2);

        uint256 paid = _claimAll(token, alice) + _claimAll(token, bob);
        assertLe(paid, d1 + d2);
        assertEq(usd.balanceOf(address(token)), d1 + d2 - paid);
        // Exact parts rounded down; each account may lose less than one base unit to the rounding of
        // revenue per share (totals here are below 1e30, far below its 1e36 scale), at most one to the
        // transfer's rounding (which goes against the accounts) and one to the final floor.
        uint256 aliceExact = (d1 * aliceShares + d2 * (aliceShares - moved)) / total;
        uint256 bobExact = (d1 * bobShares + d2 * (bobShares + moved)) / total;
        assertLe(usd.balanceOf(alice), aliceExact);
        assertLe(usd.balanceOf(bob), bobExact);
        assertGe(usd.balanceOf(alice) + 2, aliceExact);
        assertGe(usd.balanceOf(bob) + 2, bobExact);
    }

    function _claimAll(ModelShares token, address account) internal returns (uint256 paid) {
        if (token.claimableRevenue(account) == 0) return 0;
        vm.prank(account);
        paid = token.claimRevenue();
    }
}
