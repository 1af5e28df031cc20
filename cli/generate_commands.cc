// `taskforge generate`: the LLM task generator (generator/), writing accepted tasks into the library.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "taskforge/core/error.h"
#include "taskforge/generator/generator.h"
#include "taskforge/library/library.h"

namespace taskforge::cli {
namespace {

struct GenerateFlags {
  std::string mode = "explore";
  std::string model, base_url, record, replay, library, run_dir, prompts;
  std::vector<std::string> stage_settings;  // "code.timeout_s=600"
  double price_prompt = -1.0, price_completion = -1.0;
  generator::GenerateConfig config;
};

// Applies "STAGE.FIELD=VALUE" (stages propose, api_review, code, reflect; fields temperature,
// max_tokens, timeout_s).
void ApplyStageSetting(const std::string& text, generator::GenerateConfig& config) {
  const size_t dot = text.find('.'), eq = text.find('=');
  TF_THROW_UNLESS(dot != std::string::npos && eq != std::string::npos && dot < eq, "--stage '", text,
                  "' is not STAGE.FIELD=VALUE (e.g. code.timeout_s=600)");
  const std::string stage = text.substr(0, dot), field = text.substr(dot + 1, eq - dot - 1);
  const std::map<std::string, generator::StageSettings*> stages = {
      {"propose", &config.propose}, {"api_review", &config.api_review}, {"code", &config.code}, {"reflect", &config.reflect}};
  auto it = stages.find(stage);
  TF_THROW_UNLESS(it != stages.end(), "--stage '", text, "': unknown stage '", stage,
                  "' (stages: propose, api_review, code, reflect)");
  double value = 0.0;
  std::istringstream in(text.substr(eq + 1));
  TF_THROW_UNLESS((in >> value) && in.eof() && value >= 0.0, "--stage '", text, "': '", text.substr(eq + 1),
                  "' is not a non-negative number");
  if (field == "temperature") it->second->temperature = value;
  else if (field == "max_tokens") it->second->max_tokens = static_cast<int>(value);
  else if (field == "timeout_s") it->second->timeout_s = value;
  else TF_THROW_UNLESS(false, "--stage '", text, "': unknown field '", field, "' (temperature, max_tokens, timeout_s)");
}

std::string DefaultRunDir() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::ostringstream name;
  name << "taskforge-runs/generate-" << std::put_time(&utc, "%Y%m%d-%H%M%S");
  return name.str();
}

void PrintSummary(const generator::GenerateSummary& s, const std::string& mode) {
  std::cout << "generate " << mode << ": " << s.trials << " trials: proposed " << s.proposed << ", syntax "
            << s.syntax_pass << ", runtime " << s.runtime_pass << ", completed " << s.completed_pass << ", validated "
            << s.validated << ", accepted " << s.accepted << " (" << s.repairs << " repair rounds used)\n";
  for (const auto& [stage, count] : s.failures) std::cout << "  failed at " << stage << ": " << count << "\n";
  if (!s.accepted_tasks.empty()) std::cout << "  added to the library: " << JoinNames(s.accepted_tasks) << "\n";
  std::cout << "tokens: " << s.usage.prompt_tokens << " prompt + " << s.usage.completion_tokens << " completion in "
            << s.usage.calls << " calls (" << s.usage.attempts << " HTTP attempts)";
  if (s.cost_usd >= 0) std::cout << ", about $" << std::fixed << std::setprecision(4) << s.cost_usd;
  std::cout << "\n";
  for (const auto& [stage, u] : s.usage_by_stage) {
    std::cout << "  " << std::left << std::setw(11) << stage << u.prompt_tokens << " + " << u.completion_tokens << "\n";
  }
  std::cout << std::fixed << std::setprecision(1) << "wall " << s.wall_s << " s; run directory " << s.run_dir.string()
            << "\n";
}

nlohmann::json SummaryJson(const generator::GenerateSummary& s, const std::string& mode, const std::string& model) {
  nlohmann::json stages = nlohmann::json::object();
  for (const auto& [stage, u] : s.usage_by_stage) {
    stages[stage] = {{"prompt_tokens", u.prompt_tokens}, {"completion_tokens", u.completion_tokens}, {"calls", u.calls}};
  }
  return {{"mode", mode},
          {"model", model},
          {"trials", s.trials},
          {"proposed", s.proposed},
          {"syntax_pass", s.syntax_pass},
          {"runtime_pass", s.runtime_pass},
          {"completed_pass", s.completed_pass},
          {"validated", s.validated},
          {"accepted", s.accepted},
          {"accepted_tasks", s.accepted_tasks},
          {"failures", s.failures},
          {"repairs", s.repairs},
          {"prompt_tokens", s.usage.prompt_tokens},
          {"completion_tokens", s.usage.completion_tokens},
          {"http_attempts", s.usage.attempts},
          {"usage_by_stage", stages},
          {"cost_usd", s.cost_usd >= 0 ? nlohmann::json(s.cost_usd) : nlohmann::json(nullptr)},
          {"wall_s", s.wall_s},
          {"run_dir", s.run_dir.string()}};
}

}  // namespace

