#pragma once
// Closed-form forward and inverse kinematics of Universal Robots arms (UR3/5/10 and e-series).
//
// Frames: "base" is UR's DH base frame (z up along the shoulder-pan axis) and "flange" the tool
// flange (z out of the flange), both as in UR's published DH tables. Units: metres and radians.
// The inverse follows the closed-form derivation of Hawkins, "Analytic Inverse Kinematics for the
// Universal Robots UR-5/UR-10 Arms" (2013): shoulder pan, then wrist 2, then wrist 3, then the
// planar shoulder-lift/elbow/wrist-1 triangle, giving up to 8 solutions.

#include <optional>
#include <vector>

#include "taskforge/core/geometry.h"

namespace taskforge::sim {

/// The nonzero standard-DH parameters of a UR arm [m]. The rest are fixed by the UR design:
/// alpha = {pi/2, 0, 0, pi/2, -pi/2, 0}, a1 = a4 = a5 = a6 = 0, d2 = d3 = 0.
struct UrDhParameters {
  double d1;  ///< base to shoulder-lift axis height
  double a2;  ///< upper arm length (negative: the arm extends along -x of its frame)
  double a3;  ///< forearm length (negative, as a2)
  double d4;  ///< shoulder-to-wrist lateral offset along the parallel lift/elbow/wrist-1 axes
  double d5;  ///< wrist 1 to wrist 2 offset
  double d6;  ///< wrist 2 to flange offset

  /// CB-series UR5.
  static UrDhParameters Ur5();
  /// e-series UR5e.
  static UrDhParameters Ur5e();
};

/// Position limits per joint [rad], base to wrist.
struct JointLimits {
  JointVector lower;
  JointVector upper;

  /// The UR5's limits: +-2 pi on every joint except the elbow, which is limited to +-pi
  /// (the upper arm and forearm would otherwise collide).
  static JointLimits Ur5();
  /// The UR5's limits narrowed to the ranges Ravens gives PyBullet's IK for a UR5 mounted as
  /// its own (home base angle -pi): the base within pi/2 of home, and the shoulder lift in
  /// [-3 pi/4, 0], so the upper arm never dips below horizontal. Without them the nearest
  /// solution can cross to the other elbow branch where the arm stretches out to a far corner,
  /// and a later low move near the base then drives the elbow into the table.
  static JointLimits Ur5Workspace();
};

/// base_T_flange for joint positions `q` [rad].
Pose UrForward(const UrDhParameters& dh, const JointVector& q);

/// Every joint solution [rad] reaching `base_T_flange`: up to 8, each angle in [-pi, pi), none
/// containing NaN. Empty when the pose is out of reach. At the wrist singularity (sin q5 = 0,
/// where wrist 1 and wrist 3 are coaxial) only the sum of those joints is defined; the solutions
/// then fix q6 = `singular_q6` (wrapped) and solve the rest around it.
std::vector<JointVector> UrInverseAll(const UrDhParameters& dh, const Pose& base_T_flange,
                                      double singular_q6 = 0.0);

/// The joint solution [rad] reaching `base_T_flange` that is closest to `seed`: each analytic
/// solution's joints are shifted by multiples of 2 pi to lie nearest the seed within `limits`,
/// and the candidate nearest the seed wins, by joint distance weighted 4:4:4:1:1:0.25 from base to
/// wrist 3 (the arm would rather spin its tool than swing its shoulder over). At the wrist singularity q6 is held at the seed's.
/// nullopt when the pose is out of reach or no solution fits the limits. Allocation-free.
std::optional<JointVector> UrInverseNearest(const UrDhParameters& dh, const Pose& base_T_flange,
                                            const JointVector& seed, const JointLimits& limits);

}  // namespace taskforge::sim
