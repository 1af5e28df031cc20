#include "taskforge/core/camera.h"

#include <numbers>

namespace taskforge {
namespace {

// Ravens gives camera orientations as PyBullet Euler angles of the OpenCV-style camera frame
// (+z optical axis, +y down the image).
CameraConfig RavensD415(const std::string& name, const Vec3& position, const Vec3& euler) {
  CameraConfig camera;
  camera.name = name;
  camera.world_T_camera = MakePose(position, QuatFromEuler(euler.x(), euler.y(), euler.z()));
  return camera;
}

}  // namespace

std::vector<CameraConfig> RavensAgentCameras() {
  constexpr double pi = std::numbers::pi;
  return {RavensD415("front", {1.0, 0.0, 0.75}, {pi / 4, pi, -pi / 2}),
          RavensD415("left", {0.0, 0.5, 0.75}, {pi / 4.5, pi, pi / 4}),
          RavensD415("right", {0.0, -0.5, 0.75}, {pi / 4.5, pi, 3 * pi / 4})};
}

CameraConfig RavensOracleCamera() {
  CameraConfig camera;
  camera.name = "oracle";
  camera.fx = camera.fy = 63e4;
  camera.z_near = 999.7;
  camera.z_far = 1001.0;
  camera.world_T_camera =
      MakePose({0.5, 0.0, 1000.0}, QuatFromEuler(0.0, std::numbers::pi, -std::numbers::pi / 2));
  return camera;
}

}  // namespace taskforge
