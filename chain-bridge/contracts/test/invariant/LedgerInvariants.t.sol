// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";

import {ModelShares} from "../../src/ModelShares.sol";
import {LedgerHandler} from "./LedgerHandler.sol";

/// @notice Invariants of the ledger and the revenue pool under random call sequences (runs and depth
///         in foundry.toml's [invariant] section; the 10,000-run profile is `invariant-full`).
contract LedgerInvariantsTest is Test {
    LedgerHandler internal handler;

    function setUp() public {
        handler = new LedgerHandler(makeAddr("dao"));
        targetContract(address(handler));
    }

    /// Revenue claimed never exceeds revenue deposited, and the pool holds exactly the difference.
    function invariant_revenueClaimedNeverExceedsDeposited() public view {
        assertLe(handler.ghostRevenueClaimed(), handler.ghostRevenueDeposited());
        assertEq(
            handler.usd().balanceOf(address(handler.token())),
            handler.ghostRevenueDeposited() - handler.ghostRevenueClaimed()
        );
    }

    /// The pool is solvent: everything claimable right now can be paid at once.
    function invariant_poolCoversAllClaimableRevenue() public view {
        ModelShares token = handler.token();
        address[] memory all = handler.everyone();
        uint256 owed;
        for (uint256 i = 0; i < all.length; ++i) {
            owed += token.claimableRevenue(all[i]);
        }
        assertLe(owed, handler.usd().balanceOf(address(token)));
        assertFalse(handler.violationRevenueOverpaid());
    }

    /// Shares claimed never exceed the total, and the token's supply is exactly what was claimed.
    function invariant_sharesClaimedNeverExceedTotal() public view {
        assertLe(handler.ghostSharesClaimed(), handler.totalShares());
        assertEq(handler.ledger().totalClaimed(handler.paidJobId()), handler.ghostSharesClaimed());
        assertEq(handler.token().totalSupply(), handler.ghostSharesClaimed());
        assertEq(handler.ledger().isFinalized(handler.jobId()), handler.finalizedJob());
    }

    /// No account claims its shares twice.
    function invariant_nothingClaimedTwice() public view {
        address[] memory all = handler.everyone();
        for (uint256 i = 0; i < all.length; ++i) {
            assertLe(handler.ghostShareClaims(all[i]), 1);
        }
    }

    /// Only the job's aggregator records rounds.
    function invariant_onlyAggregatorRecords() public view {
        assertFalse(handler.violationNonAggregatorRecorded());
    }

    /// Rounds are strictly consecutive: the ledger's count is the ghost's, and every round up to it is set.
    function invariant_roundsStrictlyConsecutive() public view {
        assertFalse(handler.violationRoundNotConsecutive());
        uint256 count = handler.ledger().roundCount(handler.jobId());
        assertEq(count, handler.ghostRoundCount());
        assertEq(handler.ledger().roundRoot(handler.jobId(), count + 1), bytes32(0));
    }

    /// Only the DAO vetoes.
    function invariant_onlyDaoVetoes() public view {
        assertFalse(handler.violationNonDaoVetoed());
    }
}
