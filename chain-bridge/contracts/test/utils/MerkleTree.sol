// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
pragma solidity ^0.8.24;

/// @title MerkleTree (test helper)
/// @notice Builds the shares Merkle tree that AttributionLedger.claimShares verifies, so tests can make
///         roots and proofs for arbitrary (account, amount) lists.
/// @dev Conventions (the same as OpenZeppelin's MerkleProof and the C++ attribution report):
///      - leaf = keccak256(bytes.concat(keccak256(abi.encode(account, amount)))), amount as uint256;
///      - inner node = keccak256 of the two children in ascending order (sorted pair);
///      - levels are built left to right from the leaves in the given order; an odd node at the end of
///        a level is carried up unchanged (it gets no sibling in proofs).
///      With sorted-pair hashing a proof verifies regardless of leaf order, but the root of a tree with
///      three or more leaves depends on the order and on the odd-node rule above.
library MerkleTree {
    /// @notice The double-hashed leaf of (`account`, `amount`).
    function leaf(address account, uint256 amount) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
    }

    /// @notice keccak256 of `a` and `b` concatenated in ascending order.
    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    /// @notice Root of the tree over `leaves`; reverts on an empty list.
    function root(bytes32[] memory leaves) internal pure returns (bytes32) {
        require(leaves.length > 0, "MerkleTree: no leaves");
        bytes32[] memory level = _copy(leaves);
        uint256 length = level.length;
        while (length > 1) {
            length = _nextLevel(level, length);
        }
        return level[0];
    }

    /// @notice Proof (sibling hashes from the leaf upwards) for the leaf at `index`.
    function proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory) {
        require(index < leaves.length, "MerkleTree: index out of range");
        bytes32[] memory level = _copy(leaves);
        bytes32[] memory siblings = new bytes32[](256);
        uint256 count = 0;
        uint256 length = level.length;
        while (length > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < length) siblings[count++] = level[sibling];
            index /= 2;
            length = _nextLevel(level, length);
        }
        assembly ("memory-safe") {
            mstore(siblings, count)
        }
        return siblings;
    }

    /// @dev Replaces the first `length` entries of `level` by the next level up; returns its length.
    function _nextLevel(bytes32[] memory level, uint256 length) private pure returns (uint256) {
        uint256 next = (length + 1) / 2;
        for (uint256 i = 0; i < next; ++i) {
            uint256 left = 2 * i;
            level[i] = left + 1 < length ? hashPair(level[left], level[left + 1]) : level[left];
        }
        return next;
    }

    function _copy(bytes32[] memory values) private pure returns (bytes32[] memory out) {
        out = new bytes32[](values.length);
        for (uint256 i = 0; i < values.length; ++i) {
            out[i] = values[i];
        }
    }
}
