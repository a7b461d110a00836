// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title FlywheelToken
/// @notice Flywheel's governance token (see docs: DESIGN.md, "On-chain contracts", governance): an
///         ERC-20 (EIP-20) with gasless approvals (ERC-2612 permit) and delegated, checkpointed
///         voting power (ERC-5805) read by the FlywheelGovernor.
/// @dev The clock is the block timestamp (ERC-6372 "mode=timestamp"), so voting delays and periods
///      are in seconds, the same unit as the AttributionLedger's challenge windows. Voting power only
///      counts after the holder delegates (to itself or another account). The whole supply is minted
///      once, at deployment; there is no further minting.
contract FlywheelToken is ERC20, ERC20Permit, ERC20Votes {
    /// @notice Deploys the token and mints `initialSupply` (18-decimal base units) to `initialHolder`.
    /// @dev Reverts with ERC20InvalidReceiver when `initialHolder` is zero.
    constructor(address initialHolder, uint256 initialSupply) ERC20("Flywheel", "FLY") ERC20Permit("Flywheel") {
        _mint(initialHolder, initialSupply);
    }

    /// @notice ERC-6372 clock: the current block timestamp in seconds.
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice ERC-6372 clock description: timestamps.
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    /// @notice Permit nonce of `owner` (ERC-2612).
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @dev Moves voting power along with balances.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }
}
