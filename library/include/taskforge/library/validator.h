#pragma once
// The validator: judges a candidate task script in stages, each episode in its own child process.
//
// Stages, in order (a candidate is rejected at the first that fails):
//   syntax    the script loads and its `task` table reads;
//   runtime   reset() and the oracle run without a script error on every episode;
//   completed the oracle succeeds on at least `min_success_rate` of `episodes` distinct seeds;
//   sanity    objects spawn inside the workspace and not inside each other, goal targets are
//             reachable by the arm, nothing explodes, and bodies leave the table rarely.
// Every child runs under CPU-time, address-space, file-size and core-dump limits on top of the
// Lua budgets, with a wall-clock kill from the parent; a crash, hang or memory bomb becomes a
// rejection whose reason says what happened and where, worded for a person or a language model.
//
// The calling process must not have started EGL or Bullet (children build their own worlds) and
// should not hold locks in other threads while Validate forks.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "taskforge/tasks/task.h"

namespace taskforge::library {

enum class Stage { kSyntax, kRuntime, kCompleted, kSanity };
/// "syntax", "runtime", "completed", "sanity".
const char* StageName(Stage stage);

struct ValidatorConfig {
  int episodes = 8;                ///< oracle episodes, on seeds first_seed .. first_seed + episodes - 1
  uint64_t first_seed = 0;
  double min_success_rate = 0.5;   ///< completed stage: successes / episodes must reach this
  int jobs = 1;                    ///< child processes running at once
  double cpu_s_per_child = 60.0;   ///< RLIMIT_CPU of each child [s of CPU time]
  size_t address_space_bytes = size_t(4) << 30;  ///< RLIMIT_AS of each child [bytes]
  double wall_s_per_child = 120.0; ///< the parent kills a child running longer [s of wall time]
  /// Sanity stage: share of episodes in which a body may leave the table during the oracle run
  /// (the oracle drops things now and then; a scene that sheds objects every time is broken).
  double max_left_table_fraction = 0.25;
  /// The Lua budgets inside each child. The per-call wall-clock guard is relaxed from 2 s to
  /// 20 s: it counts wall time, so on a busy machine seed tasks' resets (which render oracle
  /// views) overran 2 s; the instruction budget still stops Lua loops deterministically, and the
  /// child's CPU and wall limits bound time spent in the C++ API.
  tasks::ScriptLimits limits = [] {
    tasks::ScriptLimits l;
    l.wall_s_per_call = 20.0;
    return l;
  }();
  std::filesystem::path assets_dir;  ///< empty: $TASKFORGE_ASSETS or the source tree's
};

/// One oracle episode, as a child reported it (or as the parent saw the child die).
struct EpisodeResult {
  uint64_t seed = 0;
  bool success = false;
  double reward = 0.0;
  int actions = 0;
  int64_t physics_steps = 0;
  double wall_s = 0.0;                    ///< the child's whole life [s]
  std::string runtime_error;              ///< a script error, crash or exceeded limit; empty if none
  std::vector<std::string> sanity_issues; ///< what the sanity checks found in this episode
  std::string failure;                    ///< why an unsuccessful episode ended (primitive, oracle)
};

struct ValidationReport {
  std::string task;          ///< the script's task name (or the file name when it did not load)
  std::string description;   ///< from the `task` table
  bool accepted = false;
  Stage stage = Stage::kSyntax;  ///< the stage that failed, or the last one passed (kSanity)
  std::string reason;        ///< why it failed, or a one-line summary when accepted
  std::vector<EpisodeResult> episodes;  ///< in seed order
  int successes = 0;
  double success_rate = 0.0;
  std::vector<std::string> assets;  ///< catalogue assets the scenes used, sorted
  double wall_s = 0.0;       ///< the whole validation [s]
  double syntax_s = 0.0;     ///< the syntax stage [s]
  double episodes_s = 0.0;   ///< all episodes, wall time with `jobs` children [s]

  /// The report as one line of JSON (the CLI's --json object and the library's stored record).
  std::string ToJson() const;
};

/// Validates `task` (a variant, if the script declares some and none is named: the first).
/// Never throws for anything the script does; @throws Error for a bad config.
ValidationReport Validate(const tasks::TaskSource& task, const ValidatorConfig& config = {});

}  // namespace taskforge::library
