#include "sqlite_db.h"

#include <sqlite3.h>

#include "taskforge/core/error.h"

namespace taskforge::library {

Database::Database(const std::filesystem::path& path, int busy_timeout_ms) : path_(path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error("cannot open task library " + path.string() + ": " + message);
  }
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  Execute("PRAGMA foreign_keys = ON");
  // WAL: readers never block the writer; synchronous=NORMAL is durable against a killed process
  // (only a power cut can lose the last commits), and it is what WAL is designed for.
  Statement journal = Prepare("PRAGMA journal_mode = WAL");
  TF_THROW_UNLESS(journal.Step() && journal.Text(0) == "wal", "task library ", path.string(),
                  " cannot use write-ahead logging (journal mode '", journal.Text(0), "')");
  Execute("PRAGMA synchronous = NORMAL");
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::Execute(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    throw Error("task library " + path_.string() + ": " + text + " (in: " + sql.substr(0, 80) + ")");
  }
}

Statement Database::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), int(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    throw Error("task library " + path_.string() + ": " + sqlite3_errmsg(db_) + " (in: " + sql.substr(0, 80) + ")");
  }
  return Statement(*this, stmt);
}

int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

Statement::~Statement() { sqlite3_finalize(stmt_); }
Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }

Statement& Statement::Bind(int index, const std::string& value) {
  sqlite3_bind_text(stmt_, index, value.data(), int(value.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}

bool Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw Error("task library " + db_->path().string() + ": " + sqlite3_errmsg(db_->db_));
}

void Statement::Run() {
  const bool row = Step();
  TF_DEMAND(!row);
}

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  return text ? std::string(reinterpret_cast<const char*>(text), size_t(sqlite3_column_bytes(stmt_, column))) : "";
}
int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::Real(int column) const { return sqlite3_column_double(stmt_, column); }

Transaction::Transaction(Database& db) : db_(db) { db_.Execute("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::Commit() {
  db_.Execute("COMMIT");
  done_ = true;
}

}  // namespace taskforge::library
