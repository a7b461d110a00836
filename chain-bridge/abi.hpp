// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Solidity contract ABI encoding and decoding (Solidity docs, "Contract ABI Specification") for
//! the subset Flywheel's contracts use: uint<N>, int<N>, address, bool, bytes32, bytes, string,
//! dynamic arrays T[] and tuples; function selectors; revert data (Error(string), Panic(uint256),
//! custom errors).
//! The contract bindings (ledger.hpp, economy.hpp) encode their calls and decode the answers here.
//!
//!   auto calldata = encode_call("recordRound(uint256,uint256,bytes32,bytes32)",
//!                               {AbiValue::of_uint(job_id), AbiValue::of_uint(round),
//!                                AbiValue::of_bytes32(model_hash), AbiValue::of_bytes32(root)});
//!   auto values = abi_decode("uint256,bytes32[]", return_data);  // (*values)[1].as_bytes32_array()
//!   std::string why = decode_revert(revert_data, {"RoundOutOfOrder(uint256,uint256)"}).to_string();

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/u256.hpp"

namespace flywheel::chain {

//! The kind of an ABI type or value.
enum class AbiKind { uint, int_, address, boolean, bytes32, bytes, string, array, tuple };

//! An ABI type. Parse one with AbiType::parse("bytes32[]").
struct AbiType {
  AbiKind kind = AbiKind::uint;
  unsigned bits = 256;              //!< width of uint<N> / int<N> (8..256, multiple of 8)
  std::vector<AbiType> components;  //!< tuple members, or the single element type of an array

  //! Canonical spelling as used in signatures: "uint256", "bytes32[]", "(address,bool)".
  [[nodiscard]] std::string canonical() const;
  //! True for bytes, string, T[] and tuples holding any of them (encoded in the tail).
  [[nodiscard]] bool is_dynamic() const;
  //! Parses a type; "uint"/"int" mean 256 bits. Errc::parse for anything outside the subset.
  static Result<AbiType> parse(std::string_view text);

  bool operator==(const AbiType&) const = default;
};

//! Parses the comma-separated types of a signature "name(t1,t2,...)" (or of a bare "t1,t2" list).
//! Errc::parse on unbalanced parentheses or unsupported types.
Result<std::vector<AbiType>> parse_abi_types(std::string_view signature_or_list);

//! An ABI value: a kind and the field that holds it. Build with the of_* factories.
struct AbiValue {
  AbiKind kind = AbiKind::uint;
  U256 word;                    //!< uint, int (two's complement), bool (0 or 1)
  Address address;              //!< address
  Hash32 fixed;                 //!< bytes32
  Bytes bytes;                  //!< bytes, and string (UTF-8 octets)
  std::vector<AbiValue> items;  //!< array elements or tuple members

  static AbiValue of_uint(const U256& v);
  //! A signed integer from a 64-bit value (sign-extended to 256 bits).
  static AbiValue of_int(std::int64_t v);
  //! A signed integer given as its 256-bit two's complement.
  static AbiValue of_int_twos(const U256& v);
  static AbiValue of_address(const Address& a);
  static AbiValue of_bool(bool b);
  static AbiValue of_bytes32(const Hash32& h);
  static AbiValue of_bytes(ByteView b);
  static AbiValue of_string(std::string_view s);
  //! A dynamic array; the elements should share one type.
  static AbiValue of_array(std::vector<AbiValue> elements);
  static AbiValue of_bytes32_array(const std::vector<Hash32>& elements);
  static AbiValue of_tuple(std::vector<AbiValue> members);

  //! The string of a string value (bytes as-is).
  [[nodiscard]] std::string as_string() const { return {bytes.begin(), bytes.end()}; }
  [[nodiscard]] bool as_bool() const { return !word.is_zero(); }
  //! The elements of a bytes32[] value.
  [[nodiscard]] std::vector<Hash32> as_bytes32_array() const;
  //! The integer as uint64. Errc::parse when it does not fit.
  [[nodiscard]] Result<std::uint64_t> as_u64() const;
  //! True for bytes, string, arrays and tuples containing one of them.
  [[nodiscard]] bool is_dynamic() const;

  bool operator==(const AbiValue&) const = default;
};

using Selector = std::array<std::uint8_t, 4>;

//! First 4 bytes of keccak256 of a canonical signature, e.g.
//! selector("recordRound(uint256,uint256,bytes32,bytes32)").
Selector selector(std::string_view signature);

//! Head/tail encoding of `values` as one tuple (function arguments, return data). Never fails.
Bytes abi_encode(const std::vector<AbiValue>& values);

//! Calldata: selector(signature) followed by the encoded arguments. Errc::invalid_argument when
//! the arguments do not match the signature's types in number, kind or integer range.
Result<Bytes> encode_call(std::string_view signature, const std::vector<AbiValue>& args);

//! Decodes return data (or arguments without the selector) as a tuple of `types`. Errc::parse on
//! truncated data, offsets out of range, or words that are out of range for their type.
Result<std::vector<AbiValue>> abi_decode(const std::vector<AbiType>& types, ByteView data);

//! As above with the types given as text, e.g. abi_decode("uint256,bytes32[]", data).
Result<std::vector<AbiValue>> abi_decode(std::string_view types, ByteView data);

//! What a revert's return data says.
struct RevertReason {
  Bytes data;                          //!< raw revert data (may be empty)
  std::string selector;                //!< "0x" + 4-byte selector hex; empty with < 4 bytes
  std::optional<std::string> message;  //!< the text of Error(string)
  std::optional<U256> panic_code;      //!< the code of Panic(uint256), e.g. 0x11 overflow
  std::string error_signature;         //!< the matching known custom error, e.g. "Foo(uint256)"
  std::vector<AbiValue> error_args;    //!< its decoded arguments

  //! Human-readable summary, never empty: the message (`Error("") (an empty revert message)` for
  //! an empty one), "panic 0x11", "Foo(7)", "custom error 0x12345678" or "no revert data".
  [[nodiscard]] std::string to_string() const;
};

//! Decodes revert data. Error(string) and Panic(uint256) are always recognised; a custom error is
//! named when its signature is among `known_errors` (e.g. "RoundOutOfOrder(uint256,uint256)"),
//! otherwise only its selector is reported. Never fails: undecodable data is reported raw.
RevertReason decode_revert(ByteView data, const std::vector<std::string>& known_errors = {});

}  // namespace flywheel::chain
