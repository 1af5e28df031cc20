#pragma once
// The run report: one static HTML page (index.html plus a pictures/ folder beside it) that shows
// a task library — every task with its description, lineage, validation figures and a rendered
// scene — and, when given, the demo datasets, the training curves and the evaluation table of a
// run. It opens from disk in any browser; nothing is fetched from the network.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace taskforge::report {

struct ReportConfig {
  std::filesystem::path library;  ///< task library database (required)
  std::filesystem::path out;      ///< folder for index.html and pictures/ (created)
  std::vector<std::filesystem::path> datasets;  ///< demo dataset folders; may be empty
  std::filesystem::path training;    ///< a `taskforge train --out` folder; may be empty
  std::filesystem::path evaluation;  ///< a file holding `taskforge eval --json` output; may be empty
  uint64_t scene_seed = 0;           ///< seed of the scene pictures
  std::string title = "taskforge report";
};

struct ReportSummary {
  std::filesystem::path index_html;
  int tasks = 0;
  int pictures = 0;                   ///< scene pictures rendered
  std::vector<std::string> warnings;  ///< parts left out, and why (a task whose scene failed)
};

/// Called after each task's scene picture: (done, total).
using ReportProgress = std::function<void(int done, int total)>;

/// Writes the report. @throws Error for a missing library or an unwritable folder; a task whose
/// scene cannot be built is shown with its error instead of a picture (and listed in warnings).
ReportSummary WriteReport(const ReportConfig& config, const ReportProgress& progress = {});

}  // namespace taskforge::report
