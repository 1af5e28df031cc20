#include "taskforge/core/geometry.h"

#include <cmath>
#include <numbers>

namespace taskforge {

Pose MakePose(const Vec3& position, const Quat& orientation) {
  Pose pose = Pose::Identity();
  pose.linear() = orientation.normalized().toRotationMatrix();
  pose.translation() = position;
  return pose;
}

Pose MakePlanarPose(const Vec3& position, double yaw_rad) {
  return MakePose(position, Quat(Eigen::AngleAxisd(yaw_rad, Vec3::UnitZ())));
}

Quat QuatFromEuler(double roll, double pitch, double yaw) {
  // PyBullet: R = Rz(yaw) * Ry(pitch) * Rx(roll).
  return Quat(Eigen::AngleAxisd(yaw, Vec3::UnitZ()) * Eigen::AngleAxisd(pitch, Vec3::UnitY()) *
              Eigen::AngleAxisd(roll, Vec3::UnitX()));
}

double YawOf(const Pose& pose) {
  const Eigen::Matrix3d r = pose.linear();
  return std::atan2(r(1, 0), r(0, 0));
}

double WrapAngle(double angle_rad) {
  constexpr double kTwoPi = 2.0 * std::numbers::pi;
  double wrapped = std::fmod(angle_rad + std::numbers::pi, kTwoPi);
  if (wrapped < 0) wrapped += kTwoPi;
  return wrapped - std::numbers::pi;
}

}  // namespace taskforge
