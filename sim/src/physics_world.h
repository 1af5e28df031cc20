#pragma once
// The Bullet side of the simulator: a btMultiBodyDynamicsWorld with PyBullet's default solver
// settings, bodies built from RobotModel, and the queries the rest of sim needs. Bullet types
// appear only in this header and physics_world.cc (and the arm/gripper that drive them).

#include <btBulletDynamicsCommon.h>
#include <BulletDynamics/Featherstone/btMultiBody.h>
#include <BulletDynamics/Featherstone/btMultiBodyConstraintSolver.h>
#include <BulletDynamics/Featherstone/btMultiBodyDynamicsWorld.h>
#include <BulletDynamics/Featherstone/btMultiBodyJointMotor.h>
#include <BulletDynamics/Featherstone/btMultiBodyLinkCollider.h>

#include <map>
#include <memory>
#include <vector>

#include "taskforge/sim/sim.h"
#include "urdf_model.h"

namespace taskforge::sim {

Pose ToPose(const btTransform& t);
btTransform ToBullet(const Pose& p);

/// One body in the world: a btRigidBody for single-link URDFs, a fixed-base btMultiBody otherwise.
struct Body {
  BodyId id = 0;
  RobotModel model;
  bool fixed = false;
  std::unique_ptr<btRigidBody> rigid;                                 // single-link bodies
  std::unique_ptr<btMultiBody> multibody;                             // articulated bodies
  std::vector<std::unique_ptr<btMultiBodyLinkCollider>> colliders;    // per link (null = none)
  std::vector<std::unique_ptr<btCollisionShape>> shapes;              // owned shapes
  std::vector<std::unique_ptr<btTriangleMesh>> triangle_meshes;       // for concave shapes
  std::vector<std::unique_ptr<btMultiBodyConstraint>> limits;         // joint limits

  /// The collision object of link `link` (0 = root), or null.
  const btCollisionObject* collider(int link) const;
  /// World pose of link `link`'s URDF frame.
  Pose link_pose(int link) const;
};

class PhysicsWorld {
 public:
  explicit PhysicsWorld(const SimConfig& config);
  ~PhysicsWorld();
  PhysicsWorld(const PhysicsWorld&) = delete;
  PhysicsWorld& operator=(const PhysicsWorld&) = delete;

  /// Builds and adds a body; `world_T_root` places the root link frame.
  Body& Add(RobotModel model, const Pose& world_T_root, bool fixed);
  void Remove(BodyId id);
  Body& body(BodyId id);
  const Body& body(BodyId id) const;
  bool contains(BodyId id) const { return bodies_.count(id) != 0; }
  const std::map<BodyId, std::unique_ptr<Body>>& bodies() const { return bodies_; }
  /// The body owning a collision object (0 if none) and the link index within it.
  std::pair<BodyId, int> Owner(const btCollisionObject* object) const;

  /// Joins two single-link bodies at a point given in each body's URDF frame [m] (a ball joint,
  /// as Ravens ropes use), with its force limited to `max_force_n`. Removed with either body.
  void AddPointJoint(BodyId a, const Vec3& pivot_in_a, BodyId b, const Vec3& pivot_in_b, double max_force_n);
  /// Corners of the bounding box of a body's collision shapes in its root link frame [m].
  std::pair<Vec3, Vec3> LocalBounds(BodyId id) const;

  void Step();
  int64_t step_count() const { return steps_; }
  void set_step_timing(bool enabled) { time_steps_ = enabled; }
  double step_wall_s() const { return step_wall_s_; }
  double time_step_s() const { return time_step_s_; }
  btMultiBodyDynamicsWorld& bullet() { return *world_; }
  const btMultiBodyDynamicsWorld& bullet() const { return *world_; }

  /// Contact points (after the last step) involving `object`, closer than `max_distance_m`.
  std::vector<Contact> ContactsOf(const btCollisionObject* object, double max_distance_m) const;
  std::vector<Contact> ContactsOf(const Body& body, double max_distance_m) const;

 private:
  void BuildRigid(Body& body, const Pose& world_T_root);
  void BuildMultiBody(Body& body, const Pose& world_T_root);
  btCollisionShape* BuildLinkShape(Body& body, const LinkModel& link);

  double time_step_s_;
  bool sleep_resting_bodies_;
  int64_t steps_ = 0;
  bool time_steps_ = false;
  double step_wall_s_ = 0.0;
  BodyId next_id_ = 1;
  std::unique_ptr<btDefaultCollisionConfiguration> collision_config_;
  std::unique_ptr<btCollisionDispatcher> dispatcher_;
  std::unique_ptr<btBroadphaseInterface> broadphase_;
  std::unique_ptr<btMultiBodyConstraintSolver> solver_;
  std::unique_ptr<btMultiBodyDynamicsWorld> world_;
  std::map<BodyId, std::unique_ptr<Body>> bodies_;
  std::map<const btCollisionObject*, std::pair<BodyId, int>> owners_;
  struct PointJoint {
    BodyId a = 0, b = 0;
    std::unique_ptr<btPoint2PointConstraint> constraint;
  };
  std::vector<PointJoint> joints_;
};

}  // namespace taskforge::sim
