#pragma once
// Tasks: Lua scripts that build a tabletop scene and declare goals (see docs/task-api.md), run
// in a sandbox; an episode steps a task with actions from the scripted oracle or a policy and
// scores it exactly as Ravens does (delta rewards, partial credit, goals popped in sequence).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "taskforge/core/heightmap.h"
#include "taskforge/core/primitives.h"
#include "taskforge/sim/sim.h"

namespace taskforge::tasks {

/// A task script and the variant it runs in.
struct TaskSource {
  std::string name;         ///< e.g. "put-block-in-bowl"
  std::string variant;      ///< e.g. "seen-colors"; empty for tasks without variants
  std::string script_name;  ///< shown in every message, e.g. "put-block-in-bowl.lua"
  std::string code;         ///< Lua source text
  /// "name-variant", or the name alone.
  std::string full_name() const { return variant.empty() ? name : name + "-" + variant; }
};

/// What a script declares in its `task` table, read without building a scene.
struct TaskInfo {
  std::string name;
  std::string description;
  std::vector<std::string> variants;  ///< empty: the task has no colour splits
  int max_steps = 0;                  ///< as declared; reset() may change it per episode
  std::string end_effector;           ///< "suction" or "spatula"
  std::string file;
};

/// The seed library that ships with the source tree ($TASKFORGE_TASKS overrides it).
std::filesystem::path DefaultLibraryDir();

/// Finds a task by "name", "name-variant" (e.g. "put-block-in-bowl-unseen-colors") or the path
/// of a .lua file. @throws Error naming the closest library tasks when nothing matches.
TaskSource ResolveTask(const std::string& name_or_file, const std::filesystem::path& library_dir = {});

/// Every task in a library folder, sorted by name. @throws ScriptError for a broken script.
std::vector<TaskInfo> ListTasks(const std::filesystem::path& library_dir = {});

/// Loads the script in a sandbox and reads its `task` table. @throws ScriptError.
TaskInfo ReadTaskInfo(const TaskSource& task);

/// Which colours a variant draws from, as CLIPort's modes do: "seen-colors" always uses the
/// training colours, "unseen-colors" the evaluation colours outside training, "full" both.
enum class Split { kTrain, kVal, kTest };
const char* SplitName(Split split);

/// Budgets for the untrusted script (applied to every call into it).
struct ScriptLimits {
  int64_t instructions_per_call = 20'000'000;  ///< Lua VM instructions
  size_t memory_bytes = size_t(64) << 20;      ///< the interpreter's whole heap [bytes]
  double wall_s_per_call = 2.0;                ///< [s]
  int max_objects = 200;                       ///< objects one reset() may spawn
};

struct EpisodeOptions {
  uint64_t seed = 0;          ///< fixes the scene (math.random and every sampler) and the oracle
  Split split = Split::kTrain;
  ScriptLimits limits;
  sim::SimConfig sim;         ///< end_effector is overridden by the task
  int settle_after_reset = 0; ///< extra physics steps after reset() (tasks may ask for more)
};

/// A Ravens action: for pick-and-place the pick and place poses of the suction tip (position,
/// yaw; world frame, metres/radians), for a push its start and end points.
struct Action {
  Pose pose0 = Pose::Identity();
  Pose pose1 = Pose::Identity();
};

struct StepResult {
  double reward = 0.0;  ///< delta reward of this step (Ravens)
  bool done = false;
  PrimitiveResult primitive;
};

/// Counts that explain an episode's cost.
struct EpisodeStats {
  int64_t physics_steps = 0;
  int64_t renders = 0;  ///< camera images rendered (oracle views and observations)
  int64_t ik_calls = 0;
  int actions = 0;
};

/// What reset() built, for the validator's sanity checks (world frame, metres).
struct SceneLayout {
  struct Object {
    sim::BodyId body = 0;
    std::string asset;  ///< catalogue name, e.g. "block"
    bool fixed = false;
  };
  std::vector<Object> objects;  ///< every object spawned and not parked, in spawn order
  std::vector<Pose> targets;    ///< the remaining goals' target poses (zone goals: zone centres)
};

class Episode {
 public:
  /// Builds a fresh world and runs the script's reset(env) in a new sandbox.
  /// @throws ScriptError for anything the script does wrong, Error for bad options.
  Episode(const TaskSource& task, const EpisodeOptions& options);
  ~Episode();
  Episode(const Episode&) = delete;
  Episode& operator=(const Episode&) = delete;

  const std::string& task_name() const;
  int max_steps() const;
  /// The current goal's instruction; empty once no goal is left.
  std::string language_goal() const;
  /// Every goal's instruction, in order, as declared at reset.
  const std::vector<std::string>& language_goals() const;

  /// The three agent cameras and the fused heightmap, into `obs` (buffers reused).
  void Observe(Observation& obs);
  /// The scripted expert's next action (Ravens oracle), or nullopt when it cannot act (the
  /// object to move is not visible, or no goal is left).
  std::optional<Action> OracleAct();
  /// Executes an action with the task's primitive, lets the world settle and scores it.
  StepResult Step(const Action& action);

  /// No goal left, total reward > 0.99, or max_steps actions taken.
  bool done() const;
  bool success() const;  ///< total reward > 0.99
  double total_reward() const;
  int actions_taken() const;
  EpisodeStats stats() const;
  /// Why the episode ended early (a primitive failed, a body left the table); empty otherwise.
  const std::string& failure() const;
  /// Lines the script printed.
  const std::vector<std::string>& script_output() const;

  sim::Sim& sim();
  /// The scene as built so far (call it right after reset for the whole goal list).
  SceneLayout layout() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One oracle episode from reset to done.
struct OracleRun {
  uint64_t seed = 0;
  bool success = false;
  double reward = 0.0;
  int actions = 0;
  EpisodeStats stats;
  double wall_s = 0.0;
  std::string error;  ///< set when the episode could not run (the script failed, oracle stuck)
};
/// `observer`, when given, sees the episode after reset (action 0) and after every action.
OracleRun RunOracleEpisode(const TaskSource& task, const EpisodeOptions& options,
                           const std::function<void(Episode&, int action)>& observer = {});

}  // namespace taskforge::tasks
