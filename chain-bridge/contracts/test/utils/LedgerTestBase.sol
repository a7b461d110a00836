// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";

import {AttributionLedger} from "../../src/AttributionLedger.sol";
import {MerkleTree} from "./MerkleTree.sol";

/// @notice Shared fixture for AttributionLedger tests: a ledger with a DAO, one aggregator and one
///         sponsor, plus helpers that walk a job through its lifecycle.
abstract contract LedgerTestBase is Test {
    uint64 internal constant kWindow = 3 days;
    address internal constant kAccountA = 0x1111111111111111111111111111111111111111;
    address internal constant kAccountB = 0x2222222222222222222222222222222222222222;
    uint256 internal constant kAmountA = 600;
    uint256 internal constant kAmountB = 400;
    /// Root of the fixed two-leaf vector (see MerkleTree.t.sol).
    bytes32 internal constant kFixedRoot = 0x2d54af7259b427e1d56036b34f47f1ec5d3a730d3e89e43b8848973d5690bcd3;

    AttributionLedger internal ledger;
    address internal dao = makeAddr("dao");
    address internal aggregator = makeAddr("aggregator");
    address internal sponsor = makeAddr("sponsor");
    address internal stranger = makeAddr("stranger");

    function setUp() public virtual {
        ledger = new AttributionLedger(dao);
    }

    function _register(uint64 window) internal returns (uint256 jobId) {
        vm.prank(sponsor);
        jobId = ledger.registerJob(aggregator, window, "mnist-fedavg");
    }

    function _modelHash(uint256 round) internal pure returns (bytes32) {
        return keccak256(abi.encode("model", round));
    }

    function _attributionRoot(uint256 round) internal pure returns (bytes32) {
        return keccak256(abi.encode("attribution", round));
    }

    function _recordRounds(uint256 jobId, uint256 count) internal {
        uint256 first = ledger.roundCount(jobId) + 1;
        for (uint256 round = first; round < first + count; ++round) {
            vm.prank(aggregator);
            ledger.recordRound(jobId, round, _modelHash(round), _attributionRoot(round));
        }
    }

    function _propose(uint256 jobId, bytes32 root, uint256 total) internal {
        vm.prank(aggregator);
        ledger.proposeShares(jobId, root, total);
    }

    /// A job with one round and a live proposal of `root` / `total`.
    function _proposedJob(bytes32 root, uint256 total) internal returns (uint256 jobId) {
        jobId = _register(kWindow);
        _recordRounds(jobId, 1);
        _propose(jobId, root, total);
    }

    /// A finalized job whose shares tree is `leaves`, with `total` shares.
    function _finalizedJob(bytes32[] memory leaves, uint256 total) internal returns (uint256 jobId) {
        jobId = _proposedJob(MerkleTree.root(leaves), total);
        vm.warp(block.timestamp + kWindow);
        ledger.finalize(jobId);
    }

    function _fixedLeaves() internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](2);
        leaves[0] = MerkleTree.leaf(kAccountA, kAmountA);
        leaves[1] = MerkleTree.leaf(kAccountB, kAmountB);
    }
}
