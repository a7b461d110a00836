// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "common/sha256.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace flywheel {
namespace {

// The EVP calls fail only on allocation failure or a broken OpenSSL: both are bugs, not input.
void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "flywheel: OpenSSL SHA-256 failed in %s\n", what);
    std::abort();
  }
}

}  // namespace

struct Sha256::Context {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Context() {
    require(ctx != nullptr, "EVP_MD_CTX_new");
    require(EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1, "EVP_DigestInit_ex");
  }
  ~Context() { EVP_MD_CTX_free(ctx); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(ByteView data) {
  if (data.empty()) return;
  require(EVP_DigestUpdate(context_->ctx, data.data(), data.size()) == 1, "EVP_DigestUpdate");
}

Hash32 Sha256::finish() {
  Hash32 out;
  unsigned int size = 0;
  require(EVP_DigestFinal_ex(context_->ctx, out.bytes.data(), &size) == 1 && size == out.size(), "EVP_DigestFinal_ex");
  require(EVP_DigestInit_ex(context_->ctx, EVP_sha256(), nullptr) == 1, "EVP_DigestInit_ex");
  return out;
}

Hash32 sha256(ByteView data) {
  Sha256 hasher;
  hasher.update(data);
  return hasher.finish();
}

}  // namespace flywheel
