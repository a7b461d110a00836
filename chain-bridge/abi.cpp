// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// Solidity Contract ABI Specification (docs.soliditylang.org/en/latest/abi-spec.html): head/tail
// encoding of tuples, dynamic arrays, bytes and strings; function selectors; and the revert data
// of Error(string), Panic(uint256) and custom errors.
#include "chain-bridge/abi.hpp"

#include <algorithm>

#include "common/keccak.hpp"

namespace flywheel::chain {
namespace {

constexpr std::size_t kWord = 32;

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// Splits "a,(b,c),d" at the commas of the outermost level.
Result<std::vector<std::string>> split_top_level(std::string_view list) {
  std::vector<std::string> parts;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i] == '(') ++depth;
    if (list[i] == ')' && --depth < 0) return fail(Errc::parse, "unbalanced ')' in ABI types");
    if (list[i] == ',' && depth == 0) {
      parts.push_back(trim(list.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (depth != 0) return fail(Errc::parse, "unbalanced '(' in ABI types");
  const std::string last = trim(list.substr(start));
  if (!last.empty() || !parts.empty()) parts.push_back(last);
  return parts;
}

U256 one_shl(unsigned bits) {  // 2^bits for bits < 256
  U256 v;
  v.limbs[bits / 64] = 1ULL << (bits % 64);
  return v;
}

// Whether an integer word is in range for uint<bits> / int<bits>.
bool in_range(AbiKind kind, unsigned bits, const U256& word) {
  if (bits == 256) return true;
  if (kind == AbiKind::uint) return word < one_shl(bits);
  // int<bits>: value in [-2^(bits-1), 2^(bits-1)), i.e. word + 2^(bits-1) < 2^bits (mod 2^256).
  return word + one_shl(bits - 1) < one_shl(bits);
}

void append_word(Bytes& out, const std::array<std::uint8_t, 32>& word) {
  out.insert(out.end(), word.begin(), word.end());
}

void append_padded(Bytes& out, ByteView data) {
  U256 len(data.size());
  append_word(out, len.to_be_bytes());
  out.insert(out.end(), data.begin(), data.end());
  out.resize(out.size() + (kWord - data.size() % kWord) % kWord, 0);
}

Bytes encode_tuple(const std::vector<AbiValue>& values);

Bytes encode_value(const AbiValue& v) {
  Bytes out;
  switch (v.kind) {
    case AbiKind::uint:
    case AbiKind::int_:
    case AbiKind::boolean:
      append_word(out, v.word.to_be_bytes());
      break;
    case AbiKind::address:
      out.resize(12, 0);
      out.insert(out.end(), v.address.bytes.begin(), v.address.bytes.end());
      break;
    case AbiKind::bytes32:
      out.insert(out.end(), v.fixed.bytes.begin(), v.fixed.bytes.end());
      break;
    case AbiKind::bytes:
    case AbiKind::string:
      append_padded(out, v.bytes);
      break;
    case AbiKind::array: {
      append_word(out, U256(v.items.size()).to_be_bytes());
      const Bytes body = encode_tuple(v.items);
      out.insert(out.end(), body.begin(), body.end());
      break;
    }
    case AbiKind::tuple:
      out = encode_tuple(v.items);
      break;
  }
  return out;
}

Bytes encode_tuple(const std::vector<AbiValue>& values) {
  std::size_t head_size = 0;
  std::vector<Bytes> encoded;
  encoded.reserve(values.size());
  for (const auto& v : values) {
    encoded.push_back(encode_value(v));
    head_size += v.is_dynamic() ? kWord : encoded.back().size();
  }
  Bytes head;
  Bytes tail;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i].is_dynamic()) {
      append_word(head, U256(head_size + tail.size()).to_be_bytes());
      tail.insert(tail.end(), encoded[i].begin(), encoded[i].end());
    } else {
      head.insert(head.end(), encoded[i].begin(), encoded[i].end());
    }
  }
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

std::string kind_name(AbiKind k) {
  switch (k) {
    case AbiKind::uint:
      return "uint";
    case AbiKind::int_:
      return "int";
    case AbiKind::address:
      return "address";
    case AbiKind::boolean:
      return "bool";
    case AbiKind::bytes32:
      return "bytes32";
    case AbiKind::bytes:
      return "bytes";
    case AbiKind::string:
      return "string";
    case AbiKind::array:
      return "array";
    case AbiKind::tuple:
      return "tuple";
  }
  return "?";
}

Result<void> check_value(const AbiType& type, const AbiValue& value, const std::string& where) {
  if (type.kind != value.kind) {
    return fail(Errc::invalid_argument,
                where + " is " + type.canonical() + " but a " + kind_name(value.kind) + " value was given");
  }
  if ((type.kind == AbiKind::uint || type.kind == AbiKind::int_) && !in_range(type.kind, type.bits, value.word)) {
    return fail(Errc::invalid_argument, where + " does not fit in " + type.canonical());
  }
  if (type.kind == AbiKind::tuple && type.components.size() != value.items.size()) {
    return fail(Errc::invalid_argument, where + " needs " + std::to_string(type.components.size()) + " members, got " +
                                            std::to_string(value.items.size()));
  }
  for (std::size_t i = 0; i < value.items.size(); ++i) {
    const AbiType& sub = type.kind == AbiKind::array ? type.components[0] : type.components[i];
    FLYWHEEL_TRY(check_value(sub, value.items[i], where + "[" + std::to_string(i) + "]"));
  }
  return {};
}

std::size_t static_size(const AbiType& t) {
  if (t.kind != AbiKind::tuple) return kWord;
  std::size_t n = 0;
  for (const auto& c : t.components) n += static_size(c);
  return n;
}

class Decoder {
 public:
  explicit Decoder(ByteView data) : data_(data) {}

