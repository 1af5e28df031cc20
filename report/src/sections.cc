#include "sections.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "html.h"
#include "taskforge/core/error.h"
#include "taskforge/core/image.h"
#include "taskforge/dataset/dataset.h"

namespace taskforge::report {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", 100.0 * fraction);
  return text;
}

std::string Number(double value, const char* format = "%.3g") {
  char text[32];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// "812 kB", "3.25 MB", "1.20 GB".
std::string Bytes(double bytes) {
  if (bytes < 1e6) return Number(bytes / 1e3, "%.0f kB");
  if (bytes < 1e9) return Number(bytes / 1e6, "%.2f MB");
  return Number(bytes / 1e9, "%.2f GB");
}

// The last non-empty line of a file (commands with --json end with their JSON object).
std::string LastLine(const fs::path& file) {
  std::ifstream in(file);
  TF_THROW_UNLESS(in.good(), "cannot read ", file);
  std::string line, last;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  }
  return last;
}

// A line chart of `series` (name -> (x, y) points) as inline SVG, y on a linear scale from 0.
std::string LineChart(const std::map<std::string, std::vector<std::pair<double, double>>>& series,
                      const std::string& x_label) {
  constexpr double kW = 720, kH = 300, kLeft = 60, kBottom = 40, kTop = 10, kRight = 160;
  double x_max = 0, y_max = 0;
  for (const auto& [name, points] : series) {
    for (const auto& [x, y] : points) {
      x_max = std::max(x_max, x);
      y_max = std::max(y_max, y);
    }
  }
  if (x_max <= 0) x_max = 1;
  if (y_max <= 0) y_max = 1;
  const double plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  auto sx = [&](double x) { return kLeft + plot_w * x / x_max; };
  auto sy = [&](double y) { return kTop + plot_h * (1.0 - y / y_max); };
  static const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Number(kW, "%.0f") + "\" height=\"" +
                    Number(kH, "%.0f") + "\" font-size=\"12\">";
  svg += "<rect x=\"" + Number(kLeft, "%.0f") + "\" y=\"" + Number(kTop, "%.0f") + "\" width=\"" +
         Number(plot_w, "%.0f") + "\" height=\"" + Number(plot_h, "%.0f") + "\" fill=\"none\" stroke=\"#ccc\"/>";
  for (int i = 0; i <= 4; ++i) {  // y ticks
    const double y = y_max * i / 4;
    svg += "<text x=\"" + Number(kLeft - 6, "%.0f") + "\" y=\"" + Number(sy(y) + 4, "%.0f") +
           "\" text-anchor=\"end\">" + Number(y) + "</text>";
  }
  svg += "<text x=\"" + Number(kLeft, "%.0f") + "\" y=\"" + Number(kH - 12, "%.0f") + "\">0</text>";
  svg += "<text x=\"" + Number(kLeft + plot_w, "%.0f") + "\" y=\"" + Number(kH - 12, "%.0f") +
         "\" text-anchor=\"end\">" + Number(x_max, "%.0f") + " " + Escape(x_label) + "</text>";
  int k = 0;
  for (const auto& [name, points] : series) {
    const char* colour = kColours[k % 6];
    std::string path;
    for (const auto& [x, y] : points) path += Number(sx(x), "%.1f") + "," + Number(sy(y), "%.1f") + " ";
    svg += "<polyline fill=\"none\" stroke=\"" + std::string(colour) + "\" stroke-width=\"1.5\" points=\"" + path + "\"/>";
    svg += "<text x=\"" + Number(kW - kRight + 10, "%.0f") + "\" y=\"" + Number(kTop + 14 + 16 * k, "%.0f") +
           "\" fill=\"" + colour + "\">" + Escape(name) + "</text>";
    ++k;
  }
  return svg + "</svg>";
}

}  // namespace

