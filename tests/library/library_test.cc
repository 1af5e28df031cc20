#include <catch2/catch.hpp>

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "taskforge/library/library.h"
#include "temp_dir.h"

using namespace taskforge;
using namespace taskforge::library;

namespace {

TaskRecord MakeTask(const std::string& name, const std::string& body = "env.add_object('block', p)") {
  TaskRecord t;
  t.name = name;
  t.description = "a test task called " + name;
  t.source = "task = {name = '" + name + "'}\nfunction reset(env)\n  " + body + "\nend\n";
  t.origin = Origin::kGenerated;
  t.parents = {"place-red-in-green"};
  t.prompt_mode = "goal";
  t.model = "test-model";
  return t;
}

ValidationReport FakeReport(bool accepted) {
  ValidationReport r;
  r.task = "x";
  r.accepted = accepted;
  r.stage = accepted ? Stage::kSanity : Stage::kCompleted;
  r.reason = accepted ? "fine" : "the oracle completed 1 of 4 episodes";
  r.episodes.resize(4);
  r.successes = accepted ? 4 : 1;
  r.success_rate = r.successes / 4.0;
  r.assets = {"block", "bowl"};
  return r;
}

void RawSql(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("a new library holds the seed tasks and stores a task's whole record", "[library]") {
  TempDir dir;
  TaskLibrary lib(dir.path() / "sub" / "library.db");
  const std::vector<TaskRecord> seeds = lib.List();
  CHECK(seeds.size() == tasks::ListTasks().size());
  for (const TaskRecord& t : seeds) {
    CHECK(t.origin == Origin::kSeed);
    CHECK(t.validations.empty());  // seeds are stored, not validated
  }
  const TaskRecord seed = lib.Get("place-red-in-green");
  CHECK(seed.source == tasks::ResolveTask("place-red-in-green").code);

  TaskRecord t = MakeTask("stack-two");
  t.validations.push_back(ToValidationRecord(FakeReport(true)));
  lib.Add(t);
  const TaskRecord got = lib.Get("stack-two");
  CHECK(got.description == t.description);
  CHECK(got.source == t.source);
  CHECK(got.origin == Origin::kGenerated);
  CHECK(got.parents == t.parents);
  CHECK(got.prompt_mode == "goal");
  CHECK(got.model == "test-model");
  CHECK(got.created_at.size() == 24);  // 2026-11-28T07:10:00.000Z
  REQUIRE(got.validations.size() == 1);
  CHECK(got.validations[0].accepted);
  CHECK(got.validations[0].episodes == 4);
  CHECK_THAT(got.validations[0].report_json, Catch::Contains("\"reason\":\"fine\""));

  lib.AddValidation("stack-two", FakeReport(false));
  const TaskRecord again = lib.Get("stack-two");
  REQUIRE(again.validations.size() == 2);
  CHECK_FALSE(again.latest_validation()->accepted);
  CHECK(again.latest_validation()->stage == "completed");
  CHECK(again.assets == std::vector<std::string>{"block", "bowl"});
  CHECK_THROWS_WITH(lib.AddValidation("nope", FakeReport(true)), Catch::Contains("no task 'nope'"));

  const LibraryStats stats = lib.Stats();
  CHECK(stats.tasks == int(seeds.size()) + 1);
  CHECK(stats.by_origin.at("generated") == 1);
  CHECK(stats.validated == 1);
  CHECK(stats.accepted == 0);
  CHECK(stats.validations == 2);
  CHECK(stats.schema_version == 1);

  for (const char* bad : {"../escape", "a/b", "", "-flag", "dots.lua"}) {
    INFO(bad);
    CHECK_THROWS_WITH(lib.Add(MakeTask(bad)), Catch::Contains("is not allowed"));
  }

  CHECK(lib.Remove("stack-two"));
  CHECK_FALSE(lib.Remove("stack-two"));
  CHECK_FALSE(lib.Find("stack-two").has_value());
  CHECK_THROWS_WITH(lib.Get("stack-two"), Catch::Contains("no task 'stack-two'"));
  CHECK(lib.IntegrityCheck().empty());
}

TEST_CASE("near-duplicates are refused with the existing task's name", "[library][duplicates]") {
  TempDir dir;
  TaskLibrary lib(dir.path() / "library.db");
  const TaskRecord original = lib.Get("place-red-in-green");

  TaskRecord same_name = MakeTask("place-red-in-green", "env.add_object('bowl', p)");
  CHECK_THROWS_WITH(lib.Add(same_name), Catch::Contains("already has a task named 'place-red-in-green'"));

  // The seed script renamed, recommented, with other numbers, strings and local names.
  TaskRecord copy = original;
  copy.name = "put-red-blocks-in-green-bowls";
  copy.origin = Origin::kGenerated;
  std::string src = original.source;
  src = "-- my own task\n" + src;
  for (auto [from, to] : {std::pair<std::string, std::string>{"place-red-in-green", "put-red-blocks-in-green-bowls"},
                          {"0.04", "0.05"}, {"red", "blue"}}) {
    for (size_t at = src.find(from); at != std::string::npos; at = src.find(from, at + to.size())) {
      src.replace(at, from.size(), to);
    }
  }
  copy.source = src;
  try {
    lib.Add(copy);
    FAIL("a renamed copy was accepted");
  } catch (const DuplicateError& e) {
    CHECK(e.existing() == "place-red-in-green");
    CHECK_THAT(e.what(), Catch::Contains("same scene and goal structure as the library's 'place-red-in-green'"));
  }
  AddOptions similar;
  similar.allow_similar = true;
  lib.Add(copy, similar);
  CHECK(lib.Find(copy.name).has_value());

  // Replacing keeps the history.
  TaskRecord first = MakeTask("mine");
  first.validations.push_back(ToValidationRecord(FakeReport(true)));
  lib.Add(first);
  TaskRecord second = MakeTask("mine", "env.add_object('bowl', p); env.add_object('block', q)");
  AddOptions replace;
  replace.replace = true;
  lib.Add(second, replace);
  const TaskRecord mine = lib.Get("mine");
  CHECK(mine.source == second.source);
  CHECK(mine.validations.size() == 1);
}

TEST_CASE("structure fingerprints tell the seed tasks apart and ignore names, numbers and comments", "[library][duplicates]") {
  std::set<std::string> prints;
  for (const tasks::TaskInfo& info : tasks::ListTasks()) {
    prints.insert(StructureFingerprint(tasks::ResolveTask(info.name).code));
  }
  CHECK(prints.size() == tasks::ListTasks().size());
  CHECK(StructureFingerprint("local a = 1 -- one\nenv.add_object('block', a)") ==
        StructureFingerprint("local size = 0.25 --[[ long\ncomment ]]\n env.add_object(\"bowl\", size)"));
  CHECK(StructureFingerprint("local a = [==[ x ]] ]==] env.f(a)") == StructureFingerprint("local b = 'y' env.f(b)"));
  CHECK(StructureFingerprint("env.add_object('block', a)") != StructureFingerprint("env.add_goal('block', a)"));
  CHECK(StructureFingerprint("for i = 1, 3 do f(i) end") != StructureFingerprint("for i = 1, 3 do f(i) f(i) end"));
}

TEST_CASE("export writes readable files and import restores the library", "[library][files]") {
  TempDir dir;
  TaskLibrary lib(dir.path() / "a.db");
  TaskRecord t = MakeTask("exported-task");
  t.validations.push_back(ToValidationRecord(FakeReport(true)));
  lib.Add(t);
  const int n = lib.Export(dir.path() / "out");
  CHECK(n == int(lib.List().size()));
  std::ifstream meta(dir.path() / "out" / "exported-task.json");
  std::stringstream text;
  text << meta.rdbuf();
  CHECK_THAT(text.str(), Catch::Contains("\"origin\": \"generated\"") && Catch::Contains("\"model\": \"test-model\""));

  // Into a library with no seeds, everything comes back as it was.
  std::filesystem::create_directories(dir.path() / "no-seeds");
  TaskLibrary other(dir.path() / "b.db", dir.path() / "no-seeds");
  CHECK(other.List().empty());
  const ImportResult result = other.Import(dir.path() / "out");
  CHECK(int(result.added.size()) == n);
  CHECK(result.skipped.empty());
  const std::vector<TaskRecord> before = lib.List(), after = other.List();
  REQUIRE(before.size() == after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    CHECK(after[i].name == before[i].name);
    CHECK(after[i].source == before[i].source);
    CHECK(after[i].origin == before[i].origin);
    CHECK(after[i].created_at == before[i].created_at);
    CHECK(after[i].validations.size() == before[i].validations.size());
  }
  CHECK(other.Get("exported-task").validations[0].report_json == lib.Get("exported-task").validations[0].report_json);
  // A second import skips identical copies; a bare script comes in as "imported".
  std::ofstream(dir.path() / "out" / "bare.lua") << "task = {name = 'bare-task', description = 'no metadata'}\n"
                                                    "function reset(env) end\n";
  const ImportResult again = other.Import(dir.path() / "out");
  CHECK(again.added == std::vector<std::string>{"bare-task"});
  CHECK(int(again.skipped.size()) == n);
  CHECK(other.Get("bare-task").origin == Origin::kImported);

  std::ostringstream jsonl;
  const int lines = lib.ExportChatJsonl(jsonl);
  CHECK(lines == n);  // seeds and the accepted task
  CHECK_THAT(jsonl.str(), Catch::Contains("\"role\":\"assistant\"") && Catch::Contains("exported-task"));
}

TEST_CASE("the schema is versioned and foreign files are refused", "[library][schema]") {
  TempDir dir;
  const auto file = dir.path() / "lib.db";
  { TaskLibrary lib(file); }
  RawSql(file, "PRAGMA user_version = 99");
  CHECK_THROWS_WITH(TaskLibrary(file), Catch::Contains("schema version 99") && Catch::Contains("upgrade taskforge"));
  const auto foreign = dir.path() / "other.db";
  RawSql(foreign, "CREATE TABLE notes (x TEXT)");
  CHECK_THROWS_WITH(TaskLibrary(foreign), Catch::Contains("not a taskforge task library"));
}

TEST_CASE("default library path: flag, then environment, then the data directory", "[library]") {
  CHECK(DefaultLibraryPath("/x/y.db") == "/x/y.db");
  setenv("TASKFORGE_LIBRARY", "/env/lib.db", 1);
  CHECK(DefaultLibraryPath() == "/env/lib.db");
  unsetenv("TASKFORGE_LIBRARY");
  setenv("XDG_DATA_HOME", "/data", 1);
  CHECK(DefaultLibraryPath() == "/data/taskforge/library.db");
  unsetenv("XDG_DATA_HOME");
}
