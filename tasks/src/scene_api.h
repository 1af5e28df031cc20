#pragma once
// The task API a script sees: the `task` table it declares and the `env` functions its reset()
// calls (documented for script authors in docs/task-api.md). Every argument is checked; a bad
// one raises a Lua error naming the function, the argument and the value, which the sandbox
// turns into a ScriptError with the script's line.

#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "catalogue.h"
#include "goals.h"
#include "lua_sandbox.h"
#include "taskforge/core/heightmap.h"
#include "taskforge/core/primitives.h"
#include "taskforge/sim/sim.h"
#include "taskforge/tasks/task.h"

namespace taskforge::tasks {

/// What the script's `task` table declares, with Ravens' defaults.
struct TaskSettings {
  std::string name;
  std::string description;
  std::vector<std::string> variants;
  int max_steps = 10;
  sim::EndEffector end_effector = sim::EndEffector::kSuction;
  PickPlaceConfig pick_place;
  PushConfig push;
  double pos_eps = 0.01;                ///< [m]
  double rot_eps = 0.2617993877991494;  ///< [rad] (15°)
  double zone_height = 0.3;             ///< [m] points above a zone's frame by more don't count
  int solver_iterations = 0;            ///< physics solver iterations; 0 = the simulator's default
  int physics_hz = 0;                   ///< physics steps per simulated second; 0 = the simulator's default
};

/// Loads the `util` prelude, then the task's code, into a fresh sandbox. @throws ScriptError.
void LoadTask(LuaSandbox& sandbox, const std::string& code);

/// Reads the global `task` table after the script has loaded. @throws ScriptError.
TaskSettings ReadTaskSettings(LuaSandbox& sandbox);

/// Everything reset() builds, and what the API functions need to build it.
struct SceneContext {
  sim::Sim* sim = nullptr;
  std::mt19937_64* rng = nullptr;
  const Catalogue* catalogue = nullptr;
  TaskSettings* settings = nullptr;
  std::string variant;
  Split split = Split::kTrain;
  int max_objects = 200;

  std::vector<Goal> goals;
  std::set<sim::BodyId> objects;                ///< everything the script spawned
  std::map<sim::BodyId, std::string> assets;    ///< the catalogue asset of each spawned object
  std::set<sim::BodyId> fixed;                  ///< the spawned objects that are static
  std::map<sim::BodyId, double> symmetries;     ///< from the catalogue [rad]
  std::optional<Heightmap> oracle_view;         ///< cached for random_pose; reset on changes
  std::map<sim::BodyId, size_t> parked;         ///< objects moved off the table, and their slots
  int extra_settle_steps = 0;                   ///< asked for with env.settle() in this call
  int env_ref = 0;                              ///< registry reference of the `env` table
};

/// Defines the global `env` table bound to `context` (which must outlive the sandbox's use).
void InstallSceneApi(LuaSandbox& sandbox, SceneContext& context);
/// Pushes that `env` table (kept in the registry, whatever the script does to its globals).
void PushSceneApi(LuaSandbox& sandbox, const SceneContext& context);

namespace detail {
// Shared by the bindings in scene_api.cc and goal_api.cc.
void CheckInWorkspace(const Vec3& point, const std::string& what);
/// A palette name or {r, g, b} in [0, 1].
Vec3 ReadColor(lua_State* L, int index, const std::string& what);
int AddGoal(lua_State* L, SceneContext& context);
int AddRope(lua_State* L, SceneContext& context);
}  // namespace detail

/// The named colours [0..1] (Ravens' palette) and the splits of a variant.
const std::map<std::string, Vec3>& Palette();
std::vector<std::string> SplitColors(const std::string& variant, Split split);

}  // namespace taskforge::tasks
