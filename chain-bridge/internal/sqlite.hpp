// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Flywheel Authors
#pragma once

//! Move-only RAII wrappers over the SQLite C API (sqlite.org/c3ref): a connection, a prepared
//! statement and an IMMEDIATE transaction that rolls back unless committed. Errors are
//! Errc::io with SQLite's message.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace flywheel::chain::internal {

struct SqliteCloser {
  void operator()(sqlite3* db) const;
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const;
};

class Statement;

//! One connection. Not thread-safe: use from one thread at a time.
class Database {
 public:
  //! Opens (creating if missing) the database file; sets a busy timeout of `busy_timeout_ms`.
  static Result<Database> open(const std::string& path, int busy_timeout_ms = 5000);

  //! Runs one or more statements without results.
  Result<void> exec(std::string_view sql);
  //! Prepares one statement.
  Result<Statement> prepare(std::string_view sql);
  //! The last error message of this connection.
  [[nodiscard]] std::string error_message() const;

 private:
  std::unique_ptr<sqlite3, SqliteCloser> db_;
};

//! A prepared statement; bind with 1-based indexes, step, read 0-based columns.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  Statement& bind_null(int index);
  //! Binds text, or NULL when absent.
  Statement& bind_optional(int index, const std::optional<std::string>& text);
  //! Binds an integer, or NULL when absent.
  Statement& bind_optional(int index, const std::optional<std::int64_t>& value);

  //! Advances: true with a row, false when done. Errc::io on failure (also for a failed bind).
  Result<bool> step();
  //! Runs to completion, ignoring rows.
  Result<void> run();

  [[nodiscard]] std::string text(int column) const;
  [[nodiscard]] std::int64_t integer(int column) const;
  [[nodiscard]] bool is_null(int column) const;

 private:
  std::unique_ptr<sqlite3_stmt, StatementFinalizer> stmt_;
  sqlite3* db_;
  std::optional<std::string> bind_error_;
};

//! BEGIN IMMEDIATE on construction (via begin()); ROLLBACK in the destructor unless committed.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();
  //! COMMIT. Errc::io on failure (the transaction is then rolled back).
  Result<void> commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;
};

}  // namespace flywheel::chain::internal
