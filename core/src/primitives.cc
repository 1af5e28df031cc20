#include "taskforge/core/primitives.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace taskforge {

const char* ToString(MotionStatus status) {
  switch (status) {
    case MotionStatus::kReached: return "reached";
    case MotionStatus::kBudgetExceeded: return "step budget exceeded";
    case MotionStatus::kUnreachable: return "unreachable pose";
    case MotionStatus::kFault: return "fault";
    case MotionStatus::kStopped: return "stopped by its guard";
  }
  return "unknown";
}

Pose DownwardToolPose(const Vec3& position, double yaw_rad) {
  return MakePlanarPose(position, yaw_rad) * Eigen::AngleAxisd(std::numbers::pi, Vec3::UnitX());
}

namespace {

// A pose `height_m` above `pose` (along world z) as a downward tool pose.
Pose ToolAbove(const Pose& pose, double height_m) {
  return DownwardToolPose(pose.translation() + Vec3(0, 0, height_m), YawOf(pose));
}

// Moves the tool from `from` straight up or down to `to` through waypoints at most `kStep`
// apart. A joint-space move between the two bends away from the vertical by up to a centimetre
// or two, which drags a ring lifted off a peg against the peg.
MotionStatus MoveToolStraight(Arm& arm, const Pose& from, const Pose& to, double speed_rad_s) {
  constexpr double kStep = 0.02;  // [m]
  const Vec3 a = from.translation(), b = to.translation();
  const int n = std::max(1, int(std::ceil((b - a).norm() / kStep)));
  for (int i = 1; i <= n; ++i) {
    Pose waypoint = to;
    waypoint.translation() = a + (b - a) * (double(i) / n);
    if (MotionStatus s = arm.MoveTool(waypoint, speed_rad_s); s != MotionStatus::kReached) return s;
  }
  return MotionStatus::kReached;
}

// The tool pose `height_m` above `pose`, or as high below that as the arm reaches: at the
// workspace's far corners a 0.32 m approach is out of a UR5's reach (Ravens' approximate IK then
// stops short; an exact solver refuses). Lowers 2 cm at a time, never below `kMinHeight`.
Pose ReachableToolAbove(const Arm& arm, const Pose& pose, double height_m) {
  constexpr double kStep = 0.02, kMinHeight = 0.02;  // [m]
  for (double h = height_m;; h -= kStep) {
    const Pose above = ToolAbove(pose, std::max(h, kMinHeight));
    if (h <= kMinHeight || arm.CanReach(above)) return above;
  }
}

// Moves the tool to ReachableToolAbove(pose, height_m); `reached` gets the pose moved to. With
// `straight`, the tool rises along a vertical line.
MotionStatus MoveToolAbove(Arm& arm, const Pose& pose, double height_m, double speed_rad_s, Pose& reached,
                           bool straight = false) {
  const Pose start = arm.tool_pose();
  reached = ReachableToolAbove(arm, pose, height_m);
  return straight ? MoveToolStraight(arm, start, reached, speed_rad_s) : arm.MoveTool(reached, speed_rad_s);
}

// The guarded descent: straight down from `start` in waypoints of at most 2 cm until the gripper
// reports contact, at `speed_rad_s` down to `config.slow_descent_above_m` above `surface_z` (where
// contact is expected) and slowly from there. It stops the moment contact is reported and holds
// there. Ravens instead steps the target down 1 mm per movej; with movej's 0.01 rad tolerance the
// arm then lags ~4 mm behind its target and presses that far into what it touches, and every
// millimetre costs a solve and a few physics steps. Contact is checked every physics step here.
MotionStatus DescendUntilContact(Arm& arm, const Gripper& gripper, const Pose& start, double surface_z,
                                 double speed_rad_s, const PickPlaceConfig& config) {
  if (gripper.DetectContact()) return MotionStatus::kReached;
  constexpr double kStep = 0.02;  // [m]
  const double start_z = start.translation().z();
  const double slow_z = std::min(start_z, surface_z + config.slow_descent_above_m);
  const double end_z = start_z - config.max_descent_m;
  const auto contact = [&] { return gripper.DetectContact(); };
  Pose waypoint = start;
  for (double z = start_z; z > end_z;) {
    const bool fast = z > slow_z;
    z = std::max(fast ? slow_z : end_z, z - kStep);
    waypoint.translation().z() = z;
    const MotionStatus status =
        arm.MoveToolUntil(waypoint, fast ? speed_rad_s : config.slow_descent_speed_rad_s, contact);
    if (status == MotionStatus::kStopped) return MotionStatus::kReached;
    if (status != MotionStatus::kReached) return status;
  }
  return gripper.DetectContact() ? MotionStatus::kReached : MotionStatus::kBudgetExceeded;
}

}  // namespace

