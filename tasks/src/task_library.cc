// Finding task scripts: the library folder, names with variants, and each script's metadata.
#include <algorithm>
#include <cstdlib>

#include "catalogue.h"
#include "lua_sandbox.h"
#include "scene_api.h"
#include "taskforge/core/error.h"
#include "taskforge/core/files.h"
#include "taskforge/tasks/task.h"

namespace taskforge::tasks {
namespace {

TaskSource ReadSource(const std::filesystem::path& path, const std::string& name, const std::string& variant) {
  return {name, variant, path.filename().string(), ReadTextFile(path, "task script")};
}

std::vector<std::filesystem::path> ScriptsIn(const std::filesystem::path& dir) {
  TF_THROW_UNLESS(std::filesystem::is_directory(dir), "task library ", dir.string(), " is not a folder");
  std::vector<std::filesystem::path> scripts;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".lua") scripts.push_back(entry.path());
  }
  std::sort(scripts.begin(), scripts.end());
  return scripts;
}

}  // namespace

const char* SplitName(Split split) {
  switch (split) {
    case Split::kTrain: return "train";
    case Split::kVal: return "val";
    case Split::kTest: return "test";
  }
  return "?";
}

std::filesystem::path DefaultLibraryDir() {
  if (const char* env = std::getenv("TASKFORGE_TASKS"); env && *env) return env;
  return TASKFORGE_DEFAULT_TASKS;
}

TaskSource ResolveTask(const std::string& name_or_file, const std::filesystem::path& library_dir) {
  const std::filesystem::path as_path(name_or_file);
  if (as_path.extension() == ".lua") {
    TF_THROW_UNLESS(std::filesystem::exists(as_path), "task script ", name_or_file, " does not exist");
    return ReadSource(as_path, as_path.stem().string(), "");
  }
  const std::filesystem::path dir = library_dir.empty() ? DefaultLibraryDir() : library_dir;
  // The longest script name that is the whole name or a prefix followed by "-variant".
  std::vector<std::string> names;
  std::filesystem::path best;
  std::string best_name, variant;
  for (const std::filesystem::path& script : ScriptsIn(dir)) {
    const std::string stem = script.stem().string();
    names.push_back(stem);
    const bool whole = name_or_file == stem;
    const bool prefix = name_or_file.size() > stem.size() + 1 && name_or_file.compare(0, stem.size(), stem) == 0 &&
                        name_or_file[stem.size()] == '-';
    if ((whole || prefix) && stem.size() > best_name.size()) {
      best = script;
      best_name = stem;
      variant = whole ? "" : name_or_file.substr(stem.size() + 1);
    }
  }
  if (best.empty()) {
    throw Error("no task '" + name_or_file + "' in " + dir.string() + " (closest: " +
                JoinNames(ClosestNames(name_or_file, names)) + ")");
  }
  return ReadSource(best, best_name, variant);
}

TaskInfo ReadTaskInfo(const TaskSource& task) {
  std::mt19937_64 rng(0);
  LuaSandbox sandbox(task.script_name, rng);
  LoadTask(sandbox, task.code);  // with the prelude, as an episode loads it
  const TaskSettings settings = ReadTaskSettings(sandbox);
  TaskInfo info;
  info.name = settings.name;
  info.description = settings.description;
  info.variants = settings.variants;
  info.max_steps = settings.max_steps;
  info.end_effector = settings.end_effector == sim::EndEffector::kSpatula ? "spatula" : "suction";
  info.file = task.script_name;
  return info;
}

std::vector<TaskInfo> ListTasks(const std::filesystem::path& library_dir) {
  const std::filesystem::path dir = library_dir.empty() ? DefaultLibraryDir() : library_dir;
  std::vector<TaskInfo> tasks;
  for (const std::filesystem::path& script : ScriptsIn(dir)) {
    tasks.push_back(ReadTaskInfo(ReadSource(script, script.stem().string(), "")));
  }
  return tasks;
}

}  // namespace taskforge::tasks
