// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {ModelShares} from "../../src/ModelShares.sol";

/// @title ReentrantClaimer (test helper)
/// @notice A shareholder contract whose receive() tries to claim revenue again while being paid.
contract ReentrantClaimer {
    ModelShares internal immutable token;
    /// @notice Whether the nested claim was attempted and whether it succeeded.
    bool public reentered;
    bool public reentrySucceeded;
    /// @notice Revert data of the failed nested claim.
    bytes public reentryError;

    constructor(ModelShares token_) {
        token = token_;
    }

    /// @notice Claims revenue (the outer, legitimate claim).
    function claim() external returns (uint256) {
        return token.claimRevenue();
    }

    receive() external payable {
        if (reentered) return;
        reentered = true;
        try token.claimRevenue() returns (uint256) {
            reentrySucceeded = true;
        } catch (bytes memory reason) {
            reentryError = reason;
        }
    }
}
