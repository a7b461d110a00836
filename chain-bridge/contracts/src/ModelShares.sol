// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";

/// @title ModelShares
/// @notice Ownership shares in one trained Flywheel model: an ERC-20 token (EIP-20) with 18 decimals,
///         deployed by the AttributionLedger as an EIP-1167 minimal-proxy clone when a job's shares
///         are finalized. Only the ledger may mint; it mints exactly what contributors claim with
///         Merkle proofs, so totalSupply never exceeds the job's finalized totalShares.
/// @dev The implementation contract is deployed once (by the ledger's constructor) and locked with
///      `_disableInitializers()`; every clone is initialised once through `initialize`. The
///      OpenZeppelin ERC20 constructor arguments are empty because clones never run constructors:
///      name and symbol live in this contract's own storage instead.
contract ModelShares is ERC20, Initializable {
    /// @notice A zero address was given where an account is required.
    error ZeroAddress();
    /// @notice `caller` tried to mint but is not the ledger that owns this token.
    error NotLedger(address caller);

    /// @notice Emitted once, when a clone is initialised.
    /// @param name ERC-20 name, e.g. "Flywheel Job 7 Shares".
    /// @param symbol ERC-20 symbol, e.g. "FWS7".
    /// @param ledger The AttributionLedger allowed to mint.
    event ModelSharesInitialized(string name, string symbol, address indexed ledger);

    string private _shareName;
    string private _shareSymbol;
    address private _ledger;

    /// @notice Deploys the clone template and locks it so that it can never be initialised itself.
    constructor() ERC20("", "") {
        _disableInitializers();
    }

    /// @notice Sets the token's name, symbol and minting ledger. Callable once per clone.
    /// @dev Reverts with `InvalidInitialization` when called a second time or on the implementation,
    ///      and with `ZeroAddress` when `ledger_` is zero.
    /// @param name_ ERC-20 name.
    /// @param symbol_ ERC-20 symbol.
    /// @param ledger_ The only account allowed to call `mint`.
    function initialize(string calldata name_, string calldata symbol_, address ledger_) external initializer {
        if (ledger_ == address(0)) revert ZeroAddress();
        _shareName = name_;
        _shareSymbol = symbol_;
        _ledger = ledger_;
        emit ModelSharesInitialized(name_, symbol_, ledger_);
    }

    /// @notice Mints `amount` shares (18-decimal base units) to `to`. Emits the ERC-20 Transfer event.
    /// @dev Reverts with `NotLedger(msg.sender)` unless called by the ledger, and with OpenZeppelin's
    ///      `ERC20InvalidReceiver(address(0))` when `to` is zero.
    /// @param to Receiver of the new shares.
    /// @param amount Number of base units to mint.
    function mint(address to, uint256 amount) external {
        if (msg.sender != _ledger) revert NotLedger(msg.sender);
        _mint(to, amount);
    }

    /// @notice The AttributionLedger that may mint (zero on the uninitialised implementation).
    function ledger() external view returns (address) {
        return _ledger;
    }

    /// @notice ERC-20 name set by `initialize`.
    function name() public view override returns (string memory) {
        return _shareName;
    }

    /// @notice ERC-20 symbol set by `initialize`.
    function symbol() public view override returns (string memory) {
        return _shareSymbol;
    }
}
