// `taskforge bench policy`: training steps/s and pick+place latency of the CLIPort-style policy.
#include <iomanip>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "taskforge/policy/policy.h"

namespace taskforge::cli {

void AddPolicyCommands(CLI::App& app, const GlobalOptions& global, CLI::App& bench) {
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
  cmd.add_flag("--fp32", [config](int64_t) { config->policy.bf16 = false; }, "CUDA: no bf16 autocast");
  cmd.add_flag("--no-channels-last", [config](int64_t) { config->policy.channels_last = false; },
               "CUDA: keep NCHW convolutions");
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
                              {"first_loss", r.first_loss},
                              {"last_loss", r.last_loss}};
    if (global.json) {
      std::cout << j.dump() << std::endl;
      return;
    }
    std::cout << std::fixed << std::setprecision(2) << "policy on " << r.device << ", " << r.parameters
              << " parameters (width " << config->policy.width << ")\n"
              << "  training: " << r.train_steps_per_s << " steps/s at batch " << r.batch << " ("
              << r.train_samples_per_s << " samples/s), loss " << r.first_loss << " -> " << r.last_loss << "\n"
              << "  pick+place: median " << r.act_median_ms << " ms, p90 " << r.act_p90_ms << " ms over "
              << config->act_runs << " runs\n";
  });
}

}  // namespace taskforge::cli
