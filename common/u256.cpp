// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// U256: the EVM word (Ethereum Yellow Paper, section 9.1: arithmetic modulo 2^256), four 64-bit
// limbs, least significant first.
#include "common/u256.hpp"

#include <algorithm>

namespace flywheel {
namespace {

using u128 = unsigned __int128;

// value = value * mul + add; returns the carry out of the top limb.
std::uint64_t mul_add_small(U256& value, std::uint64_t mul, std::uint64_t add) {
  u128 carry = add;
  for (auto& limb : value.limbs) {
    const u128 t = static_cast<u128>(limb) * mul + carry;
    limb = static_cast<std::uint64_t>(t);
    carry = t >> 64;
  }
  return static_cast<std::uint64_t>(carry);
}

// value = value / div; returns the remainder.
std::uint64_t div_small(U256& value, std::uint64_t div) {
  u128 rem = 0;
  for (int i = 3; i >= 0; --i) {
    const u128 cur = (rem << 64) | value.limbs[i];
    value.limbs[i] = static_cast<std::uint64_t>(cur / div);
    rem = cur % div;
  }
  return static_cast<std::uint64_t>(rem);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<U256> U256::from_dec(std::string_view text) {
  if (text.empty()) return fail(Errc::parse, "empty decimal number");
  U256 value;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return fail(Errc::parse, "invalid decimal digit '" + std::string(1, c) + "' in \"" + std::string(text) + "\"");
    }
    if (mul_add_small(value, 10, static_cast<std::uint64_t>(c - '0')) != 0) {
      return fail(Errc::parse, "decimal number \"" + std::string(text) + "\" exceeds 2^256 - 1");
    }
  }
  return value;
}

Result<U256> U256::from_hex(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  if (text.size() > 64) {
    return fail(Errc::parse,
                "hex number has " + std::to_string(text.size()) + " digits; a 256-bit value has at most 64");
  }
  U256 value;
  for (char c : text) {
    const int d = hex_digit(c);
    if (d < 0) return fail(Errc::parse, "invalid hex digit '" + std::string(1, c) + "'");
    mul_add_small(value, 16, static_cast<std::uint64_t>(d));
  }
  return value;
}

Result<U256> U256::from_be_bytes(ByteView bytes) {
  if (bytes.size() > 32) {
    return fail(Errc::parse, "a 256-bit value has at most 32 bytes, got " + std::to_string(bytes.size()));
  }
  U256 value;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::size_t bit = 8 * (bytes.size() - 1 - i);  // position of this byte's lowest bit
    value.limbs[bit / 64] |= static_cast<std::uint64_t>(bytes[i]) << (bit % 64);
  }
  return value;
}

std::array<std::uint8_t, 32> U256::to_be_bytes() const {
  std::array<std::uint8_t, 32> out{};
  for (std::size_t i = 0; i < 32; ++i) {
    const std::size_t bit = 8 * (31 - i);
    out[i] = static_cast<std::uint8_t>(limbs[bit / 64] >> (bit % 64));
  }
  return out;
}

Bytes U256::to_minimal_be_bytes() const {
  const auto full = to_be_bytes();
  auto first = std::find_if(full.begin(), full.end(), [](std::uint8_t b) { return b != 0; });
  return Bytes(first, full.end());
}

std::string U256::to_dec() const {
  if (is_zero()) return "0";
  U256 rest = *this;
  std::string digits;
  while (!rest.is_zero()) digits += static_cast<char>('0' + div_small(rest, 10));
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::string U256::to_hex_quantity() const {
  std::string hex = to_hex(to_minimal_be_bytes(), false);
  if (hex.starts_with('0')) hex.erase(0, 1);  // at most one leading zero nibble
  return "0x" + (hex.empty() ? std::string("0") : hex);
}

U256 operator+(const U256& a, const U256& b) {
  U256 out;
  std::uint64_t carry = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const u128 t = static_cast<u128>(a.limbs[i]) + b.limbs[i] + carry;
    out.limbs[i] = static_cast<std::uint64_t>(t);
    carry = static_cast<std::uint64_t>(t >> 64);
  }
  return out;
}

U256 operator-(const U256& a, const U256& b) {
  U256 out;
  std::uint64_t borrow = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::uint64_t d = a.limbs[i] - b.limbs[i] - borrow;
    borrow = (a.limbs[i] < b.limbs[i] || (a.limbs[i] == b.limbs[i] && borrow)) ? 1 : 0;
    out.limbs[i] = d;
  }
  return out;
}

U256 operator*(const U256& a, const U256& b) {
  U256 out;
  for (std::size_t i = 0; i < 4; ++i) {
    u128 carry = 0;
    for (std::size_t j = 0; i + j < 4; ++j) {
      const u128 t = static_cast<u128>(a.limbs[i]) * b.limbs[j] + out.limbs[i + j] + carry;
      out.limbs[i + j] = static_cast<std::uint64_t>(t);
      carry = t >> 64;
    }
  }
  return out;
}

std::strong_ordering operator<=>(const U256& a, const U256& b) {
  for (int i = 3; i >= 0; --i) {
    if (a.limbs[i] != b.limbs[i]) return a.limbs[i] <=> b.limbs[i];
  }
  return std::strong_ordering::equal;
}

}  // namespace flywheel
