// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "common/result.hpp"

namespace flywheel {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::config:
      return "config";
    case Errc::not_found:
      return "not_found";
    case Errc::io:
      return "io";
    case Errc::parse:
      return "parse";
    case Errc::crypto:
      return "crypto";
    case Errc::rpc:
      return "rpc";
    case Errc::reverted:
      return "reverted";
    case Errc::timeout:
      return "timeout";
    case Errc::data:
      return "data";
    case Errc::internal:
      return "internal";
  }
  return "unknown";
}

std::string Error::to_string() const { return std::string(errc_name(code)) + ": " + message; }

}  // namespace flywheel
