#include "scripted.h"
#include "taskforge/core/heightmap.h"
#include "taskforge/core/timing.h"
#include "taskforge/sim/tools.h"

namespace taskforge::sim {

SimBenchResult RunSimBenchmark(const SimBenchOptions& options) {
  SimBenchResult result;
  Sim sim(options.sim);
  const std::vector<BodyId> blocks = AddReferenceBlocks(sim, 10);

  // Raw stepping: the reference scene at rest, arm holding its home pose.
  Stopwatch watch;
  sim.Step(options.stepping_steps);
  result.steps_per_s = options.stepping_steps / watch.seconds();

  // Rendering before anything moves, so every repeat draws the same scene. Frames and
  // observations are reused, as an episode loop does.
  const std::vector<CameraConfig> cameras = RavensAgentCameras();
  std::vector<RgbdFrame> frames(cameras.size());
  for (size_t c = 0; c < cameras.size(); ++c) sim.Render(cameras[c], frames[c]);  // creates the context
  // Medians of per-call times: a shared 2-core machine's hiccups land in the tail, not the figure.
  std::vector<double> calls;
  for (int i = 0; i < options.render_repeats; ++i) {
    const size_t c = size_t(i) % cameras.size();  // all three views, round robin
    watch.Restart();
    sim.Render(cameras[c], frames[c]);
    calls.push_back(watch.seconds());
  }
  result.render_ms_per_camera = 1e3 * Median(calls);
  Observation obs;
  sim.Observe(obs);
  calls.clear();
  for (int i = 0; i < options.observe_repeats; ++i) {
    watch.Restart();
    sim.Observe(obs);
    calls.push_back(watch.seconds());
  }
  result.observe_ms = 1e3 * Median(calls);
  // The oracle's top-down map from Ravens' oracle image and from the cell-aligned view, in turn.
  const WorkspaceBounds bounds;
  const CameraConfig oracle_views[2] = {RavensOracleCamera(), CellAlignedTopDownCamera(bounds)};
  RgbdFrame oracle_frames[2];
  HeightmapFusion fusion(bounds);
  Heightmap map;
  std::vector<double> view_calls[2];
  for (int i = 0; i < 2 * (options.render_repeats + 1); ++i) {  // the first two size the buffers
    const int k = i % 2;
    watch.Restart();
    sim.Render(oracle_views[k], oracle_frames[k]);
    fusion.Reset();
    fusion.AddView(oracle_frames[k], oracle_views[k]);
    fusion.Finish(map);
    if (i >= 2) view_calls[k].push_back(watch.seconds());
  }
  result.oracle_view_ms = 1e3 * Median(view_calls[0]);
  result.aligned_oracle_view_ms = 1e3 * Median(view_calls[1]);
  result.render_device = sim.render_device();

  // Pick-and-place: move blocks one at a time into a free row at the far edge and back again.
  std::vector<double> walls, step_walls, steps, ratios, resting_ratios;
  result.pick_place_succeeded = true;
  sim.set_step_timing(true);
  for (int i = 0; i < options.pick_place_repeats; ++i) {
    const BodyId block = blocks[size_t(i) % blocks.size()];
    const Pose target = MakePlanarPose({0.4 + 0.1 * (i % 3), 0.4, 0.02}, 0.5);
    const double step_wall_before = sim.step_wall_s();
    const int64_t steps_before = sim.step_count();
    watch.Restart();
    const PrimitiveResult moved = PickPlaceBlock(sim, block, target, 0.04);
    walls.push_back(watch.seconds());
    step_walls.push_back(sim.step_wall_s() - step_wall_before);
    steps.push_back(double(sim.step_count() - steps_before));
    ratios.push_back(walls.back() / step_walls.back());
    resting_ratios.push_back(walls.back() / (steps.back() / result.steps_per_s));
    result.pick_place_succeeded &= moved.ok() && PlanarError(sim.body_pose(block), target).first < 0.01;
  }
  sim.set_step_timing(false);
  result.pick_place_wall_s = Median(walls);
  result.pick_place_step_s = Median(step_walls);
  result.pick_place_steps = static_cast<int64_t>(Median(steps));
  // Ratios are taken per run, then the median: both parts of a run share the machine's state.
  result.overhead_ratio = Median(ratios);
  result.overhead_ratio_vs_resting = Median(resting_ratios);
  return result;
}

}  // namespace taskforge::sim
