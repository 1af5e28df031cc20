#include <iomanip>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "taskforge/core/error.h"
#include "taskforge/library/library.h"
#include "taskforge/tasks/task.h"
#include "taskforge/tasks/tools.h"

namespace taskforge::cli {
namespace {

struct TaskFlags {
  std::string task;
  uint64_t seed = 0;
  std::string split = "train";
  std::string assets;
};

void AddTaskFlags(CLI::App& cmd, TaskFlags& flags) {
  cmd.add_option("--task", flags.task, "seed task name (e.g. put-block-in-bowl-seen-colors), a task stored in the "
                                        "task library, or a .lua file")
      ->required();
  cmd.add_option("--seed", flags.seed, "seed of the first episode")->capture_default_str();
  cmd.add_option("--split", flags.split, "colour split: train, val or test")
      ->check(CLI::IsMember({"train", "val", "test"}))
      ->capture_default_str();
  cmd.add_option("--assets", flags.assets, "assets directory (default: $TASKFORGE_ASSETS or the source tree's)");
}

tasks::EpisodeOptions ToOptions(const TaskFlags& flags, uint64_t seed) {
  tasks::EpisodeOptions options;
  options.seed = seed;
  options.split = flags.split == "train" ? tasks::Split::kTrain
                  : flags.split == "val" ? tasks::Split::kVal
                                         : tasks::Split::kTest;
  options.sim.assets_dir = flags.assets;
  return options;
}


// A seed task or .lua file, else a task stored in the library ($TASKFORGE_LIBRARY or the default
// path; a library that does not exist yet is not created).
tasks::TaskSource FindTask(const std::string& name) {
  try {
    return tasks::ResolveTask(name);
  } catch (const Error& not_seed) {
    const std::filesystem::path db = library::DefaultLibraryPath();
    if (std::filesystem::path(name).extension() == ".lua" || !std::filesystem::exists(db)) throw;
    if (const auto stored = library::TaskLibrary(db).Find(name)) return stored->ToTaskSource();
    throw Error(std::string(not_seed.what()) + "; nor is it in the library " + db.string());
  }
}

}  // namespace

void AddTaskCommands(CLI::App& app, const GlobalOptions& global, CLI::App& bench) {
  // taskforge tasks
  auto library = std::make_shared<std::string>();
  CLI::App& list = *app.add_subcommand("tasks", "list the tasks of the library");
  list.add_option("--library", *library, "task folder (default: $TASKFORGE_TASKS or the source tree's)");
  list.callback([&global, library] {
    const std::vector<tasks::TaskInfo> infos = tasks::ListTasks(*library);
    nlohmann::json j = nlohmann::json::array();
    for (const tasks::TaskInfo& t : infos) {
      j.push_back({{"name", t.name}, {"variants", t.variants}, {"max_steps", t.max_steps},
                   {"end_effector", t.end_effector}, {"description", t.description}, {"file", t.file}});
      if (global.json) continue;
      std::cout << std::left << std::setw(26) << t.name << " " << std::setw(8) << t.end_effector << " "
                << std::setw(3) << t.max_steps << " " << t.description;
      if (!t.variants.empty()) {
        std::cout << " [";
        for (size_t i = 0; i < t.variants.size(); ++i) std::cout << (i ? ", " : "") << t.variants[i];
        std::cout << "]";
      }
      std::cout << "\n";
    }
    if (global.json) PrintJson({{"tasks", j}, {"count", infos.size()}});
  });

  // taskforge run
  auto run_flags = std::make_shared<TaskFlags>();
  auto episodes = std::make_shared<int>(1);
  auto frames = std::make_shared<std::string>();
  CLI::App& run = *app.add_subcommand("run", "run the scripted oracle on a task and score each episode");
  AddTaskFlags(run, *run_flags);
  run.add_option("--episodes", *episodes, "episodes, on seeds seed, seed+1, ...")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  run.add_option("--frames", *frames, "write a picture after every action into DIR/seed_N/");
  run.callback([&global, run_flags, episodes, frames] {
    const tasks::TaskSource source = FindTask(run_flags->task);
    int successes = 0;
    double reward_sum = 0.0, wall = 0.0;
    nlohmann::json runs = nlohmann::json::array();
    for (int i = 0; i < *episodes; ++i) {
      const uint64_t seed = run_flags->seed + uint64_t(i);
      std::function<void(tasks::Episode&, int)> observer;
      if (!frames->empty()) {
        const std::filesystem::path dir = std::filesystem::path(*frames) / ("seed_" + std::to_string(seed));
        observer = [dir](tasks::Episode& e, int action) { tasks::WriteEpisodeFrame(e, action, dir); };
      }
      const tasks::OracleRun r = tasks::RunOracleEpisode(source, ToOptions(*run_flags, seed), observer);
      successes += r.success;
      reward_sum += r.reward;
      wall += r.wall_s;
      runs.push_back({{"seed", r.seed}, {"success", r.success}, {"reward", r.reward}, {"actions", r.actions},
                      {"physics_steps", r.stats.physics_steps}, {"renders", r.stats.renders},
                      {"wall_s", r.wall_s}, {"error", r.error}});
      if (!global.quiet && !global.json) {
        std::cout << "seed " << r.seed << ": reward " << std::fixed << std::setprecision(3) << r.reward
                  << (r.success ? "  success" : "  FAIL") << "  " << r.actions << " actions, " << r.stats.physics_steps
                  << " physics steps, " << std::setprecision(2) << r.wall_s << " s"
                  << (r.error.empty() ? "" : "  (" + r.error + ")") << "\n";
      }
    }
    const nlohmann::json summary = {{"task", source.full_name()},
                                    {"episodes", *episodes},
                                    {"successes", successes},
                                    {"success_rate", double(successes) / *episodes},
                                    {"mean_reward", reward_sum / *episodes},
                                    {"wall_s", wall},
                                    {"runs", runs}};
    if (global.json) {
      PrintJson(summary);
    } else {
      std::cout << source.full_name() << ": " << successes << "/" << *episodes << " succeeded, mean reward "
                << std::setprecision(3) << reward_sum / *episodes << ", " << std::setprecision(2) << wall << " s\n";
    }
  });

  // taskforge render
  auto render_flags = std::make_shared<TaskFlags>();
  auto out = std::make_shared<std::string>("scene.png");
  CLI::App& render = *app.add_subcommand("render", "write a picture of a task's reset scene");
  AddTaskFlags(render, *render_flags);
  render.add_option("--out", *out, "PNG file to write")->capture_default_str();
  render.callback([&global, render_flags, out] {
    const tasks::TaskSource source = FindTask(render_flags->task);
    tasks::WriteScenePicture(source, ToOptions(*render_flags, render_flags->seed), *out);
    if (global.json) {
      PrintJson({{"task", source.full_name()}, {"seed", render_flags->seed}, {"out", *out}});
    } else if (!global.quiet) {
      std::cout << "wrote " << *out << "\n";
    }
  });

  // taskforge bench tasks
  CLI::App& bench_tasks = *bench.add_subcommand("tasks", "oracle episodes per second per core on the Ravens tasks, "
                                                         "against Ravens on PyBullet (same seeds)");
  auto bench_repeats = std::make_shared<int>(3);
  bench_tasks.add_option("--repeats", *bench_repeats, "runs of every episode, in rounds over all tasks; an "
                                                      "episode's time is the median of its runs")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  bench_tasks.callback([&global, bench_repeats] {
    const std::vector<tasks::TaskBenchRow> rows = tasks::RunTaskBenchmark({0, 2, 4}, *bench_repeats);
    nlohmann::json j = nlohmann::json::array();
    double ours = 0, ours_cpu = 0, reference = 0;
    for (const tasks::TaskBenchRow& r : rows) {
      ours += r.wall_s;
      ours_cpu += r.cpu_s;
      reference += r.reference_s_per_episode * r.episodes;
      j.push_back({{"task", r.task}, {"episodes", r.episodes}, {"repeats", r.repeats}, {"successes", r.successes},
                   {"reference_successes", r.reference_successes}, {"wall_s", r.wall_s},
                   {"episodes_per_s", r.episodes_per_s}, {"reference_s_per_episode", r.reference_s_per_episode},
                   {"speedup", r.speedup}, {"cpu_s", r.cpu_s}, {"cpu_speedup", r.cpu_speedup},
                   {"renders_per_episode", r.renders_per_episode},
                   {"physics_steps_per_episode", r.physics_steps_per_episode},
                   {"ik_calls_per_episode", r.ik_calls_per_episode}});
      if (!global.json) {
        std::cout << std::left << std::setw(22) << r.task << std::right << std::fixed << std::setprecision(2)
                  << std::setw(8) << r.episodes_per_s << " ep/s  " << std::setw(7) << r.speedup << "x  ("
                  << r.cpu_speedup << "x on CPU time)  "
                  << r.successes << "/" << r.episodes << " ok  " << std::setprecision(0) << r.renders_per_episode
                  << " renders, " << r.physics_steps_per_episode << " steps, " << r.ik_calls_per_episode
                  << " IK per episode\n";
      }
    }
    const double overall = ours > 0 ? reference / ours : 0.0;
    const double overall_cpu = ours_cpu > 0 ? reference / ours_cpu : 0.0;
    if (global.json) {
      PrintJson({{"tasks", j}, {"overall_speedup", overall}, {"overall_cpu_speedup", overall_cpu}});
    } else {
      std::cout << "overall: " << std::setprecision(1) << overall << "x the reference per core (" << overall_cpu
                << "x on CPU time)\n";
    }
  });
}

}  // namespace taskforge::cli
