#pragma once
// The simulated UR5: six joint position motors driven the way Ravens' movej drives them, and
// closed-form inverse kinematics for tool poses.

#include <array>

#include "physics_world.h"
#include "taskforge/core/robot.h"

namespace taskforge::sim {

class Ur5Arm : public Arm {
 public:
  /// `robot` is the arm body (UR5 + end effector); `tip_link` its tool_tip link index.
  Ur5Arm(PhysicsWorld& world, Body& robot, int tip_link, const SimConfig& config);
  ~Ur5Arm() override;

  JointVector joint_positions() const override;
  Pose tool_pose() const override;
  MotionStatus MoveJoints(const JointVector& target, double speed_rad_s) override;
  MotionStatus MoveTool(const Pose& tool_pose, double speed_rad_s) override;

  /// Teleports the joints (zero velocity) and holds them there.
  void ResetJoints(const JointVector& q);
  /// The joint solution for a tool pose nearest the current joints, if reachable.
  std::optional<JointVector> SolveIk(const Pose& tool_pose) const;

 private:
  void HoldAt(const JointVector& q);

  PhysicsWorld& world_;
  Body& robot_;
  const SimConfig& config_;
  int tip_link_;
  Pose tip_T_flange_;                        // fixed: the end effector's tip to the UR flange
  std::array<int, 6> joint_links_{};         // multibody link index of each arm joint
  std::array<std::unique_ptr<btMultiBodyJointMotor>, 6> motors_;
};

}  // namespace taskforge::sim
