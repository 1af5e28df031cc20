#include <catch2/catch.hpp>

#include <numbers>

#include "taskforge/core/camera.h"

using namespace taskforge;
constexpr double kPi = std::numbers::pi;

TEST_CASE("QuatFromEuler follows PyBullet's extrinsic x-y-z convention", "[core]") {
  // Rz(yaw) Ry(pitch) Rx(roll): roll pi about x maps +z to -z; then yaw pi/2 maps +x to +y.
  const Eigen::Matrix3d r = QuatFromEuler(kPi, 0.0, kPi / 2).toRotationMatrix();
  CHECK((r * Vec3::UnitZ() - Vec3(0, 0, -1)).norm() < 1e-12);
  CHECK((r * Vec3::UnitX() - Vec3(0, 1, 0)).norm() < 1e-12);
}

TEST_CASE("YawOf and MakePlanarPose round-trip and WrapAngle wraps into [-pi, pi)", "[core]") {
  for (double yaw : {-3.0, -1.0, 0.0, 0.5, 3.0}) {
    CHECK(YawOf(MakePlanarPose(Vec3(1, 2, 3), yaw)) == Approx(yaw).margin(1e-12));
  }
  CHECK(WrapAngle(kPi) == Approx(-kPi));
  CHECK(WrapAngle(3 * kPi / 2) == Approx(-kPi / 2));
  CHECK(WrapAngle(-5 * kPi / 2) == Approx(-kPi / 2));
  CHECK(WrapAngle(0.25) == Approx(0.25));
}

TEST_CASE("Ravens cameras look at the workspace", "[core]") {
  // The optical axis of each agent camera passes within 0.3 m of the workspace centre's
  // neighbourhood on the table, and the oracle camera looks straight down.
  for (const CameraConfig& camera : RavensAgentCameras()) {
    const Vec3 origin = camera.world_T_camera.translation();
    const Vec3 axis = camera.world_T_camera.linear() * Vec3::UnitZ();
    REQUIRE(axis.z() < 0);
    const Vec3 hit = origin + axis * (-origin.z() / axis.z());
    INFO(camera.name << " hits the table at " << hit.transpose());
    CHECK((hit - Vec3(0.5, 0, 0)).norm() < 0.4);
  }
  const CameraConfig oracle = RavensOracleCamera();
  CHECK((oracle.world_T_camera.linear() * Vec3::UnitZ() - Vec3(0, 0, -1)).norm() < 1e-12);
}
