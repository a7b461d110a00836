// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#include "cli/logging.hpp"

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>
#include <streambuf>

#include <CLI/CLI.hpp>

namespace flywheel::cli {
namespace {

// Lines written to it go to `terminal` (unless null) and to `file` (unless null), the file's
// stamped with the UTC time. Shared by cout and cerr, so a lock keeps their lines whole.
class TeeBuffer final : public std::streambuf {
 public:
  TeeBuffer(std::streambuf* terminal, std::ofstream* file, std::mutex& mu)
      : terminal_(terminal), file_(file), mu_(mu) {}

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    line_.push_back(static_cast<char>(c));
    if (c == '\n') flush_line();
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize k = 0; k < n; ++k) overflow(static_cast<unsigned char>(s[k]));
    return n;
  }
  int sync() override {
    flush_line();
    return 0;
  }

 private:
  void flush_line() {
    if (line_.empty()) return;
    std::lock_guard lock(mu_);
    if (terminal_ != nullptr) {
      terminal_->sputn(line_.data(), static_cast<std::streamsize>(line_.size()));
      terminal_->pubsync();
    }
    if (file_ != nullptr) {
      if (at_line_start_) *file_ << stamp() << ' ';
      *file_ << line_ << std::flush;
      at_line_start_ = line_.back() == '\n';
    }
    line_.clear();
  }
  static std::string stamp() {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
  }

  std::streambuf* terminal_;
  std::ofstream* file_;
  std::mutex& mu_;
  std::string line_;
  bool at_line_start_ = true;
};

class RoutedLogging final : public Logging {
 public:
  RoutedLogging(bool terminal_progress, std::unique_ptr<std::ofstream> file)
      : file_(std::move(file)),
        cout_saved_(std::cout.rdbuf()),
        cerr_saved_(std::cerr.rdbuf()),
        out_(terminal_progress ? cout_saved_ : nullptr, file_.get(), mu_),
        err_(terminal_progress ? cerr_saved_ : nullptr, file_.get(), mu_),
        errors_buffer_(cerr_saved_, file_.get(), mu_),
        errors_(&errors_buffer_) {
    std::cout.rdbuf(&out_);
    std::cerr.rdbuf(&err_);
  }
  ~RoutedLogging() override {
    std::cout.flush();
    std::cerr.flush();
    errors_.flush();
    std::cout.rdbuf(cout_saved_);
    std::cerr.rdbuf(cerr_saved_);
  }
  std::ostream& errors() override { return errors_; }

 private:
  std::mutex mu_;
  std::unique_ptr<std::ofstream> file_;
  std::streambuf* cout_saved_;
  std::streambuf* cerr_saved_;
  TeeBuffer out_;
  TeeBuffer err_;
  TeeBuffer errors_buffer_;
  std::ostream errors_;
};

}  // namespace

void add_log_options(CLI::App& app, LogOptions& options) {
  app.fallthrough();
  app.add_option("--log-level", options.level,
                 "What the terminal shows: error (errors only), info (progress, the default) or debug "
                 "(also gRPC's own log)")
      ->check(CLI::IsMember({"error", "info", "debug"}));
  app.add_option_function<std::string>(
      "--log-file", [&options](const std::string& v) { options.file = v; },
      "Also append everything printed to this file, each line stamped with the UTC time");
}

Result<std::unique_ptr<Logging>> start_logging(const LogOptions& options) {
  if (options.level != "error" && options.level != "info" && options.level != "debug") {
    return fail(Errc::config, "--log-level must be error, info or debug, got " + options.level);
  }
  // gRPC reads its verbosity when it starts, which is after this (the first channel or server).
  if (options.level == "debug") ::setenv("GRPC_VERBOSITY", "DEBUG", 1);
  std::unique_ptr<std::ofstream> file;
  if (options.file) {
    file = std::make_unique<std::ofstream>(*options.file, std::ios::app);
    if (!*file) return fail(Errc::io, "cannot open the log file " + options.file->string());
  }
  return std::unique_ptr<Logging>(new RoutedLogging(options.level != "error", std::move(file)));
}

}  // namespace flywheel::cli
