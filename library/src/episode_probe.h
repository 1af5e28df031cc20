#pragma once
// What a validator child does: read a script's `task` table, or run one oracle episode with the
// sanity checks, and describe the outcome as one JSON object. Private to library/.

#include <string>

#include "taskforge/tasks/task.h"

namespace taskforge::library {

/// {"name", "description", "variants"} or {"error"}: the syntax stage.
std::string ProbeScript(const tasks::TaskSource& task);

/// One oracle episode: {"seed", "success", "reward", "actions", "physics_steps", "runtime_error",
/// "sanity_issues": [...], "left_table": bool, "failure", "assets": [...]}.
std::string ProbeEpisode(const tasks::TaskSource& task, const tasks::EpisodeOptions& options);

/// Sanity thresholds (world frame, metres).
inline constexpr double kWorkspaceMargin = 0.03;   ///< an object's footprint may overhang the workspace this much
inline constexpr double kContainmentSlack = 0.001; ///< "inside": within the other's box less this
inline constexpr double kReachHeight = 0.01;       ///< targets are checked with the tool this high at least
inline constexpr size_t kMaxMessage = 2000;        ///< characters of a script's error message kept in a report

}  // namespace taskforge::library