  Result<std::vector<AbiValue>> tuple(const std::vector<AbiType>& types, std::size_t base, int depth) {
    if (depth > 32) return fail(Errc::parse, "ABI data nests deeper than 32 levels");
    std::vector<AbiValue> out;
    std::size_t head = base;
    for (const auto& t : types) {
      if (t.is_dynamic()) {
        auto offset = word_as_size(head);
        if (!offset) return tl::unexpected(offset.error());
        if (*offset > data_.size() - base) {
          return fail(Errc::parse, "ABI offset " + std::to_string(*offset) + " points past the end");
        }
        auto v = value(t, base + *offset, depth);
        if (!v) return tl::unexpected(v.error());
        out.push_back(std::move(*v));
        head += kWord;
      } else {
        auto v = value(t, head, depth);
        if (!v) return tl::unexpected(v.error());
        out.push_back(std::move(*v));
        head += static_size(t);
      }
    }
    return out;
  }

 private:
  Result<ByteView> slice(std::size_t pos, std::size_t len) const {
    if (pos > data_.size() || len > data_.size() - pos) {
      return fail(Errc::parse, "ABI data is truncated: needs " + std::to_string(pos + len) + " bytes, has " +
                                   std::to_string(data_.size()));
    }
    return data_.subspan(pos, len);
  }

  Result<U256> word(std::size_t pos) const {
    auto w = slice(pos, kWord);
    if (!w) return tl::unexpected(w.error());
    return U256::from_be_bytes(*w);
  }

  Result<std::size_t> word_as_size(std::size_t pos) const {
    auto w = word(pos);
    if (!w) return tl::unexpected(w.error());
    if (!w->fits_u64() || w->limbs[0] > data_.size()) {
      return fail(Errc::parse, "ABI length or offset " + w->to_dec() + " exceeds the data size");
    }
    return static_cast<std::size_t>(w->limbs[0]);
  }

