// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Scratch directories for fedtrain's tests.

#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

namespace flywheel::fedtrain::internal {

//! A new empty directory under the system temp dir, named after `name` (mkdtemp: never one that
//! an earlier run, another checkout or another user left behind).
inline std::filesystem::path fresh_temp_dir(const std::string& name) {
  std::string pattern = (std::filesystem::temp_directory_path() / (name + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::filesystem::filesystem_error("mkdtemp", pattern, std::error_code(errno, std::generic_category()));
  }
  return pattern;
}

}  // namespace flywheel::fedtrain::internal
