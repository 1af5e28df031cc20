#include "physics_world.h"

#include <BulletDynamics/Featherstone/btMultiBodyJointLimitConstraint.h>
#include <BulletCollision/CollisionShapes/btBvhTriangleMeshShape.h>
#include <BulletCollision/CollisionShapes/btConvexHullShape.h>

#include <chrono>

#include "mesh_loader.h"
#include "taskforge/core/error.h"

namespace taskforge::sim {
namespace {

// PyBullet's gUrdfDefaultCollisionMargin.
constexpr double kCollisionMargin = 0.001;

btVector3 ToBullet(const Vec3& v) { return {v.x(), v.y(), v.z()}; }

}  // namespace

Pose ToPose(const btTransform& t) {
  const btQuaternion q = t.getRotation();
  const btVector3& p = t.getOrigin();
  return MakePose({p.x(), p.y(), p.z()}, Quat(q.w(), q.x(), q.y(), q.z()));
}

btTransform ToBullet(const Pose& p) {
  const Quat q(p.linear());
  return btTransform(btQuaternion(q.x(), q.y(), q.z(), q.w()), ToBullet(Vec3(p.translation())));
}

const btCollisionObject* Body::collider(int link) const {
  if (rigid) return link == 0 ? rigid.get() : nullptr;
  return size_t(link) < colliders.size() ? colliders[link].get() : nullptr;
}

Pose Body::link_pose(int link) const {
  const Pose inertial_inv = model.links[link].link_T_inertial.inverse();
  if (rigid) return ToPose(rigid->getWorldTransform()) * inertial_inv;
  const btTransform com = link == 0 ? multibody->getBaseWorldTransform()
                                    : multibody->getLink(link - 1).m_cachedWorldTransform;
  return ToPose(com) * inertial_inv;
}

PhysicsWorld::PhysicsWorld(const SimConfig& config)
    : time_step_s_(config.time_step_s), sleep_resting_bodies_(config.sleep_resting_bodies) {
  TF_THROW_UNLESS(config.time_step_s > 0 && config.time_step_s <= 0.05, "time step ", config.time_step_s,
                  " s must be in (0, 0.05]");
  TF_THROW_UNLESS(config.solver_iterations > 0, "solver iterations ", config.solver_iterations, " must be positive");
  collision_config_ = std::make_unique<btDefaultCollisionConfiguration>();
  dispatcher_ = std::make_unique<btCollisionDispatcher>(collision_config_.get());
  broadphase_ = std::make_unique<btDbvtBroadphase>();
  solver_ = std::make_unique<btMultiBodyConstraintSolver>();
  world_ = std::make_unique<btMultiBodyDynamicsWorld>(dispatcher_.get(), broadphase_.get(), solver_.get(),
                                                      collision_config_.get());
  world_->setGravity(btVector3(0, 0, -9.8));
  world_->setForceUpdateAllAabbs(false);
  // PyBullet's resetSimulation defaults (PhysicsServerCommandProcessor).
  btContactSolverInfo& info = world_->getSolverInfo();
  info.m_erp2 = 0.08;
  info.m_frictionERP = 0.2;
  info.m_linearSlop = 1e-5;
  info.m_numIterations = config.solver_iterations;
  info.m_warmstartingFactor = 0.1;
  info.m_leastSquaresResidualThreshold = 1e-7;
  info.m_minimumSolverBatchSize = 0;
}

PhysicsWorld::~PhysicsWorld() {
  while (!bodies_.empty()) Remove(bodies_.begin()->first);
}

btCollisionShape* PhysicsWorld::BuildLinkShape(Body& body, const LinkModel& link) {
  if (link.collisions.empty()) return nullptr;
  auto compound = std::make_unique<btCompoundShape>();
  const Pose inertial_inv = link.link_T_inertial.inverse();
  for (const CollisionShape& c : link.collisions) {
    const Geometry& g = c.geometry;
    std::unique_ptr<btCollisionShape> shape;
    switch (g.type) {
      case Geometry::Type::kBox: shape = std::make_unique<btBoxShape>(ToBullet(Vec3(g.box_size / 2))); break;
      case Geometry::Type::kCylinder:
        shape = std::make_unique<btCylinderShapeZ>(btVector3(g.radius, g.radius, g.length / 2));
        break;
      case Geometry::Type::kSphere: shape = std::make_unique<btSphereShape>(g.radius); break;
      case Geometry::Type::kMesh: {
        const std::vector<TriangleMesh> parts = LoadObj(g.mesh, g.mesh_scale);
        if (c.concave) {
          TF_THROW_UNLESS(body.fixed, body.model.source.string(), ": link '", link.name,
                          "' has a concave collision mesh but the body is not fixed; concave meshes are "
                          "only allowed on static bodies (decompose it into convex parts instead)");
          const TriangleMesh mesh = MergeMeshes(parts);
          auto triangles = std::make_unique<btTriangleMesh>();
          for (size_t t = 0; t + 2 < mesh.triangles.size(); t += 3) {
            triangles->addTriangle(ToBullet(mesh.vertices[mesh.triangles[t]]),
                                   ToBullet(mesh.vertices[mesh.triangles[t + 1]]),
                                   ToBullet(mesh.vertices[mesh.triangles[t + 2]]));
          }
          shape = std::make_unique<btBvhTriangleMeshShape>(triangles.get(), true, true);
          body.triangle_meshes.push_back(std::move(triangles));
        } else {
          // PyBullet semantics: one convex hull per OBJ shape.
          auto parts_compound = std::make_unique<btCompoundShape>();
          for (const TriangleMesh& part : parts) {
            auto hull = std::make_unique<btConvexHullShape>();
            for (const Vec3& v : part.vertices) hull->addPoint(ToBullet(v), false);
            hull->optimizeConvexHull();
            hull->setMargin(kCollisionMargin);  // before the box is cached: it includes the margin
            hull->recalcLocalAabb();
            parts_compound->addChildShape(btTransform::getIdentity(), hull.get());
            body.shapes.push_back(std::move(hull));
          }
          shape = std::move(parts_compound);
        }
        break;
      }
    }
    shape->setMargin(kCollisionMargin);
    compound->addChildShape(ToBullet(inertial_inv * c.link_T_shape), shape.get());
    body.shapes.push_back(std::move(shape));
  }
  // A lone shape centred on the centre of mass needs no compound around it; Bullet then collides
  // it with its specialised algorithms (box-box, convex-convex), several times faster than the
  // compound-compound path that piles of small blocks otherwise take.
  if (compound->getNumChildShapes() == 1 &&
      compound->getChildTransform(0).getOrigin().length() < 1e-12 &&
      compound->getChildTransform(0).getBasis() == btMatrix3x3::getIdentity()) {
    btCollisionShape* child = compound->getChildShape(0);
    if (auto* parts = dynamic_cast<btCompoundShape*>(child);
        parts && parts->getNumChildShapes() == 1 && parts->getChildTransform(0).getOrigin().isZero()) {
      child = parts->getChildShape(0);  // a mesh with one convex hull
    }
    return child;
  }
  btCollisionShape* result = compound.get();
  body.shapes.push_back(std::move(compound));
  return result;
}

void PhysicsWorld::BuildRigid(Body& body, const Pose& world_T_root) {
  const LinkModel& link = body.model.links[0];
  btCollisionShape* shape = BuildLinkShape(body, link);
  TF_THROW_UNLESS(shape != nullptr || body.fixed, body.model.source.string(), ": link '", link.name,
                  "' has no <collision> geometry; only a fixed (visual-only) body may lack it");
  if (shape == nullptr) {  // a visual-only fixed body, e.g. the workspace drawing: collides with nothing
    body.shapes.push_back(std::make_unique<btCompoundShape>());
    shape = body.shapes.back().get();
  }
  const double mass = body.fixed ? 0.0 : link.mass;
  TF_THROW_UNLESS(body.fixed || mass > 0, body.model.source.string(), ": link '", link.name,
                  "' has mass ", mass, "; a movable body needs a positive <mass>");
  btVector3 inertia(0, 0, 0);
  if (mass > 0) {
    inertia = link.principal_inertia.minCoeff() > 0 ? ToBullet(link.principal_inertia) : btVector3(0, 0, 0);
    if (link.principal_inertia.minCoeff() <= 0) shape->calculateLocalInertia(mass, inertia);
  }
  btRigidBody::btRigidBodyConstructionInfo info(mass, nullptr, shape, inertia);
  info.m_startWorldTransform = ToBullet(world_T_root * link.link_T_inertial);
  info.m_friction = link.lateral_friction;
  info.m_rollingFriction = link.rolling_friction;
  info.m_spinningFriction = link.spinning_friction;
  body.rigid = std::make_unique<btRigidBody>(info);
  if (sleep_resting_bodies_) {
    body.rigid->setSleepingThresholds(btScalar(0.005), btScalar(0.01));  // [m/s], [rad/s]
  } else {
    body.rigid->setActivationState(DISABLE_DEACTIVATION);
  }
  world_->addRigidBody(body.rigid.get());
  owners_[body.rigid.get()] = {body.id, 0};
}

void PhysicsWorld::BuildMultiBody(Body& body, const Pose& world_T_root) {
  const std::vector<LinkModel>& links = body.model.links;
  const int num_links = static_cast<int>(links.size()) - 1;
  // Shapes first: building one can throw on bad input, and nothing may be in the world by then.
  std::vector<btCollisionShape*> shapes;
  for (const LinkModel& link : links) shapes.push_back(BuildLinkShape(body, link));
  auto mb = std::make_unique<btMultiBody>(num_links, links[0].mass, ToBullet(links[0].principal_inertia),
                                          /*fixedBase=*/true, /*canSleep=*/false);
  mb->setBaseWorldTransform(ToBullet(world_T_root * links[0].link_T_inertial));
  for (int i = 1; i <= num_links; ++i) {
    const LinkModel& link = links[i];
    const LinkModel& parent = links[link.parent];
    // Joint frame = child link frame (URDF). Bullet wants everything in centre-of-mass frames.
    const Pose offset_a = parent.link_T_inertial.inverse() * link.parent_T_joint;  // joint in parent COM
    const Pose offset_b = link.link_T_inertial.inverse();                          // joint in child COM
    const Quat rot_parent_to_this(offset_b.linear() * offset_a.linear().transpose());
    const btQuaternion rot(rot_parent_to_this.x(), rot_parent_to_this.y(), rot_parent_to_this.z(),
                           rot_parent_to_this.w());
    const btVector3 axis = ToBullet(Vec3(offset_b.linear() * link.axis));
    const btVector3 parent_com_to_pivot = ToBullet(Vec3(offset_a.translation()));
    const btVector3 pivot_to_com = ToBullet(Vec3(-offset_b.translation()));
    const btVector3 inertia = ToBullet(link.principal_inertia);
    switch (link.joint_type) {
      case JointType::kFixed:
        mb->setupFixed(i - 1, link.mass, inertia, link.parent - 1, rot, parent_com_to_pivot, pivot_to_com);
        break;
      case JointType::kRevolute:
        mb->setupRevolute(i - 1, link.mass, inertia, link.parent - 1, rot, axis, parent_com_to_pivot,
                          pivot_to_com, true);
        break;
      case JointType::kPrismatic:
        mb->setupPrismatic(i - 1, link.mass, inertia, link.parent - 1, rot, axis, parent_com_to_pivot,
                           pivot_to_com, true);
        break;
    }
  }
  mb->finalizeMultiDof();
  mb->setHasSelfCollision(false);
  world_->addMultiBody(mb.get());

  body.colliders.resize(links.size());
  btAlignedObjectArray<btQuaternion> scratch_q;
  btAlignedObjectArray<btVector3> scratch_m;
  mb->forwardKinematics(scratch_q, scratch_m);
  for (int i = 0; i <= num_links; ++i) {
    btCollisionShape* shape = shapes[i];
    if (shape == nullptr) continue;
    auto collider = std::make_unique<btMultiBodyLinkCollider>(mb.get(), i - 1);
    collider->setCollisionShape(shape);
    collider->setFriction(links[i].lateral_friction);
    collider->setRollingFriction(links[i].rolling_friction);
    collider->setSpinningFriction(links[i].spinning_friction);
    if (i == 0) {
      collider->setWorldTransform(mb->getBaseWorldTransform());
      mb->setBaseCollider(collider.get());
    } else {
      collider->setWorldTransform(mb->getLink(i - 1).m_cachedWorldTransform);
      mb->getLink(i - 1).m_collider = collider.get();
    }
    world_->addCollisionObject(collider.get(), btBroadphaseProxy::DefaultFilter, btBroadphaseProxy::AllFilter);
    owners_[collider.get()] = {body.id, i};
    body.colliders[i] = std::move(collider);
  }
  for (int i = 1; i <= num_links; ++i) {
    const LinkModel& link = links[i];
    if (link.joint_type == JointType::kFixed || link.lower > link.upper) continue;
    auto limit = std::make_unique<btMultiBodyJointLimitConstraint>(mb.get(), i - 1, link.lower, link.upper);
    world_->addMultiBodyConstraint(limit.get());
    body.limits.push_back(std::move(limit));
  }
  mb->updateCollisionObjectWorldTransforms(scratch_q, scratch_m);
  body.multibody = std::move(mb);
}

Body& PhysicsWorld::Add(RobotModel model, const Pose& world_T_root, bool fixed) {
  auto body = std::make_unique<Body>();
  body->id = next_id_++;
  body->model = std::move(model);
  body->fixed = fixed;
  if (body->model.links.size() == 1) {
    BuildRigid(*body, world_T_root);
  } else {
    BuildMultiBody(*body, world_T_root);
  }
  Body& ref = *body;
  bodies_[ref.id] = std::move(body);
  return ref;
}

void PhysicsWorld::AddPointJoint(BodyId a, const Vec3& pivot_in_a, BodyId b, const Vec3& pivot_in_b,
                                 double max_force_n) {
  Body& body_a = body(a);
  Body& body_b = body(b);
  TF_THROW_UNLESS(body_a.rigid && body_b.rigid, "point joints join single-link bodies; body ",
                  body_a.rigid ? b : a, " is articulated");
  TF_THROW_UNLESS(a != b, "a point joint needs two different bodies, got ", a, " twice");
  TF_THROW_UNLESS(max_force_n > 0, "point joint force limit ", max_force_n, " N must be positive");
  // Bullet's rigid body frame is the centre of mass frame.
  const Vec3 in_a = body_a.model.links[0].link_T_inertial.inverse() * pivot_in_a;
  const Vec3 in_b = body_b.model.links[0].link_T_inertial.inverse() * pivot_in_b;
  auto constraint = std::make_unique<btPoint2PointConstraint>(*body_a.rigid, *body_b.rigid,
                                                              btVector3(in_a.x(), in_a.y(), in_a.z()),
                                                              btVector3(in_b.x(), in_b.y(), in_b.z()));
  constraint->m_setting.m_impulseClamp = btScalar(max_force_n * time_step_s_);
  world_->addConstraint(constraint.get(), /*disableCollisionsBetweenLinkedBodies=*/true);
  body_a.rigid->activate(true);
  body_b.rigid->activate(true);
  joints_.push_back({a, b, std::move(constraint)});
}

std::pair<Vec3, Vec3> PhysicsWorld::LocalBounds(BodyId id) const {
  const Body& b = body(id);
  const btCollisionObject* object = b.collider(0);
  TF_THROW_UNLESS(object != nullptr && object->getCollisionShape() != nullptr, "body ", id, " ('",
                  b.model.name, "') has no collision shape on its root link");
  // The shape lives in the centre of mass frame; express its box in the URDF link frame.
  btVector3 lo, hi;
  object->getCollisionShape()->getAabb(ToBullet(b.model.links[0].link_T_inertial), lo, hi);
  return {Vec3(lo.x(), lo.y(), lo.z()), Vec3(hi.x(), hi.y(), hi.z())};
}

void PhysicsWorld::Remove(BodyId id) {
  Body& b = body(id);
  for (auto it = joints_.begin(); it != joints_.end();) {
    if (it->a != id && it->b != id) {
      ++it;
      continue;
    }
    world_->removeConstraint(it->constraint.get());
    it = joints_.erase(it);
  }
  // Constraints that reference this body (e.g. a suction grip) must already be gone.
  for (auto& limit : b.limits) world_->removeMultiBodyConstraint(limit.get());
  for (auto& collider : b.colliders) {
    if (collider) {
      world_->removeCollisionObject(collider.get());
      owners_.erase(collider.get());
    }
  }
  if (b.multibody) world_->removeMultiBody(b.multibody.get());
  if (b.rigid) {
    world_->removeRigidBody(b.rigid.get());
    owners_.erase(b.rigid.get());
  }
  bodies_.erase(id);
}

Body& PhysicsWorld::body(BodyId id) {
  auto it = bodies_.find(id);
  TF_THROW_UNLESS(it != bodies_.end(), "no body with id ", id);
  return *it->second;
}

const Body& PhysicsWorld::body(BodyId id) const {
  auto it = bodies_.find(id);
  TF_THROW_UNLESS(it != bodies_.end(), "no body with id ", id);
  return *it->second;
}

std::pair<BodyId, int> PhysicsWorld::Owner(const btCollisionObject* object) const {
  auto it = owners_.find(object);
  return it == owners_.end() ? std::pair<BodyId, int>{0, -1} : it->second;
}

void PhysicsWorld::Step() {
  if (time_steps_) {
    const auto start = std::chrono::steady_clock::now();
    world_->stepSimulation(time_step_s_, 0, time_step_s_);
    step_wall_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } else {
    world_->stepSimulation(time_step_s_, 0, time_step_s_);
  }
  ++steps_;
}

std::vector<Contact> PhysicsWorld::ContactsOf(const btCollisionObject* object, double max_distance_m) const {
  std::vector<Contact> out;
  const int n = dispatcher_->getNumManifolds();
  for (int i = 0; i < n; ++i) {
    const btPersistentManifold* m = dispatcher_->getManifoldByIndexInternal(i);
    const bool is_a = m->getBody0() == object;
    if (!is_a && m->getBody1() != object) continue;
    const btCollisionObject* other = is_a ? m->getBody1() : m->getBody0();
    for (int k = 0; k < m->getNumContacts(); ++k) {
      const btManifoldPoint& p = m->getContactPoint(k);
      if (p.getDistance() >= max_distance_m) continue;
      const btVector3 pos = is_a ? p.getPositionWorldOnA() : p.getPositionWorldOnB();
      const btVector3 normal = is_a ? p.m_normalWorldOnB : -p.m_normalWorldOnB;
      out.push_back({Owner(other).first, {pos.x(), pos.y(), pos.z()}, {normal.x(), normal.y(), normal.z()},
                     p.getDistance()});
    }
  }
  return out;
}

std::vector<Contact> PhysicsWorld::ContactsOf(const Body& b, double max_distance_m) const {
  std::vector<Contact> out;
  for (size_t link = 0; link < b.model.links.size(); ++link) {
    if (const btCollisionObject* c = b.collider(static_cast<int>(link))) {
      for (Contact& contact : ContactsOf(c, max_distance_m)) out.push_back(contact);
    }
  }
  return out;
}

}  // namespace taskforge::sim