  Result<AbiValue> value(const AbiType& t, std::size_t pos, int depth) {
    AbiValue v;
    v.kind = t.kind;
    switch (t.kind) {
      case AbiKind::uint:
      case AbiKind::int_:
      case AbiKind::boolean: {
        auto w = word(pos);
        if (!w) return tl::unexpected(w.error());
        v.word = *w;
        const bool ok = t.kind == AbiKind::boolean ? *w <= U256(1) : in_range(t.kind, t.bits, *w);
        if (!ok) return fail(Errc::parse, "ABI word is out of range for " + t.canonical());
        return v;
      }
      case AbiKind::address: {
        auto w = slice(pos, kWord);
        if (!w) return tl::unexpected(w.error());
        if (std::any_of(w->begin(), w->begin() + 12, [](std::uint8_t b) { return b != 0; })) {
          return fail(Errc::parse, "ABI address word has non-zero upper 12 bytes");
        }
        std::copy(w->begin() + 12, w->end(), v.address.bytes.begin());
        return v;
      }
      case AbiKind::bytes32: {
        auto w = slice(pos, kWord);
        if (!w) return tl::unexpected(w.error());
        std::copy(w->begin(), w->end(), v.fixed.bytes.begin());
        return v;
      }
      case AbiKind::bytes:
      case AbiKind::string: {
        auto len = word_as_size(pos);
        if (!len) return tl::unexpected(len.error());
        auto body = slice(pos + kWord, *len);
        if (!body) return tl::unexpected(body.error());
        v.bytes.assign(body->begin(), body->end());
        return v;
      }
      case AbiKind::array: {
        auto len = word_as_size(pos);
        if (!len) return tl::unexpected(len.error());
        // Every element takes at least one word, which bounds the allocation below.
        if (*len > (data_.size() - pos) / kWord) {
          return fail(Errc::parse, "ABI array length " + std::to_string(*len) + " is too large");
        }
        const std::vector<AbiType> elems(*len, t.components[0]);
        auto items = tuple(elems, pos + kWord, depth + 1);
        if (!items) return tl::unexpected(items.error());
        v.items = std::move(*items);
        return v;
      }
      case AbiKind::tuple: {
        auto items = tuple(t.components, pos, depth + 1);
        if (!items) return tl::unexpected(items.error());
        v.items = std::move(*items);
        return v;
      }
    }
    return fail(Errc::internal, "unknown ABI kind");
  }

  ByteView data_;
};

}  // namespace

namespace {
AbiValue make_value(AbiKind kind) {
  AbiValue v;
  v.kind = kind;
  return v;
}
AbiType make_type(AbiKind kind, unsigned bits = 256, std::vector<AbiType> components = {}) {
  AbiType t;
  t.kind = kind;
  t.bits = bits;
  t.components = std::move(components);
  return t;
}
}  // namespace

std::string AbiType::canonical() const {
  switch (kind) {
    case AbiKind::uint:
      return "uint" + std::to_string(bits);
    case AbiKind::int_:
      return "int" + std::to_string(bits);
    case AbiKind::array:
      return components.at(0).canonical() + "[]";
    case AbiKind::tuple: {
      std::string out = "(";
      for (std::size_t i = 0; i < components.size(); ++i) {
        if (i) out += ",";
        out += components[i].canonical();
      }
      return out + ")";
    }
    default:
      return kind_name(kind);
  }
}

bool AbiType::is_dynamic() const {
  switch (kind) {
    case AbiKind::bytes:
    case AbiKind::string:
    case AbiKind::array:
      return true;
    case AbiKind::tuple:
      return std::any_of(components.begin(), components.end(), [](const AbiType& c) { return c.is_dynamic(); });
    default:
      return false;
  }
}

