#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <iostream>
#include <numbers>

#include "render/primitive_meshes.h"
#include "render/renderer.h"
#include "taskforge/core/camera.h"
#include "taskforge/core/error.h"

using namespace taskforge;
using namespace taskforge::sim::render;

namespace {

constexpr double kPi = std::numbers::pi;

// 640×480, fx = fy = 450, at (0.5, 0, 1) looking straight down: camera +x = world +x, camera +y
// (down the image) = world -y, camera +z = world -z.
CameraConfig DownCamera() {
  CameraConfig camera;
  camera.name = "down";
  camera.world_T_camera = MakePose({0.5, 0.0, 1.0}, Quat(Eigen::AngleAxisd(kPi, Vec3::UnitX())));
  return camera;
}

RenderInstance Place(int mesh, const Vec3& position, uint32_t segment_id,
                     std::array<float, 4> rgba = {0.8f, 0.4f, 0.2f, 1.0f}) {
  RenderInstance instance;
  instance.mesh = mesh;
  instance.world_T_mesh.topRightCorner<3, 1>() = position;
  instance.rgba = rgba;
  instance.segment_id = segment_id;
  return instance;
}

// Pixel coordinates (u right, v down; integers at pixel centres) of a world point.
Eigen::Vector2d Project(const CameraConfig& camera, const Vec3& world) {
  const Vec3 p = camera.world_T_camera.inverse() * world;
  return {camera.fx * p.x() / p.z() + camera.cx, camera.fy * p.y() / p.z() + camera.cy};
}

struct Mask {
  int pixels = 0;
  Eigen::Vector2d centroid = Eigen::Vector2d::Zero();  // (u, v) [px]
  Eigen::Vector2i min = Eigen::Vector2i::Constant(1 << 30), max = Eigen::Vector2i::Constant(-1);
};

Mask MaskOf(const SegmentImage& segments, uint32_t id) {
  Mask mask;
  for (int v = 0; v < segments.height; ++v) {
    for (int u = 0; u < segments.width; ++u) {
      if (segments.at(v, u) != id) continue;
      ++mask.pixels;
      mask.centroid += Eigen::Vector2d(u, v);
      mask.min = mask.min.cwiseMin(Eigen::Vector2i(u, v));
      mask.max = mask.max.cwiseMax(Eigen::Vector2i(u, v));
    }
  }
  if (mask.pixels > 0) mask.centroid /= mask.pixels;
  return mask;
}

// Checks that every triangle winds counter-clockwise around its vertices' normals and that the
// normals have unit length.
void CheckNormalsAgreeWithWinding(const MeshData& mesh) {
  REQUIRE(mesh.normals.size() == mesh.positions.size());
  const auto vertex = [&](const std::vector<float>& a, uint32_t i) {
    return Vec3(a[3 * i], a[3 * i + 1], a[3 * i + 2]);
  };
  for (size_t t = 0; t < mesh.indices.size(); t += 3) {
    const uint32_t i = mesh.indices[t], j = mesh.indices[t + 1], k = mesh.indices[t + 2];
    const Vec3 face_normal = (vertex(mesh.positions, j) - vertex(mesh.positions, i))
                                 .cross(vertex(mesh.positions, k) - vertex(mesh.positions, i));
    for (const uint32_t corner : {i, j, k}) {
      CHECK(vertex(mesh.normals, corner).norm() == Approx(1.0).margin(1e-6));
      CHECK(face_normal.dot(vertex(mesh.normals, corner)) > 0.0);
    }
  }
}

}  // namespace

