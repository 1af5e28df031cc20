#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "taskforge/core/heightmap.h"

using namespace taskforge;

namespace {

// A camera `height_m` above (0.5, 0, 0) looking straight down, image rows along world -x.
CameraConfig DownCamera(double height_m) {
  CameraConfig camera;
  camera.name = "down";
  camera.world_T_camera = MakePose({0.5, 0.0, height_m}, QuatFromEuler(0.0, std::numbers::pi, -std::numbers::pi / 2));
  return camera;
}

// Ray-casts a synthetic scene (table at z = 0 and an axis-aligned box) into an RGB-D frame.
RgbdFrame Cast(const CameraConfig& c, const Vec3& box_min, const Vec3& box_max, std::array<uint8_t, 3> box_color,
               std::array<uint8_t, 3> table_color = {50, 50, 50}) {
  RgbdFrame f{ColorImage(c.height, c.width, 3), DepthImage(c.height, c.width, 1), SegmentImage(c.height, c.width, 1)};
  const Vec3 origin = c.world_T_camera.translation();
  for (int v = 0; v < c.height; ++v) {
    for (int u = 0; u < c.width; ++u) {
      const Vec3 ray_cam((u - c.cx) / c.fx, (v - c.cy) / c.fy, 1.0);
      const Vec3 ray = c.world_T_camera.linear() * ray_cam;  // z component of ray_cam is 1 -> t = depth
      double t = -origin.z() / ray.z();                        // table plane
      std::array<uint8_t, 3> color = table_color;
      uint32_t id = 1;
      const double t_top = (box_max.z() - origin.z()) / ray.z();
      const Vec3 p = origin + t_top * ray;
      if (p.x() >= box_min.x() && p.x() <= box_max.x() && p.y() >= box_min.y() && p.y() <= box_max.y()) {
        t = t_top;
        color = box_color;
        id = 7;
      }
      f.depth.at(v, u) = float(t);
      for (int k = 0; k < 3; ++k) f.color.at(v, u, k) = color[k];
      f.segments.at(v, u) = id;
    }
  }
  return f;
}

}  // namespace

TEST_CASE("Workspace grid is 320 x 160 at 3.125 mm", "[core][heightmap]") {
  WorkspaceBounds b;
  CHECK(b.rows() == 320);
  CHECK(b.cols() == 160);
}

TEST_CASE("Fusion of a downward view recovers a box's height and footprint", "[core][heightmap]") {
  const CameraConfig camera = DownCamera(1.0);
  const Vec3 box_min(0.5, 0.1, 0.0), box_max(0.55, 0.15, 0.05);
  const Heightmap map = FuseHeightmap({Cast(camera, box_min, box_max, {200, 10, 10})}, {camera});
  REQUIRE(map.height.height == 320);
  REQUIRE(map.height.width == 160);
  const auto [row, col] = WorldToPixel({0.525, 0.125, 0.0});
  CHECK(map.height.at(row, col) == Approx(0.05).margin(1e-5));
  CHECK(map.color.at(row, col, 0) == 200);
  CHECK(map.segments.at(row, col) == 7);
  const auto [trow, tcol] = WorldToPixel({0.35, -0.2, 0.0});
  CHECK(map.height.at(trow, tcol) == Approx(0.0).margin(1e-5));
  CHECK(map.color.at(trow, tcol, 0) == 50);
  const Vec3 back = PixelToWorld(row, col, map);
  CHECK(std::abs(back.x() - 0.525) <= 0.003125);
  CHECK(std::abs(back.y() - 0.125) <= 0.003125);
  CHECK(back.z() == Approx(0.05).margin(1e-5));
}

TEST_CASE("Fusion takes the max height and the mean colour of the views that saw a cell", "[core][heightmap]") {
  const CameraConfig camera = DownCamera(1.0);
  const Vec3 box_min(0.5, 0.1, 0.0), box_max(0.55, 0.15, 0.05);
  RgbdFrame a = Cast(camera, box_min, box_max, {100, 0, 0});
  RgbdFrame b = Cast(camera, box_min, box_max, {201, 0, 0});
  // A view that misses the box and sees everything black (as a pixel nothing was drawn on).
  RgbdFrame flat = Cast(camera, Vec3(9, 9, 0), Vec3(9, 9, 0), {0, 0, 0}, {0, 0, 0});
  const auto [row, col] = WorldToPixel({0.525, 0.125, 0.0});
  const Heightmap both = FuseHeightmap({a, b}, {camera, camera});
  CHECK(both.color.at(row, col, 0) == 151);  // round(150.5)
  const Heightmap occluded = FuseHeightmap({flat, a}, {camera, camera});
  CHECK(occluded.height.at(row, col) == Approx(0.05).margin(1e-5));
  CHECK(occluded.color.at(row, col, 0) == 100);  // the black view does not count
}

TEST_CASE("Points outside the workspace bounds are dropped", "[core][heightmap]") {
  const CameraConfig camera = DownCamera(1.0);
  // A box taller than z_max (0.28), right under the camera: its top is out of bounds, so the
  // cells it covers stay empty.
  const Heightmap map = FuseHeightmap({Cast(camera, {0.48, -0.02, 0}, {0.52, 0.02, 0.3}, {9, 9, 9})}, {camera});
  const auto [row, col] = WorldToPixel({0.5, 0.0, 0.0});
  CHECK(map.height.at(row, col) == 0.0f);
  CHECK(map.color.at(row, col, 0) == 0);
}

TEST_CASE("Fusion rejects frames that don't match their camera", "[core][heightmap]") {
  CameraConfig camera = DownCamera(1.0);
  RgbdFrame frame = Cast(camera, {0, 0, 0}, {0, 0, 0}, {1, 1, 1});
  camera.width = 320;
  REQUIRE_THROWS_WITH(FuseHeightmap({frame}, {camera}), Catch::Contains("camera 'down' is 320x480"));
  REQUIRE_THROWS_WITH(FuseHeightmap({frame}, {}), Catch::Contains("1 frames for 0 cameras"));
}