Result<AbiType> AbiType::parse(std::string_view text) {
  const std::string s = trim(text);
  if (s.ends_with("[]")) {
    auto elem = parse(std::string_view(s).substr(0, s.size() - 2));
    if (!elem) return elem;
    return make_type(AbiKind::array, 256, {std::move(*elem)});
  }
  if (s.starts_with("(") && s.ends_with(")")) {
    auto members = parse_abi_types(std::string_view(s).substr(1, s.size() - 2));
    if (!members) return tl::unexpected(members.error());
    return make_type(AbiKind::tuple, 256, std::move(*members));
  }
  if (s == "address") return make_type(AbiKind::address);
  if (s == "bool") return make_type(AbiKind::boolean);
  if (s == "bytes32") return make_type(AbiKind::bytes32);
  if (s == "bytes") return make_type(AbiKind::bytes);
  if (s == "string") return make_type(AbiKind::string);
  for (auto [prefix, kind] :
       {std::pair{std::string_view("uint"), AbiKind::uint}, std::pair{std::string_view("int"), AbiKind::int_}}) {
    if (!s.starts_with(prefix)) continue;
    const std::string digits = s.substr(prefix.size());
    if (digits.empty()) return make_type(kind);
    if (digits.size() > 3 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      break;
    }
    const unsigned bits = static_cast<unsigned>(std::stoul(digits));
    if (bits == 0 || bits > 256 || bits % 8 != 0) break;
    return make_type(kind, bits);
  }
  return fail(Errc::parse, "unsupported ABI type \"" + s +
                               "\" (supported: uint<N>, int<N>, address, bool, bytes32, bytes, "
                               "string, T[] and tuples)");
}

Result<std::vector<AbiType>> parse_abi_types(std::string_view text) {
  const auto open = text.find('(');
  if (open != std::string_view::npos && open > 0 && text.back() == ')' &&
      text.substr(0, open).find(',') == std::string_view::npos) {
    text = text.substr(open + 1, text.size() - open - 2);  // "name(types)" → "types"
  }
  auto parts = split_top_level(text);
  if (!parts) return tl::unexpected(parts.error());
  std::vector<AbiType> types;
  for (const auto& p : *parts) {
    auto t = AbiType::parse(p);
    if (!t) return tl::unexpected(t.error());
    types.push_back(std::move(*t));
  }
  return types;
}

AbiValue AbiValue::of_uint(const U256& v) {
  AbiValue out = make_value(AbiKind::uint);
  out.word = v;
  return out;
}

AbiValue AbiValue::of_int(std::int64_t v) {
  const std::uint64_t ext = v < 0 ? ~0ULL : 0;
  U256 word;
  word.limbs = {static_cast<std::uint64_t>(v), ext, ext, ext};
  return of_int_twos(word);
}

AbiValue AbiValue::of_int_twos(const U256& v) {
  AbiValue out = make_value(AbiKind::int_);
  out.word = v;
  return out;
}

AbiValue AbiValue::of_address(const Address& a) {
  AbiValue out = make_value(AbiKind::address);
  out.address = a;
  return out;
}

AbiValue AbiValue::of_bool(bool b) {
  AbiValue out = make_value(AbiKind::boolean);
  out.word = U256(b ? 1 : 0);
  return out;
}

AbiValue AbiValue::of_bytes32(const Hash32& h) {
  AbiValue out = make_value(AbiKind::bytes32);
  out.fixed = h;
  return out;
}

AbiValue AbiValue::of_bytes(ByteView b) {
  AbiValue out = make_value(AbiKind::bytes);
  out.bytes.assign(b.begin(), b.end());
  return out;
}

AbiValue AbiValue::of_string(std::string_view s) {
  AbiValue out = make_value(AbiKind::string);
  out.bytes.assign(s.begin(), s.end());
  return out;
}

AbiValue AbiValue::of_array(std::vector<AbiValue> elements) {
  AbiValue out = make_value(AbiKind::array);
  out.items = std::move(elements);
  return out;
}

AbiValue AbiValue::of_bytes32_array(const std::vector<Hash32>& elements) {
  std::vector<AbiValue> items;
  items.reserve(elements.size());
  for (const auto& h : elements) items.push_back(of_bytes32(h));
  return of_array(std::move(items));
}

AbiValue AbiValue::of_tuple(std::vector<AbiValue> members) {
  AbiValue out = make_value(AbiKind::tuple);
  out.items = std::move(members);
  return out;
}

std::vector<Hash32> AbiValue::as_bytes32_array() const {
  std::vector<Hash32> out;
  for (const auto& item : items) out.push_back(item.fixed);
  return out;
}

Result<std::uint64_t> AbiValue::as_u64() const {
  if (!word.fits_u64()) return fail(Errc::parse, "value " + word.to_dec() + " exceeds 64 bits");
  return word.limbs[0];
}

