#include "taskforge/tasks/tools.h"

#include <cstdio>
#include <iterator>

#include "taskforge/core/error.h"
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

std::vector<TaskBenchRow> RunTaskBenchmark(const std::vector<uint64_t>& seeds, int repeats) {
  TF_THROW_UNLESS(!seeds.empty() && repeats >= 1, "the task benchmark needs seeds and at least one repeat, got ",
                  seeds.size(), " seeds and ", repeats, " repeats");
  constexpr size_t kTasks = std::size(kRavensReference);
  std::vector<TaskSource> sources;
  for (const Reference& reference : kRavensReference) sources.push_back(ResolveTask(reference.task));
  // Rounds of every task and seed in turn: one episode is half a second, so a moment of a slow
  // machine falls on one repeat of a few episodes and the medians pass over it.
  struct Sample {
    std::vector<double> walls, cpus;
    OracleRun first;
  };
  std::vector<Sample> samples(kTasks * seeds.size());
  for (int round = 0; round < repeats; ++round) {
    for (size_t t = 0; t < kTasks; ++t) {
      for (size_t s = 0; s < seeds.size(); ++s) {
        EpisodeOptions options;
        options.seed = seeds[s];
        const CpuStopwatch cpu;
        const OracleRun run = RunOracleEpisode(sources[t], options);
        Sample& sample = samples[t * seeds.size() + s];
        sample.cpus.push_back(cpu.seconds());
        sample.walls.push_back(run.wall_s);
        if (round == 0) {
          sample.first = run;
        } else {
          const EpisodeStats& a = sample.first.stats;
          TF_THROW_UNLESS(run.success == sample.first.success && run.stats.physics_steps == a.physics_steps &&
                              run.stats.renders == a.renders && run.stats.ik_calls == a.ik_calls,
                          kRavensReference[t].task, " seed ", seeds[s], " ran differently on repeat ", round + 1,
                          " (", run.stats.physics_steps, " physics steps against ", a.physics_steps,
                          "): the same seed must give the same episode");
        }
      }
    }
  }
  std::vector<TaskBenchRow> rows;
  for (size_t t = 0; t < kTasks; ++t) {
    TaskBenchRow row;
    row.task = kRavensReference[t].task;
    row.reference_s_per_episode = kRavensReference[t].median_s;
    row.reference_successes = int(seeds.size());
    row.episodes = int(seeds.size());
    row.repeats = repeats;
    std::vector<double> walls, cpus;  // per seed, the median over its repeats
    for (size_t s = 0; s < seeds.size(); ++s) {
      const Sample& sample = samples[t * seeds.size() + s];
      walls.push_back(Median(sample.walls));
      cpus.push_back(Median(sample.cpus));
      row.wall_s += walls.back();
      row.cpu_s += cpus.back();
      row.successes += sample.first.success;
      const double share = 1.0 / double(seeds.size());
      row.renders_per_episode += double(sample.first.stats.renders) * share;
      row.physics_steps_per_episode += double(sample.first.stats.physics_steps) * share;
      row.ik_calls_per_episode += double(sample.first.stats.ik_calls) * share;
    }
    row.cpu_speedup = row.reference_s_per_episode / Median(cpus);
    row.episodes_per_s = row.episodes / row.wall_s;
    row.speedup = row.reference_s_per_episode / Median(walls);
    rows.push_back(row);
  }
  return rows;
}

}  // namespace taskforge::tasks
