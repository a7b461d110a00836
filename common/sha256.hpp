// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! SHA-256 (FIPS 180-4) through OpenSSL, which uses the CPU's SHA extensions where present (about
//! 1.5–2 GB/s per core on x86-64 with SHA-NI, against ~0.3 GB/s for Keccak-256). Flywheel uses it
//! for bulk content digests (model and update bytes), where `sha256sum FILE` gives the same hex;
//! Keccak-256 (common/keccak.hpp) stays the hash of everything the EVM recomputes.
//!
//!   Hash32 h = sha256(as_bytes(text));                    // to_hex(h.view(), false): sha256sum's hex
//!   Sha256 hasher;                                        // the same digest, chunk by chunk
//!   for (ByteView chunk : chunks) hasher.update(chunk);
//!   Hash32 same = hasher.finish();

#include <memory>

#include "common/bytes.hpp"

namespace flywheel {

//! SHA-256 of `data`. Thread-safe; aborts only if OpenSSL cannot allocate a digest context.
Hash32 sha256(ByteView data);

//! Incremental SHA-256: update() over the message's pieces in order, then finish(), gives the same
//! digest as sha256() of the whole message. One instance per stream (not thread-safe); movable.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  //! Absorbs the next `data.size()` bytes of the message; any size, including empty.
  void update(ByteView data);

  //! Returns the digest of everything passed to update() since construction or the previous
  //! finish(); the hasher is then reset to hash a new message.
  [[nodiscard]] Hash32 finish();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace flywheel