bool AbiValue::is_dynamic() const {
  switch (kind) {
    case AbiKind::bytes:
    case AbiKind::string:
    case AbiKind::array:
      return true;
    case AbiKind::tuple:
      return std::any_of(items.begin(), items.end(), [](const AbiValue& c) { return c.is_dynamic(); });
    default:
      return false;
  }
}

Selector selector(std::string_view signature) {
  const Hash32 h = keccak256(as_bytes(signature));
  return {h.bytes[0], h.bytes[1], h.bytes[2], h.bytes[3]};
}

Bytes abi_encode(const std::vector<AbiValue>& values) { return encode_tuple(values); }

Result<Bytes> encode_call(std::string_view signature, const std::vector<AbiValue>& args) {
  auto types = parse_abi_types(signature);
  if (!types) return tl::unexpected(with_context(types.error(), std::string(signature)));
  if (types->size() != args.size()) {
    return fail(Errc::invalid_argument, std::string(signature) + " takes " + std::to_string(types->size()) +
                                            " arguments, got " + std::to_string(args.size()));
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    FLYWHEEL_TRY(check_value((*types)[i], args[i], std::string(signature) + " argument " + std::to_string(i)));
  }
  const Selector sel = selector(signature);
  Bytes out(sel.begin(), sel.end());
  const Bytes body = abi_encode(args);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Result<std::vector<AbiValue>> abi_decode(const std::vector<AbiType>& types, ByteView data) {
  return Decoder(data).tuple(types, 0, 0);
}

Result<std::vector<AbiValue>> abi_decode(std::string_view types, ByteView data) {
  auto parsed = parse_abi_types(types);
  if (!parsed) return tl::unexpected(parsed.error());
  return abi_decode(*parsed, data);
}

std::string RevertReason::to_string() const {
  // require(cond, "") reverts with Error(""): still a reason, which must not read as no text.
  if (message) return message->empty() ? "Error(\"\") (an empty revert message)" : *message;
  if (panic_code) return "panic " + panic_code->to_hex_quantity();
  if (!error_signature.empty()) {
    std::string out = error_signature.substr(0, error_signature.find('(')) + "(";
    for (std::size_t i = 0; i < error_args.size(); ++i) {
      if (i) out += ", ";
      const AbiValue& a = error_args[i];
      switch (a.kind) {
        case AbiKind::uint:
          out += a.word.to_dec();
          break;
        case AbiKind::boolean:
          out += a.as_bool() ? "true" : "false";
          break;
        case AbiKind::address:
          out += a.address.hex();
          break;
        case AbiKind::bytes32:
          out += a.fixed.hex();
          break;
        case AbiKind::string:
          out += "\"" + a.as_string() + "\"";
          break;
        default:
          out += a.kind == AbiKind::int_ ? a.word.to_hex_quantity() : "...";
          break;
      }
    }
    return out + ")";
  }
  if (!selector.empty()) return "custom error " + selector;
  if (!data.empty()) return "revert data " + to_hex(data);
  return "no revert data";
}

RevertReason decode_revert(ByteView data, const std::vector<std::string>& known_errors) {
  RevertReason r;
  r.data.assign(data.begin(), data.end());
  if (data.size() < 4) return r;
  r.selector = to_hex(data.first(4));
  const ByteView body = data.subspan(4);
  if (r.selector == "0x08c379a0") {  // Error(string)
    if (auto v = abi_decode("string", body)) {
      r.message = (*v)[0].as_string();
      return r;
    }
  } else if (r.selector == "0x4e487b71") {  // Panic(uint256)
    if (auto v = abi_decode("uint256", body)) {
      r.panic_code = (*v)[0].word;
      return r;
    }
  }
  for (const auto& sig : known_errors) {
    const Selector sel = selector(sig);
    if (!std::equal(sel.begin(), sel.end(), data.begin())) continue;
    r.error_signature = sig;
    if (auto v = abi_decode(sig, body)) r.error_args = std::move(*v);
    return r;
  }
  return r;
}

}  // namespace flywheel::chain
