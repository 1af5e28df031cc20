// Multitask training loop: dataset sampling, augmentation, metrics, checkpoints, curve picture.
#include "taskforge/policy/trainer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <future>

#include "taskforge/core/image.h"
#include "taskforge/core/timing.h"
#include "taskforge/dataset/dataset.h"

namespace taskforge::policy {
namespace {

// The steps of a dataset that carry an action inside the grid, grouped by task.
struct StepPool {
  struct Item {
    int episode = 0;
    int step = 0;
  };
  std::vector<std::vector<Item>> by_task;  // one list per requested task

  StepPool(const dataset::DatasetReader& reader, const std::vector<std::string>& tasks, const WorkspaceBounds& grid,
           const std::filesystem::path& dir) {
    TF_THROW_UNLESS(reader.index().manifest.bounds == grid, "dataset ", dir,
                    ": its grid differs from the policy's (bounds or pixel_size)");
    for (const std::string& task : tasks) {
      std::vector<Item>& items = by_task.emplace_back();
      for (int episode : reader.EpisodesOfTask(task)) {
        const dataset::EpisodeInfo info = reader.ReadInfo(episode);
        for (size_t s = 0; s < info.steps.size(); ++s) {
          const auto& action = info.steps[s].action;
          if (!action) continue;
          const auto in = [&](const std::array<int, 2>& p) {
            return p[0] >= 0 && p[0] < grid.rows() && p[1] >= 0 && p[1] < grid.cols();
          };
          if (in(action->pick_pixel) && in(action->place_pixel)) items.push_back({episode, int(s)});
        }
      }
      TF_THROW_UNLESS(!items.empty(), "dataset ", dir, ": task '", task, "' has no usable steps (tasks there: ",
                      JoinNames(reader.index().manifest.tasks), ")");
    }
  }

  Sample Draw(const dataset::DatasetReader& reader, std::mt19937_64& rng) const {
    const auto& items = by_task[rng() % by_task.size()];
    const Item item = items[rng() % items.size()];
    dataset::Step step = reader.ReadStep(item.episode, item.step);
    const dataset::ActionLabel& a = *step.label.action;
    return Sample{std::move(step.frame.color), std::move(step.frame.height), step.label.language_goal,
                  a.pick_pixel, a.place_pixel, WrapAngle(a.place_yaw - a.pick_yaw)};
  }
};

// Training loss (grey line) and validation loss (red dots) against the step, log-scaled loss axis.
void WriteCurve(const std::filesystem::path& path, const std::vector<std::pair<int64_t, double>>& train,
                const std::vector<std::pair<int64_t, double>>& val) {
  constexpr int kW = 640, kH = 360, kLeft = 60, kRight = 20, kTop = 30, kBottom = 40;
  Image<uint8_t> img(kH, kW, 3, 255);
  if (train.empty()) return WritePng(path, img);
  double lo = 1e30, hi = -1e30;
  for (const auto* series : {&train, &val}) {
    for (const auto& [s, loss] : *series) {
      lo = std::min(lo, std::log10(std::max(loss, 1e-6)));
      hi = std::max(hi, std::log10(std::max(loss, 1e-6)));
    }
  }
  if (hi - lo < 1e-3) hi = lo + 1.0;
  const double last_step = double(std::max<int64_t>(train.back().first, 1));
  auto px = [&](int64_t s) { return kLeft + int(double(kW - kLeft - kRight) * double(s) / last_step); };
  auto py = [&](double loss) {
    return kTop + int(double(kH - kTop - kBottom) * (hi - std::log10(std::max(loss, 1e-6))) / (hi - lo));
  };
  auto dot = [&](int x, int y, std::array<uint8_t, 3> rgb, int r) {
    for (int yy = y - r; yy <= y + r; ++yy)
      for (int xx = x - r; xx <= x + r; ++xx)
        if (yy >= 0 && yy < kH && xx >= 0 && xx < kW)
          for (int k = 0; k < 3; ++k) img.at(yy, xx, k) = rgb[size_t(k)];
  };
  for (int x = kLeft; x < kW - kRight; ++x) dot(x, kH - kBottom, {0, 0, 0}, 0);
  for (int y = kTop; y <= kH - kBottom; ++y) dot(kLeft, y, {0, 0, 0}, 0);
  for (size_t i = 1; i < train.size(); ++i) {  // straight segments between log points
    const int x0 = px(train[i - 1].first), y0 = py(train[i - 1].second);
    const int x1 = px(train[i].first), y1 = py(train[i].second);
    const int n = std::max({std::abs(x1 - x0), std::abs(y1 - y0), 1});
    for (int t = 0; t <= n; ++t) dot(x0 + (x1 - x0) * t / n, y0 + (y1 - y0) * t / n, {90, 90, 90}, 0);
  }
  for (const auto& [s, loss] : val) dot(px(s), py(loss), {220, 30, 30}, 2);
  char label[96];
  std::snprintf(label, sizeof label, "loss (log) %.3g .. %.3g   grey: train  red: val", std::pow(10.0, lo),
                std::pow(10.0, hi));
  DrawText(img, kLeft, 8, label, 2, {0, 0, 0});
  DrawText(img, kLeft, kH - kBottom + 10, "step 0 .. " + std::to_string(train.back().first), 2, {0, 0, 0});
  WritePng(path, img);
}

}  // namespace

TrainResult Train(const TrainConfig& config) {
  TF_THROW_UNLESS(config.steps >= 1 && config.batch >= 1 && config.checkpoint_every >= 1 && config.log_every >= 1,
                  "train: steps ", config.steps, ", batch ", config.batch, ", checkpoint_every ",
                  config.checkpoint_every, " and log_every ", config.log_every, " must be >= 1");
  TF_THROW_UNLESS(config.time_limit_min >= 0, "train: time limit ", config.time_limit_min,
                  " min must be >= 0 (0: none)");
  const Stopwatch budget;  // the time limit counts set-up too
  std::filesystem::create_directories(config.out);
  const std::filesystem::path last = config.out / "last.pt", metrics_path = config.out / "metrics.jsonl";
  TF_THROW_UNLESS(config.resume || !std::filesystem::exists(last), "train: ", config.out,
                  " already holds a run (last.pt); pass --resume to continue it or choose another --out");
  Policy policy = config.resume && std::filesystem::exists(last) ? Policy::Load(last, config.policy.device, config.policy.threads)
                                                                 : Policy::Create(config.policy);
  const WorkspaceBounds& grid = policy.config().bounds;

  const dataset::DatasetReader reader(config.data);
  const std::vector<std::string> tasks = config.tasks.empty() ? reader.index().manifest.tasks : config.tasks;
  const StepPool pool(reader, tasks, grid, config.data);
  Batch val_batch;
  if (!config.val_data.empty()) {
    const dataset::DatasetReader val_reader(config.val_data);
    const StepPool val_pool(val_reader, tasks, grid, config.val_data);
    std::mt19937_64 rng(config.seed ^ 0x5eedULL);
    for (int i = 0; i < config.val_samples; ++i) val_batch.push_back(val_pool.Draw(val_reader, rng));
  }

  // Metrics: keep what the checkpoint covers (a killed run may have logged past it).
  std::vector<nlohmann::json> lines;
  std::vector<std::pair<int64_t, double>> train_curve, val_curve;
  if (std::ifstream in(metrics_path); in && policy.step() > 0) {
    for (std::string line; std::getline(in, line);) {
      const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded() || j.value("step", int64_t(-1)) > policy.step()) continue;
      lines.push_back(j);
      if (j.contains("loss")) train_curve.emplace_back(j["step"].get<int64_t>(), j["loss"].get<double>());
      if (j.contains("val_loss")) val_curve.emplace_back(j["step"].get<int64_t>(), j["val_loss"].get<double>());
    }
  }
  std::ofstream metrics(metrics_path, std::ios::trunc);
  for (const auto& j : lines) metrics << j.dump() << "\n";
  metrics.flush();

