#pragma once
// The simulated arm: six joint position motors driven the way Ravens' movej drives them.
// Inverse kinematics is the closed-form UR5 solution when the URDF's base-to-flange chain is the
// UR5's DH chain (checked at construction), and KDL's general solver for any other chain.

#include <array>
#include <optional>

#include "kinematics/kdl_chain.h"
#include "physics_world.h"
#include "taskforge/core/robot.h"

namespace taskforge::sim {

class Ur5Arm : public Arm {
 public:
  /// `robot` is the arm body (6-joint arm with a `tool0` flange + end effector); `tip_link` its
  /// tool_tip link index. @throws Error if the arm lacks six revolute joints or `tool0`.
  Ur5Arm(PhysicsWorld& world, Body& robot, int tip_link, const SimConfig& config);
  ~Ur5Arm() override;

  JointVector joint_positions() const override;
  Pose tool_pose() const override;
  MotionStatus MoveJoints(const JointVector& target, double speed_rad_s) override;
  MotionStatus MoveTool(const Pose& tool_pose, double speed_rad_s) override;
  MotionStatus MoveToolUntil(const Pose& tool_pose, double speed_rad_s, const std::function<bool()>& stop) override;
  bool CanReach(const Pose& tool_pose) const override { return SolveIk(tool_pose).has_value(); }

  /// Teleports the joints (zero velocity) and holds them there.
  void ResetJoints(const JointVector& q);
  /// The joint solution for a tool pose nearest the current joints, if reachable.
  std::optional<JointVector> SolveIk(const Pose& tool_pose) const;
  /// True when SolveIk uses the closed-form UR5 solution, false for the KDL fallback.
  bool closed_form_ik() const { return !general_ik_.has_value(); }
  int64_t ik_calls() const { return ik_calls_; }

 private:
  void HoldAt(const JointVector& q);
  // Ravens movej; with `stop`, a guarded move that halts where the condition first holds.
  MotionStatus MoveJointsUntil(const JointVector& target, double speed_rad_s, const std::function<bool()>* stop);

  PhysicsWorld& world_;
  Body& robot_;
  const SimConfig& config_;
  int tip_link_;
  Pose tip_T_flange_;                        // fixed: the end effector's tip to the UR flange
  std::array<int, 6> joint_links_{};         // multibody link index of each arm joint
  std::array<std::unique_ptr<btMultiBodyJointMotor>, 6> motors_;
  mutable int64_t ik_calls_ = 0;             // SolveIk calls, for benchmarks
  std::optional<KdlChain> general_ik_;      // base to tool0, when the chain is not the UR5's
};

}  // namespace taskforge::sim
