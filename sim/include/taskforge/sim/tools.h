#pragma once
// Ready-made runs of the simulator: the picture-writing demo and the speed benchmark.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "taskforge/sim/sim.h"

namespace taskforge::sim {

/// What `taskforge sim demo` did.
struct DemoResult {
  std::vector<std::filesystem::path> images;  ///< PNGs written, in order
  bool grasped = false;                       ///< the suction picked the block up
  std::string motion_status;                  ///< the primitive's final status
  double place_error_m = 0.0;                 ///< block centre to target, in the table plane [m]
  double yaw_error_rad = 0.0;                 ///< block heading to target heading, mod 90° [rad]
  int64_t physics_steps = 0;                  ///< steps of the pick-and-place and settling
  std::string render_device;                  ///< EGL device that drew the pictures
};

/// Builds a Ravens-style scene (a red block to move, five distractors), writes the three camera
/// images, the oracle view and the fused colour/height maps as PNG before and after a scripted
/// suction pick-and-place of the red block onto a target pose. @throws Error if `out_dir` can't
/// be written or the renderer can't start.
DemoResult RunPickPlaceDemo(const std::filesystem::path& out_dir, const SimConfig& config = {});

struct SimBenchOptions {
  SimConfig sim;                 ///< world settings (Ravens defaults)
  int stepping_steps = 2000;     ///< physics steps timed for the raw stepping rate
  int render_repeats = 30;       ///< renders timed, cycling through the three agent cameras
  int observe_repeats = 30;      ///< full observations (3 cameras + fusion) timed
  int pick_place_repeats = 3;    ///< pick-and-places timed (median reported)
};

/// Figures measured in one run on the reference scene (UR5 with suction + 10 blocks).
struct SimBenchResult {
  double steps_per_s = 0;              ///< raw stepping, arm holding still, blocks at rest
  double pick_place_wall_s = 0;        ///< one scripted pick-and-place incl. settling (median)
  int64_t pick_place_steps = 0;        ///< physics steps it took
  double pick_place_step_s = 0;        ///< of the wall time, time inside Bullet's stepSimulation
  double overhead_ratio = 0;           ///< median over runs of wall time / time inside Step()
  double overhead_ratio_vs_resting = 0;///< median over runs of wall time / (steps / steps_per_s)
  double render_ms_per_camera = 0;     ///< median of one 640x480 colour + depth + segment frame
  double observe_ms = 0;               ///< median of 3 cameras rendered and fused into the heightmap
  /// Medians of the oracle's top-down map, rendered and fused, two ways interleaved in one run:
  double oracle_view_ms = 0;           ///< from Ravens' 640x480 near-orthographic oracle image
  double aligned_oracle_view_ms = 0;   ///< from CellAlignedTopDownCamera (the task oracle's view)
  bool pick_place_succeeded = false;   ///< the benchmark's block landed within 1 cm
  std::string render_device;
};

/// Runs the benchmark. Timing uses the wall clock; the simulation itself never does.
SimBenchResult RunSimBenchmark(const SimBenchOptions& options = {});

}  // namespace taskforge::sim
