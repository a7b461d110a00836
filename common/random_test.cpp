// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "common/random.hpp"

#include <gtest/gtest.h>

namespace flywheel {
namespace {

TEST(SplitMix64, OutputsFromZeroStateMatchTheReference) {
  // Vigna's splitmix64.c with x = 0: its first three outputs.
  std::uint64_t state = 0;
  EXPECT_EQ(splitmix64_next(state), 0xE220A8397B1DCDAFULL);
  EXPECT_EQ(splitmix64_next(state), 0x6E789E6AA1B965F4ULL);
  EXPECT_EQ(splitmix64_next(state), 0x06C45D188009454FULL);
}

TEST(SplitMix64, TheStatelessStepIsTheFirstOutputFromThatState) {
  for (std::uint64_t x : {0ULL, 1ULL, 0x632BE59BD9B4E019ULL, ~0ULL}) {
    std::uint64_t state = x;
    EXPECT_EQ(splitmix64(x), splitmix64_next(state)) << x;
  }
}

}  // namespace
}  // namespace flywheel
