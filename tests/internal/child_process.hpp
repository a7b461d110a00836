// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! A child process for end-to-end tests: fork/exec of a binary with its stdout and stderr in a
//! log file, killed (SIGKILL) when the object is destroyed.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace flywheel::testing {

class ChildProcess {
 public:
  //! Starts `binary` with `args`, appending its output to `log`.
  ChildProcess(const std::string& binary, const std::vector<std::string>& args, std::filesystem::path log);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  //! Waits up to `timeout` for the process to exit; its exit code (also
  //! when it exited before), or -1 on timeout, signal or kill_now().
  int wait(std::chrono::milliseconds timeout);
  //! Kills it now (SIGKILL) and reaps it.
  void kill_now();
  //! What it printed so far.
  [[nodiscard]] std::string log() const;
  //! Its process id (for reading /proc/<pid>); -1 when fork failed.
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int code_ = -1;
  std::filesystem::path log_;
};

}  // namespace flywheel::testing