TEST_CASE("primitive meshes have the requested extents and outward normals") {
  const MeshData box = MakeBox({0.1, 0.2, 0.3});
  CHECK(box.positions.size() == 24 * 3);
  CHECK(box.indices.size() == 12 * 3);
  CheckNormalsAgreeWithWinding(box);
  for (size_t i = 0; i < box.positions.size(); ++i) CHECK(std::abs(box.positions[i]) == Approx(0.1 * (1 + i % 3)));

  const MeshData cylinder = MakeCylinder(0.05, 0.4, 16);
  CheckNormalsAgreeWithWinding(cylinder);
  for (size_t i = 0; i < cylinder.positions.size(); i += 3) {
    CHECK(std::abs(cylinder.positions[i + 2]) == Approx(0.2));
    CHECK(std::hypot(cylinder.positions[i], cylinder.positions[i + 1]) <= 0.05 + 1e-6);
  }

  const MeshData sphere = MakeSphere(0.3, 8, 12);
  CheckNormalsAgreeWithWinding(sphere);
  for (size_t i = 0; i < sphere.positions.size(); i += 3) {
    CHECK(Vec3(sphere.positions[i], sphere.positions[i + 1], sphere.positions[i + 2]).norm() == Approx(0.3));
  }

  CHECK_THROWS_AS(MakeBox({0.1, -0.1, 0.1}), Error);
  CHECK_THROWS_AS(MakeCylinder(0.0, 1.0), Error);
  CHECK_THROWS_AS(MakeSphere(1.0, 1, 12), Error);
}

TEST_CASE("a box seen from above has the right depth, id, size and colour") {
  Renderer renderer;
  INFO(renderer.device_description());
  const CameraConfig camera = DownCamera();
  const RenderInstance box = Place(renderer.AddMesh(MakeBox({0.05, 0.03, 0.02})), {0.5, 0.0, 0.02}, 7);
  const RgbdFrame frame = renderer.Render(camera, {box});

  REQUIRE(frame.color.width == 640);
  REQUIRE(frame.color.height == 480);
  REQUIRE(frame.color.channels == 3);
  CHECK(frame.depth.at(240, 320) == Approx(1.0 - 0.04).margin(1e-3));
  CHECK(frame.segments.at(240, 320) == 7);
  CHECK(frame.depth.at(10, 10) == 0.0f);
  CHECK(frame.segments.at(10, 10) == 0);
  CHECK(frame.color.at(10, 10, 0) == 0);

  // Top face: 0.1 m × 0.06 m at 0.96 m.
  const Mask mask = MaskOf(frame.segments, 7);
  CHECK(mask.max.x() - mask.min.x() + 1 == Approx(450 * 0.1 / 0.96).margin(1.5));
  CHECK(mask.max.y() - mask.min.y() + 1 == Approx(450 * 0.06 / 0.96).margin(1.5));
  CHECK(mask.centroid.x() == Approx(320).margin(0.5));
  CHECK(mask.centroid.y() == Approx(240).margin(0.5));

  // The top face's normal is world +z.
  const double shade = kAmbient + kDiffuse * ToLightWorld().z();
  for (int channel = 0; channel < 3; ++channel) {
    CHECK(frame.color.at(240, 320, channel) == Approx(255 * box.rgba[channel] * shade).margin(1.0));
  }
}

TEST_CASE("cylinders stand along z and spheres are round") {
  Renderer renderer;
  const CameraConfig camera = DownCamera();
  const RgbdFrame cylinder =
      renderer.Render(camera, {Place(renderer.AddMesh(MakeCylinder(0.05, 0.2)), {0.5, 0.0, 0.1}, 4)});
  CHECK(cylinder.depth.at(240, 320) == Approx(0.8).margin(1e-3));
  const Mask disc = MaskOf(cylinder.segments, 4);
  CHECK(disc.max.x() - disc.min.x() + 1 == Approx(450 * 0.1 / 0.8).margin(2.0));
  CHECK(disc.max.y() - disc.min.y() + 1 == Approx(450 * 0.1 / 0.8).margin(2.0));

  const RgbdFrame sphere = renderer.Render(camera, {Place(renderer.AddMesh(MakeSphere(0.05)), {0.5, 0.0, 0.05}, 6)});
  CHECK(sphere.depth.at(240, 320) == Approx(0.9).margin(1e-3));
  CHECK(sphere.segments.at(240, 320) == 6);
  // Brightest where the surface faces the light: its centre tilts from the camera ray towards it.
  const Eigen::Vector2d lit = Project(camera, Vec3(0.5, 0.0, 0.05) + 0.05 * ToLightWorld());
  const Eigen::Vector2d dark = Project(camera, Vec3(0.5, 0.0, 0.05) + 0.05 * Vec3(-0.6, -0.4, 0.7).normalized());
  CHECK(sphere.color.at(int(std::lround(lit.y())), int(std::lround(lit.x())), 0) >
        sphere.color.at(int(std::lround(dark.y())), int(std::lround(dark.x())), 0) + 20);
}

