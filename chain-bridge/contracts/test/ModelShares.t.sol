// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";

import {ModelShares} from "../src/ModelShares.sol";

/// @notice Unit tests for the ModelShares token, used directly through a clone whose ledger is this test.
contract ModelSharesTest is Test {
    uint256 internal constant kTotal = 1e30;
    ModelShares internal implementation;
    ModelShares internal token;
    address internal holder = makeAddr("holder");
    address internal other = makeAddr("other");

    function setUp() public {
        implementation = new ModelShares();
        token = ModelShares(Clones.clone(address(implementation)));
        token.initialize("Flywheel Job 1 Shares", "FWS1", address(this), address(0), kTotal);
    }

    function test_initialize_setsNameSymbolLedgerAndDecimals() public view {
        assertEq(token.name(), "Flywheel Job 1 Shares");
        assertEq(token.symbol(), "FWS1");
        assertEq(token.ledger(), address(this));
        assertEq(token.decimals(), 18);
        assertEq(token.totalSupply(), 0);
    }

    function test_initialize_emitsModelSharesInitialized() public {
        ModelShares fresh = ModelShares(Clones.clone(address(implementation)));
        vm.expectEmit(true, true, true, true, address(fresh));
        emit ModelShares.ModelSharesInitialized("N", "S", address(this));
        fresh.initialize("N", "S", address(this), address(0), kTotal);
    }

    function test_initialize_revertsWhenCalledTwice() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        token.initialize("Other", "OTH", other, address(0), kTotal);
        assertEq(token.ledger(), address(this));
    }

    function test_initialize_revertsOnTheImplementation() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        implementation.initialize("N", "S", address(this), address(0), kTotal);
    }

    function test_initialize_revertsOnZeroLedger() public {
        ModelShares fresh = ModelShares(Clones.clone(address(implementation)));
        vm.expectRevert(ModelShares.ZeroAddress.selector);
        fresh.initialize("N", "S", address(0), address(0), kTotal);
    }

    function test_mint_byLedgerCreditsHolderAndEmitsTransfer() public {
        vm.expectEmit(true, true, true, true, address(token));
        emit IERC20.Transfer(address(0), holder, 42);
        token.mint(holder, 42);
        assertEq(token.balanceOf(holder), 42);
        assertEq(token.totalSupply(), 42);
    }

    function test_mint_revertsForNonLedger() public {
        vm.prank(holder);
        vm.expectRevert(abi.encodeWithSelector(ModelShares.NotLedger.selector, holder));
        token.mint(holder, 1);
    }

    function test_mint_revertsToZeroAddress() public {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        token.mint(address(0), 1);
    }

    function test_transfer_movesShares() public {
        token.mint(holder, 100);
        vm.prank(holder);
        assertTrue(token.transfer(other, 30));
        assertEq(token.balanceOf(holder), 70);
        assertEq(token.balanceOf(other), 30);
    }

    function test_initialize_revertsWhenTotalSharesExceed128Bits() public {
        ModelShares fresh = ModelShares(Clones.clone(address(implementation)));
        uint256 tooMany = uint256(type(uint128).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(ModelShares.TotalSharesTooLarge.selector, tooMany));
        fresh.initialize("N", "S", address(this), address(0), tooMany);
    }

    function test_mint_revertsWhenSupplyWouldExceed128Bits() public {
        token.mint(holder, type(uint128).max);
        uint256 supply = uint256(type(uint128).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(ModelShares.SupplyOverflow.selector, supply));
        token.mint(other, 1);
        assertEq(token.balanceOf(other), 0);
    }

    function test_transfer_emitsTransfer() public {
        token.mint(holder, 100);
        vm.expectEmit(true, true, true, true, address(token));
        emit IERC20.Transfer(holder, other, 30);
        vm.prank(holder);
        assertTrue(token.transfer(other, 30));
    }

    function test_transfer_revertsWhenBalanceIsTooLow() public {
        token.mint(holder, 100);
        vm.prank(holder);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, holder, 100, 101));
        token.transfer(other, 101);
    }

    function test_transfer_revertsToZeroAddress() public {
        token.mint(holder, 100);
        vm.prank(holder);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        token.transfer(address(0), 1);
    }

    function test_transferFrom_spendsTheAllowance() public {
        token.mint(holder, 100);
        vm.prank(holder);
        token.approve(other, 60);
        vm.prank(other);
        assertTrue(token.transferFrom(holder, other, 40));
        assertEq(token.allowance(holder, other), 20);
        assertEq(token.balanceOf(other), 40);
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, other, 20, 21));
        token.transferFrom(holder, other, 21);
    }

    /// Balances and supply live in packed per-account words: random mints and transfers keep the sum
    /// of balances equal to the supply and every balance where plain arithmetic puts it.
    function testFuzz_transfers_keepBalancesAndSupplyConsistent(uint128 a, uint128 b, uint128 moved, uint128 back)
        public
    {
        uint256 aliceShares = bound(a, 0, kTotal / 2);
        uint256 bobShares = bound(b, 0, kTotal / 2);
        token.mint(holder, aliceShares);
        token.mint(other, bobShares);
        uint256 m = bound(moved, 0, aliceShares);
        vm.prank(holder);
        assertTrue(token.transfer(other, m));
        uint256 k = bound(back, 0, bobShares + m);
        vm.prank(other);
        assertTrue(token.transfer(holder, k));
        assertEq(token.balanceOf(holder), aliceShares - m + k);
        assertEq(token.balanceOf(other), bobShares + m - k);
        assertEq(token.totalSupply(), aliceShares + bobShares);
    }

    function testFuzz_mint_revertsForAnyNonLedgerCaller(address caller, uint256 amount) public {
        vm.assume(caller != address(this));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(ModelShares.NotLedger.selector, caller));
        token.mint(holder, amount);
    }
}
