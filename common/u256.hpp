// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! U256: the 256-bit unsigned integer of the EVM, for amounts, ids and gas values.
//!
//!   auto wei = U256::from_dec("1000000000000000000");     // 1 ether; Errc::parse past 2^256 − 1
//!   U256 total = *wei * 3 + 1;                            // wraps modulo 2^256, like the EVM
//!   std::string q = total.to_hex_quantity();              // "0x29a2241af62c0001", for JSON-RPC

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/bytes.hpp"

namespace flywheel {

//! 256-bit unsigned integer, four 64-bit limbs, least significant first. Arithmetic wraps modulo
//! 2^256 like the EVM, except where a function says it checks.
struct U256 {
  std::array<std::uint64_t, 4> limbs{};

  constexpr U256() = default;
  constexpr U256(std::uint64_t v) : limbs{v, 0, 0, 0} {}  // NOLINT(google-explicit-constructor)

  //! Decimal digits. Errc::parse on a non-digit, empty text or overflow past 2^256 - 1.
  static Result<U256> from_dec(std::string_view text);
  //! Hex with or without 0x, at most 64 digits ("0x" and "0x0" are zero). Errc::parse otherwise.
  static Result<U256> from_hex(std::string_view text);
  //! Big-endian bytes, at most 32 (shorter input is left-padded). Errc::parse when longer.
  static Result<U256> from_be_bytes(ByteView bytes);

  //! 32 big-endian bytes.
  [[nodiscard]] std::array<std::uint8_t, 32> to_be_bytes() const;
  //! Big-endian bytes without leading zeros (empty for zero): the RLP integer form.
  [[nodiscard]] Bytes to_minimal_be_bytes() const;
  [[nodiscard]] std::string to_dec() const;
  //! "0x" + hex without leading zeros ("0x0" for zero): the JSON-RPC QUANTITY form.
  [[nodiscard]] std::string to_hex_quantity() const;
  [[nodiscard]] bool is_zero() const { return (limbs[0] | limbs[1] | limbs[2] | limbs[3]) == 0; }
  //! True when the value fits in 64 bits.
  [[nodiscard]] bool fits_u64() const { return (limbs[1] | limbs[2] | limbs[3]) == 0; }

  friend U256 operator+(const U256& a, const U256& b);
  friend U256 operator-(const U256& a, const U256& b);
  friend U256 operator*(const U256& a, const U256& b);
  friend std::strong_ordering operator<=>(const U256& a, const U256& b);
  friend bool operator==(const U256& a, const U256& b) = default;
};

}  // namespace flywheel
