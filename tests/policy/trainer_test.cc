// Training on a small dataset written with the dataset library (synthetic scenes, no simulation):
// metrics, checkpoints, and a run killed half-way and resumed ends where an uninterrupted one does.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "taskforge/core/error.h"
#include "taskforge/dataset/dataset.h"
#include "taskforge/policy/trainer.h"

using namespace taskforge;
using namespace taskforge::policy;
namespace fs = std::filesystem;

namespace {

PolicyConfig TinyPolicy() {
  PolicyConfig c;
  c.bounds.pixel_size = 0.00625;  // 160 x 80 grid
  c.width = 4;
  c.rotations = 4;
  c.crop = 32;
  c.lang_dim = 16;
  c.lang_heads = 2;
  c.vocab_buckets = 256;
  c.max_tokens = 10;
  c.learning_rate = 1e-3;
  c.threads = 1;
  return c;
}

// Two tasks, two episodes each, two action steps plus a final frame per episode.
void WriteDataset(const fs::path& dir, const WorkspaceBounds& bounds, uint64_t seed) {
  dataset::Manifest manifest;
  manifest.tasks = {"synthetic-a", "synthetic-b"};
  manifest.episodes_per_task = 2;
  manifest.bounds = bounds;
  const dataset::DatasetWriter writer(dir, manifest);
  std::mt19937_64 rng(seed);
  for (const std::string& task : manifest.tasks) {
    for (int slot = 0; slot < 2; ++slot) {
      dataset::EpisodeInfo info;
      info.task = task;
      info.split = "train";
      info.seed = uint64_t(slot);
      info.slot = slot;
      info.reward = 1.0;
      info.bounds = bounds;
      std::vector<dataset::Frame> frames;
      for (int step = 0; step < 3; ++step) {
        const Sample s = MakeSyntheticSample(bounds.rows(), bounds.cols(), rng);
        dataset::StepLabel label{s.instruction, std::nullopt, 0.0};
        if (step < 2) {
          dataset::ActionLabel a;
          a.pick_pixel = s.pick;
          a.place_pixel = s.place;
          a.place_yaw = s.place_yaw_rad;
          label.action = a;
          label.reward = 0.5;
        }
        info.steps.push_back(label);
        dataset::Frame frame;
        frame.color = s.color;
        frame.height = s.height;
        frames.push_back(std::move(frame));
      }
      writer.WriteEpisode(info, frames);
    }
  }
  dataset::BuildIndex(dir);
}

std::vector<std::string> Lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A tiny run under `root` (emptied first): the tiny policy, a training dataset written to
// root/train, a checkpoint and a log line every 3 steps.
TrainConfig TinyRun(const fs::path& root) {
  fs::remove_all(root);
  TrainConfig c;
  c.policy = TinyPolicy();
  c.data = root / "train";
  WriteDataset(c.data, c.policy.bounds, 1);
  c.checkpoint_every = 3;
  c.log_every = 3;
  return c;
}

}  // namespace

TEST_CASE("training checkpoints, validates and resumes to the same result", "[policy]") {
  const fs::path root = fs::temp_directory_path() / ("taskforge_train_test_" + std::to_string(::getpid()));
  TrainConfig c = TinyRun(root);
  c.val_data = root / "val";
  WriteDataset(c.val_data, c.policy.bounds, 2);
  c.steps = 6;
  c.batch = 2;
  c.val_samples = 4;
  c.seed = 9;

  c.out = root / "straight";
  const TrainResult straight = Train(c);
  CHECK(straight.steps == 6);
  CHECK(straight.val_loss > 0);
  CHECK(fs::exists(c.out / "step_3.pt"));
  CHECK(fs::exists(c.out / "curve.png"));
  CHECK(Lines(c.out / "metrics.jsonl").size() == 4);  // train and val lines at steps 3 and 6
  CHECK_THROWS_WITH(Train(c), Catch::Contains("--resume"));

  // A run stopped at step 3, then resumed to 6.
  c.out = root / "resumed";
  c.steps = 3;
  Train(c);
  c.steps = 6;
  c.resume = true;
  const TrainResult resumed = Train(c);
  CHECK(resumed.start_step == 3);
  CHECK(resumed.last_loss == straight.last_loss);
  CHECK(resumed.val_loss == straight.val_loss);
  CHECK(Lines(c.out / "metrics.jsonl") == Lines(root / "straight" / "metrics.jsonl"));

  c.tasks = {"no-such-task"};
  c.out = root / "bad";
  CHECK_THROWS_WITH(Train(c), Catch::Contains("no-such-task"));
  fs::remove_all(root);
}

TEST_CASE("a time limit stops training after the step under way, with a checkpoint to resume from", "[policy]") {
  const fs::path root = fs::temp_directory_path() / ("taskforge_train_limit_test_" + std::to_string(::getpid()));
  TrainConfig c = TinyRun(root);
  c.val_data = c.data;
  c.out = root / "run";
  c.steps = 4;
  c.batch = 1;
  c.val_samples = 1;
  c.time_limit_min = 1e-9;  // 60 ns: over before the first step ends

  const TrainResult stopped = Train(c);
  CHECK(stopped.stopped_by_time_limit);
  CHECK(stopped.steps == 1);
  CHECK(fs::exists(c.out / "last.pt"));
  CHECK(fs::exists(c.out / "step_1.pt"));
  CHECK(stopped.val_loss > 0);
  CHECK(Lines(c.out / "metrics.jsonl").size() == 2);  // the step's loss and the validation

  c.resume = true;
  c.time_limit_min = 0;
  const TrainResult resumed = Train(c);
  CHECK_FALSE(resumed.stopped_by_time_limit);
  CHECK(resumed.start_step == 1);
  CHECK(resumed.steps == 4);
  CHECK(fs::exists(c.out / "step_3.pt"));
  CHECK(fs::exists(c.out / "step_4.pt"));

  c.time_limit_min = -1;
  CHECK_THROWS_WITH(Train(c), Catch::Contains("time limit -1"));
  fs::remove_all(root);
}
