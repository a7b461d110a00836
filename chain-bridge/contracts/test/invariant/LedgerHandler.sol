// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";

import {AttributionLedger} from "../../src/AttributionLedger.sol";
import {ModelShares} from "../../src/ModelShares.sol";
import {MerkleTree} from "../utils/MerkleTree.sol";
import {MockRevenueToken} from "../utils/MockRevenueToken.sol";

/// @title LedgerHandler (invariant-test handler)
/// @notice Drives one AttributionLedger job (paid in an ERC-20) and its ModelShares token through random
///         sequences of calls by random callers (four contributors, the aggregator, the DAO and an
///         outsider), and keeps ghost records that the invariants compare with chain state. Every call
///         may revert (the handler then reverts too, so forge's invariant metrics count successes as calls minus
///         reverts; fail_on_revert is off); a call that succeeds although it must not sets a violation flag.
contract LedgerHandler is CommonBase, StdCheats, StdUtils {
    uint256 internal constant kActors = 4;
    uint64 internal constant kWindow = 3 days;

    AttributionLedger public immutable ledger;
    MockRevenueToken public immutable usd;
    /// The job whose lifecycle (rounds, proposals, vetoes, finalization) is driven at random.
    uint256 public immutable jobId;
    /// A job finalized in the constructor with the same tree, whose shares and revenue are driven at random.
    uint256 public immutable paidJobId;
    address public immutable dao;
    address public immutable aggregator;
    address public immutable outsider;
    address[kActors] public actors;
    uint256[kActors] public amounts;
    bytes32[] internal _leaves;
    bytes32 public immutable root;
    /// Proposed total: 90 % of the tree's sum, so ClaimExceedsTotal is reachable.
    uint256 public totalShares;

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
        aggregator = makeAddr("aggregator");
        outsider = makeAddr("outsider");
        ledger = new AttributionLedger(dao_);
        usd = new MockRevenueToken();
        jobId = ledger.registerJobWithPolicy(aggregator, kWindow, "inv", aggregator, 8000, 2000, 0, address(usd));
        uint256 sum;
        for (uint256 i = 0; i < kActors; ++i) {
            actors[i] = makeAddr(string.concat("actor", vm.toString(i)));
            amounts[i] = (i + 1) * 1e18 + i * 7;
            sum += amounts[i];
            _leaves.push(MerkleTree.leaf(actors[i], amounts[i]));
        }
        root = MerkleTree.root(_leaves);
        totalShares = sum * 9 / 10;
        uint256 paid = ledger.registerJobWithPolicy(aggregator, kWindow, "paid", aggregator, 8000, 2000, 0, address(usd));
        vm.startPrank(aggregator);
        ledger.recordRound(paid, 1, bytes32(uint256(1)), bytes32(uint256(2)));
        ledger.proposeShares(paid, root, totalShares);
        vm.stopPrank();
        vm.warp(block.timestamp + kWindow);
        ledger.finalize(paid);
        paidJobId = paid;
    }

    /// The aggregator three times in four (so jobs progress), otherwise any caller.
    function _mostlyAggregator(uint256 seed) internal view returns (address) {
        return seed % 4 == 0 ? _caller(seed / 4) : aggregator;
    }

    function _caller(uint256 seed) internal view returns (address) {
        seed = seed % (kActors + 3);
        if (seed < kActors) return actors[seed];
        if (seed == kActors) return aggregator;
        if (seed == kActors + 1) return dao;
        return outsider;
    }

    /// The ModelShares token of `paidJobId`.
    function token() public view returns (ModelShares) {
        return ModelShares(ledger.sharesToken(paidJobId));
    }

    // ------------------------------------------------------------------------------ actions

    function recordRound(uint256 callerSeed, uint256 roundOffset, bytes32 modelHash) external {
        address caller = _mostlyAggregator(callerSeed);
        // Mostly the due round, sometimes a wrong one.
        uint256 round = ghostRoundCount + 1;
        if (roundOffset % 4 == 0) round = bound(roundOffset, 0, ghostRoundCount + 3);
        vm.prank(caller);
        ledger.recordRound(jobId, round, modelHash, keccak256(abi.encode(modelHash)));
        if (caller != aggregator) violationNonAggregatorRecorded = true;
        if (round != ghostRoundCount + 1) violationRoundNotConsecutive = true;
        ghostRoundCount = round;
    }

    function proposeShares(uint256 callerSeed) external {
        vm.prank(_mostlyAggregator(callerSeed));
        ledger.proposeShares(jobId, root, totalShares);
    }

    function veto(uint256 callerSeed) external {
        address caller = _caller(callerSeed);
        vm.prank(caller);
        ledger.veto(jobId);
        if (caller != dao) violationNonDaoVetoed = true;
    }

    function finalize(uint256 callerSeed) external {
        vm.prank(_caller(callerSeed));
        ledger.finalize(jobId);
        finalizedJob = true;
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 0, 2 days));
    }

    function claimShares(uint256 actorSeed, uint256 amountNoise) external {
        uint256 i = actorSeed % kActors;
        // Mostly the right amount; sometimes a wrong one, which must fail.
        uint256 amount = amountNoise % 5 == 0 ? amounts[i] + 1 : amounts[i];
        vm.prank(actors[i]);
        ledger.claimShares(paidJobId, amount, MerkleTree.proof(_leaves, i));
        ghostShareClaims[actors[i]]++;
        ghostSharesClaimed += amount;
    }

    function depositRevenue(uint256 callerSeed, uint256 amount) external {
        ModelShares t = token();
        address caller = _caller(callerSeed);
        amount = bound(amount, 0, 1e24);
        usd.mint(caller, amount);
        vm.prank(caller);
        usd.approve(address(t), amount);
        vm.prank(caller);
        t.depositRevenue(amount);
        ghostRevenueDeposited += amount;
    }

    function claimRevenue(uint256 callerSeed) external {
        ModelShares t = token();
        address caller = _caller(callerSeed);
        uint256 claimable = t.claimableRevenue(caller);
        uint256 before = usd.balanceOf(caller);
        vm.prank(caller);
        uint256 paid = t.claimRevenue();
        if (paid != claimable || usd.balanceOf(caller) - before != paid) violationRevenueOverpaid = true;
        ghostRevenueClaimed += paid;
    }

    function transferShares(uint256 fromSeed, uint256 toSeed, uint256 amount) external {
        ModelShares t = token();
        address from = _caller(fromSeed);
        address to = _caller(toSeed);
        amount = bound(amount, 0, t.balanceOf(from));
        vm.prank(from);
        assert(t.transfer(to, amount));
    }

    /// All accounts that can ever hold shares or revenue.
    function everyone() external view returns (address[] memory all) {
        all = new address[](kActors + 3);
        for (uint256 i = 0; i < all.length; ++i) {
            all[i] = _caller(i);
        }
    }
}
