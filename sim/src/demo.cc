#include <algorithm>

#include "scripted.h"
#include "taskforge/core/error.h"
#include "taskforge/sim/tools.h"

namespace taskforge::sim {
namespace {

// Writes every camera image, the oracle view and the fused maps with `prefix`.
void WritePictures(Sim& sim, const std::filesystem::path& dir, const std::string& prefix,
                   std::vector<std::filesystem::path>& written) {
  auto write = [&](const std::string& name, const Image<uint8_t>& image) {
    const std::filesystem::path path = dir / (prefix + name + ".png");
    WritePng(path, image);
    written.push_back(path);
  };
  const Observation obs = sim.Observe();
  for (size_t i = 0; i < obs.cameras.size(); ++i) {
    const RgbdFrame& frame = obs.frames[i];
    const std::string& name = obs.cameras[i].name;
    write("camera_" + name + "_color", frame.color);
    write("camera_" + name + "_depth", ToGrey8(frame.depth, 0.4f, 1.6f));
    write("camera_" + name + "_segments", ColorizeSegments(frame.segments));
  }
  const CameraConfig oracle_camera = RavensOracleCamera();
  const RgbdFrame oracle = sim.Render(oracle_camera);
  write("oracle_color", oracle.color);
  write("oracle_segments", ColorizeSegments(oracle.segments));
  write("heightmap_color", obs.heightmap.color);
  write("heightmap_height", ToGrey8(obs.heightmap.height, 0.0f, 0.1f));
}

}  // namespace

DemoResult RunPickPlaceDemo(const std::filesystem::path& out_dir, const SimConfig& config) {
  std::filesystem::create_directories(out_dir);
  TF_THROW_UNLESS(std::filesystem::is_directory(out_dir), "cannot create output directory ", out_dir);
  Sim sim(config);
  constexpr double kBlock = 0.04;
  const BodyId red = AddBlock(sim, 0.45, -0.25, 0.4, kBlock, PaletteColor(0));
  const double distractors[][3] = {{0.35, 0.05, 0.3}, {0.62, -0.10, 1.1}, {0.55, 0.35, 0.7},
                                   {0.40, 0.30, 0.0}, {0.68, -0.35, 0.5}};
  for (int i = 0; i < 5; ++i) {
    AddBlock(sim, distractors[i][0], distractors[i][1], distractors[i][2], kBlock, PaletteColor(i + 1));
  }
  sim.SettleUntilStatic();

  DemoResult result;
  result.render_device = sim.render_device();
  WritePictures(sim, out_dir, "before_", result.images);

  const Pose target = MakePlanarPose({0.6, 0.15, kBlock / 2}, -0.3);
  const int64_t steps_before = sim.step_count();
  const PrimitiveResult moved = PickPlaceBlock(sim, red, target, kBlock);
  result.physics_steps = sim.step_count() - steps_before;
  result.grasped = moved.grasped;
  result.motion_status = ToString(moved.status);
  std::tie(result.place_error_m, result.yaw_error_rad) = PlanarError(sim.body_pose(red), target);

  WritePictures(sim, out_dir, "after_", result.images);
  return result;
}

}  // namespace taskforge::sim
