// The library as files: export to NAME.lua + NAME.json per task, import of the same, and the
// chat-style JSONL of instruction -> Lua pairs for fine-tuning a language model.

#include <nlohmann/json.hpp>

#include "taskforge/core/files.h"
#include "taskforge/library/library.h"

namespace taskforge::library {
namespace {

using nlohmann::json;

json ValidationJson(const ValidationRecord& v) {
  json report = v.report_json.empty() ? json(nullptr) : json::parse(v.report_json, nullptr, false);
  return {{"validated_at", v.validated_at}, {"accepted", v.accepted}, {"stage", v.stage}, {"reason", v.reason},
          {"episodes", v.episodes}, {"successes", v.successes}, {"success_rate", v.success_rate},
          {"wall_s", v.wall_s}, {"report", report}};
}

ValidationRecord ValidationFromJson(const json& j) {
  ValidationRecord v;
  v.validated_at = j.at("validated_at").get<std::string>();
  v.accepted = j.at("accepted").get<bool>();
  v.stage = j.at("stage").get<std::string>();
  v.reason = j.at("reason").get<std::string>();
  v.episodes = j.at("episodes").get<int>();
  v.successes = j.at("successes").get<int>();
  v.success_rate = j.at("success_rate").get<double>();
  v.wall_s = j.at("wall_s").get<double>();
  v.report_json = j.at("report").is_null() ? "" : j.at("report").dump();
  return v;
}

// The task described by NAME.json beside `lua` (everything but the source), or a bare script's
// record read from its `task` table.
TaskRecord ReadExported(const std::filesystem::path& lua) {
  TaskRecord t;
  t.source = ReadTextFile(lua, "task script");
  std::filesystem::path meta = lua;
  meta.replace_extension(".json");
  if (!std::filesystem::exists(meta)) {
    const tasks::TaskInfo info = tasks::ReadTaskInfo({lua.stem().string(), "", lua.filename().string(), t.source});
    t.name = info.name;
    t.description = info.description;
    t.origin = Origin::kImported;
    return t;
  }
  try {
    const json j = json::parse(ReadTextFile(meta, "task record"));
    t.name = j.at("name").get<std::string>();
    t.description = j.value("description", "");
    t.origin = ParseOrigin(j.value("origin", "imported"));
    t.parents = j.value("parents", std::vector<std::string>{});
    t.prompt_mode = j.value("prompt_mode", "");
    t.model = j.value("model", "");
    t.assets = j.value("assets", std::vector<std::string>{});
    t.created_at = j.value("created_at", "");
    t.updated_at = j.value("updated_at", "");
    for (const json& v : j.value("validations", json::array())) t.validations.push_back(ValidationFromJson(v));
  } catch (const json::exception& e) {
    throw Error(meta.string() + ": " + e.what());
  }
  return t;
}

}  // namespace

int TaskLibrary::Export(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  const std::vector<TaskRecord> all = List();
  for (const TaskRecord& t : all) {
    json validations = json::array();
    for (const ValidationRecord& v : t.validations) validations.push_back(ValidationJson(v));
    const json meta = {{"name", t.name}, {"description", t.description}, {"origin", OriginName(t.origin)},
                       {"parents", t.parents}, {"prompt_mode", t.prompt_mode}, {"model", t.model},
                       {"assets", t.assets}, {"created_at", t.created_at}, {"updated_at", t.updated_at},
                       {"validations", validations}};
    WriteFileAtomically(dir / (t.name + ".lua"), t.source);
    WriteFileAtomically(dir / (t.name + ".json"), meta.dump(2) + "\n");
  }
  return int(all.size());
}

ImportResult TaskLibrary::Import(const std::filesystem::path& dir) {
  TF_THROW_UNLESS(std::filesystem::is_directory(dir), "cannot import ", dir.string(), ": not a folder");
  std::vector<std::filesystem::path> scripts;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".lua") scripts.push_back(entry.path());
  }
  std::sort(scripts.begin(), scripts.end());
  ImportResult result;
  for (const std::filesystem::path& lua : scripts) {
    try {
      const TaskRecord t = ReadExported(lua);
      if (const std::optional<TaskRecord> present = Find(t.name); present && present->source == t.source) {
        result.skipped.push_back(t.name + ": already in the library with the same source");
        continue;
      }
      Add(t);
      result.added.push_back(t.name);
    } catch (const Error& e) {
      result.skipped.push_back(lua.filename().string() + ": " + e.what());
    }
  }
  return result;
}

int TaskLibrary::ExportChatJsonl(std::ostream& out) const {
  const std::string system =
      "You write robot manipulation tasks for taskforge as Lua scripts: a `task` table and a reset(env) "
      "function that builds a tabletop scene with the env API and declares goals with env.add_goal.";
  int lines = 0;
  for (const TaskRecord& t : List()) {
    const ValidationRecord* v = t.latest_validation();
    if (t.origin != Origin::kSeed && !(v && v->accepted)) continue;
    const json line = {{"messages",
                        {{{"role", "system"}, {"content", system}},
                         {{"role", "user"},
                          {"content", "Write the task '" + t.name + "': " + t.description}},
                         {{"role", "assistant"}, {"content", t.source}}}}};
    out << line.dump() << "\n";
    ++lines;
  }
  return lines;
}

}  // namespace taskforge::library
