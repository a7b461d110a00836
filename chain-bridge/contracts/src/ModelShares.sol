// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
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
/// @dev Revenue accounting is cumulative revenue per share with per-account corrections settled on
///      transfer (the "magnified dividend per share" scheme of the ERC-1726 dividend-paying-token
///      proposal), stored so that a claim touches one per-account storage slot:
///      - `revenuePerShare` (scaled by 1e36) grows by `amount * 1e36 / totalShares` on every
///        deposit, where `totalShares` is the job's finalized total, NOT the current supply. Revenue
///        of shares that nobody has claimed yet therefore stays in the pool and goes to whoever
///        claims those shares later: a mint carries the whole revenue history of the minted shares,
///        so `_update` leaves corrections untouched on mint.
///      - Each account has ONE storage word: its share balance (low 128 bits) and its revenue
///        correction (high 128 bits, a signed number of base units of the revenue asset). The
///        revenue `account` can claim is `floor(revenuePerShare * balance / 1e36) + correction`
///        (zero when that is negative). Because the balance lives in the same word, the word of
///        every account with anything to claim is non-zero, so a claim never pays a zero-to-non-zero
///        storage write (EIP-2200), and the claim reads and writes a single slot. This is why the
///        ERC-20 balances and supply are kept here instead of in OpenZeppelin's ERC20 storage
///        (`_update`, `balanceOf` and `totalSupply` are overridden; OpenZeppelin's transfer,
///        allowance and error logic is used unchanged).
///      - A transfer of `v` shares credits the sender `floor(revenuePerShare * v / 1e36)` and debits
///        the receiver `ceil(revenuePerShare * v / 1e36)`: revenue earned before the transfer stays
///        with the sender and the receiver earns only from then on. Rounding goes against the
///        accounts (at most one base unit each per transfer), never against the pool. A claim pays
///        the claimable amount and subtracts exactly that from the claimer's correction.
///      - No over-payment: with exact (real-valued) corrections an account's claimable revenue is
///        its real earnings minus its claims, which is never negative, and the sum of all earnings is
///        `sum(increment * supply / 1e36) <= sum(increment * totalShares / 1e36)`, at most the sum of
///        deposits because each increment is rounded down. The stored corrections are never larger
///        than the exact ones (see the rounding above), so claimable revenue never exceeds real
///        earnings. Rounding dust stays in the contract.
///      - Revenue of shares that are never claimed (when `totalShares` exceeds the sum of the tree's
///        leaves) stays locked in the pool by design: nobody may take another claimant's part.
///      - Bounds: `totalShares` (hence every balance) fits 128 bits (`TotalSharesTooLarge`), and
///        deposits revert with `RevenueOverflow` once `revenuePerShare * totalShares` would exceed
///        2^126 * 1e36, i.e. after about 8.5e37 base units of total deposits. Every product
///        `revenuePerShare * balance` then fits 256 bits and every correction stays within
///        2^126 + (number of transfers) in magnitude, which fits an int128.
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
    /// @notice `totalShares` does not fit 128 bits (the width of a stored balance).
    error TotalSharesTooLarge(uint256 totalShares);
    /// @notice Minting would push the supply to `supply`, past 128 bits.
    error SupplyOverflow(uint256 supply);
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
    /// @dev Upper bound on `revenuePerShare * totalShares` (2^126 * 1e36); see the contract's dev notes.
    uint256 private constant kMaxMagnifiedRevenue = (uint256(1) << 126) * REVENUE_MAGNITUDE;
    /// @dev Mask of the balance half of an account word.
    uint256 private constant kBalanceMask = type(uint128).max;

    string private _shareName;
    string private _shareSymbol;
    address private _ledger;
    address private _revenueToken;
    uint256 private _totalShares;
    /// @dev Cumulative revenue per share scaled by REVENUE_MAGNITUDE, stored plus one so that the first
    ///      deposit pays a non-zero-to-non-zero storage write (initialize pays the zero-to-non-zero one).
    uint256 private _revenuePerShareBiased;
    /// @dev Sum of all balances (OpenZeppelin's `_totalSupply` is unused; see the contract's dev notes).
    uint256 private _supply;
    /// @dev Per account: share balance (low 128 bits) and revenue correction in base units of the
    ///      revenue asset (high 128 bits, two's complement int128). OpenZeppelin's `_balances` is unused.
    mapping(address account => uint256) private _accounts;

    /// @notice Deploys the clone template and locks it so that it can never be initialised itself.
    constructor() ERC20("", "") {
        _disableInitializers();
    }

    /// @notice Sets the token's name, symbol, minting ledger and revenue pool. Callable once per clone.
    /// @dev Reverts with `InvalidInitialization` when called a second time or on the implementation,
    ///      with `ZeroAddress` when `ledger_` is zero, with `ZeroTotalShares` when `totalShares_` is 0
    ///      and with `TotalSharesTooLarge` when it does not fit 128 bits.
    /// @param name_ ERC-20 name.
    /// @param symbol_ ERC-20 symbol.
    /// @param ledger_ The only account allowed to call `mint`.
    /// @param revenueToken_ ERC-20 in which revenue is deposited and paid; zero means ETH.
    /// @param totalShares_ The job's finalized total shares (18-decimal base units), below 2^128.
    function initialize(
        string calldata name_,
        string calldata symbol_,
        address ledger_,
        address revenueToken_,
        uint256 totalShares_
    ) external initializer {
        if (ledger_ == address(0)) revert ZeroAddress();
        if (totalShares_ == 0) revert ZeroTotalShares();
        if (totalShares_ > type(uint128).max) revert TotalSharesTooLarge(totalShares_);
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
    /// @dev Reverts with `NotLedger(msg.sender)` unless called by the ledger, with OpenZeppelin's
    ///      `ERC20InvalidReceiver(address(0))` when `to` is zero and with `SupplyOverflow` when the supply
    ///      would not fit 128 bits. The ledger, which checks the new supply returned here against the
    ///      job's total (reverting the whole claim when it is exceeded), keeps totalSupply <= totalShares;
    ///      the revenue accounting relies on that. The new shares carry all revenue deposited so far for
    ///      them (see the contract's dev notes).
    /// @param to Receiver of the new shares.
    /// @param amount Number of base units to mint.
    /// @return supply The total supply after minting.
    function mint(address to, uint256 amount) external returns (uint256 supply) {
        if (msg.sender != _ledger) revert NotLedger(msg.sender);
        _mint(to, amount);
        return _supply;
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
        if (perShare > kMaxMagnifiedRevenue / total) revert RevenueOverflow();
        _revenuePerShareBiased = perShare + 1;
        emit RevenueDeposited(msg.sender, amount, perShare);
        if (asset != address(0)) IERC20(asset).safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Pays msg.sender all revenue it has earned and not yet claimed. O(1) gas.
    /// @dev Reverts with NothingToClaim, RevenueTransferFailed (ETH) or SafeERC20FailedOperation.
    /// @return amount The revenue paid, in base units of the revenue token (wei for ETH).
    function claimRevenue() external nonReentrant returns (uint256 amount) {
        uint256 word = _accounts[msg.sender];
        int256 claimable = _claimable(word, _revenuePerShareBiased - 1);
        if (claimable <= 0) revert NothingToClaim(msg.sender);
        // casting to 'uint256' is safe because claimable > 0
        // forge-lint: disable-next-line(unsafe-typecast)
        amount = uint256(claimable);
        // The new correction is -floor(perShare * balance / 1e36), within 2^126 in magnitude (dev notes).
        unchecked {
            _accounts[msg.sender] = _word(word & kBalanceMask, _correction(word) - claimable);
        }
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
        int256 claimable = _claimable(_accounts[account], _revenuePerShareBiased - 1);
        // casting to 'uint256' is safe because claimable > 0 on that branch
        // forge-lint: disable-next-line(unsafe-typecast)
        return claimable > 0 ? uint256(claimable) : 0;
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

    /// @notice Shares held by `account` (18-decimal base units).
    function balanceOf(address account) public view override returns (uint256) {
        return _accounts[account] & kBalanceMask;
    }

    /// @notice Shares minted so far (18-decimal base units); never more than `totalShares`.
    function totalSupply() public view override returns (uint256) {
        return _supply;
    }

    /// @dev Moves, mints or burns shares in this contract's packed account words (replacing
    ///      OpenZeppelin's storage; same checks, errors and Transfer event) and settles revenue on
    ///      transfer: what the moved shares earned so far stays with the sender. Mints leave
    ///      corrections alone (minted shares carry their revenue history); burns, which this token
    ///      does not offer, leave the burnt shares' earned revenue with the holder.
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0)) {
            uint256 supply = _supply + value;
            if (supply > kBalanceMask) revert SupplyOverflow(supply);
            _supply = supply;
            // balance + value <= supply < 2^128: the balance half cannot carry into the correction half.
            unchecked {
                _accounts[to] += value;
            }
            emit Transfer(from, to, value);
            return;
        }
        uint256 fromWord = _accounts[from];
        uint256 fromBalance = fromWord & kBalanceMask;
        if (fromBalance < value) revert ERC20InsufficientBalance(from, fromBalance, value);
        if (from == to || value == 0) {
            emit Transfer(from, to, value);
            return;
        }
        uint256 perShare = _revenuePerShareBiased - 1;
        // perShare * value <= perShare * totalShares <= kMaxMagnifiedRevenue < 2^256 (checked on deposit),
        // and both results are below 2^126, so the int256 casts and the corrections cannot overflow.
        uint256 magnified = perShare * value;
        uint256 credit = magnified / REVENUE_MAGNITUDE;
        uint256 debit = credit;
        if (magnified % REVENUE_MAGNITUDE != 0) ++debit;
        unchecked {
            // forge-lint: disable-next-line(unsafe-typecast)
            _accounts[from] = _word(fromBalance - value, _correction(fromWord) + int256(credit));
            if (to == address(0)) {
                _supply -= value;
            } else {
                uint256 toWord = _accounts[to];
                // balance + value <= supply < 2^128.
                // forge-lint: disable-next-line(unsafe-typecast)
                _accounts[to] = _word((toWord & kBalanceMask) + value, _correction(toWord) - int256(debit));
            }
        }
        emit Transfer(from, to, value);
    }

    /// @dev `floor(perShare * balance / 1e36) + correction` of an account word; may be negative (by at
    ///      most one base unit per transfer since the last claim), which means nothing to claim.
    function _claimable(uint256 word, uint256 perShare) private pure returns (int256) {
        // perShare * balance <= kMaxMagnifiedRevenue, so the quotient is below 2^126.
        // forge-lint: disable-next-line(unsafe-typecast)
        return int256(perShare * (word & kBalanceMask) / REVENUE_MAGNITUDE) + _correction(word);
    }

    /// @dev The signed correction in the high half of an account word.
    function _correction(uint256 word) private pure returns (int256) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return int256(int128(uint128(word >> 128)));
    }

    /// @dev Packs a balance below 2^128 and a correction that fits an int128 into one account word.
    function _word(uint256 balance, int256 correction) private pure returns (uint256) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return (uint256(uint128(SafeCast.toInt128(correction))) << 128) | balance;
    }
}
