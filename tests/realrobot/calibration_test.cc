// ChArUco calibration on synthetic views: the printed board is warped into a camera with a
// known pose, and the recovered camera pose must match it.
#include <catch2/catch.hpp>

#include <filesystem>

#include "taskforge/realrobot/calibration.h"

using namespace taskforge;
using namespace taskforge::realrobot;

namespace {

CameraConfig TestCamera() {
  CameraConfig camera;
  camera.width = 640;
  camera.height = 480;
  camera.fx = camera.fy = 600.0;
  camera.cx = 320.0;
  camera.cy = 240.0;
  return camera;
}

// A camera at `eye` looking at `target` (OpenCV frame: +z forward, +y down the image).
Pose LookAt(const Vec3& eye, const Vec3& target) {
  const Vec3 z = (target - eye).normalized();
  const Vec3 x = Vec3::UnitY().cross(z).normalized();
  Pose pose = Pose::Identity();
  pose.linear().col(0) = x;
  pose.linear().col(1) = z.cross(x);
  pose.linear().col(2) = z;
  pose.translation() = eye;
  return pose;
}

// Renders what `camera` at `world_T_camera` sees of the printed board lying at `world_T_board`
// on a grey table: each image pixel's ray meets the board plane, which is sampled bilinearly.
ColorImage RenderView(const CameraConfig& camera, const Pose& world_T_camera, const Pose& world_T_board,
                      const CharucoBoard& board, const ColorImage& print, int pixels_per_square) {
  const Pose board_T_camera = world_T_board.inverse() * world_T_camera;
  ColorImage image(camera.height, camera.width, 3, 110);
  for (int v = 0; v < camera.height; ++v) {
    for (int u = 0; u < camera.width; ++u) {
      const Vec3 ray = board_T_camera.linear() * Vec3((u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, 1.0);
      const Vec3 origin = board_T_camera.translation();
      if (std::abs(ray.z()) < 1e-9) continue;
      const double s = -origin.z() / ray.z();
      if (s <= 0) continue;
      const Vec3 p = origin + s * ray;  // on the board plane, board frame [m]
      const double px = p.x() / board.square_m * pixels_per_square - 0.5;
      const double py = p.y() / board.square_m * pixels_per_square - 0.5;
      if (px < 0 || py < 0 || px >= print.width - 1 || py >= print.height - 1) continue;
      const int x0 = int(px), y0 = int(py);
      const double fx = px - x0, fy = py - y0;
      for (int c = 0; c < 3; ++c) {
        const double value = (1 - fx) * (1 - fy) * print.at(y0, x0, c) + fx * (1 - fy) * print.at(y0, x0 + 1, c) +
                             (1 - fx) * fy * print.at(y0 + 1, x0, c) + fx * fy * print.at(y0 + 1, x0 + 1, c);
        image.at(v, u, c) = uint8_t(value + 0.5);
      }
    }
  }
  return image;
}

}  // namespace

TEST_CASE("ChArUco calibration recovers a known camera pose from a synthetic view", "[realrobot][calibration]") {
  const CharucoBoard board = ParseBoard("7x5:0.04:0.03:DICT_5X5_100");
  constexpr int kPixelsPerSquare = 120;
  const ColorImage print = RenderCharucoBoard(board, kPixelsPerSquare);
  REQUIRE(print.width == 7 * kPixelsPerSquare);
  const CameraConfig camera = TestCamera();
  // The board lies face up, turned 15 degrees; touched at its origin and along its top edge.
  const Vec3 origin(0.32, -0.12, 0.0);
  const Vec3 along_x = origin + 0.2 * Vec3(std::cos(0.26), std::sin(0.26), 0.0);
  const Pose world_T_board = BoardPoseFromTouches(origin, along_x);

  for (const Vec3& eye : {Vec3(0.40, 0.05, 0.55), Vec3(0.20, -0.10, 0.50)}) {
    const Pose truth = LookAt(eye, Vec3(0.45, -0.03, 0.0));
    const ColorImage view = RenderView(camera, truth, world_T_board, board, print, kPixelsPerSquare);
    const BoardObservation seen = DetectBoard(view, camera, board);
    CHECK(seen.corners >= 12);  // of 24; the board is partly outside some views
    CHECK(seen.reprojection_px < 1.0);
    const Pose estimate = world_T_board * seen.camera_T_board.inverse();
    INFO("camera at " << eye.transpose() << ", estimated " << estimate.translation().transpose());
    CHECK((estimate.translation() - truth.translation()).norm() < 0.005);
    CHECK(Eigen::AngleAxisd(estimate.linear().transpose() * truth.linear()).angle() < 0.01);
  }

  const std::filesystem::path file = std::filesystem::temp_directory_path() / "taskforge_calibration_test.json";
  Calibration calibration;
  calibration.world_T_camera = LookAt(Vec3(0.4, 0.0, 0.6), Vec3(0.5, 0.0, 0.0));
  calibration.board = board;
  calibration.camera = "files:/tmp/x";
  SaveCalibration(file, calibration);
  const Calibration back = LoadCalibration(file);
  CHECK(back.world_T_camera.isApprox(calibration.world_T_camera, 1e-9));
  CHECK(back.board.squares_x == 7);
  CHECK(back.camera == "files:/tmp/x");
}

TEST_CASE("calibration explains what it could not find", "[realrobot][calibration]") {
  const CharucoBoard board = ParseBoard("7x5:0.04:0.03");
  const ColorImage blank(480, 640, 3, 128);
  CHECK_THROWS_WITH(DetectBoard(blank, TestCamera(), board), Catch::Contains("not in view: 0 markers"));
  CHECK_THROWS_WITH(ParseBoard("7x5"), Catch::Contains("SXxSY:SQUARE_M:MARKER_M"));
  CHECK_THROWS_WITH(ParseBoard("7x5:0.04:0.05"), Catch::Contains("markers smaller than squares"));
  CHECK_THROWS_WITH(ParseBoard("7x5:0.04:0.03:DICT_9X9"), Catch::Contains("unknown ArUco dictionary 'DICT_9X9'"));
  CHECK_THROWS_WITH(BoardPoseFromTouches(Vec3(0.3, 0, 0), Vec3(0.31, 0, 0)), Catch::Contains("5 cm apart"));
}
