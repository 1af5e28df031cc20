#pragma once
// General serial-chain kinematics with orocos KDL, for arms without a closed-form inverse.
// The chain is built straight from a parsed urdfdom model (no kdl_parser); KDL and urdf types
// stay in the .cc. Units: metres and radians. Frames: "base" is the chain's base link frame and
// "tip" its tip link frame, both as the URDF defines them.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "taskforge/core/geometry.h"

namespace urdf {
class ModelInterface;
}

namespace taskforge::sim {

/// The serial chain of a URDF between two links. Movable joints (revolute, continuous,
/// prismatic) are ordered base to tip; fixed joints fold into the link transforms.
/// Not safe to call concurrently on one instance (KDL caches joint poses internally).
class KdlChain {
 public:
  /// Builds the chain from `base_link` to `tip_link` of `model`, taking joint origins, axes and
  /// limits from it (continuous joints are unlimited).
  /// @throws taskforge::Error naming a link missing from the model, a tip that does not descend
  ///         from the base, or a joint type other than revolute/continuous/prismatic/fixed.
  KdlChain(const urdf::ModelInterface& model, const std::string& base_link,
           const std::string& tip_link);
  ~KdlChain();
  KdlChain(KdlChain&&) noexcept;
  KdlChain& operator=(KdlChain&&) noexcept;

  /// Number of movable joints, the length of every joint vector below.
  int num_joints() const;
  /// Lower and upper joint limits [rad or m]; +-infinity for continuous joints.
  const std::vector<double>& lower_limits() const;
  const std::vector<double>& upper_limits() const;

  /// base_T_tip for joint positions `q` [rad or m].
  /// @throws taskforge::Error if q.size() != num_joints().
  Pose Forward(const std::vector<double>& q) const;

  /// Joint positions reaching `base_T_tip` within 1e-5 (m and rad): Levenberg-Marquardt
  /// (KDL::ChainIkSolverPos_LMA, unit task-space weights, eps 1e-5, 500 iterations) from `seed`,
  /// then, if that fails, from a few deterministic pseudo-random starts within the limits.
  /// Revolute joints of the result are shifted by 2 pi into their limits and continuous ones
  /// wrapped into [-pi, pi). nullopt if no start converges to a solution within the limits.
  /// @throws taskforge::Error if seed.size() != num_joints().
  std::optional<std::vector<double>> Inverse(const Pose& base_T_tip,
                                             const std::vector<double>& seed) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace taskforge::sim
