// `taskforge bench policy`: speed of training and acting on synthetic scenes of the real shapes.
#include <algorithm>
#include <random>

#include "taskforge/core/timing.h"
#include "taskforge/policy/policy.h"

namespace taskforge::policy {

PolicyBenchResult BenchmarkPolicy(const PolicyBenchConfig& config) {
  TF_THROW_UNLESS(config.batch >= 1 && config.train_steps >= 1 && config.act_runs >= 1 && config.warmup >= 0,
                  "bench policy: batch ", config.batch, ", steps ", config.train_steps, " and runs ", config.act_runs,
                  " must be >= 1, warmup ", config.warmup, " >= 0");
  std::mt19937_64 rng(config.seed);
  Policy policy = Policy::Create(config.policy);
  Batch batch;
  for (int i = 0; i < config.batch; ++i) batch.push_back(MakeSyntheticSample(config.policy.bounds.rows(), config.policy.bounds.cols(), rng));

  PolicyBenchResult result;
  result.device = policy.device_description();
  result.parameters = policy.parameter_count();
  result.query_rotation = policy.config().query_rotation;
  result.batch = config.batch;
  for (int i = 0; i < config.warmup; ++i) policy.TrainStep(batch);
  const Stopwatch train_watch;
  for (int i = 0; i < config.train_steps; ++i) {
    const double loss = policy.TrainStep(batch).total();  // reading the loss waits for the device
    if (i == 0) result.first_loss = loss;
    result.last_loss = loss;
  }
  const double train_s = train_watch.seconds();
  result.train_steps_per_s = config.train_steps / train_s;
  result.train_samples_per_s = result.train_steps_per_s * config.batch;

  const Sample& scene = batch.front();
  for (int i = 0; i < config.warmup; ++i) policy.Act(scene.color, scene.height, scene.instruction);
  std::vector<double> ms;
  Action timed;
  for (int i = 0; i < config.act_runs; ++i) {
    const Stopwatch watch;
    timed = policy.Act(scene.color, scene.height, scene.instruction);  // returns host pixels: synchronised
    ms.push_back(1e3 * watch.seconds());
  }
  result.act_median_ms = Median(ms);
  std::sort(ms.begin(), ms.end());
  result.act_p90_ms = ms[std::min(ms.size() - 1, size_t(0.9 * double(ms.size())))];

  // Where the time goes: a few more calls with per-stage laps (on CUDA each lap synchronises, so
  // these stay out of the figures above).
  const int profiled = std::min(3, config.act_runs);
  policy.TimeStages(&result.act_stages_ms);
  for (int i = 0; i < profiled; ++i) {
    const Action a = policy.Act(scene.color, scene.height, scene.instruction);  // eager: laps can't be recorded
    result.profiled_act_agrees = result.profiled_act_agrees && a.pick == timed.pick && a.place == timed.place &&
                                 a.rotation_bin == timed.rotation_bin;
  }
  policy.TimeStages(&result.train_stages_ms);
  for (int i = 0; i < std::min(3, config.train_steps); ++i) policy.TrainStep(batch);
  policy.TimeStages(nullptr);
  result.cuda_graphs = policy.replays_cuda_graphs();
  result.cpu_lanes = policy.acts_in_cpu_lanes();
  for (auto& [stage, total] : result.act_stages_ms) total /= profiled;
  for (auto& [stage, total] : result.train_stages_ms) total /= std::min(3, config.train_steps);
  return result;
}

}  // namespace taskforge::policy
