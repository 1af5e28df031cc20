#include "kinematics/kdl_chain.h"

#include <kdl/chain.hpp>
#include <kdl/chainfksolverpos_recursive.hpp>
#include <kdl/chainiksolverpos_lma.hpp>
#include <kdl/frames.hpp>
#include <kdl/jntarray.hpp>
#include <urdf_model/model.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "taskforge/core/error.h"

namespace taskforge::sim {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kTwoPi = 2.0 * kPi;
constexpr double kInfinity = std::numeric_limits<double>::infinity();
/// LMA stops once the task-space error (metres and radians, unit weights) is below this.
constexpr double kIkTolerance = 1e-5;
constexpr int kIkMaxIterations = 500;
/// Pseudo-random restarts tried after the seeded solve fails, and their fixed generator seed.
constexpr int kIkRestarts = 8;
constexpr std::mt19937::result_type kRestartSeed = 20130421;

KDL::Frame ToKdl(const urdf::Pose& pose) {
  const urdf::Rotation& r = pose.rotation;
  return {KDL::Rotation::Quaternion(r.x, r.y, r.z, r.w),
          KDL::Vector(pose.position.x, pose.position.y, pose.position.z)};
}

KDL::Frame ToKdl(const Pose& pose) {
  const Eigen::Matrix3d& m = pose.linear();
  const Vec3& p = pose.translation();
  return {KDL::Rotation(m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2), m(2, 0), m(2, 1),
                        m(2, 2)),
          KDL::Vector(p.x(), p.y(), p.z())};
}

Pose ToPose(const KDL::Frame& frame) {
  Pose pose = Pose::Identity();
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) pose.linear()(i, j) = frame.M(i, j);
    pose.translation()[i] = frame.p[i];
  }
  return pose;
}

/// The KDL joint for a URDF joint: KDL rotates/translates about the axis expressed in the
/// parent link frame, through the joint origin; the segment then applies the origin transform.
KDL::Joint ToKdlJoint(const urdf::Joint& joint, const KDL::Frame& origin) {
  if (joint.type == urdf::Joint::FIXED) return KDL::Joint(joint.name, KDL::Joint::Fixed);
  const KDL::Vector axis(joint.axis.x, joint.axis.y, joint.axis.z);
  TF_THROW_UNLESS(axis.Norm() > 0.0, "KdlChain: joint '", joint.name, "' has a zero axis");
  const KDL::Joint::JointType type =
      joint.type == urdf::Joint::PRISMATIC ? KDL::Joint::TransAxis : KDL::Joint::RotAxis;
  return KDL::Joint(joint.name, origin.p, origin.M * axis, type);
}

}  // namespace

struct KdlChain::Impl {
  KDL::Chain chain;
  std::vector<double> lower;  // per movable joint [rad or m]
  std::vector<double> upper;
  std::vector<bool> revolute;  // revolute or continuous: 2 pi periodic

  /// A pseudo-random position of joint `j` within its limits, from a 2 pi window of them
  /// (from [-pi, pi) where the limits allow).
  double SampleWithinLimits(int j, std::mt19937& rng) const {
    double low = std::max(lower[j], -kPi);
    if (low > upper[j]) low = lower[j];
    const double high = std::min(upper[j], low + kTwoPi);
    return std::uniform_real_distribution<double>(low, high)(rng);
  }

  /// `q` moved into the limits by 2 pi shifts of its revolute joints (continuous ones wrapped
  /// into [-pi, pi)); nullopt if some joint cannot be brought inside.
  std::optional<std::vector<double>> IntoLimits(const KDL::JntArray& q) const {
    std::vector<double> result(q.rows());
    for (unsigned j = 0; j < q.rows(); ++j) {
      double value = q(j);
      if (revolute[j] && std::isinf(lower[j]) && std::isinf(upper[j])) {
        value = WrapAngle(value);
      } else if (revolute[j]) {
        if (value > upper[j]) value -= kTwoPi * std::ceil((value - upper[j]) / kTwoPi);
        if (value < lower[j]) value += kTwoPi * std::ceil((lower[j] - value) / kTwoPi);
      }
      if (!(value >= lower[j] && value <= upper[j])) return std::nullopt;
      result[j] = value;
    }
    return result;
  }
};

