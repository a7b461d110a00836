// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockRevenueToken (test helper)
/// @notice A plain OpenZeppelin ERC-20 (EIP-20) with an open `mint`, used as a job's revenue token.
contract MockRevenueToken is ERC20 {
    constructor() ERC20("Mock USD", "mUSD") {}

    /// @notice Mints `amount` to `to`; anyone may call it (test only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
