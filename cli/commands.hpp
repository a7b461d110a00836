// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! How subcommands plug into the `flywheel` command: each group adds its subcommands to the app
//! and, when one is chosen, stores what to run in `action`. main() parses, then runs the action.
//! A new group is one file with one add_*_commands function, called from main.cpp.
//!
//!   void add_foo_commands(CLI::App& app, Action& action) {   // cli/foo_commands.cpp
//!     static FooRequest request;                             // must outlive parsing
//!     auto* foo = app.add_subcommand("foo", "What foo does");
//!     foo->callback([&action] { action = [] { return run_foo(request); }; });
//!   }

#include <functional>

#include "common/result.hpp"

namespace CLI {
class App;
}

namespace flywheel::cli {

//! What the chosen subcommand does once the command line is parsed.
using Action = std::function<Result<void>()>;

//! `simulate` and `demo`.
void add_job_commands(CLI::App& app, Action& action);

//! `keys new|address|tls`.
void add_keys_commands(CLI::App& app, Action& action);

//! `chain deploy|status` and `shares propose|finalize|claim`.
void add_chain_commands(CLI::App& app, Action& action);

//! `aggregator` and `participant` (deployment mode over gRPC).
void add_deploy_commands(CLI::App& app, Action& action);

//! `revenue deposit|claim|claimable` and `dao deploy|delegate|propose|vote|execute`.
void add_economy_commands(CLI::App& app, Action& action);

//! `attribute` (recompute a run's attribution from its artifacts).
void add_attribute_commands(CLI::App& app, Action& action);

}  // namespace flywheel::cli
