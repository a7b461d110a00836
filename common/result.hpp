// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Result<T> and Error: how every Flywheel boundary reports a failure that is normal (network,
//! decoding, signatures, reverted transactions, bad configuration). A broken invariant is a bug and
//! aborts instead.
//!
//!   if (rounds == 0) return fail(Errc::config, "job.rounds must be ≥ 1");
//!   auto doc = read_json_file(path);                      // common/file_io.hpp
//!   if (!doc) return tl::unexpected(with_context(doc.error(), "loading " + path.string()));
//!   FLYWHEEL_TRY(write_atomically(path, doc->dump()));    // returns the error, if any

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace flywheel {

//! What kind of failure an Error is; lets callers branch without parsing messages.
enum class Errc {
  invalid_argument,  //!< a caller passed a value outside the documented domain
  config,            //!< a configuration value is missing or out of range
  not_found,         //!< a file, key, account or record does not exist
  io,                //!< reading or writing a file or process failed
  parse,             //!< bytes or text could not be decoded
  crypto,            //!< a key, signature or hash check failed
  rpc,               //!< a JSON-RPC endpoint could not be reached or answered an error
  reverted,          //!< a transaction or call reverted on-chain
  timeout,           //!< a deadline passed
  data,              //!< a dataset is missing or malformed
  internal,          //!< a third-party library threw something unexpected
};

//! Short stable name of an error code, e.g. "config".
std::string_view errc_name(Errc code);

//! A failure a user can act on: a code to branch on and a message that names the problem and, where
//! there is one, the fix.
struct Error {
  Errc code = Errc::internal;
  std::string message;

  //! "<code>: <message>".
  [[nodiscard]] std::string to_string() const;
  bool operator==(const Error&) const = default;
};

template <class T>
using Result = tl::expected<T, Error>;

//! Builds the unexpected side of a Result: `return fail(Errc::config, "rounds must be > 0");`.
inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error{.code = code, .message = std::move(message)});
}

//! Prefixes an error's message with context, keeping its code: "loading config: <message>".
inline Error with_context(Error error, std::string_view context) {
  error.message = std::string(context) + ": " + error.message;
  return error;
}

}  // namespace flywheel

//! Evaluates a Result-returning expression; on failure returns its error from the enclosing
//! function, otherwise yields nothing. For Result<void>-style checks.
#define FLYWHEEL_TRY(expr)                                            \
  do {                                                                \
    auto flywheel_try_result_ = (expr);                               \
    if (!flywheel_try_result_) {                                      \
      return tl::unexpected(std::move(flywheel_try_result_).error()); \
    }                                                                 \
  } while (false)
