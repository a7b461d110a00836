// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

import {Test, console2} from "forge-std/Test.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {MerkleTree} from "./utils/MerkleTree.sol";

/// @notice Checks the test Merkle helper against a fixed cross-language vector and against
///         OpenZeppelin's MerkleProof.
contract MerkleTreeTest is Test {
    // Fixed vector shared with the C++ side (attribution report / chain bridge). Computed independently
    // with js-sha3 (node) and asserted here in Solidity:
    //   account A = 0x1111111111111111111111111111111111111111, amount 600
    //   account B = 0x2222222222222222222222222222222222222222, amount 400
    //   keccak256(abi.encode(A, 600)) = 0x363a66179c2172068ed2809f8a19c6d46caa8a7100df6b392d2386e3b9d30300
    //   leaf A = keccak256(bytes.concat(keccak256(abi.encode(A, 600))))
    //          = 0x6614643305998bf49b8a31772c2220ca6beceb99220b6a0e0d27e3d81a060017
    //   leaf B = 0xadf962fa973456cff969295a2bcb4737b47871984dae691fa83b76efbe27aa64
    //   root   = keccak256(min(leafA, leafB) ++ max(leafA, leafB))
    //          = 0x2d54af7259b427e1d56036b34f47f1ec5d3a730d3e89e43b8848973d5690bcd3
    address internal constant kAccountA = 0x1111111111111111111111111111111111111111;
    address internal constant kAccountB = 0x2222222222222222222222222222222222222222;
    uint256 internal constant kAmountA = 600;
    uint256 internal constant kAmountB = 400;
    bytes32 internal constant kInnerA = 0x363a66179c2172068ed2809f8a19c6d46caa8a7100df6b392d2386e3b9d30300;
    bytes32 internal constant kLeafA = 0x6614643305998bf49b8a31772c2220ca6beceb99220b6a0e0d27e3d81a060017;
    bytes32 internal constant kLeafB = 0xadf962fa973456cff969295a2bcb4737b47871984dae691fa83b76efbe27aa64;
    bytes32 internal constant kRoot = 0x2d54af7259b427e1d56036b34f47f1ec5d3a730d3e89e43b8848973d5690bcd3;

    function test_fixedVector_leavesAndRootMatchCrossLanguageValues() public pure {
        assertEq(keccak256(abi.encode(kAccountA, kAmountA)), kInnerA, "inner hash A");
        assertEq(MerkleTree.leaf(kAccountA, kAmountA), kLeafA, "leaf A");
        assertEq(MerkleTree.leaf(kAccountB, kAmountB), kLeafB, "leaf B");
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = kLeafA;
        leaves[1] = kLeafB;
        bytes32 computed = MerkleTree.root(leaves);
        console2.log("fixed vector leaf A:");
        console2.logBytes32(kLeafA);
        console2.log("fixed vector leaf B:");
        console2.logBytes32(kLeafB);
        console2.log("fixed vector root:");
        console2.logBytes32(computed);
        assertEq(computed, kRoot, "root");
    }

    function test_fixedVector_rootDoesNotDependOnLeafOrder() public pure {
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = kLeafB;
        leaves[1] = kLeafA;
        assertEq(MerkleTree.root(leaves), kRoot);
    }

    function test_fixedVector_proofOfEachLeafIsTheOtherLeaf() public pure {
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = kLeafA;
        leaves[1] = kLeafB;
        bytes32[] memory proofA = MerkleTree.proof(leaves, 0);
        assertEq(proofA.length, 1);
        assertEq(proofA[0], kLeafB);
        assertTrue(MerkleProof.verify(proofA, kRoot, kLeafA));
        assertTrue(MerkleProof.verify(MerkleTree.proof(leaves, 1), kRoot, kLeafB));
    }

    function test_singleLeaf_isItsOwnRootWithEmptyProof() public pure {
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = kLeafA;
        assertEq(MerkleTree.root(leaves), kLeafA);
        assertEq(MerkleTree.proof(leaves, 0).length, 0);
    }

    function test_threeLeaves_oddNodeIsCarriedUp() public pure {
        bytes32[] memory leaves = new bytes32[](3);
        leaves[0] = bytes32(uint256(1));
        leaves[1] = bytes32(uint256(2));
        leaves[2] = bytes32(uint256(3));
        bytes32 expected = MerkleTree.hashPair(MerkleTree.hashPair(leaves[0], leaves[1]), leaves[2]);
        assertEq(MerkleTree.root(leaves), expected);
        assertEq(MerkleTree.proof(leaves, 2).length, 1);
    }

    /// Every leaf of a random tree has a proof that OpenZeppelin's MerkleProof accepts, and no other leaf
    /// verifies with that proof.
    function testFuzz_everyLeafProofVerifiesWithOpenZeppelin(bytes32 seed, uint8 size) public pure {
        uint256 n = bound(size, 1, 40);
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            leaves[i] = keccak256(abi.encode(seed, i));
        }
        bytes32 root = MerkleTree.root(leaves);
        for (uint256 i = 0; i < n; ++i) {
            bytes32[] memory proof = MerkleTree.proof(leaves, i);
            assertTrue(MerkleProof.verify(proof, root, leaves[i]));
            assertFalse(MerkleProof.verify(proof, root, keccak256(abi.encode(seed, n + i))));
        }
    }
}
