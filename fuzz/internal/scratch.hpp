// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A scratch folder for fuzz targets whose decoder reads files (checkpoints, round artifacts):
//! one per process, created on first use (mkdtemp) and removed when the process exits normally.
//! libFuzzer runs inputs one after another, so a target may reuse the same paths for each input.
//!
//!   const std::filesystem::path run_dir = fuzz::scratch_folder() / "run";

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "fuzz/internal/check.hpp"

namespace flywheel::fuzz {

//! The process's scratch folder under the system temp dir. Aborts when it cannot be created.
inline const std::filesystem::path& scratch_folder() {
  struct Folder {
    std::filesystem::path path;
    Folder() {
      std::string pattern = (std::filesystem::temp_directory_path() / "flywheel-fuzz-XXXXXX").string();
      FLYWHEEL_FUZZ_CHECK(::mkdtemp(pattern.data()) != nullptr, "a scratch folder under the temp dir");
      path = pattern;
    }
    ~Folder() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Folder folder;
  return folder.path;
}

}  // namespace flywheel::fuzz
