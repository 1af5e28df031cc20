#include <algorithm>
#include <chrono>

#include "scripted.h"
#include "taskforge/sim/tools.h"

namespace taskforge::sim {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

SimBenchResult RunSimBenchmark(const SimBenchOptions& options) {
  SimBenchResult result;
  Sim sim(options.sim);
  const std::vector<BodyId> blocks = AddReferenceBlocks(sim, 10);

  // Raw stepping: the reference scene at rest, arm holding its home pose.
  auto start = std::chrono::steady_clock::now();
  sim.Step(options.stepping_steps);
  result.steps_per_s = options.stepping_steps / SecondsSince(start);

  // Rendering before anything moves, so every repeat draws the same scene.
  const CameraConfig front = RavensAgentCameras().front();
  sim.Render(front);  // first render creates the context and uploads meshes
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < options.render_repeats; ++i) sim.Render(front);
  result.render_ms_per_camera = 1e3 * SecondsSince(start) / options.render_repeats;
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < options.observe_repeats; ++i) sim.Observe();
  result.observe_ms = 1e3 * SecondsSince(start) / options.observe_repeats;
  result.render_device = sim.render_device();

  // Pick-and-place: move blocks one at a time into a free row at the far edge and back again.
  std::vector<double> walls, step_walls, steps;
  result.pick_place_succeeded = true;
  sim.set_step_timing(true);
  for (int i = 0; i < options.pick_place_repeats; ++i) {
    const BodyId block = blocks[size_t(i) % blocks.size()];
    const Pose target = MakePlanarPose({0.4 + 0.1 * (i % 3), 0.4, 0.02}, 0.5);
    const double step_wall_before = sim.step_wall_s();
    const int64_t steps_before = sim.step_count();
    start = std::chrono::steady_clock::now();
    const PrimitiveResult moved = PickPlaceBlock(sim, block, target, 0.04);
    walls.push_back(SecondsSince(start));
    step_walls.push_back(sim.step_wall_s() - step_wall_before);
    steps.push_back(double(sim.step_count() - steps_before));
    result.pick_place_succeeded &= moved.ok() && PlanarError(sim.body_pose(block), target).first < 0.01;
  }
  sim.set_step_timing(false);
  result.pick_place_wall_s = Median(walls);
  result.pick_place_step_s = Median(step_walls);
  result.pick_place_steps = static_cast<int64_t>(Median(steps));
  result.overhead_ratio = result.pick_place_wall_s / result.pick_place_step_s;
  result.overhead_ratio_vs_resting = result.pick_place_wall_s / (result.pick_place_steps / result.steps_per_s);
  return result;
}

}  // namespace taskforge::sim
