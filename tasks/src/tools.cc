#include "taskforge/tasks/tools.h"

#include <cstdio>

#include "taskforge/core/image.h"
#include "taskforge/core/timing.h"

namespace taskforge::tasks {
namespace {

// Ravens on PyBullet generating oracle demos on seeds 0, 2, 4 (hz 480, TinyRenderer, one core):
// median seconds per episode, from ../shared/reference/ravens-speed.md. All 30 succeeded.
struct Reference {
  const char* task;
  double median_s;
};
constexpr Reference kRavensReference[] = {
    {"place-red-in-green", 9.27}, {"stack-block-pyramid", 16.43}, {"towers-of-hanoi", 19.45},
    {"align-box-corner", 3.68},   {"block-insertion", 3.66},      {"packing-boxes", 23.78},
    {"palletizing-boxes", 75.20}, {"assembling-kits", 14.23},     {"sweeping-piles", 38.51},
    {"manipulating-rope", 12.03},
};

}  // namespace

namespace {

// The front camera beside the fused top-down colour map, captioned.
ColorImage ScenePicture(Episode& episode, const std::string& caption, const std::string& footer) {
  Observation obs;
  episode.Observe(obs);
  const ColorImage& camera = obs.frames.front().color;  // the front camera
  const ColorImage& top = obs.heightmap.color;          // 320 rows (y) x 160 columns (x)
  constexpr int kTopScale = 3, kCaption = 48;           // top-down map at 3/2 size
  const int top_width = top.width * kTopScale / 2, top_height = top.height * kTopScale / 2;
  ColorImage canvas(std::max(camera.height, top_height) + kCaption, camera.width + top_width, 3, 255);
  for (int r = 0; r < camera.height; ++r) {
    for (int c = 0; c < camera.width; ++c) {
      for (int k = 0; k < 3; ++k) canvas.at(r, c, k) = camera.at(r, c, k);
    }
  }
  for (int r = 0; r < top_height; ++r) {
    for (int c = 0; c < top_width; ++c) {
      for (int k = 0; k < 3; ++k) canvas.at(r, camera.width + c, k) = top.at(r * 2 / kTopScale, c * 2 / kTopScale, k);
    }
  }
  DrawText(canvas, 8, canvas.height - kCaption + 8, caption, 2, {0, 0, 0});
  DrawText(canvas, 8, canvas.height - 18, footer, 1, {90, 90, 90});
  return canvas;
}

}  // namespace

void WriteScenePicture(const TaskSource& task, const EpisodeOptions& options, const std::filesystem::path& png) {
  Episode episode(task, options);
  const std::string caption = episode.language_goal().empty() ? task.full_name() : episode.language_goal();
  WritePng(png, ScenePicture(episode, caption, task.full_name() + "  seed " + std::to_string(options.seed)));
}

void WriteEpisodeFrame(Episode& episode, int action, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  char name[32];
  std::snprintf(name, sizeof name, "action_%02d.png", action);
  char footer[160];
  std::snprintf(footer, sizeof footer, "%s  after %d actions  reward %.3f%s", episode.task_name().c_str(), action,
                episode.total_reward(), episode.failure().empty() ? "" : "  (failed)");
  WritePng(dir / name, ScenePicture(episode, episode.language_goal(), footer));
}

std::vector<TaskBenchRow> RunTaskBenchmark(const std::vector<uint64_t>& seeds) {
  std::vector<TaskBenchRow> rows;
  for (const Reference& reference : kRavensReference) {
    const TaskSource source = ResolveTask(reference.task);
    TaskBenchRow row;
    row.task = reference.task;
    row.reference_s_per_episode = reference.median_s;
    row.reference_successes = int(seeds.size());
    std::vector<double> walls, cpus;
    for (const uint64_t seed : seeds) {
      EpisodeOptions options;
      options.seed = seed;
      const CpuStopwatch cpu;
      const OracleRun run = RunOracleEpisode(source, options);
      cpus.push_back(cpu.seconds());
      walls.push_back(run.wall_s);
      row.successes += run.success;
      row.renders_per_episode += double(run.stats.renders) / double(seeds.size());
      row.physics_steps_per_episode += double(run.stats.physics_steps) / double(seeds.size());
      row.ik_calls_per_episode += double(run.stats.ik_calls) / double(seeds.size());
    }
    row.episodes = int(seeds.size());
    for (double w : walls) row.wall_s += w;
    for (double c : cpus) row.cpu_s += c;
    row.cpu_speedup = reference.median_s / Median(cpus);
    row.episodes_per_s = row.episodes / row.wall_s;
    row.speedup = reference.median_s / Median(walls);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace taskforge::tasks
