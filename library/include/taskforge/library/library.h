#pragma once
// The task library: one SQLite database file holding every task's script, where it came from and
// every validation result. Many processes may read and write it at once (WAL mode, a busy
// timeout, one transaction per change), and a process killed mid-write loses only its own
// uncommitted change. A new library starts with the seed tasks of tasks::DefaultLibraryDir().

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "taskforge/core/error.h"
#include "taskforge/library/validator.h"
#include "taskforge/tasks/task.h"

namespace taskforge::library {

enum class Origin { kSeed, kGenerated, kImported, kHandWritten };
/// "seed", "generated", "imported", "hand-written".
const char* OriginName(Origin origin);
/// @throws Error naming the value and the accepted ones.
Origin ParseOrigin(const std::string& name);

/// One stored validation result.
struct ValidationRecord {
  std::string validated_at;  ///< ISO 8601 UTC, e.g. "2026-11-28T07:10:00.000Z"
  bool accepted = false;
  std::string stage;         ///< StageName of the stage reached or failed
  std::string reason;
  int episodes = 0;
  int successes = 0;
  double success_rate = 0.0;
  double wall_s = 0.0;
  std::string report_json;   ///< the whole ValidationReport::ToJson() (errors, timings, per episode)
};
/// The record of a fresh report (validated_at is set when it is stored).
ValidationRecord ToValidationRecord(const ValidationReport& report);

struct TaskRecord {
  std::string name;          ///< unique; the `task.name` the script declares
  std::string description;
  std::string source;        ///< Lua text
  Origin origin = Origin::kHandWritten;
  std::vector<std::string> parents;  ///< library tasks it was derived from (generated tasks)
  std::string prompt_mode;   ///< the generator's prompt mode, e.g. "goal" or "topdown"; may be empty
  std::string model;         ///< the language model that wrote it; may be empty
  std::vector<std::string> assets;  ///< catalogue assets its scenes use (known once validated)
  std::string created_at, updated_at;  ///< ISO 8601 UTC, set by the library
  std::vector<ValidationRecord> validations;  ///< oldest first

  /// The script as the task runner takes it.
  tasks::TaskSource ToTaskSource() const;
  /// The newest validation, if any.
  const ValidationRecord* latest_validation() const;
};

/// Add refused a task because the library has it already (same name) or has one with the same
/// scene/goal structure under another name. what() names the existing task.
class DuplicateError : public Error {
 public:
  DuplicateError(const std::string& message, std::string existing) : Error(message), existing_(std::move(existing)) {}
  const std::string& existing() const { return existing_; }

 private:
  std::string existing_;
};

struct AddOptions {
  bool replace = false;         ///< a task with the same name is replaced (its history is kept)
  bool allow_similar = false;   ///< skip the near-duplicate check against other names
};

struct LibraryStats {
  int tasks = 0;
  std::map<std::string, int> by_origin;  ///< OriginName -> count
  int validated = 0;             ///< tasks with at least one validation
  int accepted = 0;              ///< tasks whose newest validation accepted them
  int validations = 0;           ///< validation records in all
  double mean_success_rate = 0;  ///< over the newest validations
  int64_t file_bytes = 0;        ///< database file plus its WAL
  int schema_version = 0;
};

/// Outcome of Import.
struct ImportResult {
  std::vector<std::string> added;
  std::vector<std::string> skipped;  ///< "name: why" (identical copy present, duplicate, bad file)
};

/// --library PATH if given, else $TASKFORGE_LIBRARY, else $XDG_DATA_HOME/taskforge/library.db,
/// else ~/.local/share/taskforge/library.db.
std::filesystem::path DefaultLibraryPath(const std::filesystem::path& flag = {});

class TaskLibrary {
 public:
  /// Opens the database at `path`, creating it (and its folder) with the seed tasks when absent.
  /// `seed_dir` empty = tasks::DefaultLibraryDir(). @throws Error for an unreadable file, a
  /// newer schema, or a file that is not a taskforge library.
  explicit TaskLibrary(const std::filesystem::path& path, const std::filesystem::path& seed_dir = {});
  ~TaskLibrary();
  TaskLibrary(TaskLibrary&&) noexcept;
  TaskLibrary& operator=(TaskLibrary&&) noexcept;

  const std::filesystem::path& path() const;

  /// Stores a task with the validation records it carries, in one transaction.
  /// @throws DuplicateError (same name unless options.replace; same structure under another
  /// name unless options.allow_similar), Error for an empty name or source.
  void Add(const TaskRecord& task, const AddOptions& options = {});
  std::optional<TaskRecord> Find(const std::string& name) const;
  /// @throws Error naming the task and the library file when it is absent.
  TaskRecord Get(const std::string& name) const;
  /// Every task, sorted by name.
  std::vector<TaskRecord> List() const;
  /// @returns false when no such task exists.
  bool Remove(const std::string& name);
  /// Appends a validation result to a stored task (and its assets, when the report has them).
  /// @throws Error for an unknown task.
  void AddValidation(const std::string& name, const ValidationReport& report);

  /// Writes NAME.lua and NAME.json (everything else, indented) per task into `dir`.
  /// @returns the number of tasks written.
  int Export(const std::filesystem::path& dir) const;
  /// Reads what Export wrote (a .lua without a .json is imported as origin "imported"). A task
  /// already present with the same source is skipped; other clashes are reported, not fatal.
  ImportResult Import(const std::filesystem::path& dir);
  /// Fine-tuning pairs, one JSON object a line: {"messages": [system, user = the task's
  /// description as an instruction, assistant = the Lua source]}, for the seed tasks and the
  /// tasks whose newest validation accepted them. @returns the number of lines written.
  int ExportChatJsonl(std::ostream& out) const;

  LibraryStats Stats() const;
  /// SQLite's integrity and foreign-key checks; empty when the database is sound.
  std::vector<std::string> IntegrityCheck() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The normalised structure of a script, used for near-duplicate detection: its Lua tokens
/// without comments and whitespace, string literals, numbers and local names each replaced by
/// a placeholder (the API names, `env.*`, `util.*` and keywords kept). Exposed for tests.
std::string StructureFingerprint(const std::string& lua_source);

}  // namespace taskforge::library
