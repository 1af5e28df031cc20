#pragma once
// The deploy loop: observe (camera -> fused heightmap, as in sim), ask an action source for a
// pick and place, check it against the safety limits, draw the plan, and (only with `execute`)
// run core's PickPlace primitive on the robot.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "taskforge/core/heightmap.h"
#include "taskforge/core/primitives.h"
#include "taskforge/realrobot/safety.h"
#include "taskforge/realrobot/ur_robot.h"

namespace taskforge::realrobot {

/// A suction pick and place in world coordinates (tip position, yaw about z), as Ravens acts.
struct PickPlaceAction {
  Pose pick = Pose::Identity();
  Pose place = Pose::Identity();
};

/// Where deploy's actions come from: a trained policy, or the robot twin's scripted oracle
/// (OpenTwinOracle) for rehearsals.
class ActionSource {
 public:
  virtual ~ActionSource() = default;
  /// The next action for `instruction` seen in `observation`; nullopt when there is none.
  virtual std::optional<PickPlaceAction> Act(const Observation& observation, const std::string& instruction) = 0;
};

/// The robot twin's scripted oracle over its frame protocol (twin.h's "oracle" request).
/// @throws Error if the twin can't be reached.
std::unique_ptr<ActionSource> OpenTwinOracle(const std::string& host, int port);

/// The same from "twin-oracle:HOST:PORT". Policies are the other action source: the executable
/// adapts taskforge::policy to this interface (cli/robot_commands.cc), as realrobot depends on core
/// alone. @throws Error for a malformed spec or a twin that can't be reached.
std::unique_ptr<ActionSource> OpenTwinOracle(const std::string& spec);

struct DeployConfig {
  std::string instruction;
  bool execute = false;   ///< false: a dry run that plans one action and moves nothing
  int max_actions = 1;    ///< actions before the loop stops
  std::filesystem::path plan_png;  ///< the plan over the heightmap ("_N" added after the 1st); empty: none
  WorkspaceBounds bounds;
  SafetyLimits limits;    ///< checked on every planned action (the robot checks each move too)
  PickPlaceConfig pick_place;
};

/// One planned (and maybe executed) action.
struct DeployStep {
  PickPlaceAction action;
  std::vector<std::string> refused;  ///< broken limits; non-empty = the action did not run
  bool executed = false;
  PrimitiveResult result;
  double frame_age_s = 0.0;          ///< age of the observation when the action started [s]
};

struct DeployReport {
  std::vector<DeployStep> steps;
  std::string aborted;  ///< why the loop stopped early (refusal, fault, stale frame); empty if not
  bool ok() const { return aborted.empty(); }
};

/// Runs the loop. `robot` may be null for a dry run. Never throws for a refused action or a
/// motion fault (they end the loop with `aborted` set and the arm stopped); throws Error for bad
/// input (a camera that can't capture, an unwritable PNG).
DeployReport RunDeploy(const DeployConfig& config, const std::vector<Camera*>& cameras, ActionSource& source,
                       UrRobot* robot);

/// The heightmap's colour, enlarged, with the pick (green) and place (red) marked and labelled.
void WritePlanImage(const std::filesystem::path& path, const Heightmap& heightmap, const PickPlaceAction& action,
                    const WorkspaceBounds& bounds);

}  // namespace taskforge::realrobot
