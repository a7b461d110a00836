// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Byte strings, hex and the fixed-size chain values (Hash32, Address): the plain byte types every
//! module passes across its boundaries (hashes, keys, calldata, signatures). For an address a user
//! typed, parse_address (common/keys.hpp) also checks the EIP-55 checksum.
//!
//!   auto raw = from_hex("0xdeadbeef");                // Result<Bytes>; Errc::parse on bad hex
//!   std::string text = to_hex(*raw);                  // "0xdeadbeef"
//!   auto root = Hash32::from_hex(root_hex);           // Errc::parse unless exactly 32 bytes
//!   bool unset = root->is_zero();

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace flywheel {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

//! Lower-case hex of `bytes`, with a "0x" prefix when `prefix` is true.
std::string to_hex(ByteView bytes, bool prefix = true);

//! Decodes hex with or without "0x". Errc::parse on odd length or a non-hex character.
Result<Bytes> from_hex(std::string_view hex);

//! Bytes of a string, as-is.
inline ByteView as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

//! A value of exactly N bytes (hashes, addresses). Zero-initialised.
template <std::size_t N>
struct FixedBytes {
  std::array<std::uint8_t, N> bytes{};

  static constexpr std::size_t size() { return N; }
  [[nodiscard]] ByteView view() const { return {bytes.data(), N}; }
  [[nodiscard]] std::string hex() const { return to_hex(view()); }
  [[nodiscard]] bool is_zero() const {
    for (auto b : bytes) {
      if (b != 0) return false;
    }
    return true;
  }

  //! Errc::parse unless `data` is exactly N bytes.
  static Result<FixedBytes> from(ByteView data) {
    if (data.size() != N) {
      return fail(Errc::parse, "expected " + std::to_string(N) + " bytes, got " + std::to_string(data.size()));
    }
    FixedBytes out;
    std::copy(data.begin(), data.end(), out.bytes.begin());
    return out;
  }
  //! Errc::parse unless `hex` decodes to exactly N bytes.
  static Result<FixedBytes> from_hex(std::string_view hex) {
    auto raw = ::flywheel::from_hex(hex);
    if (!raw) return tl::unexpected(raw.error());
    return from(*raw);
  }

  auto operator<=>(const FixedBytes&) const = default;
};

using Hash32 = FixedBytes<32>;
using Address = FixedBytes<20>;

}  // namespace flywheel