TEST_CASE("image axes follow the camera frame: +x right, +y down") {
  Renderer renderer;
  const CameraConfig camera = DownCamera();
  const int cube = renderer.AddMesh(MakeBox({0.02, 0.02, 0.02}));
  // World +x is camera +x (image right); world +y is camera -y (image up).
  const RgbdFrame frame = renderer.Render(camera, {Place(cube, {0.6, 0.0, 0.02}, 1), Place(cube, {0.5, 0.1, 0.02}, 2)});
  // The top faces' centres, 0.96 m away and 0.1 m off the optical axis.
  const int offset = int(std::lround(450 * 0.1 / 0.96));
  CHECK(frame.segments.at(240, 320 + offset) == 1);
  CHECK(frame.segments.at(240 - offset, 320) == 2);
  CHECK(frame.depth.at(240, 320 + offset) == Approx(0.96).margin(1e-3));
  CHECK(frame.depth.at(240 - offset, 320) == Approx(0.96).margin(1e-3));
  CHECK(frame.segments.at(240, 320 - offset) == 0);
  CHECK(frame.segments.at(240 + offset, 320) == 0);
}

TEST_CASE("an off-centre principal point shifts the image") {
  Renderer renderer;
  CameraConfig camera = DownCamera();
  const std::vector<RenderInstance> scene = {Place(renderer.AddMesh(MakeBox({0.05, 0.03, 0.02})), {0.5, 0.0, 0.02}, 7)};
  const Mask centred = MaskOf(renderer.Render(camera, scene).segments, 7);
  camera.cx = 350.0;
  camera.cy = 200.0;
  const RgbdFrame frame = renderer.Render(camera, scene);
  const Mask shifted = MaskOf(frame.segments, 7);
  CHECK(shifted.pixels == centred.pixels);
  CHECK(shifted.min == centred.min + Eigen::Vector2i(30, -40));
  CHECK(shifted.max == centred.max + Eigen::Vector2i(30, -40));
  CHECK(shifted.centroid.x() == Approx(350).margin(0.5));
  CHECK(shifted.centroid.y() == Approx(200).margin(0.5));
  CHECK(frame.depth.at(200, 350) == Approx(0.96).margin(1e-3));
}

TEST_CASE("scaled meshes and meshes without normals render like the equivalent box") {
  Renderer renderer;
  const CameraConfig camera = DownCamera();
  const RenderInstance reference = Place(renderer.AddMesh(MakeBox({0.05, 0.03, 0.02})), {0.5, 0.0, 0.02}, 7);
  RenderInstance scaled = Place(renderer.AddMesh(MakeBox({0.5, 0.5, 0.5})), {0.5, 0.0, 0.02}, 7);
  scaled.world_T_mesh.topLeftCorner<3, 3>() = Eigen::Vector3d(0.1, 0.06, 0.04).asDiagonal();
  MeshData flat_box = MakeBox({0.05, 0.03, 0.02});
  flat_box.normals.clear();
  const RenderInstance flat = Place(renderer.AddMesh(flat_box), {0.5, 0.0, 0.02}, 7);

  const RgbdFrame expected = renderer.Render(camera, {reference});
  for (const RenderInstance& instance : {scaled, flat}) {
    const RgbdFrame frame = renderer.Render(camera, {instance});
    CHECK(frame.segments.data == expected.segments.data);
    CHECK(frame.depth.at(240, 320) == Approx(expected.depth.at(240, 320)).margin(1e-5));
    for (int channel = 0; channel < 3; ++channel) {
      CHECK(std::abs(frame.color.at(240, 320, channel) - expected.color.at(240, 320, channel)) <= 1);
    }
  }
}

