// `taskforge train`, `taskforge eval` and `taskforge bench policy`: the CLIPort-style policy's
// training, its success in simulation, and its speed.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "taskforge/core/error.h"
#include "taskforge/core/progress.h"
#include "taskforge/core/workers.h"
#include "taskforge/dataset/demos.h"
#include "taskforge/policy/policy.h"
#include "taskforge/policy/trainer.h"
#include "taskforge/tasks/task.h"

namespace taskforge::cli {

namespace {

void AddTrainCommand(CLI::App& app, const GlobalOptions& global) {
  auto config = std::make_shared<policy::TrainConfig>();
  auto tasks = std::make_shared<std::string>("all");
  CLI::App& cmd = *app.add_subcommand("train", "train the policy on demonstration datasets (docs/policy.md)");
  cmd.add_option("--data", config->data, "training dataset folder (taskforge demos --split train)")->required();
  cmd.add_option("--val", config->val_data, "validation dataset folder (split val)");
  cmd.add_option("--tasks", *tasks, "comma-separated full task names, or all")->capture_default_str();
  cmd.add_option("--out", config->out, "run folder: last.pt, step_N.pt, metrics.jsonl, curve.png")->required();
  cmd.add_option("--steps", config->steps, "total training steps")->check(CLI::Range(int64_t(1), int64_t(1) << 40))->capture_default_str();
  cmd.add_option("--batch", config->batch, "batch size")->check(CLI::Range(1, 4096))->capture_default_str();
  cmd.add_option("--device", config->policy.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  cmd.add_option("--width", config->policy.width, "channels of the full-resolution stage")->check(CLI::Range(1, 256))->capture_default_str();
  cmd.add_option("--query-rotation", config->policy.query_rotation,
                 "place query: crops (CLIPort), features (rotate query features), auto (features on cpu)")
      ->check(CLI::IsMember({"auto", "crops", "features"}))->capture_default_str();
  cmd.add_option("--lr", config->policy.learning_rate, "Adam learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  cmd.add_option("--checkpoint-every", config->checkpoint_every, "steps between checkpoints and validations")
      ->check(CLI::Range(1, 1 << 30))->capture_default_str();
  cmd.add_option("--val-samples", config->val_samples, "validation samples")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd.add_option("--seed", config->seed, "sampling, augmentation and initialisation")->capture_default_str();
  cmd.add_option("--threads", config->policy.threads, "CPU threads (0: all)")->check(CLI::Range(0, 1024))->capture_default_str();
  cmd.add_option("--time-limit", config->time_limit_min,
                 "wall-clock budget in minutes (0: none); then checkpoint and stop, --resume continues")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd.add_flag("--resume", config->resume, "continue the run in --out from last.pt");
  cmd.add_flag("--no-augment", [config](int64_t) { config->augment = false; }, "no random SE(2) augmentation");
  cmd.add_flag("--no-cuda-graphs", [config](int64_t) { config->policy.cuda_graphs = false; },
               "CUDA: launch every kernel eagerly instead of replaying a recorded training step");
  cmd.callback([&global, config, tasks] {
    config->policy.seed = config->seed;
    config->tasks.clear();
    if (*tasks != "all") {
      std::stringstream list(*tasks);
      for (std::string t; std::getline(list, t, ',');) if (!t.empty()) config->tasks.push_back(t);
    }
    ProgressBar bar("train", long(config->steps), "steps", !global.quiet && !global.json);
    config->on_step = [&bar](int64_t step, const policy::Loss& loss) {
      char detail[64];
      std::snprintf(detail, sizeof detail, "loss %.3f", loss.total());
      bar.Update(long(step), detail);
    };
    const policy::TrainResult r = policy::Train(*config);
    bar.Finish();
    const nlohmann::json j = {{"steps", r.steps}, {"start_step", r.start_step}, {"first_loss", r.first_loss},
                              {"last_loss", r.last_loss}, {"val_loss", r.val_loss}, {"steps_per_s", r.steps_per_s},
                              {"stopped_by_time_limit", r.stopped_by_time_limit},
                              {"checkpoint", r.checkpoint.string()}};
    if (global.json) {
      PrintJson(j);
    } else if (!global.quiet) {
      std::cout << "trained steps " << r.start_step << " -> " << r.steps << ", loss " << r.first_loss << " -> "
                << r.last_loss << (r.val_loss >= 0 ? ", val " + std::to_string(r.val_loss) : std::string()) << ", "
                << r.steps_per_s << " steps/s"
                << (r.stopped_by_time_limit ? " (stopped by --time-limit; --resume continues)" : "")
                << "; checkpoint " << r.checkpoint.string() << "\n";
    }
  });
}

struct EvalFlags {
  std::string checkpoint;
  std::string tasks;
  std::string split = "test";
  int episodes = 100;
  std::string device = "cpu";
  int threads = 0;  ///< CPU threads per worker (0: the machine's threads shared among the workers)
  int jobs = 1;     ///< worker processes, each loading the policy once
  std::string library, assets;
};

// One rollout's outcome, as a worker sends it back.
struct EpisodeOutcome {
  bool success = false;
  double reward = 0;       ///< the episode's total reward
  int actions = 0;         ///< actions taken
  int64_t policy_step = 0; ///< the checkpoint's training step
};

// Policy rollouts in sim: observe, act greedily on the current goal, step, until the episode ends
// (goals done, reward > 0.99 or max_steps). The loop joins policy and tasks, which know nothing
// of each other, so it lives here. Episodes (task, index) run in `flags.jobs` forked workers; each
// loads the policy on its first episode and keeps it. This process never loads it: Torch and CUDA
// start threads, after which forking is unsafe (RunInWorkers refuses). Results are summed in
// episode order once all are in, so any --jobs gives the same figures.
nlohmann::json Evaluate(const EvalFlags& flags, bool show_progress) {
  const std::vector<std::string> names = dataset::ExpandTasks(flags.tasks, flags.library);
  std::vector<tasks::TaskSource> sources;
  for (const std::string& name : names) sources.push_back(tasks::ResolveTask(name, flags.library));
  const tasks::Split split = flags.split == "train" ? tasks::Split::kTrain
                             : flags.split == "val" ? tasks::Split::kVal
                                                    : tasks::Split::kTest;
  const int threads = flags.threads > 0 || flags.jobs == 1
                          ? flags.threads
                          : std::max(1, int(std::thread::hardware_concurrency()) / flags.jobs);
  std::vector<int> units(names.size() * size_t(flags.episodes));
  std::iota(units.begin(), units.end(), 0);

  std::optional<policy::Policy> policy;  // set in each worker's own copy of this frame, never here
  Observation obs;
  auto run_episode = [&](int unit) {
    const tasks::TaskSource& source = sources[size_t(unit / flags.episodes)];
    tasks::EpisodeOptions options;
    options.seed = dataset::DemoSeed(flags.split, uint64_t(unit % flags.episodes));
    options.split = split;
    options.sim.assets_dir = flags.assets;
    try {
      if (!policy) policy.emplace(policy::Policy::Load(flags.checkpoint, flags.device, threads));
      tasks::Episode episode(source, options);
      while (!episode.done()) {
        episode.Observe(obs);
        const policy::Action a = policy->Act(obs.heightmap.color, obs.heightmap.height, episode.language_goal());
        episode.Step(tasks::Action{a.pick_pose, a.place_pose});
      }
      return nlohmann::json{{"success", episode.success()}, {"reward", episode.total_reward()},
                            {"actions", episode.actions_taken()}, {"policy_step", policy->step()}}.dump();
    } catch (const std::exception& e) {
      throw Error(source.full_name() + " seed " + std::to_string(options.seed) + ": " + e.what());
    }
  };

  ProgressBar bar("eval", long(units.size()), "episodes", show_progress);
  std::vector<EpisodeOutcome> outcomes(units.size());
  std::vector<int> finished(names.size()), succeeded(names.size());
  long done = 0;
  RunInWorkers(flags.jobs, units, run_episode, [&](int unit, const std::string& reply) {
    const nlohmann::json j = nlohmann::json::parse(reply);
    EpisodeOutcome& o = outcomes[size_t(unit)];
    o = {j.at("success").get<bool>(), j.at("reward").get<double>(), j.at("actions").get<int>(),
         j.at("policy_step").get<int64_t>()};
    const size_t task = size_t(unit / flags.episodes);
    ++finished[task];
    succeeded[task] += o.success;
    bar.Update(++done, names[task] + " " + std::to_string(succeeded[task]) + "/" + std::to_string(finished[task]));
  });
  bar.Finish();

  nlohmann::json per_task = nlohmann::json::object(), rewards = nlohmann::json::object(),
                 per_episode = nlohmann::json::object();
  double success_sum = 0;
  for (size_t t = 0; t < names.size(); ++t) {
    int successes = 0;
    double reward = 0;
    nlohmann::json& list = per_episode[names[t]] = nlohmann::json::array();
    for (int i = 0; i < flags.episodes; ++i) {
      const EpisodeOutcome& o = outcomes[t * size_t(flags.episodes) + size_t(i)];
      successes += o.success;
      reward += o.reward;
      list.push_back({{"seed", dataset::DemoSeed(flags.split, uint64_t(i))}, {"success", o.success},
                      {"reward", o.reward}, {"actions", o.actions}});
    }
    per_task[names[t]] = double(successes) / flags.episodes;
    rewards[names[t]] = reward / flags.episodes;
    success_sum += double(successes) / flags.episodes;
  }
  return {{"checkpoint", flags.checkpoint}, {"split", flags.split}, {"episodes", flags.episodes},
          {"step", outcomes.front().policy_step}, {"mean_reward", rewards}, {"tasks", per_task},
          {"mean_success", success_sum / double(names.size())}, {"jobs", flags.jobs},
          {"per_episode", per_episode}};
}

void AddEvalCommand(CLI::App& app, const GlobalOptions& global) {
  auto flags = std::make_shared<EvalFlags>();
  CLI::App& cmd = *app.add_subcommand("eval", "roll the policy out in sim on a split's seeds; success per task");
  cmd.add_option("--checkpoint", flags->checkpoint, "policy checkpoint (taskforge train's last.pt or step_N.pt)")->required();
  cmd.add_option("--tasks", flags->tasks, "comma-separated full task names, or all")->required();
  cmd.add_option("--split", flags->split, "seeds and colours: train, val or test")
      ->check(CLI::IsMember({"train", "val", "test"}))->capture_default_str();
  cmd.add_option("--episodes", flags->episodes, "episodes per task")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd.add_option("--device", flags->device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}))->capture_default_str();
  cmd.add_option("--threads", flags->threads, "CPU threads per worker (0: the machine's, shared among --jobs)")
      ->check(CLI::Range(0, 1024))->capture_default_str();
  cmd.add_option("--jobs", flags->jobs, "worker processes running episodes, each loading the policy once")
      ->check(CLI::Range(1, 1024))->capture_default_str();
  cmd.add_option("--library", flags->library, "task folder (default: $TASKFORGE_TASKS or the source tree's)");
  cmd.add_option("--assets", flags->assets, "assets directory (default: $TASKFORGE_ASSETS or the source tree's)");
  cmd.callback([&global, flags] {
    const nlohmann::json j = Evaluate(*flags, !global.quiet && !global.json);
    if (global.json) {
      PrintJson(j);
      return;
    }
    for (const auto& [name, rate] : j["tasks"].items()) {
      std::cout << std::left << std::setw(40) << name << " success " << std::fixed << std::setprecision(3)
                << rate.get<double>() << "  mean reward " << j["mean_reward"][name].get<double>() << "\n";
    }
    std::cout << "mean success " << j["mean_success"].get<double>() << " over " << flags->episodes
              << " episodes per task (" << flags->split << " seeds)\n";
  });
}

}  // namespace

void AddPolicyCommands(CLI::App& app, const GlobalOptions& global, CLI::App& bench) {
  AddTrainCommand(app, global);
  AddEvalCommand(app, global);
  auto config = std::make_shared<policy::PolicyBenchConfig>();
  CLI::App& cmd = *bench.add_subcommand("policy", "policy training steps/s and pick+place inference latency");
  cmd.add_option("--device", config->policy.device, "cpu or cuda")
      ->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cmd.add_option("--batch", config->batch, "training batch size")->check(CLI::Range(1, 4096))->capture_default_str();
  cmd.add_option("--steps", config->train_steps, "timed training steps")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd.add_option("--runs", config->act_runs, "timed Act calls")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd.add_option("--warmup", config->warmup, "untimed steps and calls first")->check(CLI::Range(0, 1000))->capture_default_str();
  cmd.add_option("--width", config->policy.width, "channels of the full-resolution stage")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd.add_option("--threads", config->policy.threads, "CPU threads (0: all)")->capture_default_str();
  cmd.add_option("--query-rotation", config->policy.query_rotation,
                 "place query: crops (CLIPort), features (rotate query features), auto (features on cpu)")
      ->check(CLI::IsMember({"auto", "crops", "features"}))->capture_default_str();
  cmd.add_option("--rotations", config->policy.rotations, "place yaw bins")->check(CLI::Range(1, 360))->capture_default_str();
  cmd.add_flag("--fp32", [config](int64_t) { config->policy.bf16 = false; }, "CUDA: no bf16 autocast");
  cmd.add_flag("--no-channels-last", [config](int64_t) { config->policy.channels_last = false; },
               "CUDA: keep NCHW convolutions");
  cmd.add_flag("--no-cuda-graphs", [config](int64_t) { config->policy.cuda_graphs = false; },
               "CUDA: launch every kernel eagerly instead of replaying recorded graphs");
  cmd.add_flag("--no-cpu-lanes", [config](int64_t) { config->policy.cpu_lanes = false; },
               "CPU: split every operator of an act over the threads instead of running streams side by side");
  cmd.callback([&global, config] {
    const policy::PolicyBenchResult r = policy::BenchmarkPolicy(*config);
    const nlohmann::json j = {{"device", r.device},
                              {"parameters", r.parameters},
                              {"width", config->policy.width},
                              {"batch", r.batch},
                              {"train_steps", config->train_steps},
                              {"train_steps_per_s", r.train_steps_per_s},
                              {"train_samples_per_s", r.train_samples_per_s},
                              {"act_runs", config->act_runs},
                              {"act_median_ms", r.act_median_ms},
                              {"act_p90_ms", r.act_p90_ms},
                              {"profiled_act_agrees", r.profiled_act_agrees},
                              {"first_loss", r.first_loss},
                              {"last_loss", r.last_loss},
                              {"query_rotation", r.query_rotation},
                              {"cuda_graphs", r.cuda_graphs},
                              {"cpu_lanes", r.cpu_lanes},
                              {"act_stages_ms", r.act_stages_ms},
                              {"train_stages_ms", r.train_stages_ms}};
    if (global.json) {
      PrintJson(j);
      return;
    }
    std::cout << std::fixed << std::setprecision(2) << "policy on " << r.device << ", " << r.parameters
              << " parameters (width " << config->policy.width << ", query " << r.query_rotation << ")\n"
              << "  training: " << r.train_steps_per_s << " steps/s at batch " << r.batch << " ("
              << r.train_samples_per_s << " samples/s), loss " << r.first_loss << " -> " << r.last_loss << "\n"
              << "  pick+place: median " << r.act_median_ms << " ms, p90 " << r.act_p90_ms << " ms over "
              << config->act_runs << " runs\n";
    for (const auto* stages : {&r.act_stages_ms, &r.train_stages_ms}) {
      std::cout << (stages == &r.act_stages_ms ? "  pick+place stages [ms]:" : "  training step stages [ms]:");
      for (const auto& [stage, ms] : *stages) std::cout << " " << stage << " " << ms;
      std::cout << "\n";
    }
  });
}

}  // namespace taskforge::cli
