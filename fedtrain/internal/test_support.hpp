// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Helpers shared by fedtrain's tests (header-only, included by *_test.cpp files only).

#include <gtest/gtest.h>

#include <cstddef>
#include <map>
#include <numeric>
#include <vector>

#include "fedtrain/data/dataset.hpp"

namespace flywheel::fedtrain::test_support {

//! Fashion-MNIST's test split, its first `limit` images (0 = all 10,000), loaded once per limit.
//! When the files are missing the calling test fails with the loader's message (install Debian's
//! dataset-fashion-mnist) and gets an empty dataset.
inline const Dataset& test_split(std::size_t limit = 0) {
  static std::map<std::size_t, Dataset> loaded_by_limit;
  auto it = loaded_by_limit.find(limit);
  if (it == loaded_by_limit.end()) {
    auto loaded = load_fashion_mnist(kDefaultFashionMnistRoot, Split::test, limit);
    EXPECT_TRUE(loaded) << loaded.error().to_string();
    it = loaded_by_limit.emplace(limit, loaded ? std::move(*loaded) : Dataset{}).first;
  }
  return it->second;
}

//! The indices begin, begin + 1, ..., end − 1.
inline std::vector<std::size_t> range(std::size_t begin, std::size_t end) {
  std::vector<std::size_t> out(end - begin);
  std::iota(out.begin(), out.end(), begin);
  return out;
}

}  // namespace flywheel::fedtrain::test_support
