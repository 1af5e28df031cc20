#pragma once
// Ravens motion primitives written only against the Arm and Gripper interfaces.

#include "taskforge/core/robot.h"

namespace taskforge {

/// Ravens' suction pick-and-place parameters (primitives.PickPlace).
struct PickPlaceConfig {
  double approach_height_m = 0.32;  ///< above the pick/place pose for approach and lift
  double lift_height_m = 0.32;      ///< height above pick/place the object is carried at (Ravens `height`)
  double slow_descent_above_m = 0.03;    ///< the descent slows this far above the expected contact
  double slow_descent_speed_rad_s = 0.48;  ///< joint speed of that last part (~0.4 mm per 1/480 s step)
  double speed_rad_s = 4.8;         ///< joint speed of descents (Ravens movep: 0.01 rad/step at 480 Hz)
  /// Joint speed of the empty tool's approach to the pick and retreat from the place, high above
  /// the scene: twice Ravens' speed halves their physics steps and touches nothing.
  double transit_speed_rad_s = 9.6;
  double carry_speed_rad_s = 4.8;   ///< joint speed while lifting/placing (Ravens `speed`; rope: 0.48)
  double max_descent_m = 0.4;       ///< how far below the approach a descent looks for contact
};

/// Ravens' spatula push parameters (primitives.push).
struct PushConfig {
  double push_height_m = 0.005;     ///< tool height during the push
  double approach_height_m = 0.31;  ///< height of the approach and retreat
  double back_off_m = 0.02;         ///< start this far behind the given start point
  double pull_back_m = 0.05;        ///< end this far short of the given end point
  /// Joint speed of the descent to the push height and of the rise after the push (at the
  /// transit speed, the rising blade flicked blocks out of the zone).
  double speed_rad_s = 4.8;
  double transit_speed_rad_s = 9.6; ///< joint speed of the turn and approach high above the scene
  /// Joint speed of the push. Ravens pushes at 1.44 rad/s (0.003 rad/step at 480 Hz), about
  /// 0.5 m/s at the blade; in this simulator the 1 g blocks then keep sliding well past where
  /// the blade stops, out over the workspace's edge when the zone lies near it, and the oracle
  /// fails most sweeping-piles seeds. A third of that speed lets them stop at the blade.
  double push_speed_rad_s = 0.48;
  double max_step_m = 0.01;         ///< the push is split into moves of at most this length
};

/// What a primitive did; `status` is kReached on success.
struct PrimitiveResult {
  MotionStatus status = MotionStatus::kReached;
  bool grasped = false;  ///< pick-place only: something was attached at the pick
  const char* failed_phase = "";  ///< the phase that failed: "approach", "pick descent", "lift", ...
  bool ok() const { return status == MotionStatus::kReached; }
};

/// Picks at `pick` and places at `place` (object-frame poses on the table: position of the
/// contact point, rotation about z). The place yaw is relative to the pick yaw as in Ravens.
PrimitiveResult PickPlace(Arm& arm, Gripper& gripper, const Pose& pick, const Pose& place,
                          const PickPlaceConfig& config = {});

/// Pushes with a spatula from `start` to `end` (world points; z ignored), blade across the path.
PrimitiveResult Push(Arm& arm, const Vec3& start, const Vec3& end, const PushConfig& config = {});

/// The tool pose that puts the tip at `position` pointing down with heading `yaw_rad`.
Pose DownwardToolPose(const Vec3& position, double yaw_rad);

}  // namespace taskforge
