// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! `--log-level` and `--log-file`, which every subcommand takes (before or after its name). The
//! commands print progress to stdout and stderr; these options decide where it goes:
//!   --log-level error   the terminal shows errors only (progress still goes to --log-file)
//!   --log-level info    progress and errors (the default)
//!   --log-level debug   also gRPC's own log (GRPC_VERBOSITY=DEBUG)
//!   --log-file PATH     everything printed also goes to PATH, appended, each line stamped with UTC
//!
//!   LogOptions log;
//!   add_log_options(app, log);
//!   app.parse(argc, argv);
//!   auto logging = start_logging(log);  // keep it alive while the command runs

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "common/result.hpp"

namespace CLI {
class App;
}

namespace flywheel::cli {

//! What the command line says about logging.
struct LogOptions {
  std::string level = "info";                 //!< error, info or debug
  std::optional<std::filesystem::path> file;  //!< --log-file
};

//! Adds --log-level and --log-file to `app` (and, through fallthrough, to every subcommand).
void add_log_options(CLI::App& app, LogOptions& options);

//! Routes std::cout and std::cerr as `options` says until it is destroyed, which restores them.
class Logging {
 public:
  virtual ~Logging() = default;
  //! Where errors go: the terminal's stderr, and the log file when there is one.
  virtual std::ostream& errors() = 0;
};

//! Starts logging. Errc::io when the log file cannot be opened; Errc::config for an unknown level.
Result<std::unique_ptr<Logging>> start_logging(const LogOptions& options);

}  // namespace flywheel::cli