KdlChain::KdlChain(const urdf::ModelInterface& model, const std::string& base_link,
                   const std::string& tip_link)
    : impl_(std::make_unique<Impl>()) {
  TF_THROW_UNLESS(model.getLink(base_link), "KdlChain: base link '", base_link,
                  "' is not in URDF model '", model.getName(), "'");
  urdf::LinkConstSharedPtr link = model.getLink(tip_link);
  TF_THROW_UNLESS(link, "KdlChain: tip link '", tip_link, "' is not in URDF model '",
                  model.getName(), "'");

  // Walk up from the tip; the path is serial only if the base is an ancestor of the tip.
  std::vector<urdf::JointConstSharedPtr> joints;  // tip to base
  while (link->name != base_link) {
    TF_THROW_UNLESS(link->parent_joint, "KdlChain: no serial chain from '", base_link, "' to '",
                    tip_link, "' in URDF model '", model.getName(), "' ('", tip_link,
                    "' does not descend from '", base_link, "')");
    joints.push_back(link->parent_joint);
    link = model.getLink(link->parent_joint->parent_link_name);
    TF_THROW_UNLESS(link, "KdlChain: joint '", joints.back()->name, "' names missing parent link '",
                    joints.back()->parent_link_name, "'");
  }

  for (auto it = joints.rbegin(); it != joints.rend(); ++it) {
    const urdf::Joint& joint = **it;
    const KDL::Frame origin = ToKdl(joint.parent_to_joint_origin_transform);
    switch (joint.type) {
      case urdf::Joint::FIXED:
        break;
      case urdf::Joint::CONTINUOUS:
        impl_->lower.push_back(-kInfinity);
        impl_->upper.push_back(kInfinity);
        impl_->revolute.push_back(true);
        break;
      case urdf::Joint::REVOLUTE:
      case urdf::Joint::PRISMATIC:
        TF_THROW_UNLESS(joint.limits && joint.limits->lower <= joint.limits->upper,
                        "KdlChain: joint '", joint.name, "' needs limits with lower <= upper");
        impl_->lower.push_back(joint.limits->lower);
        impl_->upper.push_back(joint.limits->upper);
        impl_->revolute.push_back(joint.type == urdf::Joint::REVOLUTE);
        break;
      default:
        TF_THROW_UNLESS(false, "KdlChain: joint '", joint.name, "' between '", base_link, "' and '",
                        tip_link, "' is not revolute, continuous, prismatic or fixed");
    }
    impl_->chain.addSegment(KDL::Segment(joint.child_link_name, ToKdlJoint(joint, origin), origin));
  }
  TF_THROW_UNLESS(num_joints() > 0, "KdlChain: no movable joint between '", base_link, "' and '",
                  tip_link, "'");
}

KdlChain::~KdlChain() = default;
KdlChain::KdlChain(KdlChain&&) noexcept = default;
KdlChain& KdlChain::operator=(KdlChain&&) noexcept = default;

int KdlChain::num_joints() const { return static_cast<int>(impl_->chain.getNrOfJoints()); }
const std::vector<double>& KdlChain::lower_limits() const { return impl_->lower; }
const std::vector<double>& KdlChain::upper_limits() const { return impl_->upper; }

Pose KdlChain::Forward(const std::vector<double>& q) const {
  TF_THROW_UNLESS(static_cast<int>(q.size()) == num_joints(), "KdlChain::Forward: got ", q.size(),
                  " joint positions for a chain of ", num_joints(), " joints");
  KDL::JntArray joints(q.size());
  for (std::size_t j = 0; j < q.size(); ++j) joints(j) = q[j];
  KDL::ChainFkSolverPos_recursive solver(impl_->chain);
  KDL::Frame frame;
  solver.JntToCart(joints, frame);
  return ToPose(frame);
}

std::optional<std::vector<double>> KdlChain::Inverse(const Pose& base_T_tip,
                                                     const std::vector<double>& seed) const {
  const int n = num_joints();
  TF_THROW_UNLESS(static_cast<int>(seed.size()) == n, "KdlChain::Inverse: got a seed of ",
                  seed.size(), " joint positions for a chain of ", n, " joints");
  const KDL::Frame goal = ToKdl(base_T_tip);
  KDL::ChainIkSolverPos_LMA solver(impl_->chain, Eigen::Matrix<double, 6, 1>::Ones(), kIkTolerance,
                                   kIkMaxIterations);
  KDL::JntArray start(n);
  KDL::JntArray result(n);
  for (int j = 0; j < n; ++j) start(j) = seed[j];
  std::mt19937 rng(kRestartSeed);
  for (int attempt = 0; attempt <= kIkRestarts; ++attempt) {
    if (attempt > 0) {
      for (int j = 0; j < n; ++j) start(j) = impl_->SampleWithinLimits(j, rng);
    }
    if (solver.CartToJnt(start, goal, result) != KDL::SolverI::E_NOERROR) continue;
    if (std::optional<std::vector<double>> solution = impl_->IntoLimits(result)) return solution;
  }
  return std::nullopt;
}

}  // namespace taskforge::sim
