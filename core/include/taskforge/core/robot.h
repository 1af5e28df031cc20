#pragma once
// The hardware-facing interfaces that the simulator and the real robot both implement, so that
// motion primitives and policies cannot tell them apart.

#include <functional>

#include "taskforge/core/camera.h"
#include "taskforge/core/geometry.h"

namespace taskforge {

/// Outcome of a blocking motion. Failures are expected at runtime, so they are values.
enum class MotionStatus {
  kReached,         ///< every joint within tolerance of the target
  kBudgetExceeded,  ///< the step budget (sim) or time budget (real) ran out first
  kUnreachable,     ///< no inverse-kinematics solution for the requested pose
  kFault,           ///< protective stop, lost connection, or a body left the simulation
  kStopped,         ///< a guarded move's condition became true; the arm holds where it stopped
};

const char* ToString(MotionStatus status);

/// A 6-axis arm under joint position control.
///
/// Tool frame convention: the *tool pose* is the pose of the end-effector tip (suction cup rim or
/// spatula blade) with +z pointing out of the tool. A tool pointing straight down with its x axis
/// along world +x has orientation Rx(pi).
class Arm {
 public:
  virtual ~Arm() = default;
  /// Current joint positions [rad].
  virtual JointVector joint_positions() const = 0;
  /// Current tool pose in world.
  virtual Pose tool_pose() const = 0;
  /// Moves in joint space along a straight line at `speed_rad_s` (the Ravens movej profile) and
  /// blocks until reached or the budget runs out.
  virtual MotionStatus MoveJoints(const JointVector& target, double speed_rad_s) = 0;
  /// Solves inverse kinematics for the tool pose (the branch nearest the current joints) and
  /// moves there with MoveJoints.
  virtual MotionStatus MoveTool(const Pose& tool_pose, double speed_rad_s) = 0;
  /// As MoveTool, but checks `stop` after every control step; once it is true the arm holds
  /// where it is and the move returns kStopped (a guarded move, e.g. descending until contact).
  virtual MotionStatus MoveToolUntil(const Pose& tool_pose, double speed_rad_s, const std::function<bool()>& stop) = 0;
  /// Whether MoveTool would find a joint solution for the pose (nothing moves).
  virtual bool CanReach(const Pose& tool_pose) const = 0;
};

/// A suction cup. (The spatula implements it with no-op activate/release.)
class Gripper {
 public:
  virtual ~Gripper() = default;
  /// Starts suction: attaches the rigid object in contact with the tip, if any.
  virtual void Activate() = 0;
  /// Stops suction: lets go of the held object.
  virtual void Release() = 0;
  /// Before a grasp: the tip touches something. While holding: the held object touches
  /// something other than the tool (ends a place descent).
  virtual bool DetectContact() const = 0;
  /// An object is attached.
  virtual bool CheckGrasp() const = 0;
};

/// An RGB-D camera with known intrinsics and extrinsics.
class Camera {
 public:
  virtual ~Camera() = default;
  virtual const CameraConfig& config() const = 0;
  /// Captures one frame. Real cameras may leave `segments` empty.
  virtual RgbdFrame Capture() = 0;
};

}  // namespace taskforge
