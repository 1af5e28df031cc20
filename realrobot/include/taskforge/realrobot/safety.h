#pragma once
// Software safety limits checked by the driver before any motion command leaves the computer,
// and by deploy before an action starts. They sit inside the controller's own safety
// configuration (set on the teach pendant, see docs/real-robot.md), never instead of it.

#include <filesystem>
#include <string>
#include <vector>

#include "taskforge/core/geometry.h"
#include "taskforge/core/primitives.h"

namespace taskforge::realrobot {

/// Limits in the world frame (= the robot base frame of docs/architecture.md), metres/radians.
struct SafetyLimits {
  Vec3 box_min{0.15, -0.6, 0.0};  ///< the tool tip must stay inside this box [m]
  Vec3 box_max{0.85, 0.6, 0.7};   ///< (the Ravens workspace plus margins and approach heights)
  double min_tool_height_m = 0.0; ///< lowest commanded tool tip z [m]; 0 = the table top
  double max_tilt_rad = 0.35;     ///< tool +z axis within this angle of straight down [rad]
  double max_joint_speed_rad_s = 1.0;     ///< movej speeds above this are capped to it
  double max_joint_accel_rad_s2 = 2.0;    ///< movej accelerations are capped to it
  double max_tool_speed_m_s = 0.25;       ///< movel speeds are capped to it
  double max_tool_accel_m_s2 = 1.0;       ///< movel accelerations are capped to it
  double max_frame_age_s = 1.0;   ///< a camera frame older than this when acting is stale [s]
};

/// Reads limits from a JSON file whose keys are the field names above (vectors as [x, y, z]);
/// missing keys keep their defaults. @throws Error naming the file and the bad key.
SafetyLimits LoadSafetyLimits(const std::filesystem::path& path);

/// Why a tool pose breaks the limits ("tool z 0.91 m above the box top 0.70 m", ...); empty
/// when it is allowed.
std::string CheckToolPose(const Pose& tool_pose, const SafetyLimits& limits);

/// The tool poses a suction pick-and-place visits (approach above the pick, the pick, lift,
/// carry above the place, the place) as PickPlace plans them, and every limit they break
/// ("pick: ...", "carry: ..."). Empty when the action may run.
std::vector<std::string> CheckPickPlace(const Pose& pick, const Pose& place, const SafetyLimits& limits,
                                        const PickPlaceConfig& config = {});

}  // namespace taskforge::realrobot
