// The staged validator: a syntax child, then one child per oracle episode, judged in order
// syntax -> runtime -> completed -> sanity.
#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "child_process.h"
#include "episode_probe.h"
#include "taskforge/core/timing.h"
#include "taskforge/library/validator.h"

namespace taskforge::library {
namespace {

using nlohmann::json;

// The child's JSON, or nullopt with `error` set when the child died or answered nonsense.
std::optional<json> ReadChild(const ChildOutcome& outcome, const ChildLimits& limits, std::string& error) {
  if (!outcome.exited || outcome.wall_killed) {
    error = DescribeChildDeath(outcome, limits);
    return std::nullopt;
  }
  if (outcome.output == "!out-of-memory") {
    error = "the task's process ran out of memory (address-space limit " +
            std::to_string(limits.address_space_bytes >> 20) + " MiB): the scene or the script allocates far too much";
    return std::nullopt;
  }
  if (outcome.output.rfind("!exception: ", 0) == 0) {
    error = "the task's process failed: " + outcome.output.substr(12);
    return std::nullopt;
  }
  json j = json::parse(outcome.output, nullptr, false);
  if (j.is_discarded()) {
    error = DescribeChildDeath(outcome, limits);
    return std::nullopt;
  }
  return j;
}

EpisodeResult ToEpisodeResult(uint64_t seed, const ChildOutcome& outcome, const ChildLimits& limits, bool& left_table,
                              std::set<std::string>& assets) {
  EpisodeResult r;
  r.seed = seed;
  r.wall_s = outcome.wall_s;
  std::string error;
  const std::optional<json> j = ReadChild(outcome, limits, error);
  if (!j) {
    r.runtime_error = error;
    return r;
  }
  r.success = j->at("success").get<bool>();
  r.reward = j->at("reward").get<double>();
  r.actions = j->at("actions").get<int>();
  r.physics_steps = j->at("physics_steps").get<int64_t>();
  r.runtime_error = j->at("runtime_error").get<std::string>();
  r.sanity_issues = j->at("sanity_issues").get<std::vector<std::string>>();
  r.failure = j->at("failure").get<std::string>();
  left_table = j->at("left_table").get<bool>();
  for (const std::string& a : j->at("assets").get<std::vector<std::string>>()) assets.insert(a);
  return r;
}

// Judges the episodes in stage order; fills accepted, stage and reason.
void Judge(ValidationReport& report, const ValidatorConfig& config, int left_table_episodes) {
  for (const EpisodeResult& e : report.episodes) {
    if (!e.runtime_error.empty()) {
      report.stage = Stage::kRuntime;
      report.reason = "episode with seed " + std::to_string(e.seed) + ": " + e.runtime_error;
      return;
    }
  }
  const int n = int(report.episodes.size());
  if (report.success_rate < config.min_success_rate) {
    report.stage = Stage::kCompleted;
    std::ostringstream text;
    text << "the scripted oracle completed the task in " << report.successes << " of " << n << " episodes ("
         << std::round(100 * report.success_rate) << "%, at least " << std::round(100 * config.min_success_rate)
         << "% needed).";
    std::vector<std::string> shown;
    for (const EpisodeResult& e : report.episodes) {
      if (e.success || shown.size() >= 3) continue;
      std::ostringstream line;
      line << " Seed " << e.seed << ": reward " << e.reward << " after " << e.actions << " actions"
           << (e.failure.empty() ? " (the goals were not met when the episode ended)" : " (" + e.failure + ")");
      if (!e.sanity_issues.empty()) line << "; scene problems: " << JoinNames(e.sanity_issues);
      shown.push_back(line.str() + ".");
    }
    for (const std::string& s : shown) text << s;
    text << " Check that each goal's targets are where the objects can be placed and that the goal's matches and "
            "symmetries describe what counts as done.";
    report.reason = text.str();
    return;
  }
  report.stage = Stage::kSanity;
  for (const EpisodeResult& e : report.episodes) {
    if (!e.sanity_issues.empty()) {
      report.reason = "episode with seed " + std::to_string(e.seed) + ": " + e.sanity_issues.front();
      return;
    }
  }
  if (left_table_episodes > config.max_left_table_fraction * n) {
    std::ostringstream text;
    text << "objects fell off the table in " << left_table_episodes << " of " << n
         << " episodes: keep every object well inside the workspace and stable (not stacked on round things)";
    report.reason = text.str();
    return;
  }
  report.accepted = true;
  std::ostringstream text;
  text << "accepted: the oracle completed " << report.successes << " of " << n << " episodes";
  report.reason = text.str();
}

}  // namespace

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kSyntax: return "syntax";
    case Stage::kRuntime: return "runtime";
    case Stage::kCompleted: return "completed";
    case Stage::kSanity: return "sanity";
  }
  return "?";
}

