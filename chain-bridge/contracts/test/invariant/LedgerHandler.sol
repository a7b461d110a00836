// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {AttributionLedger} from "../../src/AttributionLedger.sol";
import {ModelShares} from "../../src/ModelShares.sol";
import {MerkleTree} from "../utils/MerkleTree.sol";
import {MockRevenueToken} from "../utils/MockRevenueToken.sol";

/// @title LedgerHandler (invariant-test handler)
/// @notice Drives one AttributionLedger job (paid in an ERC-20) and its ModelShares token through random
///         sequences of calls by random callers (three contributors, the aggregator and the DAO), and keeps
///         ghost records that the invariants compare with chain state. Every call may revert (the handler
///         then reverts too, so forge's invariant metrics count successes as calls minus reverts;
///         fail_on_revert is off); a call that succeeds although it must not sets a violation flag.
/// @dev Kept lean because the invariant campaigns run 7 x 10,000 x 32 calls: everything a call needs is
///      prepared in the constructor (Merkle proofs, revenue-token balances and allowances, the token's
///      address), inputs are bounded with forge-std's `_bound` (which, unlike `bound`, does not log), and
///      callers are steered towards the role that can succeed, so most calls change state.
contract LedgerHandler is CommonBase, StdUtils {
    uint256 internal constant kActors = 3;
    /// Callers: the contributors, then the aggregator, then the DAO.
    uint256 internal constant kCallers = kActors + 2;
    uint64 internal constant kWindow = 3 days;
    /// Largest single deposit (1e24 base units); the minted budget covers 2^64 of them.
    uint256 internal constant kMaxDeposit = 1e24;

    AttributionLedger public immutable ledger;
    MockRevenueToken public immutable usd;
    /// The job whose lifecycle (rounds, proposals, vetoes, finalization) is driven at random.
    uint256 public immutable jobId;
    /// A job finalized in the constructor, whose shares and revenue are driven at random.
    uint256 public immutable paidJobId;
    /// The ModelShares token of `paidJobId`.
    ModelShares public immutable token;
    address public immutable dao;
    address public immutable aggregator;
    bytes32 public immutable root;
    /// Proposed total: 90 % of the tree's sum, so ClaimExceedsTotal is reachable.
    uint256 public immutable totalShares;
    address[kCallers] internal _callers;
    uint256[kActors] internal _amounts;
    bytes32[][kActors] internal _proofs;

    // Ghost state.
    uint256 public ghostRevenueDeposited;
    uint256 public ghostRevenueClaimed;
    uint256 public ghostSharesClaimed;
    uint256 public ghostRoundCount;
    bool public finalizedJob;
    mapping(address => uint256) public ghostShareClaims; // successful claimShares per account
    bool public violationNonAggregatorRecorded;
    bool public violationRoundNotConsecutive;
    bool public violationNonDaoVetoed;
    bool public violationRevenueOverpaid;

    constructor(address dao_) {
        dao = dao_;
        aggregator = address(uint160(uint256(keccak256("aggregator"))));
        ledger = new AttributionLedger(dao_);
        usd = new MockRevenueToken();
        jobId = ledger.registerJobWithPolicy(aggregator, kWindow, "inv", aggregator, 8000, 2000, 0, address(usd));
        bytes32[] memory leaves = new bytes32[](kActors);
        uint256 sum;
        for (uint256 i = 0; i < kActors; ++i) {
            _callers[i] = address(uint160(uint256(keccak256(abi.encode("actor", i)))));
            _amounts[i] = (i + 1) * 1e18 + i * 7;
            sum += _amounts[i];
            leaves[i] = MerkleTree.leaf(_callers[i], _amounts[i]);
        }
        _callers[kActors] = aggregator;
        _callers[kActors + 1] = dao_;
        for (uint256 i = 0; i < kActors; ++i) {
            _proofs[i] = MerkleTree.proof(leaves, i);
        }
        root = MerkleTree.root(leaves);
        totalShares = sum * 9 / 10;
        uint256 paid = ledger.registerJobWithPolicy(aggregator, kWindow, "paid", aggregator, 8000, 2000, 0, address(usd));
        vm.startPrank(aggregator);
        ledger.recordRound(paid, 1, bytes32(uint256(1)), bytes32(uint256(2)));
        ledger.proposeShares(paid, root, sum * 9 / 10);
        vm.stopPrank();
        vm.warp(block.timestamp + kWindow);
        token = ModelShares(ledger.finalize(paid));
        paidJobId = paid;
        for (uint256 i = 0; i < kCallers; ++i) {
            usd.mint(_callers[i], kMaxDeposit << 64);
            vm.prank(_callers[i]);
            usd.approve(address(token), type(uint256).max);
        }
    }

    function _caller(uint256 seed) internal view returns (address) {
        return _callers[seed % kCallers];
    }

    /// `preferred` three times in four (so that jobs progress), otherwise any caller.
    function _mostly(address preferred, uint256 seed) internal view returns (address) {
        return seed % 4 == 0 ? _caller(seed / 4) : preferred;
    }

    /// All accounts that can ever hold shares or revenue.
    function everyone() external view returns (address[kCallers] memory) {
        return _callers;
    }

    // ------------------------------------------------------------------------------ actions

    function recordRound(uint256 callerSeed, uint256 roundOffset, bytes32 modelHash) external {
        address caller = _mostly(aggregator, callerSeed);
        // Mostly the due round, sometimes a wrong one.
        uint256 round = ghostRoundCount + 1;
        if (roundOffset % 4 == 0) round = _bound(roundOffset, 0, round + 2);
        vm.prank(caller);
        ledger.recordRound(jobId, round, modelHash, modelHash);
        if (caller != aggregator) violationNonAggregatorRecorded = true;
        if (round != ghostRoundCount + 1) violationRoundNotConsecutive = true;
        ghostRoundCount = round;
    }

    function proposeShares(uint256 callerSeed) external {
        vm.prank(_mostly(aggregator, callerSeed));
        ledger.proposeShares(jobId, root, totalShares);
    }

    function veto(uint256 callerSeed) external {
        address caller = _mostly(dao, callerSeed);
        vm.prank(caller);
        ledger.veto(jobId);
        if (caller != dao) violationNonDaoVetoed = true;
    }

    function finalize(uint256 callerSeed) external {
        vm.prank(_caller(callerSeed));
        ledger.finalize(jobId);
        finalizedJob = true;
    }

    /// Up to one challenge window, so that a proposal's window can close within a run of depth 32.
    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + _bound(seconds_, 0, kWindow));
    }

    function claimShares(uint256 actorSeed, uint256 amountNoise) external {
        uint256 i = actorSeed % kActors;
        // Mostly the right amount; sometimes a wrong one, which must fail.
        uint256 amount = amountNoise % 5 == 0 ? _amounts[i] + 1 : _amounts[i];
        address actor = _callers[i];
        vm.prank(actor);
        ledger.claimShares(paidJobId, amount, _proofs[i]);
        ghostShareClaims[actor]++;
        ghostSharesClaimed += amount;
    }

    function depositRevenue(uint256 callerSeed, uint256 amount) external {
        amount = _bound(amount, 0, kMaxDeposit);
        vm.prank(_caller(callerSeed));
        token.depositRevenue(amount);
        ghostRevenueDeposited += amount;
    }

    function claimRevenue(uint256 callerSeed) external {
        address caller = _caller(callerSeed);
        uint256 claimable = token.claimableRevenue(caller);
        uint256 before = usd.balanceOf(caller);
        vm.prank(caller);
        uint256 paid = token.claimRevenue();
        if (paid != claimable || usd.balanceOf(caller) - before != paid) violationRevenueOverpaid = true;
        ghostRevenueClaimed += paid;
    }

    function transferShares(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        address from = _caller(fromSeed);
        amount = _bound(amount, 0, token.balanceOf(from));
        vm.prank(from);
        assert(token.transfer(_caller(toSeed), amount));
    }
}
