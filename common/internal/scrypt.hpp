// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! scrypt (RFC 7914) without the RFC's recommendation N < 2^(128·r/8), which OpenSSL enforces but
//! geth's keystores do not follow (the Web3 Secret Storage scrypt vector uses N = 2^18 with r = 1).
//! PBKDF2-HMAC-SHA256 comes from OpenSSL; scryptROMix and Salsa20/8 are here.
//! Private to common/keystore.cpp, which derives keystore encryption keys with it.

#include <cstdint>
#include <span>
#include <string_view>

#include "common/bytes.hpp"

namespace flywheel::internal {

//! Derives out.size() bytes. `n` must be a power of two > 1, `r` and `p` positive (the caller
//! checks, and bounds memory: 128·n·r bytes). Errc::crypto when PBKDF2 fails.
Result<void> scrypt(std::string_view password, ByteView salt, std::uint64_t n, std::uint32_t r, std::uint32_t p,
                    std::span<std::uint8_t> out);

}  // namespace flywheel::internal
