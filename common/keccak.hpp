// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not NIST SHA3-256's 0x06).
//! Reference: FIPS 202 permutation Keccak-f[1600]; Ethereum Yellow Paper, appendix on KEC.

#include "common/bytes.hpp"

namespace flywheel {

//! Keccak-256 of `data`. Thread-safe, never fails.
Hash32 keccak256(ByteView data);

//! Keccak-256 of the concatenation of two byte strings.
Hash32 keccak256(ByteView a, ByteView b);

}  // namespace flywheel
