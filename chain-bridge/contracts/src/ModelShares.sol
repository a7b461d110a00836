// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Initializable} from "@openzeppelin/contracts/proxy/utils/Initializable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title ModelShares
/// @notice Ownership shares in one trained Flywheel model: an ERC-20 token (EIP-20) with 18 decimals,
///         deployed by the AttributionLedger as an EIP-1167 minimal-proxy clone when a job's shares
///         are finalized. Only the ledger may mint; it mints exactly what contributors claim with
///         Merkle proofs, so totalSupply never exceeds the job's finalized totalShares.
///
///         Each token also holds the model's revenue pool. Anyone deposits fees in the job's revenue
///         asset (an ERC-20 chosen by the job's sponsor, or ETH), and every holder claims its pro-rata
///         part in O(1) gas, whatever the number of holders, correctly across transfers.
/// @dev Revenue accounting is the "magnified dividend per share" scheme (cumulative revenue per share
///      with per-account corrections settled on transfer, as in the ERC-1726 dividend-paying-token
///      proposal):
///      - `revenuePerShare` (scaled by 1e36) grows by `amount * 1e36 / totalShares` on every
///        deposit, where `totalShares` is the job's finalized total, NOT the current supply. Revenue
///        of shares that nobody has claimed yet therefore stays in the pool and goes to whoever
///        claims those shares later: a mint carries the whole revenue history of the minted shares,
///        so `_update` leaves corrections untouched on mint.
///      - The magnified revenue of `account` is `revenuePerShare * balanceOf(account) + correction`.
///        A transfer of `v` shares adds `revenuePerShare * v` to the sender's correction and subtracts
///        it from the receiver's, so revenue earned before the transfer stays with the sender and the
///        receiver earns only from then on. A claim pays `floor(magnified / 1e36)` and subtracts
///        exactly that times 1e36 from the claimer's correction, keeping the remainder.
///      - No over-payment: corrections of all accounts sum to zero over transfers and only shrink on
///        claims, so the sum of everything claimable and claimed is at most
///        `revenuePerShare * totalSupply / 1e36 <= revenuePerShare * totalShares / 1e36`, which
///        is at most the sum of deposits because each increment is rounded down. Rounding dust (below
///        one wei per deposit for realistic totals) stays in the contract.
///      - Revenue of shares that are never claimed (when `totalShares` exceeds the sum of the tree's
///        leaves) stays locked in the pool by design: nobody may take another claimant's part.
///      - Deposits revert with `RevenueOverflow` when `revenuePerShare * totalShares` would no longer
///        fit an int256, so claims can never overflow (about 5.7e40 base units of total deposits).
///      The revenue token must be a plain ERC-20 (no fee on transfer, no rebasing); the sponsor picks
///      it when registering the job. Deposits and claims are checks-effects-interactions ordered and
///      guarded by `nonReentrant` (transient storage, EIP-1153).
///      The implementation contract is deployed once (by the ledger's constructor) and locked with
///      `_disableInitializers()`; every clone is initialised once through `initialize`. The
///      OpenZeppelin ERC20 constructor arguments are empty because clones never run constructors:
///      name and symbol live in this contract's own storage instead.
contract ModelShares is ERC20, Initializable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice A zero address was given where an account is required.
    error ZeroAddress();
    /// @notice `caller` tried to mint but is not the ledger that owns this token.
    error NotLedger(address caller);
    /// @notice A total of zero shares was given to `initialize`.
    error ZeroTotalShares();
    /// @notice A deposit of zero was made.
    error ZeroDeposit();
    /// @notice `msg.value` must equal `amount` for ETH revenue and be zero for ERC-20 revenue.
    error WrongDepositValue(uint256 amount, uint256 value);
    /// @notice The deposit of `amount` is too small to raise the revenue per share at all.
    error DepositTooSmall(uint256 amount);
    /// @notice The deposit would push cumulative revenue past what the accounting can represent.
    error RevenueOverflow();
    /// @notice `account` has no revenue to claim.
    error NothingToClaim(address account);
    /// @notice Sending `amount` wei of ETH revenue to `to` failed.
    error RevenueTransferFailed(address to, uint256 amount);

    /// @notice Emitted once, when a clone is initialised.
    /// @param name ERC-20 name, e.g. "Flywheel Job 7 Shares".
    /// @param symbol ERC-20 symbol, e.g. "FWS7".
    /// @param ledger The AttributionLedger allowed to mint.
    event ModelSharesInitialized(string name, string symbol, address indexed ledger);
    /// @notice Emitted once, when a clone is initialised, after `ModelSharesInitialized`.
    /// @param revenueToken ERC-20 in which revenue is deposited and paid; zero means ETH.
    /// @param totalShares The job's finalized total shares, the denominator of revenue per share.
    event RevenuePoolInitialized(address indexed revenueToken, uint256 totalShares);
    /// @notice `from` deposited `amount` base units of revenue (wei for ETH).
    /// @param revenuePerShare The cumulative revenue per share after the deposit, scaled by 1e36.
    event RevenueDeposited(address indexed from, uint256 amount, uint256 revenuePerShare);
    /// @notice `account` claimed `amount` base units of revenue (wei for ETH).
    event RevenueClaimed(address indexed account, uint256 amount);

    /// @notice Fixed-point scale of `revenuePerShare` (1e36: exact for decimal totals dividing amount * 1e36).
    uint256 public constant REVENUE_MAGNITUDE = 1e36;

    string private _shareName;
    string private _shareSymbol;
    address private _ledger;
    address private _revenueToken;
    uint256 private _totalShares;
    /// @dev Cumulative revenue per share scaled by REVENUE_MAGNITUDE, stored plus one so that the first
    ///      deposit pays a non-zero-to-non-zero storage write (initialize pays the zero-to-non-zero one).
    uint256 private _revenuePerShareBiased;
    mapping(address account => int256) private _revenueCorrection;

    /// @notice Deploys the clone template and locks it so that it can never be initialised itself.
    constructor() ERC20("", "") {
        _disableInitializers();
    }

    /// @notice Sets the token's name, symbol, minting ledger and revenue pool. Callable once per clone.
    /// @dev Reverts with `InvalidInitialization` when called a second time or on the implementation,
    ///      with `ZeroAddress` when `ledger_` is zero and with `ZeroTotalShares` when `totalShares_` is 0.
    /// @param name_ ERC-20 name.
    /// @param symbol_ ERC-20 symbol.
    /// @param ledger_ The only account allowed to call `mint`.
    /// @param revenueToken_ ERC-20 in which revenue is deposited and paid; zero means ETH.
    /// @param totalShares_ The job's finalized total shares (18-decimal base units).
    function initialize(
        string calldata name_,
        string calldata symbol_,
        address ledger_,
        address revenueToken_,
        uint256 totalShares_
    ) external initializer {
        if (ledger_ == address(0)) revert ZeroAddress();
        if (totalShares_ == 0) revert ZeroTotalShares();
        _shareName = name_;
        _shareSymbol = symbol_;
        _ledger = ledger_;
        _revenueToken = revenueToken_;
        _totalShares = totalShares_;
        _revenuePerShareBiased = 1;
        emit ModelSharesInitialized(name_, symbol_, ledger_);
        emit RevenuePoolInitialized(revenueToken_, totalShares_);
    }

    /// @notice Mints `amount` shares (18-decimal base units) to `to`. Emits the ERC-20 Transfer event.
    /// @dev Reverts with `NotLedger(msg.sender)` unless called by the ledger, and with OpenZeppelin's
    ///      `ERC20InvalidReceiver(address(0))` when `to` is zero. The ledger, which checks the new supply
    ///      returned here against the job's total (reverting the whole claim when it is exceeded), keeps
    ///      totalSupply <= totalShares; the revenue accounting relies on that. The new shares carry all
    ///      revenue deposited so far for them (see the contract's dev notes).
    /// @param to Receiver of the new shares.
    /// @param amount Number of base units to mint.
    /// @return supply The total supply after minting.
    function mint(address to, uint256 amount) external returns (uint256 supply) {
        if (msg.sender != _ledger) revert NotLedger(msg.sender);
        _mint(to, amount);
        return totalSupply();
    }

    /// @notice Deposits `amount` of revenue for all shares of the job, pro rata to `totalShares`.
    ///         For ETH revenue send `msg.value == amount`; for ERC-20 revenue approve this token first
    ///         and send no ETH (the amount is pulled with transferFrom). Callable by anyone.
    /// @dev Reverts with ZeroDeposit, WrongDepositValue, DepositTooSmall, RevenueOverflow, or with
    ///      SafeERC20FailedOperation / the token's own error when the transfer fails. O(1) gas.
    /// @param amount Revenue in base units of the revenue token (wei for ETH).
    function depositRevenue(uint256 amount) external payable nonReentrant {
        if (amount == 0) revert ZeroDeposit();
        address asset = _revenueToken;
        if (msg.value != (asset == address(0) ? amount : 0)) revert WrongDepositValue(amount, msg.value);
        uint256 total = _totalShares;
        uint256 increment = amount * REVENUE_MAGNITUDE / total;
        if (increment == 0) revert DepositTooSmall(amount);
        uint256 perShare = _revenuePerShareBiased - 1 + increment;
        if (perShare > uint256(type(int256).max) / total) revert RevenueOverflow();
        _revenuePerShareBiased = perShare + 1;
        emit RevenueDeposited(msg.sender, amount, perShare);
        if (asset != address(0)) IERC20(asset).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Pays msg.sender all revenue it has earned and not yet claimed. O(1) gas.
    /// @dev Reverts with NothingToClaim, RevenueTransferFailed (ETH) or SafeERC20FailedOperation.
    /// @return amount The revenue paid, in base units of the revenue token (wei for ETH).
    function claimRevenue() external nonReentrant returns (uint256 amount) {
        int256 magnified = _magnifiedRevenue(msg.sender);
        // casting to 'uint256' is safe because the magnified revenue of an account is never negative
        // forge-lint: disable-next-line(unsafe-typecast)
        amount = uint256(magnified) / REVENUE_MAGNITUDE;
        if (amount == 0) revert NothingToClaim(msg.sender);
        // amount * 1e36 <= magnified <= type(int256).max, so the cast below cannot overflow.
        // forge-lint: disable-next-line(unsafe-typecast)
        _revenueCorrection[msg.sender] -= int256(amount * REVENUE_MAGNITUDE);
        emit RevenueClaimed(msg.sender, amount);
        address asset = _revenueToken;
        if (asset == address(0)) {
            (bool ok,) = payable(msg.sender).call{value: amount}("");
            if (!ok) revert RevenueTransferFailed(msg.sender, amount);
        } else {
            IERC20(asset).safeTransfer(msg.sender, amount);
        }
    }

    /// @notice Revenue `account` could claim now, in base units of the revenue token (wei for ETH).
    function claimableRevenue(address account) external view returns (uint256) {
        // casting to 'uint256' is safe because the magnified revenue of an account is never negative
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint256(_magnifiedRevenue(account)) / REVENUE_MAGNITUDE;
    }

    /// @notice Cumulative revenue deposited per share since initialisation, scaled by 1e36.
    function revenuePerShare() external view returns (uint256) {
        return _revenuePerShareBiased - 1;
    }

    /// @notice ERC-20 in which revenue is deposited and paid; zero means ETH.
    function revenueToken() external view returns (address) {
        return _revenueToken;
    }

    /// @notice The job's finalized total shares: the denominator of revenue per share.
    function totalShares() external view returns (uint256) {
        return _totalShares;
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

    /// @dev Settles revenue on transfer: what the moved shares earned so far stays with the sender.
    ///      Mints leave corrections alone (minted shares carry their revenue history); burns, which
    ///      this token does not offer, would leave the burnt shares' earned revenue with the holder.
    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from == address(0)) return;
        // perShare * value <= perShare * totalShares <= type(int256).max (checked on deposit).
        // forge-lint: disable-next-line(unsafe-typecast)
        int256 settled = int256((_revenuePerShareBiased - 1) * value);
        if (settled == 0) return;
        _revenueCorrection[from] += settled;
        if (to != address(0)) _revenueCorrection[to] -= settled;
    }

    /// @dev `revenuePerShare * balanceOf(account) + correction`; never negative.
    function _magnifiedRevenue(address account) private view returns (int256) {
        // balance <= totalSupply <= totalShares, so the product fits an int256 (checked on deposit).
        // forge-lint: disable-next-line(unsafe-typecast)
        return int256((_revenuePerShareBiased - 1) * balanceOf(account)) + _revenueCorrection[account];
    }
}
