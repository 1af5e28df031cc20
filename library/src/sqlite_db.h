#pragma once
// A thin RAII layer over SQLite's C API for the library: one connection, prepared statements
// with bound values, and transactions that roll back unless committed. Private to library/.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace taskforge::library {

class Statement;

class Database {
 public:
  /// Opens (creating) the file with WAL journaling, a busy timeout and foreign keys on.
  /// @throws Error naming the file and SQLite's message.
  explicit Database(const std::filesystem::path& path, int busy_timeout_ms);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Runs one or more statements without results. @throws Error with SQLite's message.
  void Execute(const std::string& sql);
  Statement Prepare(const std::string& sql);
  int64_t last_insert_rowid() const;
  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() { return db_; }

 private:
  friend class Statement;
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Bind by 1-based index; chainable.
  Statement& Bind(int index, const std::string& value);
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  /// Advances; true while a row is available. @throws Error with SQLite's message.
  bool Step();
  /// Steps once, expecting no row (INSERT/UPDATE/DELETE).
  void Run();

  std::string Text(int column) const;
  int64_t Int(int column) const;
  double Real(int column) const;

 private:
  friend class Database;
  Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  Database* db_;
  sqlite3_stmt* stmt_;
};

/// BEGIN IMMEDIATE (the write lock up front, so a writer never deadlocks on upgrade); rolls back
/// in the destructor unless Commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  void Commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace taskforge::library
