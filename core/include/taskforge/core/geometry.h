#pragma once
// Shared geometric vocabulary. Units: metres and radians throughout. Frames: "world" is the
// robot base frame of the Ravens tabletop (x forward over the table, z up, table top at z = 0).

#include <Eigen/Geometry>
#include <array>

namespace taskforge {

using Vec3 = Eigen::Vector3d;
using Quat = Eigen::Quaterniond;
/// A rigid transform; `Pose a_T_b` maps coordinates in frame b to frame a.
using Pose = Eigen::Isometry3d;

/// Joint positions of a 6-axis arm [rad], base to wrist.
using JointVector = std::array<double, 6>;

/// Builds a pose from a position [m] and a unit quaternion.
Pose MakePose(const Vec3& position, const Quat& orientation = Quat::Identity());
/// Builds a pose from a position [m] and a rotation about world z [rad].
Pose MakePlanarPose(const Vec3& position, double yaw_rad);
/// Rotation from roll-pitch-yaw as PyBullet's getQuaternionFromEuler (extrinsic x, then y, then z).
Quat QuatFromEuler(double roll, double pitch, double yaw);
/// Yaw [rad] in (-pi, pi] of a pose's rotation about world z (the x-axis heading).
double YawOf(const Pose& pose);
/// Wraps an angle [rad] into [-pi, pi).
double WrapAngle(double angle_rad);

}  // namespace taskforge
