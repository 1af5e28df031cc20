// `taskforge library ...`, `taskforge validate` and `taskforge bench validate`.
#include <sys/resource.h>

#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "taskforge/core/error.h"
#include "taskforge/library/library.h"
#include "taskforge/library/validator.h"

namespace taskforge::cli {
namespace {

using nlohmann::json;

struct ValidateFlags {
  int episodes = 8;
  uint64_t seed = 0;
  int jobs = 1;
  double min_success = 0.5;
  std::string assets;
};

void AddValidateFlags(CLI::App& cmd, ValidateFlags& flags) {
  cmd.add_option("--episodes", flags.episodes, "oracle episodes, on distinct seeds")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd.add_option("--seed", flags.seed, "seed of the first episode")->capture_default_str();
  cmd.add_option("--jobs", flags.jobs, "episodes run at once, each in its own process")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd.add_option("--min-success", flags.min_success, "oracle success rate needed")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd.add_option("--assets", flags.assets, "assets directory (default: $TASKFORGE_ASSETS or the source tree's)");
}

library::ValidatorConfig ToConfig(const ValidateFlags& flags) {
  library::ValidatorConfig config;
  config.episodes = flags.episodes;
  config.first_seed = flags.seed;
  config.jobs = flags.jobs;
  config.min_success_rate = flags.min_success;
  config.assets_dir = flags.assets;
  return config;
}

void PrintReport(const library::ValidationReport& r, const GlobalOptions& global) {
  if (global.json) {
    PrintJson(json::parse(r.ToJson()));
    return;
  }
  if (!global.quiet) {
    for (const library::EpisodeResult& e : r.episodes) {
      std::cout << "  seed " << e.seed << ": " << (e.success ? "success" : "fail") << ", reward " << std::fixed
                << std::setprecision(3) << e.reward << ", " << e.actions << " actions, " << std::setprecision(2)
                << e.wall_s << " s";
      if (!e.runtime_error.empty()) std::cout << "  error: " << e.runtime_error;
      if (!e.failure.empty()) std::cout << "  (" << e.failure << ")";
      for (const std::string& issue : e.sanity_issues) std::cout << "\n    sanity: " << issue;
      std::cout << "\n";
    }
  }
  std::cout << r.task << ": " << (r.accepted ? "ACCEPTED" : "REJECTED at stage " + std::string(StageName(r.stage)))
            << " — " << r.reason << " (" << std::fixed << std::setprecision(2) << r.wall_s << " s)\n";
}

// A file's script for the validator and the library.
tasks::TaskSource ReadScript(const std::string& file) {
  TF_THROW_UNLESS(std::filesystem::path(file).extension() == ".lua", "expected a .lua file, got ", file);
  return tasks::ResolveTask(file);
}

std::vector<std::string> SplitNames(const std::string& csv) {
  std::vector<std::string> out;
  std::stringstream in(csv);
  for (std::string name; std::getline(in, name, ',');) {
    if (!name.empty()) out.push_back(name);
  }
  return out;
}

json RecordJson(const library::TaskRecord& t, bool with_source) {
  json validations = json::array();
  for (const library::ValidationRecord& v : t.validations) {
    validations.push_back({{"validated_at", v.validated_at}, {"accepted", v.accepted}, {"stage", v.stage},
                           {"reason", v.reason}, {"episodes", v.episodes}, {"success_rate", v.success_rate},
                           {"wall_s", v.wall_s}});
  }
  json j = {{"name", t.name}, {"description", t.description}, {"origin", OriginName(t.origin)},
            {"parents", t.parents}, {"prompt_mode", t.prompt_mode}, {"model", t.model}, {"assets", t.assets},
            {"created_at", t.created_at}, {"updated_at", t.updated_at}, {"validations", validations}};
  if (with_source) j["source"] = t.source;
  return j;
}

// CPU seconds (user + system) of every child this process has waited for.
double ChildrenCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

// Exit status 1 without an error message (the command already said why).
[[noreturn]] void Fail() { throw CLI::RuntimeError(1); }

struct AddFlags {
  std::string file;
  bool force = false, replace = false, allow_similar = false;
  std::string origin = "hand-written", parents, prompt_mode, model;
  ValidateFlags validate;
};

}  // namespace

void AddLibraryCommands(CLI::App& app, const GlobalOptions& global, CLI::App& bench) {
  auto path_flag = std::make_shared<std::string>();
  CLI::App& lib = *app.add_subcommand("library", "the task library (one SQLite file; see docs/library.md)");
  lib.require_subcommand(1);
  lib.fallthrough();
  lib.add_option("--library", *path_flag,
                 "library file (default: $TASKFORGE_LIBRARY, else $XDG_DATA_HOME or ~/.local/share "
                 "/taskforge/library.db)");
  auto open = [path_flag] { return library::TaskLibrary(library::DefaultLibraryPath(*path_flag)); };

  // library list
  lib.add_subcommand("list", "list the stored tasks")->callback([&global, open] {
    const library::TaskLibrary db = open();
    json tasks = json::array();
    for (const library::TaskRecord& t : db.List()) {
      tasks.push_back(RecordJson(t, false));
      if (global.json) continue;
      const library::ValidationRecord* v = t.latest_validation();
      std::cout << std::left << std::setw(28) << t.name << " " << std::setw(12) << OriginName(t.origin) << " "
                << std::setw(22)
                << (v ? std::string(v->accepted ? "accepted " : "rejected ") + std::to_string(v->successes) + "/" +
                            std::to_string(v->episodes)
                      : std::string("not validated"))
                << " " << t.description << "\n";
    }
    if (global.json) PrintJson({{"library", db.path().string()}, {"tasks", tasks}, {"count", tasks.size()}});
  });

  // library show NAME
  auto show_name = std::make_shared<std::string>();
  CLI::App& show = *lib.add_subcommand("show", "a task's record, history and script");
  show.add_option("name", *show_name, "task name")->required();
  show.callback([&global, open, show_name] {
    const library::TaskRecord t = open().Get(*show_name);
    if (global.json) {
      PrintJson(RecordJson(t, true));
      return;
    }
    std::cout << "name:        " << t.name << "\ndescription: " << t.description << "\norigin:      "
              << OriginName(t.origin) << "\nparents:     " << JoinNames(t.parents) << "\nprompt mode: "
              << t.prompt_mode << "\nmodel:       " << t.model << "\nassets:      " << JoinNames(t.assets)
              << "\ncreated:     " << t.created_at << "\nupdated:     " << t.updated_at << "\nvalidations:\n";
    for (const library::ValidationRecord& v : t.validations) {
      std::cout << "  " << v.validated_at << "  " << (v.accepted ? "accepted" : "rejected at " + v.stage) << "  "
                << v.successes << "/" << v.episodes << "  " << std::fixed << std::setprecision(1) << v.wall_s
                << " s  " << v.reason << "\n";
    }
    std::cout << "--- " << t.name << ".lua ---\n" << t.source;
  });

  // library add FILE.lua
  auto add = std::make_shared<AddFlags>();
  CLI::App& add_cmd = *lib.add_subcommand("add", "validate a task script and store it when accepted");
  add_cmd.add_option("file", add->file, "Lua task script")->required()->check(CLI::ExistingFile);
  add_cmd.add_flag("--force", add->force, "store without validating");
  add_cmd.add_flag("--replace", add->replace, "replace a stored task of the same name (its history is kept)");
  add_cmd.add_flag("--allow-similar", add->allow_similar, "store even if another task has the same structure");
  add_cmd.add_option("--origin", add->origin, "seed, generated, imported or hand-written")->capture_default_str();
  add_cmd.add_option("--parents", add->parents, "comma-separated names of the tasks it derives from");
  add_cmd.add_option("--prompt-mode", add->prompt_mode, "the generator's prompt mode");
  add_cmd.add_option("--model", add->model, "the language model that wrote it");
  AddValidateFlags(add_cmd, add->validate);
  add_cmd.callback([&global, open, add] {
    const tasks::TaskSource source = ReadScript(add->file);
    library::TaskRecord record;
    record.source = source.code;
    record.origin = library::ParseOrigin(add->origin);
    record.parents = SplitNames(add->parents);
    record.prompt_mode = add->prompt_mode;
    record.model = add->model;
    if (add->force) {
      const tasks::TaskInfo info = tasks::ReadTaskInfo(source);
      record.name = info.name;
      record.description = info.description;
    } else {
      const library::ValidationReport report = library::Validate(source, ToConfig(add->validate));
      if (!report.accepted) {
        PrintReport(report, global);
        std::cerr << "taskforge: " << add->file << " was not added (use --force to store it anyway)\n";
        Fail();
      }
      record.name = report.task;
      record.description = report.description;
      record.assets = report.assets;
      record.validations.push_back(library::ToValidationRecord(report));
    }
    library::TaskLibrary db = open();
    db.Add(record, {add->replace, add->allow_similar});
    if (global.json) {
      PrintJson({{"added", record.name}, {"library", db.path().string()}, {"validated", !add->force}});
    } else if (!global.quiet) {
      std::cout << "added '" << record.name << "' to " << db.path().string() << "\n";
    }
  });

  // library remove NAME
  auto remove_name = std::make_shared<std::string>();
  CLI::App& remove = *lib.add_subcommand("remove", "delete a task and its history");
  remove.add_option("name", *remove_name, "task name")->required();
  remove.callback([&global, open, remove_name] {
    library::TaskLibrary db = open();
    TF_THROW_UNLESS(db.Remove(*remove_name), "no task '", *remove_name, "' in the library ", db.path().string());
    if (global.json) PrintJson({{"removed", *remove_name}});
    else if (!global.quiet) std::cout << "removed '" << *remove_name << "'\n";
  });

  // library export DIR
  auto export_dir = std::make_shared<std::string>();
  auto export_format = std::make_shared<std::string>("files");
  CLI::App& exp = *lib.add_subcommand("export", "write the tasks as files, or as chat fine-tuning pairs");
  exp.add_option("dir", *export_dir, "folder (files) or .jsonl file (chat-jsonl)")->required();
  exp.add_option("--format", *export_format, "files: NAME.lua + NAME.json per task; chat-jsonl: one "
                                             "instruction -> Lua pair a line")
      ->check(CLI::IsMember({"files", "chat-jsonl"}))
      ->capture_default_str();
  exp.callback([&global, open, export_dir, export_format] {
    const library::TaskLibrary db = open();
    int count = 0;
    if (*export_format == "files") {
      count = db.Export(*export_dir);
    } else {
      const std::filesystem::path file(*export_dir);
      if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
      std::ofstream out(file);
      TF_THROW_UNLESS(out.good(), "cannot write ", file.string());
      count = db.ExportChatJsonl(out);
    }
    if (global.json) PrintJson({{"exported", count}, {"to", *export_dir}, {"format", *export_format}});
    else if (!global.quiet) std::cout << "exported " << count << " tasks to " << *export_dir << "\n";
  });

  // library import DIR
  auto import_dir = std::make_shared<std::string>();
  CLI::App& imp = *lib.add_subcommand("import", "read tasks written by export (stored as they are, not validated)");
  imp.add_option("dir", *import_dir, "folder of NAME.lua (+ NAME.json) files")->required();
  imp.callback([&global, open, import_dir] {
    library::TaskLibrary db = open();
    const library::ImportResult result = db.Import(*import_dir);
    if (global.json) {
      PrintJson({{"added", result.added}, {"skipped", result.skipped}});
    } else {
      for (const std::string& s : result.skipped) std::cout << "skipped " << s << "\n";
      std::cout << "imported " << result.added.size() << " tasks, skipped " << result.skipped.size() << "\n";
    }
  });

  // library stats
  lib.add_subcommand("stats", "counts by origin, validation results, file size")->callback([&global, open] {
    const library::TaskLibrary db = open();
    const library::LibraryStats s = db.Stats();
    const json j = {{"library", db.path().string()}, {"tasks", s.tasks}, {"by_origin", s.by_origin},
                    {"validated", s.validated}, {"accepted", s.accepted}, {"validations", s.validations},
                    {"mean_success_rate", s.mean_success_rate}, {"file_bytes", s.file_bytes},
                    {"schema_version", s.schema_version}};
    if (global.json) {
      PrintJson(j);
      return;
    }
    std::cout << db.path().string() << " (schema " << s.schema_version << ", " << s.file_bytes / 1024 << " KiB)\n"
              << s.tasks << " tasks:";
    for (const auto& [origin, n] : s.by_origin) std::cout << " " << n << " " << origin;
    std::cout << "\n" << s.validated << " validated, " << s.accepted << " accepted by their latest validation ("
              << s.validations << " validations, mean success " << std::fixed << std::setprecision(2)
              << s.mean_success_rate << ")\n";
  });

  // library check [--revalidate]
  auto revalidate = std::make_shared<bool>(false);
  auto check_flags = std::make_shared<ValidateFlags>();
  CLI::App& check = *lib.add_subcommand("check", "SQLite's integrity check; --revalidate validates every task again");
  check.add_flag("--revalidate", *revalidate, "validate every task again and store the results");
  AddValidateFlags(check, *check_flags);
  check.callback([&global, open, revalidate, check_flags] {
    library::TaskLibrary db = open();
    const std::vector<std::string> problems = db.IntegrityCheck();
    json results = json::array();
    int rejected = 0;
    if (*revalidate) {
      for (const library::TaskRecord& t : db.List()) {
        const library::ValidationReport r = library::Validate(t.ToTaskSource(), ToConfig(*check_flags));
        db.AddValidation(t.name, r);
        rejected += !r.accepted;
        results.push_back({{"task", t.name}, {"accepted", r.accepted}, {"stage", StageName(r.stage)},
                           {"reason", r.reason}, {"success_rate", r.success_rate}, {"wall_s", r.wall_s}});
        if (!global.json && !global.quiet) {
          std::cout << std::left << std::setw(28) << t.name << (r.accepted ? " accepted " : " REJECTED ")
                    << r.reason << "\n";
        }
      }
    }
    if (global.json) {
      PrintJson({{"integrity", problems.empty() ? "ok" : "damaged"}, {"problems", problems},
                 {"revalidated", results}, {"rejected", rejected}});
    } else {
      std::cout << "integrity: " << (problems.empty() ? "ok" : "DAMAGED") << "\n";
      for (const std::string& p : problems) std::cout << "  " << p << "\n";
      if (*revalidate) std::cout << rejected << " of " << results.size() << " tasks rejected\n";
    }
    if (!problems.empty() || rejected > 0) Fail();
  });

  // taskforge validate FILE.lua
  auto validate_file = std::make_shared<std::string>();
  auto validate_flags = std::make_shared<ValidateFlags>();
  CLI::App& validate = *app.add_subcommand("validate", "judge a task script: syntax, runtime, completed, sanity "
                                                       "(exit 0 accepted, 1 rejected)");
  validate.add_option("file", *validate_file, "Lua task script")->required()->check(CLI::ExistingFile);
  AddValidateFlags(validate, *validate_flags);
  validate.callback([&global, validate_file, validate_flags] {
    const library::ValidationReport r = library::Validate(ReadScript(*validate_file), ToConfig(*validate_flags));
    PrintReport(r, global);
    if (!r.accepted) Fail();
  });

  // taskforge bench validate
  auto bench_task = std::make_shared<std::string>("place-red-in-green");
  CLI::App& bench_validate = *bench.add_subcommand("validate", "seconds to validate a seed task (8 episodes) "
                                                               "with one job and with two");
  bench_validate.add_option("--task", *bench_task, "seed task")->capture_default_str();
  bench_validate.callback([&global, bench_task] {
    const tasks::TaskSource source = tasks::ResolveTask(*bench_task);
    json rows = json::array();
    double one_job = 0;
    for (int jobs : {1, 2}) {
      library::ValidatorConfig config;
      config.jobs = jobs;
      const double cpu_before = ChildrenCpuSeconds();
      const library::ValidationReport r = library::Validate(source, config);
      const double cpu_s = ChildrenCpuSeconds() - cpu_before;
      if (jobs == 1) one_job = r.wall_s;
      const double speedup = r.wall_s > 0 ? one_job / r.wall_s : 0;
      rows.push_back({{"jobs", jobs}, {"wall_s", r.wall_s}, {"children_cpu_s", cpu_s},
                      {"episodes", r.episodes.size()}, {"accepted", r.accepted},
                      {"success_rate", r.success_rate}, {"speedup", speedup}});
      if (!global.json) {
        std::cout << source.full_name() << ", " << r.episodes.size() << " episodes, --jobs " << jobs << ": "
                  << std::fixed << std::setprecision(2) << r.wall_s << " s wall, " << cpu_s << " s CPU in children ("
                  << (r.accepted ? "accepted" : "rejected") << ", success " << r.success_rate << ", speed-up "
                  << speedup << "x)\n";
      }
    }
    if (global.json) PrintJson({{"task", source.full_name()}, {"runs", rows}});
  });
}

}  // namespace taskforge::cli
