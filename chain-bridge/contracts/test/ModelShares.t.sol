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

    function testFuzz_mint_revertsForAnyNonLedgerCaller(address caller, uint256 amount) public {
        vm.assume(caller != address(this));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(ModelShares.NotLedger.selector, caller));
        token.mint(holder, amount);
    }
}
