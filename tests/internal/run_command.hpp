// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Runs a command line through the shell and captures what it printed, for end-to-end tests.

#include <string>

namespace flywheel::testing {

struct CommandResult {
  int exit_code = -1;  //!< the process's exit status, or -1 when it did not exit normally
  std::string output;  //!< stdout and stderr together
};

//! Runs `command` with /bin/sh, stderr merged into stdout.
CommandResult run_command(const std::string& command);

//! A fresh empty directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace flywheel::testing