void AddGenerateCommands(CLI::App& app, const GlobalOptions& global, CLI::App& /*bench*/) {
  auto flags = std::make_shared<GenerateFlags>();
  generator::GenerateConfig& config = flags->config;
  CLI::App& cmd = *app.add_subcommand("generate", "write new tasks with a language model (GenSim chain, docs/generator.md)");
  cmd.add_option("--mode", flags->mode, "explore (from the library), goal (the --target task) or curriculum "
                                        "(stepping stones towards --target)")
      ->check(CLI::IsMember({"explore", "goal", "curriculum"}))
      ->capture_default_str();
  cmd.add_option("--target", config.target, "the target task, in words (goal and curriculum modes)");
  auto* trials = cmd.add_option("--trials", config.trials, "tasks to attempt (default 1; with --replay, the recorded trials)")
                     ->check(CLI::Range(1, 100000));
  cmd.add_option("--jobs", config.jobs, "trials at once")->check(CLI::Range(1, 256))->capture_default_str();
  cmd.add_option("--seed", config.seed, "trial i samples the library with seed + i")->capture_default_str();
  cmd.add_option("--base-url", flags->base_url, "OpenAI-compatible API root (default: $OPENAI_BASE_URL or OpenAI's)");
  auto* model = cmd.add_option("--model", flags->model, "model name (default: $TASKFORGE_MODEL or gpt-4o; with --replay, "
                                                      "the recorded one)");
  auto* record = cmd.add_option("--record", flags->record, "write every exchange with the model to this JSONL file");
  cmd.add_option("--replay", flags->replay, "serve the model's answers from a recorded JSONL file, no network")
      ->excludes(record);
  cmd.add_option("--library", flags->library, "task library database (default: $TASKFORGE_LIBRARY or the user's)");
  cmd.add_option("--run-dir", flags->run_dir, "where each trial's conversation, code and reports go "
                                              "(default: taskforge-runs/generate-<UTC time>)");
  cmd.add_option("--prompts", config.prompts_dir, "prompt templates folder (default: the source tree's generator/prompts)");
  cmd.add_option("--repair-rounds", config.repair_rounds, "R: repairs after a rejected script")
      ->check(CLI::Range(0, 20))->capture_default_str();
  cmd.add_option("--reflections", config.reflections, "k: reflection samples; any no rejects")
      ->check(CLI::Range(0, 20))->capture_default_str();
  cmd.add_option("--episodes", config.validator.episodes, "validator oracle episodes per script")
      ->check(CLI::Range(1, 1000))->capture_default_str();
  cmd.add_option("--assets", config.validator.assets_dir, "assets directory (default: $TASKFORGE_ASSETS or the source tree's)");
  cmd.add_option("--stage", flags->stage_settings, "STAGE.FIELD=VALUE, e.g. code.timeout_s=600 or propose.temperature=1 "
                                                   "(stages propose, api_review, code, reflect)");
  cmd.add_option("--price-prompt", flags->price_prompt, "USD per million prompt tokens (default: $TASKFORGE_PRICE_PROMPT)");
  cmd.add_option("--price-completion", flags->price_completion,
                 "USD per million completion tokens (default: $TASKFORGE_PRICE_COMPLETION)");
  cmd.callback([&global, flags, trials, model] {
    generator::GenerateConfig& cfg = flags->config;
    cfg.mode = generator::ParseMode(flags->mode);
    for (const std::string& s : flags->stage_settings) ApplyStageSetting(s, cfg);
    cfg.run_dir = flags->run_dir.empty() ? DefaultRunDir() : flags->run_dir;
    generator::CheckConfig(cfg);  // before the key check, so a usage mistake is named first

    generator::LlmConfig llm = generator::LlmConfigFromEnvironment();
    if (!flags->model.empty()) llm.model = flags->model;
    if (!flags->base_url.empty()) llm.base_url = flags->base_url;
    if (flags->price_prompt >= 0) llm.prices.prompt_usd_per_mtok = flags->price_prompt;
    if (flags->price_completion >= 0) llm.prices.completion_usd_per_mtok = flags->price_completion;
    llm.record_path = flags->record;
    llm.replay_path = flags->replay;
    if (!flags->replay.empty()) {  // a replay reproduces the recorded run unless told otherwise
      const generator::RecordedSession recorded = generator::DescribeRecording(flags->replay);
      if (trials->count() == 0) cfg.trials = std::max(recorded.trials, 1);
      if (model->count() == 0 && !recorded.model.empty()) llm.model = recorded.model;
    }
    generator::LlmClient client(llm);
    library::TaskLibrary library(library::DefaultLibraryPath(flags->library));

    auto progress = [&global](const std::string& line) {
      if (!global.quiet) std::cerr << line << std::endl;
    };
    const generator::GenerateSummary summary = generator::RunGeneration(cfg, client, library, progress);
    if (const int unused = client.unused_replay_exchanges(); unused > 0 && !global.quiet) {
      std::cerr << "replay: " << unused << " recorded exchanges were not asked for (this run did less than the "
                << "recorded one: other --trials, --reflections or --repair-rounds?)" << std::endl;
    }
    if (global.json) {
      PrintJson(SummaryJson(summary, flags->mode, llm.model));
    } else {
      PrintSummary(summary, flags->mode);
    }
  });
}

}  // namespace taskforge::cli
