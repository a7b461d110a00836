// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
//
// The `flywheel` command: subcommand groups register themselves (cli/commands.hpp); main parses
// the command line and runs what was chosen.

#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/logging.hpp"
#include "fedtrain/model/math_kernels.hpp"

int main(int argc, char** argv) {
  // Pinned before main() runs (fedtrain/model/math_kernels.hpp); a failure stops every command, since
  // results computed with other kernels would not match anyone else's.
  if (const auto& kernels = flywheel::fedtrain::pin_math_kernels(); !kernels) {
    std::cerr << "flywheel: error: " << kernels.error().message << "\n";
    return 1;
  }
  CLI::App app{"flywheel: federated training with on-chain attribution"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("flywheel ") + FLYWHEEL_VERSION);

  flywheel::cli::LogOptions log_options;
  flywheel::cli::add_log_options(app, log_options);
  flywheel::cli::Action action;
  flywheel::cli::add_job_commands(app, action);
  flywheel::cli::add_keys_commands(app, action);
  flywheel::cli::add_chain_commands(app, action);
  flywheel::cli::add_deploy_commands(app, action);
  flywheel::cli::add_economy_commands(app, action);
  flywheel::cli::add_attribute_commands(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!action) return 0;
  auto logging = flywheel::cli::start_logging(log_options);
  if (!logging) {
    std::cerr << "flywheel: error: " << logging.error().message << "\n";
    return 1;
  }
  try {
    auto result = action();
    if (!result) {
      (*logging)->errors() << "flywheel: error: " << result.error().message << "\n" << std::flush;
      return 1;
    }
  } catch (const std::exception& e) {
    // Libraries return errors; anything thrown up to here is a bug, reported without a stack dump.
    (*logging)->errors() << "flywheel: internal error: " << e.what() << "\n" << std::flush;
    return 2;
  }
  return 0;
}
