#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "taskforge/sim/tools.h"

namespace taskforge::cli {
namespace {

struct SimFlags {
  std::string assets;
  uint64_t seed = 0;
};

void AddSimFlags(CLI::App& cmd, SimFlags& flags) {
  cmd.add_option("--assets", flags.assets, "assets directory (default: $TASKFORGE_ASSETS or the source tree's)");
  cmd.add_option("--seed", flags.seed, "seed of the world's random numbers");
}

sim::SimConfig ToConfig(const SimFlags& flags) {
  sim::SimConfig config;
  config.assets_dir = flags.assets;
  config.seed = flags.seed;
  return config;
}


}  // namespace

void AddSimCommands(CLI::App& app, const GlobalOptions& global, CLI::App& bench) {
  CLI::App& sim_cmd = *app.add_subcommand("sim", "run the simulator");
  sim_cmd.require_subcommand(1);

  // taskforge sim demo
  auto demo_flags = std::make_shared<SimFlags>();
  auto demo_out = std::make_shared<std::string>("demo-out");
  CLI::App& demo = *sim_cmd.add_subcommand("demo", "scripted suction pick-and-place of a block; writes camera, "
                                                   "oracle and heightmap pictures as PNG");
  demo.add_option("--out", *demo_out, "output directory")->capture_default_str();
  AddSimFlags(demo, *demo_flags);
  demo.callback([&global, demo_flags, demo_out] {
    const sim::DemoResult r = sim::RunPickPlaceDemo(*demo_out, ToConfig(*demo_flags));
    const nlohmann::json j = {{"out", *demo_out},
                              {"images", r.images.size()},
                              {"grasped", r.grasped},
                              {"motion", r.motion_status},
                              {"place_error_m", r.place_error_m},
                              {"yaw_error_rad", r.yaw_error_rad},
                              {"physics_steps", r.physics_steps},
                              {"render_device", r.render_device}};
    if (global.json) {
      PrintJson(j);
      return;
    }
    if (!global.quiet) {
      std::cout << "Rendered on " << r.render_device << "\n";
      std::cout << "Pick-and-place: " << (r.grasped ? "grasped" : "NOT grasped") << ", " << r.motion_status
                << ", block " << std::fixed << std::setprecision(1) << r.place_error_m * 1e3
                << " mm from its target (yaw off by " << r.yaw_error_rad * 180 / 3.14159265 << " deg) after "
                << r.physics_steps << " physics steps\n";
    }
    std::cout << "Wrote " << r.images.size() << " pictures to " << *demo_out << "/\n";
  });

  // taskforge bench sim
  auto bench_flags = std::make_shared<SimFlags>();
  auto bench_options = std::make_shared<sim::SimBenchOptions>();
  CLI::App& bench_sim = *bench.add_subcommand("sim", "physics, pick-and-place, rendering and observation speed");
  AddSimFlags(bench_sim, *bench_flags);
  bench_sim.add_option("--steps", bench_options->stepping_steps, "physics steps timed")->capture_default_str();
  bench_sim.add_option("--renders", bench_options->render_repeats, "camera renders timed")->capture_default_str();
  bench_sim.add_option("--pick-places", bench_options->pick_place_repeats, "pick-and-places timed")
      ->capture_default_str();
  bench_sim.callback([&global, bench_flags, bench_options] {
    bench_options->sim = ToConfig(*bench_flags);
    const sim::SimBenchResult r = sim::RunSimBenchmark(*bench_options);
    const nlohmann::json j = {{"steps_per_s", r.steps_per_s},
                              {"pick_place_wall_s", r.pick_place_wall_s},
                              {"pick_place_steps", r.pick_place_steps},
                              {"pick_place_step_s", r.pick_place_step_s},
                              {"overhead_ratio", r.overhead_ratio},
                              {"overhead_ratio_vs_resting", r.overhead_ratio_vs_resting},
                              {"render_ms_per_camera", r.render_ms_per_camera},
                              {"observe_ms", r.observe_ms},
                              {"oracle_view_ms", r.oracle_view_ms},
                              {"aligned_oracle_view_ms", r.aligned_oracle_view_ms},
                              {"pick_place_succeeded", r.pick_place_succeeded},
                              {"render_device", r.render_device}};
    if (!global.quiet) {
      std::cout << std::fixed << std::setprecision(3) << "reference scene: UR5 + suction + 10 blocks, "
                << 1.0 / bench_options->sim.time_step_s << " Hz\n"
                << "  raw stepping            " << std::setprecision(0) << r.steps_per_s << " steps/s\n"
                << std::setprecision(3) << "  pick-and-place          " << r.pick_place_wall_s << " s wall, "
                << r.pick_place_steps << " steps, " << r.pick_place_step_s << " s inside stepSimulation\n"
                << "  overhead ratio          " << r.overhead_ratio << " (wall / stepping time of the same steps)\n"
                << "  vs resting-scene rate   " << r.overhead_ratio_vs_resting << "\n"
                << "  render per camera       " << r.render_ms_per_camera << " ms (640x480 colour+depth+ids)\n"
                << "  observation             " << r.observe_ms << " ms (3 cameras + heightmap fusion)\n"
                << "  oracle top-down map     " << r.oracle_view_ms << " ms from Ravens' 640x480 oracle image, "
                << r.aligned_oracle_view_ms << " ms from the cell-aligned 320x160 view\n"
                << "  render device           " << r.render_device << "\n";
    }
    if (global.json) PrintJson(j);
  });
}

}  // namespace taskforge::cli
