// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Move-only RAII owners for libcurl's easy handle and header list.

#include <curl/curl.h>

#include <memory>

namespace flywheel::chain::internal {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
//! Owns a CURL easy handle; curl_easy_cleanup on destruction.
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
//! Owns a curl_slist (request headers); curl_slist_free_all on destruction.
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

//! Initialises libcurl once per process (thread-safe) and returns a fresh easy handle, or null
//! when libcurl cannot allocate one.
CurlEasy make_curl_easy();

}  // namespace flywheel::chain::internal