std::string ValidationReport::ToJson() const {
  json runs = json::array();
  for (const EpisodeResult& e : episodes) {
    runs.push_back({{"seed", e.seed}, {"success", e.success}, {"reward", e.reward}, {"actions", e.actions},
                    {"physics_steps", e.physics_steps}, {"wall_s", e.wall_s}, {"runtime_error", e.runtime_error},
                    {"sanity_issues", e.sanity_issues}, {"failure", e.failure}});
  }
  return json{{"task", task},
              {"description", description},
              {"accepted", accepted},
              {"stage", StageName(stage)},
              {"reason", reason},
              {"episodes", int(episodes.size())},
              {"successes", successes},
              {"success_rate", success_rate},
              {"assets", assets},
              {"wall_s", wall_s},
              {"syntax_s", syntax_s},
              {"episodes_s", episodes_s},
              {"runs", runs}}
      .dump();
}

ValidationReport Validate(const tasks::TaskSource& task, const ValidatorConfig& config) {
  TF_THROW_UNLESS(config.episodes >= 1, "validator: episodes must be at least 1, got ", config.episodes);
  TF_THROW_UNLESS(config.jobs >= 1, "validator: jobs must be at least 1, got ", config.jobs);
  TF_THROW_UNLESS(config.min_success_rate >= 0 && config.min_success_rate <= 1,
                  "validator: min_success_rate must lie in [0, 1], got ", config.min_success_rate);
  const Stopwatch total;
  const ChildLimits limits{config.cpu_s_per_child, config.address_space_bytes, config.wall_s_per_child};
  ValidationReport report;
  report.task = task.script_name;

  // Stage 1, syntax: the script loads and its task table reads.
  const ChildOutcome script = RunInChildren({[&task] { return ProbeScript(task); }}, 1, limits).front();
  report.syntax_s = total.seconds();
  std::string error;
  const std::optional<json> info = ReadChild(script, limits, error);
  if (info && info->contains("error")) error = info->at("error").get<std::string>();
  if (!error.empty()) {
    report.stage = Stage::kSyntax;
    report.reason = task.script_name + " does not load: " + error;
    report.wall_s = total.seconds();
    return report;
  }
  report.task = info->at("name").get<std::string>();
  report.description = info->at("description").get<std::string>();
  tasks::TaskSource run = task;
  const auto variants = info->at("variants").get<std::vector<std::string>>();
  if (run.variant.empty() && !variants.empty()) run.variant = variants.front();

  // Stages 2-4 from one child per episode, on distinct seeds.
  const Stopwatch episodes_time;
  std::vector<std::function<std::string()>> work;
  std::vector<uint64_t> seeds;
  for (int i = 0; i < config.episodes; ++i) {
    tasks::EpisodeOptions options;
    options.seed = config.first_seed + uint64_t(i);
    options.limits = config.limits;
    options.sim.assets_dir = config.assets_dir;
    seeds.push_back(options.seed);
    work.push_back([run, options] { return ProbeEpisode(run, options); });
  }
  const std::vector<ChildOutcome> outcomes = RunInChildren(work, config.jobs, limits);
  report.episodes_s = episodes_time.seconds();
  int left_table = 0;
  std::set<std::string> assets;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    bool fell = false;
    report.episodes.push_back(ToEpisodeResult(seeds[i], outcomes[i], limits, fell, assets));
    left_table += fell;
    report.successes += report.episodes.back().success;
  }
  report.success_rate = double(report.successes) / double(config.episodes);
  report.assets.assign(assets.begin(), assets.end());
  Judge(report, config, left_table);
  report.wall_s = total.seconds();
  return report;
}

}  // namespace taskforge::library
