// `taskforge report`: the static HTML page of a library and a run.
#include <iostream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "taskforge/core/progress.h"
#include "taskforge/library/library.h"
#include "taskforge/report/report.h"

namespace taskforge::cli {

void AddReportCommands(CLI::App& app, const GlobalOptions& global) {
  auto config = std::make_shared<report::ReportConfig>();
  auto library = std::make_shared<std::string>();
  CLI::App& cmd = *app.add_subcommand("report", "write an HTML page showing a task library and a run");
  cmd.add_option("--out", config->out, "folder for index.html and its pictures")->required();
  cmd.add_option("--library", *library, "task library (default: $TASKFORGE_LIBRARY or the user's data folder)");
  cmd.add_option("--dataset", config->datasets, "a demo dataset folder (repeatable)");
  cmd.add_option("--training", config->training, "a `taskforge train --out` folder");
  cmd.add_option("--evaluation", config->evaluation, "a file holding `taskforge eval --json` output");
  cmd.add_option("--seed", config->scene_seed, "seed of the scene pictures")->capture_default_str();
  cmd.add_option("--title", config->title, "page title")->capture_default_str();
  cmd.callback([&global, config, library] {
    config->library = library::DefaultLibraryPath(*library);
    std::optional<ProgressBar> bar;  // made once the number of tasks is known
    const report::ReportSummary summary = report::WriteReport(*config, [&](int done, int total) {
      if (!bar) bar.emplace("scene pictures", total, "tasks", !global.quiet && !global.json);
      bar->Update(done);
    });
    if (bar) bar->Finish();
    for (const std::string& warning : summary.warnings) std::cerr << "report: " << warning << "\n";
    if (global.json) {
      std::cout << nlohmann::json{{"index_html", summary.index_html.string()}, {"tasks", summary.tasks},
                                  {"pictures", summary.pictures}, {"warnings", summary.warnings}}
                       .dump()
                << std::endl;
    } else if (!global.quiet) {
      std::cout << "wrote " << summary.index_html.string() << " (" << summary.tasks << " tasks, " << summary.pictures
                << " scene pictures)\n";
    }
  });
}

}  // namespace taskforge::cli
