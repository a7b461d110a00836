// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! What a fuzz target asserts about a decoder (fuzz/*_fuzz.cpp). A failed property is a bug in
//! the decoder: the target prints which property failed and aborts, so that libFuzzer keeps the
//! input as a crash and the corpus replay (fuzz/internal/replay_main.cpp) fails its ctest test.
//! Unlike assert(), it stays on in release builds (the normal build is RelWithDebInfo, -DNDEBUG).
//!
//!   FLYWHEEL_FUZZ_CHECK(rlp_encode(*item) == input, "encode(decode(x)) == x");

#include <cstdio>
#include <cstdlib>

//! Aborts with `what` and the source line unless `condition` holds.
#define FLYWHEEL_FUZZ_CHECK(condition, what)                                                                \
  do {                                                                                                      \
    if (!(condition)) {                                                                                     \
      std::fprintf(stderr, "%s:%d: fuzz property failed: %s (%s)\n", __FILE__, __LINE__, what, #condition); \
      std::abort();                                                                                         \
    }                                                                                                       \
  } while (false)
