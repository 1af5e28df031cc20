#pragma once
// Task-level tools behind the command line: oracle runs, scene pictures and the task benchmark.

#include <filesystem>
#include <string>
#include <vector>

#include "taskforge/tasks/task.h"

namespace taskforge::tasks {

/// Writes a picture of a task's reset scene: the front camera beside the fused top-down colour
/// map, with the first instruction as a caption. @throws ScriptError/Error.
void WriteScenePicture(const TaskSource& task, const EpisodeOptions& options, const std::filesystem::path& png);

/// Writes the same picture of an episode in progress (after `action` actions) into `dir`.
void WriteEpisodeFrame(Episode& episode, int action, const std::filesystem::path& dir);

/// One task's row of `taskforge bench tasks`.
struct TaskBenchRow {
  std::string task;
  int episodes = 0;
  int successes = 0;
  int repeats = 1;                 ///< runs of each episode; its time is the median of them
  double wall_s = 0.0;             ///< all episodes (each at its median over the repeats)
  double episodes_per_s = 0.0;     ///< per core (one thread)
  double reference_s_per_episode = 0.0;  ///< Ravens on PyBullet, same seeds (ravens-speed.md)
  double speedup = 0.0;            ///< reference s/episode over ours (medians, wall clock)
  double cpu_s = 0.0;              ///< process CPU time of all episodes (every thread; medians)
  double cpu_speedup = 0.0;        ///< reference s/episode over our median CPU s/episode
  double renders_per_episode = 0.0, physics_steps_per_episode = 0.0, ik_calls_per_episode = 0.0;
  int reference_successes = 0;
};

/// The ten Ravens tasks on seeds 0, 2, 4 (the reference's), one thread, oracle success kept.
/// Every episode runs `repeats` times, in rounds over all tasks; each episode's time is the median
/// of its runs. @throws Error if a repeat runs differently (the same seed must give the same episode).
std::vector<TaskBenchRow> RunTaskBenchmark(const std::vector<uint64_t>& seeds = {0, 2, 4}, int repeats = 3);

}  // namespace taskforge::tasks
