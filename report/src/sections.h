#pragma once
// The report's optional sections, each an HTML fragment; each writes its pictures under the
// report folder and notes what it could not show in the summary's warnings.

#include <filesystem>
#include <string>

#include "taskforge/report/report.h"

namespace taskforge::report {

/// A demo dataset: its manifest, per-task episodes, frames and bytes, and the first frame of
/// one episode per task.
std::string DatasetSection(const std::filesystem::path& dataset, const std::filesystem::path& out,
                           ReportSummary& summary);

/// A training run: its loss curves (from the run's metrics log) drawn as SVG, and its figures.
std::string TrainingSection(const std::filesystem::path& training, ReportSummary& summary);

/// An evaluation: per-task success and mean reward, beside CLIPort's published figures when the
/// evaluation carries them.
std::string EvaluationSection(const std::filesystem::path& evaluation, ReportSummary& summary);

}  // namespace taskforge::report
