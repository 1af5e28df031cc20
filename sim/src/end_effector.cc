#include "end_effector.h"

#include "taskforge/core/error.h"

namespace taskforge::sim {
namespace {

// Maximum impulse of the grip constraint, as PyBullet gives JOINT_FIXED constraints.
constexpr double kGripMaxImpulse = 500.0;

bool TouchesSomethingElse(const PhysicsWorld& world, const btCollisionObject* object, BodyId self, BodyId robot) {
  for (const Contact& c : world.ContactsOf(object, kTouchDistance)) {
    if (c.other != self && c.other != robot) return true;
  }
  return false;
}

}  // namespace

SuctionCup::SuctionCup(PhysicsWorld& world, Body& robot, int tip_link)
    : world_(world), robot_(robot), tip_link_(tip_link) {
  TF_DEMAND(robot.collider(tip_link) != nullptr);
}

SuctionCup::~SuctionCup() { Release(); }

void SuctionCup::Activate() {
  if (grip_) return;
  // Ravens takes the object of the last contact point of the tip.
  const std::vector<Contact> contacts = world_.ContactsOf(robot_.collider(tip_link_), kTouchDistance);
  if (contacts.empty()) return;
  const BodyId other = contacts.back().other;
  if (other == 0 || other == robot_.id || !world_.contains(other)) return;
  Body& object = world_.body(other);
  if (!object.rigid || object.fixed) return;  // only movable rigid objects can be picked

  const btTransform tip_com = robot_.multibody->getLink(tip_link_ - 1).m_cachedWorldTransform;
  const btTransform tip_T_object = tip_com.inverse() * object.rigid->getWorldTransform();
  grip_ = std::make_unique<btMultiBodyFixedConstraint>(robot_.multibody.get(), tip_link_ - 1, object.rigid.get(),
                                                       tip_T_object.getOrigin(), btVector3(0, 0, 0),
                                                       tip_T_object.getBasis(), btMatrix3x3::getIdentity());
  grip_->setMaxAppliedImpulse(kGripMaxImpulse);
  world_.bullet().addMultiBodyConstraint(grip_.get());
  object.rigid->activate(true);
  held_ = other;
}

void SuctionCup::Release() {
  if (!grip_) return;
  if (held_ && world_.contains(*held_)) world_.body(*held_).rigid->activate(true);
  world_.bullet().removeMultiBodyConstraint(grip_.get());
  grip_.reset();
  held_.reset();
}

bool SuctionCup::DetectContact() const {
  if (held_ && world_.contains(*held_)) {
    // While holding, the descent ends when the object touches anything but the tool.
    return TouchesSomethingElse(world_, world_.body(*held_).rigid.get(), *held_, robot_.id);
  }
  return TouchesSomethingElse(world_, robot_.collider(tip_link_), robot_.id, robot_.id);
}

bool Spatula::DetectContact() const {
  return TouchesSomethingElse(world_, robot_.collider(tip_link_), robot_.id, robot_.id);
}

}  // namespace taskforge::sim
