#include "taskforge/report/report.h"

#include <cstdio>
#include <ctime>

#include "html.h"
#include "sections.h"
#include "taskforge/core/error.h"
#include "taskforge/core/files.h"
#include "taskforge/library/library.h"
#include "taskforge/tasks/tools.h"

namespace taskforge::report {
namespace {

namespace fs = std::filesystem;

// A file name for a task's picture: the name with anything but [A-Za-z0-9._-] replaced.
std::string PictureName(const std::string& task) {
  std::string name = task;
  for (char& c : name) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.';
    if (!keep) c = '_';
  }
  return name + ".png";
}

std::string Format(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

std::string ValidationCell(const library::TaskRecord& task) {
  const library::ValidationRecord* v = task.latest_validation();
  if (!v) return "<span class=\"muted\">not validated</span>";
  std::string cell = v->accepted ? "<span class=\"tag generated\">accepted</span>"
                                 : "<span class=\"tag rejected\">rejected at " + Escape(v->stage) + "</span>";
  cell += "<br>" + std::to_string(v->successes) + "/" + std::to_string(v->episodes) + " oracle episodes (" +
          Format("%.0f%%", 100.0 * v->success_rate) + ")<br>" + Format("%.1f s", v->wall_s) + " · " +
          Escape(v->validated_at);
  if (!v->accepted) cell += "<div class=\"error\">" + Escape(v->reason) + "</div>";
  if (task.validations.size() > 1) cell += "<br><span class=\"muted\">" + std::to_string(task.validations.size()) + " validations</span>";
  return cell;
}

std::string LineageCell(const library::TaskRecord& task) {
  std::string cell;
  if (!task.parents.empty()) cell += "from " + Escape(JoinNames(task.parents)) + "<br>";
  if (!task.prompt_mode.empty()) cell += "mode " + Escape(task.prompt_mode) + "<br>";
  if (!task.model.empty()) cell += "model " + Escape(task.model) + "<br>";
  cell += "<span class=\"muted\">added " + Escape(task.created_at) + "</span>";
  return cell;
}

// The library section: summary cards and one row per task, rendering each task's scene.
std::string LibrarySection(const ReportConfig& config, const ReportProgress& progress, ReportSummary& summary) {
  const library::TaskLibrary library(config.library);
  const std::vector<library::TaskRecord> records = library.List();
  const library::LibraryStats stats = library.Stats();
  std::string html = "<h2>Task library</h2>\n<p class=\"muted\">" + Escape(config.library.string()) + "</p>\n";
  html += "<div class=\"cards\">";
  html += "<div class=\"card\"><b>" + std::to_string(stats.tasks) + "</b>tasks</div>";
  for (const auto& [origin, count] : stats.by_origin) {
    html += "<div class=\"card\"><b>" + std::to_string(count) + "</b>" + Escape(origin) + "</div>";
  }
  html += "<div class=\"card\"><b>" + std::to_string(stats.accepted) + "/" + std::to_string(stats.validated) +
          "</b>validated tasks accepted</div>";
  if (stats.validated > 0) {
    html += "<div class=\"card\"><b>" + Format("%.0f%%", 100.0 * stats.mean_success_rate) +
            "</b>mean oracle success</div>";
  }
  html += "</div>\n";

  html += "<table>\n<tr><th>Scene (seed " + std::to_string(config.scene_seed) +
          ")</th><th>Task</th><th>Lineage</th><th>Validation</th></tr>\n";
  const fs::path pictures = config.out / "pictures";
  fs::create_directories(pictures);
  int done = 0;
  for (const library::TaskRecord& task : records) {
    const std::string picture = PictureName(task.name);
    std::string scene;
    try {
      tasks::EpisodeOptions options;
      options.seed = config.scene_seed;
      tasks::WriteScenePicture(task.ToTaskSource(), options, pictures / picture);
      scene = "<a href=\"pictures/" + Escape(picture) + "\"><img class=\"scene\" src=\"pictures/" + Escape(picture) +
              "\" alt=\"" + Escape(task.name) + " scene\"></a>";
      ++summary.pictures;
    } catch (const Error& e) {
      scene = "<div class=\"error\">no scene: " + Escape(e.what()) + "</div>";
      summary.warnings.push_back(task.name + ": no scene picture: " + e.what());
    }
    html += "<tr><td>" + scene + "</td><td><b>" + Escape(task.name) + "</b> <span class=\"tag " +
            Escape(library::OriginName(task.origin)) + "\">" + Escape(library::OriginName(task.origin)) + "</span><br>" +
            Escape(task.description);
    if (!task.assets.empty()) html += "<br><span class=\"muted\">assets: " + Escape(JoinNames(task.assets)) + "</span>";
    html += "</td><td>" + LineageCell(task) + "</td><td>" + ValidationCell(task) + "</td></tr>\n";
    if (progress) progress(++done, int(records.size()));
  }
  summary.tasks = int(records.size());
  return html + "</table>\n";
}

std::string Now() {
  const std::time_t t = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return text;
}

}  // namespace

ReportSummary WriteReport(const ReportConfig& config, const ReportProgress& progress) {
  TF_THROW_UNLESS(!config.library.empty(), "the report needs a task library (--library)");
  TF_THROW_UNLESS(fs::exists(config.library), "task library ", config.library, " does not exist");
  TF_THROW_UNLESS(!config.out.empty(), "the report needs an output folder (--out)");
  fs::create_directories(config.out);
  ReportSummary summary;
  std::string html = PageStart(config.title, "written " + Now());
  html += LibrarySection(config, progress, summary);
  for (const fs::path& dataset : config.datasets) html += DatasetSection(dataset, config.out, summary);
  if (!config.training.empty()) html += TrainingSection(config.training, summary);
  if (!config.evaluation.empty()) html += EvaluationSection(config.evaluation, summary);
  html += PageEnd();
  summary.index_html = config.out / "index.html";
  WriteFileAtomically(summary.index_html, html);
  return summary;
}

}  // namespace taskforge::report
