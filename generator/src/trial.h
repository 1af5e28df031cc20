#pragma once
// One trial of the chain: propose, API review, code, validate and repair, reflect, add.

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "prompt_set.h"
#include "retrieval.h"
#include "taskforge/generator/generator.h"

namespace taskforge::generator {

/// What every trial of a run shares. The library snapshot is taken once at the start, so a
/// run's prompts do not depend on which trial finished first (replays match at any --jobs).
struct ChainContext {
  const GenerateConfig& config;
  LlmClient& client;
  library::TaskLibrary& library;
  std::mutex& library_mutex;  ///< guards `library`
  const PromptSet& prompts;
  std::vector<LibraryEntry> snapshot;
  std::function<void(const std::string&)> progress;  ///< already serialised; may be empty
};

/// Runs trial `trial` and writes its folder under config.run_dir. Failures of the model or the
/// candidate end up in the outcome; @throws AuthError and replay mismatches (Error) only.
TrialOutcome RunTrial(const ChainContext& context, int trial);

}  // namespace taskforge::generator