  TrainResult result;
  result.start_step = policy.step();
  result.checkpoint = last;
  auto evaluate = [&](int64_t step) {
    if (val_batch.empty()) return;
    double sum = 0;
    for (size_t i = 0; i < val_batch.size(); i += size_t(config.batch)) {
      const Batch part(val_batch.begin() + long(i), val_batch.begin() + long(std::min(val_batch.size(), i + size_t(config.batch))));
      sum += policy.Evaluate(part).total() * double(part.size());
    }
    result.val_loss = sum / double(val_batch.size());
    val_curve.emplace_back(step, result.val_loss);
    metrics << nlohmann::json{{"step", step}, {"val_loss", result.val_loss}}.dump() << "\n";
  };

  const Stopwatch watch;
  Loss window;
  int in_window = 0;
  bool first_window = true;
  // The batch of step s depends only on s (resumable), so the next one is read, decoded and
  // augmented on a second thread while the device trains on this one.
  auto make_batch = [&](int64_t step) {
    std::mt19937_64 rng(config.seed * 0x9E3779B97F4A7C15ULL + uint64_t(step));
    Batch batch;
    for (int b = 0; b < config.batch; ++b) {
      batch.push_back(pool.Draw(reader, rng));
      if (config.augment) AugmentSE2(batch.back(), rng, config.augment_config);
    }
    return batch;
  };
  std::future<Batch> next = std::async(std::launch::async, make_batch, policy.step());
  while (policy.step() < config.steps) {
    const Batch batch = next.get();
    if (policy.step() + 1 < config.steps) next = std::async(std::launch::async, make_batch, policy.step() + 1);
    const Loss loss = policy.TrainStep(batch);
    window.pick += loss.pick;
    window.place += loss.place;
    ++in_window;
    if (config.on_step) config.on_step(policy.step(), loss);
    const bool out_of_time = config.time_limit_min > 0 && budget.seconds() >= config.time_limit_min * 60.0;
    const bool checkpoint =
        policy.step() % config.checkpoint_every == 0 || policy.step() == config.steps || out_of_time;
    if (in_window == config.log_every || checkpoint) {
      const double mean = window.total() / in_window;
      if (first_window) result.first_loss = mean;
      first_window = false;
      result.last_loss = mean;
      train_curve.emplace_back(policy.step(), mean);
      metrics << nlohmann::json{{"step", policy.step()}, {"loss", mean}, {"pick", window.pick / in_window},
                                {"place", window.place / in_window}}.dump() << "\n";
      window = {};
      in_window = 0;
    }
    if (checkpoint) {
      evaluate(policy.step());
      policy.Save(last);
      std::filesystem::copy_file(last, config.out / ("step_" + std::to_string(policy.step()) + ".pt"),
                                 std::filesystem::copy_options::overwrite_existing);
      metrics.flush();
      WriteCurve(config.out / "curve.png", train_curve, val_curve);
    }
    if (out_of_time && policy.step() < config.steps) {
      result.stopped_by_time_limit = true;
      break;
    }
  }
  result.steps = policy.step();
  const double seconds = watch.seconds();
  result.steps_per_s = double(result.steps - result.start_step) / std::max(seconds, 1e-9);
  return result;
}

}  // namespace taskforge::policy
