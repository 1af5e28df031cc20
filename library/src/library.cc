// The SQLite task library: schema, seeding, add/get/list/remove, validations, stats, checks.
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sqlite_db.h"
#include "taskforge/library/library.h"

namespace taskforge::library {
namespace {

constexpr int kSchemaVersion = 1;
constexpr int kBusyTimeoutMs = 30'000;  // writers wait this long for another's transaction [ms]
constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

const char* kSchema = R"sql(
CREATE TABLE tasks (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  source      TEXT NOT NULL,
  origin      TEXT NOT NULL CHECK (origin IN ('seed', 'generated', 'imported', 'hand-written')),
  parents     TEXT NOT NULL DEFAULT '[]',  -- JSON array of task names
  prompt_mode TEXT NOT NULL DEFAULT '',
  model       TEXT NOT NULL DEFAULT '',
  assets      TEXT NOT NULL DEFAULT '[]',  -- JSON array of catalogue names
  fingerprint TEXT NOT NULL,               -- StructureFingerprint, hashed (FNV-1a 64, hex)
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX tasks_by_fingerprint ON tasks (fingerprint);
CREATE TABLE validations (
  id           INTEGER PRIMARY KEY,
  task_id      INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  validated_at TEXT NOT NULL,
  accepted     INTEGER NOT NULL,
  stage        TEXT NOT NULL,
  reason       TEXT NOT NULL,
  episodes     INTEGER NOT NULL,
  successes    INTEGER NOT NULL,
  success_rate REAL NOT NULL,
  wall_s       REAL NOT NULL,
  report       TEXT NOT NULL                -- ValidationReport::ToJson()
);
CREATE INDEX validations_by_task ON validations (task_id);
)sql";

std::string FingerprintHash(const std::string& source) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a 64
  for (unsigned char c : StructureFingerprint(source)) hash = (hash ^ c) * 1099511628211ull;
  std::ostringstream out;
  out << std::hex << hash;
  return out.str();
}

// Names become file names on export: letters, digits, '-' and '_' only (no paths, no dots).
void CheckTaskName(const std::string& name) {
  constexpr size_t kMaxName = 80;
  const bool ok = !name.empty() && name.size() <= kMaxName && name.front() != '-' &&
                  std::all_of(name.begin(), name.end(), [](unsigned char c) {
                    return std::isalnum(c) || c == '-' || c == '_';
                  });
  TF_THROW_UNLESS(ok, "task name '", name, "' is not allowed: use 1 to ", kMaxName,
                  " letters, digits, '-' and '_' (e.g. \"stack-blocks-by-colour\"), not starting with '-'");
}

std::string ToJsonArray(const std::vector<std::string>& names) { return nlohmann::json(names).dump(); }
std::vector<std::string> FromJsonArray(const std::string& text) {
  return nlohmann::json::parse(text).get<std::vector<std::string>>();
}

const char* kTaskColumns =
    "id, name, description, source, origin, parents, prompt_mode, model, assets, created_at, updated_at";

// A task row (selected with kTaskColumns) and its validations.
TaskRecord ReadTask(Database& db, const Statement& row) {
  TaskRecord t;
  const int64_t id = row.Int(0);
  t.name = row.Text(1);
  t.description = row.Text(2);
  t.source = row.Text(3);
  t.origin = ParseOrigin(row.Text(4));
  t.parents = FromJsonArray(row.Text(5));
  t.prompt_mode = row.Text(6);
  t.model = row.Text(7);
  t.assets = FromJsonArray(row.Text(8));
  t.created_at = row.Text(9);
  t.updated_at = row.Text(10);
  Statement v = db.Prepare(
      "SELECT validated_at, accepted, stage, reason, episodes, successes, success_rate, wall_s, report "
      "FROM validations WHERE task_id = ? ORDER BY id");
  v.Bind(1, id);
  while (v.Step()) {
    t.validations.push_back({v.Text(0), v.Int(1) != 0, v.Text(2), v.Text(3), int(v.Int(4)), int(v.Int(5)), v.Real(6),
                             v.Real(7), v.Text(8)});
  }
  return t;
}

void InsertValidation(Database& db, int64_t task_id, const ValidationRecord& r) {
  Statement s = db.Prepare(std::string("INSERT INTO validations (task_id, validated_at, accepted, stage, reason, "
                                       "episodes, successes, success_rate, wall_s, report) VALUES "
                                       "(?, COALESCE(NULLIF(?, ''), ") + kNow + "), ?, ?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, task_id).Bind(2, r.validated_at).Bind(3, int64_t(r.accepted)).Bind(4, r.stage).Bind(5, r.reason);
  s.Bind(6, int64_t(r.episodes)).Bind(7, int64_t(r.successes)).Bind(8, r.success_rate).Bind(9, r.wall_s);
  s.Bind(10, r.report_json).Run();
}

std::filesystem::path HomeDataDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return xdg;
  const char* home = std::getenv("HOME");
  TF_THROW_UNLESS(home && *home, "no task library path: give --library PATH or set TASKFORGE_LIBRARY "
                                 "(neither XDG_DATA_HOME nor HOME is set)");
  return std::filesystem::path(home) / ".local" / "share";
}

}  // namespace

