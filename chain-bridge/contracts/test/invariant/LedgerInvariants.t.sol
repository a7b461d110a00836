// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";

import {AttributionLedger} from "../../src/AttributionLedger.sol";
import {ModelShares} from "../../src/ModelShares.sol";
import {MockRevenueToken} from "../utils/MockRevenueToken.sol";
import {LedgerHandler} from "./LedgerHandler.sol";

/// @notice Invariants of the ledger and the revenue pool under random call sequences (runs and depth
///         in foundry.toml's [invariant] section: 10,000 runs of depth 32 by default, fewer with
///         FOUNDRY_PROFILE=quick). Each check runs after every call, so the handler's contracts and
///         accounts are looked up once here.
contract LedgerInvariantsTest is Test {
    LedgerHandler internal handler;
    AttributionLedger internal ledger;
    ModelShares internal token;
    MockRevenueToken internal usd;
    address[5] internal everyone;

    function setUp() public {
        handler = new LedgerHandler(makeAddr("dao"));
        ledger = handler.ledger();
        token = handler.token();
        usd = handler.usd();
        everyone = handler.everyone();
        targetContract(address(handler));
    }

    /// Revenue claimed never exceeds revenue deposited, and the pool holds exactly the difference.
    function invariant_revenueClaimedNeverExceedsDeposited() public view {
        assertLe(handler.ghostRevenueClaimed(), handler.ghostRevenueDeposited());
        assertEq(usd.balanceOf(address(token)), handler.ghostRevenueDeposited() - handler.ghostRevenueClaimed());
    }

    /// The pool is solvent: everything claimable right now can be paid at once.
    function invariant_poolCoversAllClaimableRevenue() public view {
        uint256 owed;
        for (uint256 i = 0; i < everyone.length; ++i) {
            owed += token.claimableRevenue(everyone[i]);
        }
        assertLe(owed, usd.balanceOf(address(token)));
        assertFalse(handler.violationRevenueOverpaid());
    }

    /// Shares claimed never exceed the total, and the token's supply is exactly what was claimed.
    function invariant_sharesClaimedNeverExceedTotal() public view {
        assertLe(handler.ghostSharesClaimed(), handler.totalShares());
        assertEq(ledger.totalClaimed(handler.paidJobId()), handler.ghostSharesClaimed());
        assertEq(token.totalSupply(), handler.ghostSharesClaimed());
        assertEq(ledger.isFinalized(handler.jobId()), handler.finalizedJob());
    }

    /// No account claims its shares twice.
    function invariant_nothingClaimedTwice() public view {
        for (uint256 i = 0; i < everyone.length; ++i) {
            assertLe(handler.ghostShareClaims(everyone[i]), 1);
        }
    }

    /// Only the job's aggregator records rounds.
    function invariant_onlyAggregatorRecords() public view {
        assertFalse(handler.violationNonAggregatorRecorded());
    }

    /// Rounds are strictly consecutive: the ledger's count is the ghost's, and every round up to it is set.
    function invariant_roundsStrictlyConsecutive() public view {
        assertFalse(handler.violationRoundNotConsecutive());
        uint256 count = ledger.roundCount(handler.jobId());
        assertEq(count, handler.ghostRoundCount());
        assertEq(ledger.roundRoot(handler.jobId(), count + 1), bytes32(0));
    }

    /// Only the DAO vetoes.
    function invariant_onlyDaoVetoes() public view {
        assertFalse(handler.violationNonDaoVetoed());
    }
}