std::string DatasetSection(const fs::path& dataset, const fs::path& out, ReportSummary& summary) {
  std::string html = "<h2>Demonstrations: " + Escape(dataset.filename().string()) + "</h2>\n";
  try {
    const dataset::DatasetReader reader(dataset);
    const dataset::Index& index = reader.index();
    std::map<std::string, std::vector<int>> by_task;
    for (size_t e = 0; e < index.episodes.size(); ++e) by_task[index.episodes[e].task].push_back(int(e));
    std::map<std::string, int> failed;
    for (const dataset::FailedSlot& slot : index.failed) ++failed[slot.task];
    html += "<p class=\"muted\">" + Escape(dataset.string()) + " · split " + Escape(index.manifest.split) + " · " +
            std::to_string(index.manifest.episodes_per_task) + " episodes per task asked</p>\n";
    html += "<table>\n<tr><th>First frame</th><th>Task</th><th class=\"num\">Episodes</th><th class=\"num\">Failed "
            "slots</th><th class=\"num\">Frames</th><th class=\"num\">Size</th><th class=\"num\">Bytes/frame</th></tr>\n";
    const fs::path pictures = out / "pictures";
    fs::create_directories(pictures);
    for (const std::string& task : index.manifest.tasks) {
      const std::vector<int>& episodes = by_task[task];
      int frames = 0;
      double bytes = 0;
      for (int e : episodes) {
        frames += index.episodes[size_t(e)].frames;
        bytes += double(index.episodes[size_t(e)].bytes);
      }
      std::string picture = "<span class=\"muted\">no episode</span>";
      if (!episodes.empty()) {
        const std::string name = "demo-" + dataset.filename().string() + "-" + task + ".png";
        WritePng(pictures / name, reader.ReadFrame(episodes.front(), 0).color);
        picture = "<img src=\"pictures/" + Escape(name) + "\" alt=\"" + Escape(task) + " first frame\" height=\"160\">";
      }
      html += "<tr><td>" + picture + "</td><td>" + Escape(task) + "</td><td class=\"num\">" +
              std::to_string(episodes.size()) + "</td><td class=\"num\">" + std::to_string(failed[task]) +
              "</td><td class=\"num\">" + std::to_string(frames) + "</td><td class=\"num\">" + Bytes(bytes) +
              "</td><td class=\"num\">" + (frames ? Bytes(bytes / frames) : "–") + "</td></tr>\n";
    }
    html += "</table>\n";
    for (const std::string& problem : index.problems) html += "<p class=\"error\">" + Escape(problem) + "</p>\n";
  } catch (const Error& e) {
    html += "<p class=\"error\">" + Escape(e.what()) + "</p>\n";
    summary.warnings.push_back("dataset " + dataset.string() + ": " + e.what());
  }
  return html;
}

std::string TrainingSection(const fs::path& training, ReportSummary& summary) {
  std::string html = "<h2>Training</h2>\n<p class=\"muted\">" + Escape(training.string()) + "</p>\n";
  const fs::path log = training / "metrics.jsonl";
  std::ifstream in(log);
  if (!in.good()) {
    summary.warnings.push_back("training: no " + log.string());
    return html + "<p class=\"error\">no metrics log at " + Escape(log.string()) + "</p>\n";
  }
  // Every numeric field whose name holds "loss" becomes a curve over "step".
  std::map<std::string, std::vector<std::pair<double, double>>> curves;
  json last;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    const json record = json::parse(line, nullptr, false);
    if (record.is_discarded() || !record.is_object() || !record.contains("step")) {
      summary.warnings.push_back("training: " + log.string() + ":" + std::to_string(line_number) + " is not a metrics record");
      continue;
    }
    for (const auto& [key, value] : record.items()) {
      if (value.is_number() && key.find("loss") != std::string::npos) {
        curves[key].emplace_back(record["step"].get<double>(), value.get<double>());
      }
    }
    last = record;
  }
  if (curves.empty()) return html + "<p class=\"muted\">the metrics log has no loss records yet</p>\n";
  html += LineChart(curves, "steps") + "\n<table>\n<tr><th>Last record</th><th class=\"num\">Value</th></tr>\n";
  for (const auto& [key, value] : last.items()) {
    html += "<tr><td>" + Escape(key) + "</td><td class=\"num\">" +
            Escape(value.is_number() ? Number(value.get<double>(), "%.4g") : value.dump()) + "</td></tr>\n";
  }
  return html + "</table>\n";
}

std::string EvaluationSection(const fs::path& evaluation, ReportSummary& summary) {
  std::string html = "<h2>Evaluation</h2>\n<p class=\"muted\">" + Escape(evaluation.string()) + "</p>\n";
  try {
    const json result = json::parse(LastLine(evaluation), nullptr, false);
    TF_THROW_UNLESS(!result.is_discarded() && result.contains("tasks") && result["tasks"].is_object(),
                    evaluation, "'s last line is not an evaluation (a JSON object with \"tasks\")");
    const json none = json::object();
    const json& rewards = result.contains("mean_reward") ? result["mean_reward"] : none;
    const json& published = result.contains("published") ? result["published"] : none;
    html += "<table>\n<tr><th>Task</th><th class=\"num\">Success</th><th class=\"num\">Mean reward</th>"
            "<th class=\"num\">CLIPort (published)</th></tr>\n";
    for (const auto& [task, success] : result["tasks"].items()) {
      html += "<tr><td>" + Escape(task) + "</td><td class=\"num\">" + Percent(success.get<double>()) +
              "</td><td class=\"num\">" + (rewards.contains(task) ? Number(rewards[task].get<double>(), "%.3f") : "–") +
              "</td><td class=\"num\">" + (published.contains(task) ? Percent(published[task].get<double>()) : "–") +
              "</td></tr>\n";
    }
    if (result.contains("mean_success")) {
      html += "<tr><th>mean</th><th class=\"num\">" + Percent(result["mean_success"].get<double>()) + "</th><th></th><th></th></tr>\n";
    }
    html += "</table>\n";
  } catch (const std::exception& e) {  // Error or a JSON type mismatch
    html += "<p class=\"error\">" + Escape(e.what()) + "</p>\n";
    summary.warnings.push_back(std::string("evaluation: ") + e.what());
  }
  return html;
}

}  // namespace taskforge::report