PrimitiveResult PickPlace(Arm& arm, Gripper& gripper, const Pose& pick, const Pose& place,
                          const PickPlaceConfig& config) {
  PrimitiveResult result;
  // Runs one phase; a failure ends the primitive and names the phase.
  auto phase = [&](const char* name, MotionStatus status) {
    if (status != MotionStatus::kReached && result.ok()) {
      result.status = status;
      result.failed_phase = name;
    }
    return result.ok();
  };
  Pose prepick, postpick, preplace, postplace;
  if (!phase("approach", MoveToolAbove(arm, pick, config.approach_height_m, config.transit_speed_rad_s, prepick)) ||
      !phase("pick descent",
             DescendUntilContact(arm, gripper, prepick, pick.translation().z(), config.speed_rad_s, config))) {
    return result;
  }
  gripper.Activate();
  if (!phase("lift", MoveToolAbove(arm, pick, config.lift_height_m, config.carry_speed_rad_s, postpick))) return result;
  result.grasped = gripper.CheckGrasp();
  if (!result.grasped) {
    gripper.Release();
    phase("retreat", arm.MoveTool(prepick, config.transit_speed_rad_s));
    return result;
  }
  // The place yaw is applied relative to the pick yaw, as the object rotates with the tool.
  // Ravens descends from the carry height above the place pose; so do we, from as high as reached.
  if (!phase("carry", MoveToolAbove(arm, place, config.lift_height_m, config.carry_speed_rad_s, preplace)) ||
      !phase("place descent", DescendUntilContact(arm, gripper, preplace, place.translation().z(),
                                                  config.carry_speed_rad_s, config))) {
    return result;
  }
  gripper.Release();
  phase("retreat", MoveToolAbove(arm, place, config.approach_height_m, config.transit_speed_rad_s, postplace, true));
  return result;
}

namespace {

// The push heading for the spatula and, when the tool hangs straight down, turns it there in
// place first by the last joint alone. The blade is symmetric under a half turn about the tool
// axis, so a push along `heading` can be made at `heading` or `heading + pi`; of the two the
// wrist (joint 6, which turns the downward tool about the vertical: d yaw = -d q6) is left
// nearest zero, far from its +-2 pi limits. Without the turn, a heading change near pi makes
// the nearest-solution IK of the approach pose jump to another arm branch (shoulder flipped
// back over the base) from which the descent to the table drives the arm into itself.
MotionStatus TurnSpatula(Arm& arm, double heading, double speed_rad_s, double& yaw) {
  const Pose tool = arm.tool_pose();
  const Vec3 axis = tool.linear().col(2);
  yaw = heading;
  if (axis.z() > -0.999) return MotionStatus::kReached;  // not hanging down: let the IK turn it
  const double tool_yaw = YawOf(tool * Eigen::AngleAxisd(std::numbers::pi, Vec3::UnitX()));
  JointVector q = arm.joint_positions();
  double best_q6 = 0.0;
  for (double candidate : {heading, heading + std::numbers::pi}) {
    const double q6 = q[5] - WrapAngle(candidate - tool_yaw);
    if (candidate == heading || std::abs(q6) < std::abs(best_q6)) {
      best_q6 = q6;
      yaw = candidate;
    }
  }
  if (std::abs(best_q6 - q[5]) < 1e-3) return MotionStatus::kReached;
  q[5] = best_q6;
  return arm.MoveJoints(q, speed_rad_s);
}

}  // namespace

PrimitiveResult Push(Arm& arm, const Vec3& start, const Vec3& end, const PushConfig& config) {
  PrimitiveResult result;
  Vec3 from(start.x(), start.y(), config.push_height_m);
  Vec3 to(end.x(), end.y(), config.push_height_m);
  const double length = (to - from).norm();
  TF_THROW_UNLESS(length > 1e-6, "push from (", start.x(), ", ", start.y(), ") to (", end.x(), ", ",
                  end.y(), ") has zero length");
  const Vec3 direction = (to - from) / length;
  from -= direction * config.back_off_m;
  to -= direction * config.pull_back_m;
  double yaw = 0.0;
  result.status = TurnSpatula(arm, std::atan2(direction.y(), direction.x()), config.transit_speed_rad_s, yaw);
  const double lift_m = config.approach_height_m - config.push_height_m;

  auto move_to = [&](const Pose& pose, double speed) {
    if (result.status == MotionStatus::kReached) result.status = arm.MoveTool(pose, speed);
  };
  auto move = [&](const Vec3& p, double speed) { move_to(DownwardToolPose(p, yaw), speed); };
  auto reachable = [&](const Vec3& p) { return arm.CanReach(DownwardToolPose(p, yaw)); };
  // Near the workspace's far corners a UR5 cannot reach the table at full stretch: start the
  // push where the blade first reaches the table along the path.
  double travel = (to - from).dot(direction);
  while (!reachable(from) && travel > config.max_step_m) {
    from += direction * config.max_step_m;
    travel -= config.max_step_m;
  }
  // The approach and retreat go as high as reachable (a 0.31 m approach reaches 0.6 m out).
  auto above = [&](const Vec3& p) { return ReachableToolAbove(arm, DownwardToolPose(p, yaw), lift_m); };
  move_to(above(from), config.transit_speed_rad_s);
  move(from, config.speed_rad_s);
  const int n = std::max(1, static_cast<int>(std::ceil(travel / config.max_step_m)));
  for (int i = 1; i <= n; ++i) move(from + direction * (travel * i / n), config.push_speed_rad_s);
  move_to(above(to), config.speed_rad_s);
  return result;
}

}  // namespace taskforge
