// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "chain-bridge/internal/curl_handle.hpp"

namespace flywheel::chain::internal {

CurlEasy make_curl_easy() {
  // curl_global_init is not thread-safe itself; a function-local static runs it exactly once.
  static const CURLcode kGlobalInit = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (kGlobalInit != CURLE_OK) return nullptr;
  return CurlEasy(curl_easy_init());
}

}  // namespace flywheel::chain::internal