struct TaskLibrary::Impl {
  std::unique_ptr<Database> db;
  /// Inserts a task row and its validations (inside the caller's transaction); returns its id.
  int64_t Insert(const TaskRecord& task);
};

const char* OriginName(Origin origin) {
  switch (origin) {
    case Origin::kSeed: return "seed";
    case Origin::kGenerated: return "generated";
    case Origin::kImported: return "imported";
    case Origin::kHandWritten: return "hand-written";
  }
  return "?";
}

Origin ParseOrigin(const std::string& name) {
  for (Origin o : {Origin::kSeed, Origin::kGenerated, Origin::kImported, Origin::kHandWritten}) {
    if (name == OriginName(o)) return o;
  }
  throw Error("unknown task origin '" + name + "' (expected seed, generated, imported or hand-written)");
}

ValidationRecord ToValidationRecord(const ValidationReport& report) {
  return {"", report.accepted, StageName(report.stage), report.reason, int(report.episodes.size()),
          report.successes, report.success_rate, report.wall_s, report.ToJson()};
}

tasks::TaskSource TaskRecord::ToTaskSource() const { return {name, "", name + ".lua", source}; }

const ValidationRecord* TaskRecord::latest_validation() const {
  return validations.empty() ? nullptr : &validations.back();
}

std::filesystem::path DefaultLibraryPath(const std::filesystem::path& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("TASKFORGE_LIBRARY"); env && *env) return env;
  return HomeDataDir() / "taskforge" / "library.db";
}

TaskLibrary::TaskLibrary(const std::filesystem::path& path, const std::filesystem::path& seed_dir)
    : impl_(std::make_unique<Impl>()) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  impl_->db = std::make_unique<Database>(path, kBusyTimeoutMs);
  Database& db = *impl_->db;
  auto schema_version = [&db] {
    Statement version = db.Prepare("PRAGMA user_version");
    version.Step();
    return version.Int(0);
  };
  int64_t found = schema_version();
  if (found == 0) {
    // Create and seed in one write transaction; a second process creating the same file at the
    // same time waits for it, then finds the schema in place.
    Transaction transaction(db);
    found = schema_version();
    if (found == 0) {
      Statement tables = db.Prepare("SELECT count(*) FROM sqlite_master");
      tables.Step();
      TF_THROW_UNLESS(tables.Int(0) == 0, path.string(), " is an SQLite database but not a taskforge task library");
      db.Execute(kSchema);
      db.Execute("PRAGMA user_version = " + std::to_string(kSchemaVersion));
      const std::filesystem::path dir = seed_dir.empty() ? tasks::DefaultLibraryDir() : seed_dir;
      for (const tasks::TaskInfo& info : tasks::ListTasks(dir)) {
        TaskRecord seed;
        seed.name = info.name;
        seed.description = info.description;
        seed.source = tasks::ResolveTask((dir / info.file).string()).code;
        seed.origin = Origin::kSeed;
        impl_->Insert(seed);
      }
      found = kSchemaVersion;
    }
    transaction.Commit();
  }
  TF_THROW_UNLESS(found <= kSchemaVersion, "task library ", path.string(), " has schema version ", found,
                  "; this taskforge reads versions up to ", kSchemaVersion, " (upgrade taskforge)");
}

