#include "ur5_arm.h"

#include <urdf_parser/urdf_parser.h>

#include <cmath>

#include "kinematics/ur_kinematics.h"
#include "taskforge/core/error.h"

namespace taskforge::sim {
namespace {

// PyBullet POSITION_CONTROL as Ravens uses it: position gain 1, velocity gain 1, force 1e5 N m.
constexpr double kPositionGain = 1.0;
constexpr double kVelocityGain = 1.0;
constexpr double kMaxForce = 1e5;

// Whether a chain's forward kinematics is the UR5's DH model at a spread of configurations,
// to 1 micrometre and 1 microradian; the closed-form inverse is valid only then.
bool IsUr5Chain(const KdlChain& chain) {
  if (chain.num_joints() != 6) return false;
  const JointVector samples[] = {{0, 0, 0, 0, 0, 0},
                                 {-3.1, -1.6, 1.6, -1.6, -1.6, 0},
                                 {0.7, -0.4, 1.1, -2.3, 0.9, 2.5},
                                 {-1.9, -2.2, -0.6, 0.4, -2.8, -1.2}};
  for (const JointVector& q : samples) {
    const Pose ur = UrForward(UrDhParameters::Ur5(), q);
    const Pose urdf = chain.Forward(std::vector<double>(q.begin(), q.end()));
    const double rotation_error = Eigen::AngleAxisd(ur.linear().transpose() * urdf.linear()).angle();
    if ((ur.translation() - urdf.translation()).norm() > 1e-6 || rotation_error > 1e-6) return false;
  }
  return true;
}

}  // namespace

Ur5Arm::Ur5Arm(PhysicsWorld& world, Body& robot, int tip_link, const SimConfig& config)
    : world_(world), robot_(robot), config_(config), tip_link_(tip_link) {
  const std::vector<LinkModel>& links = robot.model.links;
  int found = 0;
  for (size_t i = 1; i < links.size() && found < 6; ++i) {
    if (links[i].joint_type == JointType::kRevolute) joint_links_[found++] = static_cast<int>(i) - 1;
  }
  TF_THROW_UNLESS(found == 6, robot.model.source.string(), ": expected a 6-joint arm, found ", found,
                  " revolute joints");
  const int flange = robot.model.FindLink("tool0");
  TF_THROW_UNLESS(flange >= 0, robot.model.source.string(), ": the arm has no 'tool0' flange link");
  tip_T_flange_ = robot.link_pose(tip_link).inverse() * robot.link_pose(flange);
  const urdf::ModelInterfaceSharedPtr parsed = urdf::parseURDF(robot.model.urdf_xml);
  TF_DEMAND(parsed != nullptr);  // the same text already parsed once when the body was loaded
  KdlChain chain(*parsed, links[0].name, "tool0");
  if (!IsUr5Chain(chain)) general_ik_.emplace(std::move(chain));
  for (int j = 0; j < 6; ++j) {
    motors_[j] = std::make_unique<btMultiBodyJointMotor>(robot.multibody.get(), joint_links_[j], 0.0,
                                                         kMaxForce * world.time_step_s());
    world.bullet().addMultiBodyConstraint(motors_[j].get());
  }
}

Ur5Arm::~Ur5Arm() {
  for (auto& motor : motors_) world_.bullet().removeMultiBodyConstraint(motor.get());
}

JointVector Ur5Arm::joint_positions() const {
  JointVector q;
  for (int j = 0; j < 6; ++j) q[j] = robot_.multibody->getJointPos(joint_links_[j]);
  return q;
}

Pose Ur5Arm::tool_pose() const { return robot_.link_pose(tip_link_); }

void Ur5Arm::HoldAt(const JointVector& q) {
  for (int j = 0; j < 6; ++j) {
    motors_[j]->setPositionTarget(q[j], kPositionGain);
    motors_[j]->setVelocityTarget(0.0, kVelocityGain);
  }
}

void Ur5Arm::ResetJoints(const JointVector& q) {
  btMultiBody& mb = *robot_.multibody;
  for (int j = 0; j < 6; ++j) {
    mb.setJointPos(joint_links_[j], q[j]);
    mb.setJointVel(joint_links_[j], 0.0);
  }
  btAlignedObjectArray<btQuaternion> scratch_q;
  btAlignedObjectArray<btVector3> scratch_m;
  mb.forwardKinematics(scratch_q, scratch_m);
  mb.updateCollisionObjectWorldTransforms(scratch_q, scratch_m);
  HoldAt(q);
}

MotionStatus Ur5Arm::MoveJoints(const JointVector& target, double speed_rad_s) {
  return MoveJointsUntil(target, speed_rad_s, nullptr);
}

MotionStatus Ur5Arm::MoveJointsUntil(const JointVector& target, double speed_rad_s,
                                     const std::function<bool()>* stop) {
  TF_THROW_UNLESS(speed_rad_s > 0, "joint speed ", speed_rad_s, " rad/s must be positive");
  for (double v : target) TF_THROW_UNLESS(std::isfinite(v), "joint target has a non-finite value");
  // Ravens movej: each step, command a point `speed` further along the straight joint-space line
  // to the target (clamped so it never overshoots) until every joint is within tolerance.
  const double step_rad = speed_rad_s * world_.time_step_s();
  for (int step = 0; step < config_.move_step_budget; ++step) {
    const JointVector q = joint_positions();
    double norm_sq = 0.0, max_error = 0.0;
    for (int j = 0; j < 6; ++j) {
      const double e = target[j] - q[j];
      norm_sq += e * e;
      max_error = std::max(max_error, std::abs(e));
    }
    if (!std::isfinite(norm_sq)) return MotionStatus::kFault;
    if (max_error < config_.joint_tolerance_rad) return MotionStatus::kReached;
    const double norm = std::sqrt(norm_sq);
    const double advance = std::min(step_rad, norm) / norm;
    JointVector command;
    for (int j = 0; j < 6; ++j) command[j] = q[j] + (target[j] - q[j]) * advance;
    HoldAt(command);
    world_.Step();
    if (stop && (*stop)()) {
      HoldAt(joint_positions());  // stay here rather than press on towards the target
      return MotionStatus::kStopped;
    }
  }
  return MotionStatus::kBudgetExceeded;
}

std::optional<JointVector> Ur5Arm::SolveIk(const Pose& tool_pose) const {
  const Pose base_T_flange = robot_.link_pose(0).inverse() * tool_pose * tip_T_flange_;
  const JointVector seed = joint_positions();
  ++ik_calls_;
  if (!general_ik_) return UrInverseNearest(UrDhParameters::Ur5(), base_T_flange, seed, JointLimits::Ur5Workspace());
  const std::optional<std::vector<double>> q = general_ik_->Inverse(base_T_flange, {seed.begin(), seed.end()});
  if (!q) return std::nullopt;
  JointVector solution{};
  std::copy(q->begin(), q->end(), solution.begin());
  return solution;
}

MotionStatus Ur5Arm::MoveTool(const Pose& tool_pose, double speed_rad_s) {
  const std::optional<JointVector> q = SolveIk(tool_pose);
  if (!q) return MotionStatus::kUnreachable;
  return MoveJoints(*q, speed_rad_s);
}

MotionStatus Ur5Arm::MoveToolUntil(const Pose& tool_pose, double speed_rad_s, const std::function<bool()>& stop) {
  if (stop()) return MotionStatus::kStopped;
  const std::optional<JointVector> q = SolveIk(tool_pose);
  if (!q) return MotionStatus::kUnreachable;
  return MoveJointsUntil(*q, speed_rad_s, &stop);
}

}  // namespace taskforge::sim
