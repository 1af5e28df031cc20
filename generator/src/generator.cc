// RunGeneration: resolves the config, snapshots the library, runs the trials on `jobs` threads
// and sums their outcomes.
#include "taskforge/generator/generator.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "taskforge/core/timing.h"
#include "trial.h"

namespace taskforge::generator {
namespace {

std::filesystem::path OrDefault(const std::filesystem::path& given, const std::filesystem::path& fallback) {
  return given.empty() ? fallback : given;
}

std::filesystem::path DefaultCatalogue(const GenerateConfig& config) {
  if (!config.validator.assets_dir.empty()) return config.validator.assets_dir / "catalogue.json";
  if (const char* env = std::getenv("TASKFORGE_ASSETS")) return std::filesystem::path(env) / "catalogue.json";
  return std::filesystem::path(TASKFORGE_SOURCE_DIR) / "assets" / "catalogue.json";
}

std::vector<LibraryEntry> Snapshot(const library::TaskLibrary& library, const std::vector<std::string>& catalogue) {
  std::vector<LibraryEntry> entries;
  for (const library::TaskRecord& t : library.List()) {
    std::vector<std::string> assets = t.assets.empty() ? AssetsInSource(t.source, catalogue) : t.assets;
    std::sort(assets.begin(), assets.end());
    entries.push_back({t.name, t.description, t.source, assets});
  }
  return entries;
}

void WriteSummary(const GenerateSummary& s) {
  nlohmann::json outcomes = nlohmann::json::array();
  for (const TrialOutcome& o : s.outcomes) {
    outcomes.push_back({{"trial", o.trial}, {"task", o.task}, {"accepted", o.accepted},
                        {"failed_stage", o.failed_stage}, {"reason", o.reason}, {"repairs", o.repairs}});
  }
  const nlohmann::json j = {{"trials", s.trials},         {"proposed", s.proposed},
                            {"syntax_pass", s.syntax_pass}, {"runtime_pass", s.runtime_pass},
                            {"completed_pass", s.completed_pass}, {"accepted", s.accepted},
                            {"repairs", s.repairs},       {"prompt_tokens", s.usage.prompt_tokens},
                            {"completion_tokens", s.usage.completion_tokens}, {"wall_s", s.wall_s},
                            {"outcomes", outcomes}};
  std::ofstream(s.run_dir / "summary.json") << j.dump(2) << "\n";
}

}  // namespace

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kExplore: return "explore";
    case Mode::kGoal: return "goal";
    case Mode::kCurriculum: return "curriculum";
  }
  return "?";
}

Mode ParseMode(const std::string& name) {
  for (Mode m : {Mode::kExplore, Mode::kGoal, Mode::kCurriculum}) {
    if (name == ModeName(m)) return m;
  }
  TF_THROW_UNLESS(false, "unknown generation mode '", name, "' (modes: explore, goal, curriculum)");
}

void CheckConfig(const GenerateConfig& config) {
  TF_THROW_UNLESS(config.trials >= 1, "--trials must be at least 1, got ", config.trials);
  TF_THROW_UNLESS(config.jobs >= 1, "--jobs must be at least 1, got ", config.jobs);
  TF_THROW_UNLESS(config.repair_rounds >= 0, "repair rounds must not be negative, got ", config.repair_rounds);
  TF_THROW_UNLESS(config.reflections >= 0, "reflections must not be negative, got ", config.reflections);
  TF_THROW_UNLESS(config.mode == Mode::kExplore || !config.target.empty(), "--mode ", ModeName(config.mode),
                  " needs --target TEXT (the task to design or to build a curriculum towards)");
  TF_THROW_UNLESS(!config.run_dir.empty(), "the generator needs a run directory");
}

GenerateSummary RunGeneration(const GenerateConfig& config, LlmClient& client, library::TaskLibrary& library,
                              const std::function<void(const std::string&)>& progress) {
  const Stopwatch stopwatch;
  CheckConfig(config);
  std::filesystem::create_directories(config.run_dir);

  const std::filesystem::path source_dir(TASKFORGE_SOURCE_DIR);
  const PromptSet prompts = PromptSet::Load(OrDefault(config.prompts_dir, source_dir / "generator" / "prompts"),
                                            OrDefault(config.task_api_doc, source_dir / "docs" / "task-api.md"),
                                            OrDefault(config.catalogue, DefaultCatalogue(config)));
  std::mutex library_mutex, progress_mutex;
  auto say = [&](const std::string& line) {
    if (!progress) return;
    std::lock_guard<std::mutex> lock(progress_mutex);
    progress(line);
  };
  const ChainContext context{config, client, library, library_mutex, prompts,
                             Snapshot(library, prompts.AssetNames()), say};

  GenerateSummary summary;
  summary.run_dir = config.run_dir;
  summary.outcomes.resize(size_t(config.trials));
  std::atomic<int> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr fatal;  // the first AuthError or replay mismatch; the others stop early
  std::mutex fatal_mutex;
  auto worker = [&] {
    for (int t = next++; t < config.trials && !stop; t = next++) {
      try {
        summary.outcomes[size_t(t)] = RunTrial(context, t);
      } catch (...) {
        std::lock_guard<std::mutex> lock(fatal_mutex);
        if (!fatal) fatal = std::current_exception();
        stop = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < std::min(config.jobs, config.trials); ++j) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  if (fatal) std::rethrow_exception(fatal);

  summary.trials = config.trials;
  for (const TrialOutcome& o : summary.outcomes) {
    summary.proposed += o.proposed;
    summary.syntax_pass += o.syntax_pass;
    summary.runtime_pass += o.runtime_pass;
    summary.completed_pass += o.completed_pass;
    summary.validated += o.validated;
    summary.accepted += o.accepted;
    summary.repairs += o.repairs;
    if (o.accepted) summary.accepted_tasks.push_back(o.task);
    else ++summary.failures[o.failed_stage];
  }
  summary.usage = client.total_usage();
  summary.usage_by_stage = client.usage_by_stage();
  summary.cost_usd = client.estimated_cost_usd();
  summary.wall_s = stopwatch.seconds();
  WriteSummary(summary);
  return summary;
}

}  // namespace taskforge::generator