TaskLibrary::~TaskLibrary() = default;
TaskLibrary::TaskLibrary(TaskLibrary&&) noexcept = default;
TaskLibrary& TaskLibrary::operator=(TaskLibrary&&) noexcept = default;

const std::filesystem::path& TaskLibrary::path() const { return impl_->db->path(); }

int64_t TaskLibrary::Impl::Insert(const TaskRecord& t) {
  CheckTaskName(t.name);
  TF_THROW_UNLESS(!t.source.empty(), "task '", t.name, "' has no Lua source");
  Statement s = db->Prepare(std::string("INSERT INTO tasks (name, description, source, origin, parents, prompt_mode, "
                                        "model, assets, fingerprint, created_at, updated_at) VALUES "
                                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(NULLIF(?, ''), ") +
                            kNow + "), COALESCE(NULLIF(?, ''), " + kNow + "))");
  s.Bind(1, t.name).Bind(2, t.description).Bind(3, t.source).Bind(4, std::string(OriginName(t.origin)));
  s.Bind(5, ToJsonArray(t.parents)).Bind(6, t.prompt_mode).Bind(7, t.model).Bind(8, ToJsonArray(t.assets));
  s.Bind(9, FingerprintHash(t.source)).Bind(10, t.created_at).Bind(11, t.updated_at).Run();
  const int64_t id = db->last_insert_rowid();
  for (const ValidationRecord& v : t.validations) InsertValidation(*db, id, v);
  return id;
}

void TaskLibrary::Add(const TaskRecord& task, const AddOptions& options) {
  CheckTaskName(task.name);
  Database& db = *impl_->db;
  Transaction transaction(db);
  Statement same = db.Prepare("SELECT id, created_at FROM tasks WHERE name = ?");
  same.Bind(1, task.name);
  std::optional<int64_t> replaced;
  TaskRecord stored = task;
  if (same.Step()) {
    if (!options.replace) {
      throw DuplicateError("the library already has a task named '" + task.name +
                               "' (remove it first, or replace it: --replace)", task.name);
    }
    replaced = same.Int(0);
    if (stored.created_at.empty()) stored.created_at = same.Text(1);
  }
  if (!options.allow_similar) {
    Statement similar = db.Prepare("SELECT name FROM tasks WHERE fingerprint = ? AND name <> ? ORDER BY name LIMIT 1");
    similar.Bind(1, FingerprintHash(task.source)).Bind(2, task.name);
    if (similar.Step()) {
      const std::string existing = similar.Text(0);
      throw DuplicateError("task '" + task.name + "' has the same scene and goal structure as the library's '" +
                               existing + "' (the scripts differ only in names, numbers, strings or comments); "
                               "change what the task builds or asks for (or store it anyway: --allow-similar)",
                           existing);
    }
  }
  if (replaced) {
    // Keep the history: the old validations move over to the new row.
    const TaskRecord old = [&] {
      Statement row = db.Prepare(std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE id = ?");
      row.Bind(1, *replaced).Step();
      return ReadTask(db, row);
    }();
    stored.validations.insert(stored.validations.begin(), old.validations.begin(), old.validations.end());
    stored.updated_at.clear();
    db.Prepare("DELETE FROM tasks WHERE id = ?").Bind(1, *replaced).Run();
  }
  impl_->Insert(stored);
  transaction.Commit();
}

std::optional<TaskRecord> TaskLibrary::Find(const std::string& name) const {
  Database& db = *impl_->db;
  db.Execute("BEGIN");  // one snapshot for the task and its validations
  try {
    Statement row = db.Prepare(std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE name = ?");
    row.Bind(1, name);
    std::optional<TaskRecord> found;
    if (row.Step()) found = ReadTask(db, row);
    db.Execute("COMMIT");
    return found;
  } catch (...) {
    sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

TaskRecord TaskLibrary::Get(const std::string& name) const {
  std::optional<TaskRecord> found = Find(name);
  if (found) return *found;
  throw Error("no task '" + name + "' in the library " + path().string() + " (`taskforge library list` shows them)");
}

std::vector<TaskRecord> TaskLibrary::List() const {
  Database& db = *impl_->db;
  db.Execute("BEGIN");
  try {
    std::vector<TaskRecord> out;
    Statement rows = db.Prepare(std::string("SELECT ") + kTaskColumns + " FROM tasks ORDER BY name");
    while (rows.Step()) out.push_back(ReadTask(db, rows));
    db.Execute("COMMIT");
    return out;
  } catch (...) {
    sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

bool TaskLibrary::Remove(const std::string& name) {
  Database& db = *impl_->db;
  Transaction transaction(db);
  db.Prepare("DELETE FROM tasks WHERE name = ?").Bind(1, name).Run();
  const bool removed = sqlite3_changes(db.handle()) > 0;
  transaction.Commit();
  return removed;
}

void TaskLibrary::AddValidation(const std::string& name, const ValidationReport& report) {
  Database& db = *impl_->db;
  Transaction transaction(db);
  Statement row = db.Prepare("SELECT id FROM tasks WHERE name = ?");
  row.Bind(1, name);
  TF_THROW_UNLESS(row.Step(), "no task '", name, "' in the library ", path().string());
  const int64_t id = row.Int(0);
  InsertValidation(db, id, ToValidationRecord(report));
  std::string update = std::string("UPDATE tasks SET updated_at = ") + kNow;
  if (!report.assets.empty()) update += ", assets = ?2";
  Statement s = db.Prepare(update + " WHERE id = ?1");
  s.Bind(1, id);
  if (!report.assets.empty()) s.Bind(2, ToJsonArray(report.assets));
  s.Run();
  transaction.Commit();
}

LibraryStats TaskLibrary::Stats() const {
  LibraryStats stats;
  const std::vector<TaskRecord> all = List();
  stats.tasks = int(all.size());
  double rate_sum = 0;
  for (const TaskRecord& t : all) {
    ++stats.by_origin[OriginName(t.origin)];
    stats.validations += int(t.validations.size());
    if (const ValidationRecord* v = t.latest_validation()) {
      ++stats.validated;
      stats.accepted += v->accepted;
      rate_sum += v->success_rate;
    }
  }
  stats.mean_success_rate = stats.validated ? rate_sum / stats.validated : 0.0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(path().string() + suffix, ec);
    if (!ec) stats.file_bytes += int64_t(bytes);
  }
  Statement version = impl_->db->Prepare("PRAGMA user_version");
  version.Step();
  stats.schema_version = int(version.Int(0));
  return stats;
}

std::vector<std::string> TaskLibrary::IntegrityCheck() const {
  std::vector<std::string> problems;
  Statement check = impl_->db->Prepare("PRAGMA integrity_check");
  while (check.Step()) {
    if (check.Text(0) != "ok") problems.push_back(check.Text(0));
  }
  Statement keys = impl_->db->Prepare("PRAGMA foreign_key_check");
  while (keys.Step()) {
    problems.push_back("table " + keys.Text(0) + " row " + std::to_string(keys.Int(1)) + " refers to a missing " +
                       keys.Text(2) + " row");
  }
  return problems;
}

}  // namespace taskforge::library