TEST_CASE("the Ravens oracle camera resolves millimetres at 1000 m") {
  Renderer renderer;
  const CameraConfig camera = RavensOracleCamera();
  REQUIRE(camera.width == 640);
  REQUIRE(camera.height == 480);
  const RenderInstance table = Place(renderer.AddMesh(MakeBox({0.6, 0.6, 0.005})), {0.5, 0.0, -0.005}, 1);
  const RenderInstance cube = Place(renderer.AddMesh(MakeBox({0.02, 0.02, 0.02})), {0.5, 0.1, 0.02}, 5);
  const RgbdFrame frame = renderer.Render(camera, {table, cube});

  const Eigen::Vector2d cube_pixel = Project(camera, {0.5, 0.1, 0.04});
  const int u = int(std::lround(cube_pixel.x())), v = int(std::lround(cube_pixel.y()));
  CHECK(frame.segments.at(v, u) == 5);
  CHECK(frame.depth.at(v, u) == Approx(1000.0 - 0.04).margin(1e-3));
  const Mask cube_mask = MaskOf(frame.segments, 5);
  CHECK(cube_mask.max.x() - cube_mask.min.x() + 1 == Approx(63e4 * 0.04 / 999.96).margin(1.5));
  CHECK(cube_mask.centroid.x() == Approx(cube_pixel.x()).margin(0.5));
  CHECK(cube_mask.centroid.y() == Approx(cube_pixel.y()).margin(0.5));

  const Eigen::Vector2d table_pixel = Project(camera, {0.4, -0.25, 0.0});
  const int tu = int(std::lround(table_pixel.x())), tv = int(std::lround(table_pixel.y()));
  CHECK(frame.segments.at(tv, tu) == 1);
  CHECK(frame.depth.at(tv, tu) == Approx(1000.0).margin(1e-3));
}

