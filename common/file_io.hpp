// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Whole-file reads and crash-safe whole-file writes: the one home of both for every module.
//!
//!   auto text = read_file(path, "job file");            // Errc::not_found / Errc::io, naming it
//!   FLYWHEEL_TRY(write_atomically(dir / "state.json", doc.dump(2) + "\n"));
//!
//! write_atomically writes a sibling `<name>.tmp` and renames it over `path`, so a reader, or a run
//! resumed after its process crashed, sees the old file or the new one, never half of one. (It does
//! not fsync: after a power loss the file system decides.)

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace flywheel {

//! The whole file as bytes. `what` names the file in errors ("cannot read job file /x: ...").
//! Errors: Errc::not_found when it does not exist; Errc::io when it cannot be opened or read.
Result<std::string> read_file(const std::filesystem::path& path, std::string_view what = "file");

//! Creates `path` with permission bits `mode` exactly (whatever the umask) and writes `bytes`;
//! never replaces a file that exists. Errors: Errc::io, naming the file and the system's reason
//! ("... File exists (refusing to overwrite it)" when it exists).
Result<void> write_new_file(const std::filesystem::path& path, std::string_view bytes, unsigned mode);

//! Replaces `path` with `bytes` atomically (temporary sibling, then rename). Errors: Errc::io,
//! naming the file and the system's reason; `path` is unchanged then.
Result<void> write_atomically(const std::filesystem::path& path, std::string_view bytes);

//! A JSON file, parsed. Errors: Errc::not_found when it cannot be opened; Errc::config when it is
//! not JSON (the parser's message names where).
Result<nlohmann::json> read_json_file(const std::filesystem::path& path);

//! write_atomically of `value`, indented by 2, with a final newline.
Result<void> write_json_atomically(const std::filesystem::path& path, const nlohmann::json& value);

}  // namespace flywheel
