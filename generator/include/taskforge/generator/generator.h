#pragma once
// The GenSim prompt chain (docs/generator.md): propose -> API review -> code (with reference tasks
// retrieved from the library) -> validate -> repair up to R rounds -> reflect with k samples ->
// accepted tasks enter the library with their lineage. Trials run concurrently; each writes its
// conversation, code, validator reports and decisions under the run directory.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "taskforge/generator/llm_client.h"
#include "taskforge/library/library.h"
#include "taskforge/library/validator.h"

namespace taskforge::generator {

enum class Mode { kExplore, kGoal, kCurriculum };
const char* ModeName(Mode mode);
/// @throws Error naming the value and the accepted ones.
Mode ParseMode(const std::string& name);

/// Sampling settings of one stage of the chain.
struct StageSettings {
  double temperature = 0.0;
  int max_tokens = 2048;
  double timeout_s = 120.0;  ///< [s] per HTTP attempt
};

struct GenerateConfig {
  Mode mode = Mode::kExplore;
  std::string target;     ///< the target task for goal and curriculum modes (required there)
  int trials = 1;
  int jobs = 1;           ///< trials running at once
  uint64_t seed = 0;      ///< trial i samples library tasks with seed + i
  int library_sample = 10;  ///< library tasks shown to the proposer (GenSim: 10)
  int references = 3;       ///< reference tasks retrieved for the code stage
  int repair_rounds = 3;    ///< R: repair attempts after the first rejected script
  int reflections = 2;      ///< k: reflection samples; any "no" rejects
  StageSettings propose{0.8, 1024, 120.0};
  StageSettings api_review{0.0, 512, 120.0};
  StageSettings code{0.0, 4096, 300.0};  ///< also the repair rounds
  StageSettings reflect{0.4, 512, 120.0};
  library::ValidatorConfig validator;
  std::filesystem::path prompts_dir;   ///< empty: the source tree's generator/prompts
  std::filesystem::path task_api_doc;  ///< empty: the source tree's docs/task-api.md
  std::filesystem::path catalogue;     ///< empty: assets/catalogue.json of validator.assets_dir or the source tree
  std::filesystem::path run_dir;       ///< where trials are written (created); required
};

/// How one trial ended.
struct TrialOutcome {
  int trial = 0;
  std::string task;           ///< the proposed (or script-declared) name; empty if none
  std::string failed_stage;   ///< "propose", "api_review", "code", "syntax", "runtime", "completed",
                              ///< "sanity", "reflect", "library"; empty when accepted
  std::string reason;         ///< why it failed, or "accepted"
  bool proposed = false, syntax_pass = false, runtime_pass = false, completed_pass = false,
       validated = false, accepted = false;
  int repairs = 0;            ///< repair rounds used
  std::vector<std::string> parents;  ///< reference tasks the code stage was shown
};

struct GenerateSummary {
  int trials = 0, proposed = 0, syntax_pass = 0, runtime_pass = 0, completed_pass = 0, validated = 0,
      accepted = 0, repairs = 0;
  std::map<std::string, int> failures;  ///< failed_stage -> count
  std::vector<std::string> accepted_tasks;
  Usage usage;
  std::map<std::string, Usage> usage_by_stage;
  double cost_usd = -1.0;  ///< negative when no prices are configured
  double wall_s = 0.0;
  std::filesystem::path run_dir;
  std::vector<TrialOutcome> outcomes;  ///< in trial order
};

/// @throws Error naming the first bad field (trials, jobs, rounds, a missing target, no run_dir).
void CheckConfig(const GenerateConfig& config);

/// Runs the trials; `progress`, when given, is called (from worker threads, serialised) with
/// one line per step of each trial. @throws AuthError when the provider refuses the key (the
/// run stops at once), Error for a bad config or a replay that does not match.
GenerateSummary RunGeneration(const GenerateConfig& config, LlmClient& client, library::TaskLibrary& library,
                              const std::function<void(const std::string&)>& progress = {});

}  // namespace taskforge::generator