TEST_CASE("the Ravens front camera sees the table where the pinhole model puts it") {
  Renderer renderer;
  const CameraConfig camera = RavensAgentCameras().at(0);
  const RenderInstance table = Place(renderer.AddMesh(MakeBox({1.0, 1.0, 0.005})), {0.5, 0.0, -0.005}, 1);
  const RenderInstance cube = Place(renderer.AddMesh(MakeBox({0.01, 0.01, 0.01})), {0.5, 0.0, 0.01}, 3);
  const RgbdFrame frame = renderer.Render(camera, {table, cube});

  const Eigen::Vector2d centre = Project(camera, {0.5, 0.0, 0.01});
  const Mask mask = MaskOf(frame.segments, 3);
  REQUIRE(mask.pixels > 0);
  CHECK(mask.centroid.x() == Approx(centre.x()).margin(1.0));
  CHECK(mask.centroid.y() == Approx(centre.y()).margin(1.0));

  // Table pixels: depth where the pixel's ray meets the plane z = 0.
  const Vec3 origin = camera.world_T_camera.translation();
  double worst_error = 0.0;
  int table_pixels = 0;
  for (int v = 0; v < camera.height; v += 7) {
    for (int u = 0; u < camera.width; u += 7) {
      if (frame.segments.at(v, u) != 1) continue;
      const Vec3 ray =
          camera.world_T_camera.linear() * Vec3((u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, 1);
      worst_error = std::max(worst_error, std::abs(frame.depth.at(v, u) - (-origin.z() / ray.z())));
      ++table_pixels;
    }
  }
  INFO("worst table depth error " << worst_error << " m over " << table_pixels << " pixels");
  CHECK(table_pixels > 1000);
  CHECK(worst_error < 1e-4);  // a half-pixel offset would be ~1 mm here
}

TEST_CASE("rendering the same scene twice gives identical images") {
  Renderer renderer;
  const CameraConfig camera = RavensAgentCameras().at(1);
  const int box = renderer.AddMesh(MakeBox({0.02, 0.03, 0.04}));
  const int cylinder = renderer.AddMesh(MakeCylinder(0.03, 0.2));
  const int sphere = renderer.AddMesh(MakeSphere(0.04));
  std::vector<RenderInstance> scene = {Place(renderer.AddMesh(MakeBox({1.0, 1.0, 0.005})), {0.5, 0.0, -0.005}, 1)};
  for (int i = 0; i < 12; ++i) {
    const int mesh = i % 3 == 0 ? box : i % 3 == 1 ? cylinder : sphere;
    RenderInstance instance = Place(mesh, {0.3 + 0.04 * i, 0.3 - 0.05 * i, 0.05}, uint32_t(10 + i));
    instance.world_T_mesh.topLeftCorner<3, 3>() = QuatFromEuler(0.3 * i, 0.2 * i, 0.5 * i).toRotationMatrix();
    scene.push_back(instance);
  }
  const RgbdFrame first = renderer.Render(camera, scene);
  const RgbdFrame second = renderer.Render(camera, scene);
  CHECK(first.color.data == second.color.data);
  CHECK(first.depth.data == second.depth.data);
  CHECK(first.segments.data == second.segments.data);
  for (int i = 0; i < 12; ++i) CHECK(MaskOf(first.segments, uint32_t(10 + i)).pixels > 0);
}

TEST_CASE("cameras rendered together in one pass equal each rendered alone") {
  Renderer renderer;
  std::vector<CameraConfig> cameras = RavensAgentCameras();
  cameras.push_back(DownCamera());  // a fourth band of a different size
  cameras.back().width = 320;
  cameras.back().height = 200;
  cameras.back().cx = 160;
  cameras.back().cy = 100;
  std::vector<RenderInstance> scene = {Place(renderer.AddMesh(MakeBox({1.0, 1.0, 0.005})), {0.5, 0.0, -0.005}, 1)};
  const int box = renderer.AddMesh(MakeBox({0.02, 0.03, 0.04}));
  for (int i = 0; i < 6; ++i) scene.push_back(Place(box, {0.35 + 0.05 * i, -0.3 + 0.1 * i, 0.04}, uint32_t(2 + i)));
  std::vector<RgbdFrame> together;
  renderer.Render(cameras, scene, together);
  REQUIRE(together.size() == cameras.size());
  for (size_t i = 0; i < cameras.size(); ++i) {
    INFO("camera " << i);
    const RgbdFrame alone = renderer.Render(cameras[i], scene);
    CHECK(together[i].color.width == cameras[i].width);
    CHECK(together[i].color.data == alone.color.data);
    CHECK(together[i].segments.data == alone.segments.data);
    // Depth is interpolated in window coordinates, which the band's offset shifts: equal to
    // float rounding.
    REQUIRE(together[i].depth.data.size() == alone.depth.data.size());
    float max_difference = 0.0f;
    for (size_t p = 0; p < alone.depth.data.size(); ++p) {
      max_difference = std::max(max_difference, std::abs(together[i].depth.data[p] - alone.depth.data[p]));
    }
    CHECK(max_difference < 1e-5f);
    CHECK(MaskOf(together[i].segments, 1).pixels > 0);
  }
}

TEST_CASE("two renderers alive at once render independently") {
  Renderer small(64, 48);  // grows its framebuffer for the 640×480 camera
  Renderer big;
  const CameraConfig camera = DownCamera();
  small.AddMesh(MakeSphere(0.1));  // different handle numbering in the two renderers
  const RenderInstance in_small = Place(small.AddMesh(MakeBox({0.05, 0.03, 0.02})), {0.5, 0.0, 0.02}, 7);
  const RenderInstance in_big = Place(big.AddMesh(MakeBox({0.05, 0.03, 0.02})), {0.5, 0.0, 0.02}, 7);
  const RgbdFrame a = small.Render(camera, {in_small});
  const RgbdFrame b = big.Render(camera, {in_big});
  const RgbdFrame c = small.Render(camera, {in_small});
  CHECK(a.segments.at(240, 320) == 7);
  CHECK(a.depth.at(240, 320) == Approx(0.96).margin(1e-3));
  CHECK(a.color.data == b.color.data);
  CHECK(a.depth.data == b.depth.data);
  CHECK(a.segments.data == b.segments.data);
  CHECK(a.color.data == c.color.data);
}

TEST_CASE("invalid meshes, handles and cameras throw") {
  Renderer renderer;
  MeshData bad_index = MakeBox({0.1, 0.1, 0.1});
  bad_index.indices.back() = 24;
  CHECK_THROWS_AS(renderer.AddMesh(bad_index), Error);
  MeshData bad_normals = MakeBox({0.1, 0.1, 0.1});
  bad_normals.normals.pop_back();
  CHECK_THROWS_AS(renderer.AddMesh(bad_normals), Error);

  const int box = renderer.AddMesh(MakeBox({0.1, 0.1, 0.1}));
  CameraConfig camera = DownCamera();
  CHECK_THROWS_AS(renderer.Render(camera, {Place(box + 1, Vec3::Zero(), 1)}), Error);
  camera.fx = 0.0;
  CHECK_THROWS_AS(renderer.Render(camera, {}), Error);
  camera = DownCamera();
  camera.z_near = camera.z_far;
  CHECK_THROWS_AS(renderer.Render(camera, {}), Error);
}

TEST_CASE("render time of an arm, a table and ten boxes (reported, not asserted)") {
  Renderer renderer;
  const CameraConfig camera = RavensAgentCameras().at(0);
  std::vector<RenderInstance> scene = {Place(renderer.AddMesh(MakeBox({0.5, 0.5, 0.005})), {0.5, 0.0, -0.005}, 1)};
  // An arm-like chain of ten 24-facet cylinders rising from the base, and ten boxes on the table.
  const int link = renderer.AddMesh(MakeCylinder(0.05, 0.2));
  for (int i = 0; i < 10; ++i) {
    RenderInstance instance = Place(link, {0.04 * i, 0.02 * i, 0.1 + 0.06 * i}, 2, {0.3f, 0.3f, 0.35f, 1.0f});
    instance.world_T_mesh.topLeftCorner<3, 3>() = QuatFromEuler(0.4 * i, 0.8, 0.0).toRotationMatrix();
    scene.push_back(instance);
  }
  const int block = renderer.AddMesh(MakeBox({0.02, 0.02, 0.02}));
  for (int i = 0; i < 10; ++i) {
    scene.push_back(Place(block, {0.35 + 0.03 * i, -0.3 + 0.06 * i, 0.02}, uint32_t(3 + i), {0.9f, 0.2f, 0.2f, 1.0f}));
  }
  RgbdFrame frame;
  renderer.Render(camera, scene, frame);  // warm-up: shader variants, first-touch allocations
  constexpr int kFrames = 50;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kFrames; ++i) renderer.Render(camera, scene, frame);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / kFrames;
  std::cout << "render: " << ms << " ms per 640x480 colour+depth+segment frame, " << scene.size() << " objects, on "
            << renderer.device_description() << "\n";
  CHECK(MaskOf(frame.segments, 2).pixels > 0);
  CHECK(frame.segments.data == renderer.Render(camera, scene).segments.data);
}
