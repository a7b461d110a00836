// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {ModelShares} from "../src/ModelShares.sol";
import {LedgerTestBase} from "./utils/LedgerTestBase.sol";
import {MerkleTree} from "./utils/MerkleTree.sol";
import {MockRevenueToken} from "./utils/MockRevenueToken.sol";

/// @notice Gas budgets of the hot paths (issue targets), measured as the gas used inside the called
///         contract (`vm.lastCallGas`, i.e. without the 21,000 intrinsic gas and calldata cost) on COLD
///         storage (`vm.cool`), as in a fresh transaction. Also shows that the cost does not depend on
///         the number of participants or holders.
contract GasTest is LedgerTestBase {
    uint256 internal constant kRecordRoundBudget = 80_000;
    uint256 internal constant kClaimSharesBudget = 85_000;
    uint256 internal constant kDepositBudget = 60_000;
    uint256 internal constant kClaimRevenueBudget = 60_000;

    MockRevenueToken internal usd;
    address internal payer = makeAddr("payer");

    function setUp() public override {
        super.setUp();
        usd = new MockRevenueToken();
        vm.deal(payer, 1e30);
        usd.mint(payer, 1e30);
    }

    function _lastGas() internal view returns (uint256) {
        return vm.lastCallGas().gasTotalUsed;
    }

    function _leaves(uint256 n) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            leaves[i] = MerkleTree.leaf(address(uint160(0x1000 + i)), 1e18 + i);
        }
    }

    /// Records round `round` of a fresh job on cold storage and returns the gas used.
    function _recordGas(uint256 jobId, uint256 round, bytes32 root) internal returns (uint256) {
        vm.cool(address(ledger));
        vm.prank(aggregator);
        ledger.recordRound(jobId, round, keccak256(abi.encode(root)), root);
        return _lastGas();
    }

    function test_gas_recordRound_isTheSameFor10And10000Participants() public {
        bytes32 root10 = MerkleTree.root(_leaves(10));
        bytes32 root10k = MerkleTree.root(_leaves(10_000));
        uint256 jobA = _register(kWindow);
        uint256 jobB = _register(kWindow);
        uint256 first10 = _recordGas(jobA, 1, root10);
        uint256 first10k = _recordGas(jobB, 1, root10k);
        uint256 next10 = _recordGas(jobA, 2, root10);
        uint256 next10k = _recordGas(jobB, 2, root10k);
        emit log_named_uint("recordRound gas, 10 participants", first10);
        emit log_named_uint("recordRound gas, 10,000 participants", first10k);
        assertEq(first10, first10k);
        assertEq(next10, next10k);
        assertLe(first10, kRecordRoundBudget);
        assertLe(next10, kRecordRoundBudget);
    }

    /// A 1,024-account tree (proofs of 10 hashes): the first claim (supply 0 -> non-zero) and a later one.
    function test_gas_claimShares_withinBudget() public {
        bytes32[] memory leaves = _leaves(1024);
        uint256 jobId = _finalizedJob(leaves, 1024 * 2e18);
        uint256[2] memory used;
        for (uint256 k = 0; k < 2; ++k) {
            uint256 i = 100 + k * 500;
            bytes32[] memory proof = MerkleTree.proof(leaves, i);
            vm.cool(address(ledger));
            vm.cool(ledger.sharesToken(jobId));
            vm.prank(address(uint160(0x1000 + i)));
            ledger.claimShares(jobId, 1e18 + i, proof);
            used[k] = _lastGas();
        }
        emit log_named_uint("claimShares gas, first claim", used[0]);
        emit log_named_uint("claimShares gas, later claim", used[1]);
        assertLe(used[0], kClaimSharesBudget);
        assertLe(used[1], kClaimSharesBudget);
    }

    /// A token of job with `holders` holders of 1e18 shares each (total 1,000e18) and revenue in `asset`.
    function _token(address asset, uint256 holders) internal returns (ModelShares token) {
        uint256 jobId = ledger.registerJobWithPolicy(aggregator, kWindow, "gas", sponsor, 10_000, 0, 0, asset);
        _recordRounds(jobId, 1);
        bytes32[] memory leaves = new bytes32[](holders);
        for (uint256 i = 0; i < holders; ++i) {
            leaves[i] = MerkleTree.leaf(address(uint160(0x1000 + i)), 1e18);
        }
        _propose(jobId, MerkleTree.root(leaves), 1000e18);
        vm.warp(block.timestamp + kWindow);
        token = ModelShares(ledger.finalize(jobId));
        for (uint256 i = 0; i < holders; ++i) {
            vm.prank(address(uint160(0x1000 + i)));
            ledger.claimShares(jobId, 1e18, MerkleTree.proof(leaves, i));
        }
        vm.prank(payer);
        usd.approve(address(token), type(uint256).max);
    }

    function _depositGas(ModelShares token, uint256 amount) internal returns (uint256) {
        vm.cool(address(token));
        vm.cool(address(usd));
        uint256 value = token.revenueToken() == address(0) ? amount : 0;
        vm.prank(payer);
        token.depositRevenue{value: value}(amount);
        return _lastGas();
    }

    function test_gas_depositRevenue_withinBudget() public {
        ModelShares ethToken = _token(address(0), 2);
        ModelShares usdToken = _token(address(usd), 2);
        uint256 ethFirst = _depositGas(ethToken, 1 ether);
        uint256 ethNext = _depositGas(ethToken, 1 ether);
        uint256 usdFirst = _depositGas(usdToken, 1e18);
        uint256 usdNext = _depositGas(usdToken, 1e18);
        emit log_named_uint("depositRevenue gas, ETH, first", ethFirst);
        emit log_named_uint("depositRevenue gas, ETH, later", ethNext);
        emit log_named_uint("depositRevenue gas, ERC-20, first", usdFirst);
        emit log_named_uint("depositRevenue gas, ERC-20, later", usdNext);
        assertLe(ethFirst, kDepositBudget);
        assertLe(ethNext, kDepositBudget);
        assertLe(usdFirst, kDepositBudget);
        assertLe(usdNext, kDepositBudget);
    }

    function _claimGas(ModelShares token, address holder) internal returns (uint256) {
        vm.cool(address(token));
        vm.cool(address(usd));
        vm.prank(holder);
        token.claimRevenue();
        return _lastGas();
    }

    /// Holder 0's claim costs the same with 3 or 300 holders: the claim is O(1).
    function test_gas_claimRevenue_isTheSameFor3And300Holders() public {
        address holder = address(uint160(0x1000));
        ModelShares few = _token(address(0), 3);
        ModelShares many = _token(address(0), 300);
        _depositGas(few, 1 ether);
        _depositGas(many, 1 ether);
        vm.deal(holder, 1); // an existing account, as a holder that paid gas before is
        uint256 fewGas = _claimGas(few, holder);
        uint256 manyGas = _claimGas(many, holder);
        emit log_named_uint("claimRevenue gas, ETH, 3 holders", fewGas);
        emit log_named_uint("claimRevenue gas, ETH, 300 holders", manyGas);
        assertEq(fewGas, manyGas);
        assertLe(fewGas, kClaimRevenueBudget);
    }

    /// ERC-20 revenue, a holder's first claim and a later one, for a holder that already holds the
    /// revenue token (the usual case for a payment token). Both rewrite one non-zero account word.
    function test_gas_claimRevenue_erc20WithinBudget() public {
        address holder = address(uint160(0x1001));
        usd.mint(holder, 1);
        ModelShares token = _token(address(usd), 3);
        _depositGas(token, 1e18);
        uint256 first = _claimGas(token, holder);
        _depositGas(token, 1e18);
        uint256 later = _claimGas(token, holder);
        emit log_named_uint("claimRevenue gas, ERC-20, first", first);
        emit log_named_uint("claimRevenue gas, ERC-20, later", later);
        assertLe(first, kClaimRevenueBudget);
        assertLe(later, kClaimRevenueBudget);
    }

    /// ERC-20 revenue paid to an account that never held the revenue token: the revenue token's own
    /// balance slot for it goes from zero to non-zero (20,000 gas, EIP-2200 SSTORE set, inside the
    /// revenue token). The claim itself writes no zero slot (the holder's word holds its balance), so
    /// even this first claim stays within the budget.
    function test_gas_claimRevenue_erc20ToAFreshRecipient() public {
        address holder = address(uint160(0x1001));
        ModelShares token = _token(address(usd), 3);
        _depositGas(token, 1e18);
        uint256 first = _claimGas(token, holder);
        emit log_named_uint("claimRevenue gas, ERC-20, first, fresh recipient", first);
        assertEq(usd.balanceOf(holder), 1e15);
        assertLe(first, kClaimRevenueBudget);
    }

    /// The same for an account that got its shares by transfer (never claimed from the tree) and never
    /// held the revenue token.
    function test_gas_claimRevenue_erc20ByAFreshTransferee() public {
        address transferee = makeAddr("transferee");
        ModelShares token = _token(address(usd), 3);
        vm.prank(address(uint160(0x1000)));
        assertTrue(token.transfer(transferee, 0.5e18));
        _depositGas(token, 1e18);
        uint256 first = _claimGas(token, transferee);
        emit log_named_uint("claimRevenue gas, ERC-20, first, by a fresh transferee", first);
        assertEq(usd.balanceOf(transferee), 0.5e15);
        assertLe(first, kClaimRevenueBudget);
    }

    /// A transfer between holders after revenue arrived (two account-word writes), for the record.
    function test_gas_transferAfterRevenue() public {
        ModelShares token = _token(address(0), 3);
        _depositGas(token, 1 ether);
        vm.cool(address(token));
        vm.prank(address(uint160(0x1000)));
        assertTrue(token.transfer(address(uint160(0x1001)), 0.5e18));
        emit log_named_uint("transfer gas after revenue", _lastGas());
    }
}
