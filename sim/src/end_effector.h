#pragma once
// Simulated end effectors behind the Gripper interface: Ravens' suction cup and spatula.

#include <BulletDynamics/Featherstone/btMultiBodyFixedConstraint.h>

#include <memory>
#include <optional>

#include "physics_world.h"
#include "taskforge/core/robot.h"

namespace taskforge::sim {

/// Contact closer than this counts as touching (PyBullet reports manifold points up to here).
inline constexpr double kTouchDistance = 0.002;  // [m]

/// Ravens' suction: on Activate, the movable rigid object touching the tip is locked to the tip
/// by a fixed constraint at their current relative pose; Release removes it.
class SuctionCup : public Gripper {
 public:
  SuctionCup(PhysicsWorld& world, Body& robot, int tip_link);
  ~SuctionCup() override;

  void Activate() override;
  void Release() override;
  bool DetectContact() const override;
  bool CheckGrasp() const override { return grip_ != nullptr; }
  /// The object held, if any.
  std::optional<BodyId> held() const { return held_; }

 private:
  PhysicsWorld& world_;
  Body& robot_;
  int tip_link_;
  std::unique_ptr<btMultiBodyFixedConstraint> grip_;
  std::optional<BodyId> held_;
};

/// Ravens' spatula: nothing to switch; contact is the blade touching anything but the arm.
class Spatula : public Gripper {
 public:
  Spatula(PhysicsWorld& world, Body& robot, int tip_link) : world_(world), robot_(robot), tip_link_(tip_link) {}
  void Activate() override {}
  void Release() override {}
  bool DetectContact() const override;
  bool CheckGrasp() const override { return false; }

 private:
  PhysicsWorld& world_;
  Body& robot_;
  int tip_link_;
};

}  // namespace taskforge::sim
