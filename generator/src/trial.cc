#include "trial.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <random>
#include <regex>

#include <nlohmann/json.hpp>

#include "answer_parsing.h"

namespace taskforge::generator {
namespace {

// The conversation and decisions of one trial, written to its folder when the trial ends.
class TrialRecord {
 public:
  explicit TrialRecord(const std::filesystem::path& dir) : dir_(dir) { std::filesystem::create_directories(dir_); }

  // Each call's newest prompt and its answers; with the system prompt, logged once, this is the
  // whole conversation, since the propose-to-repair stages share one chat.
  void Exchange(const std::string& stage, const std::vector<ChatMessage>& sent, const ChatResult& result) {
    if (log_.empty()) log_.push_back({{"stage", "system"}, {"prompt", sent.front().content}});
    nlohmann::json choices = result.choices;
    log_.push_back({{"stage", stage},
                    {"status", ChatStatusName(result.status)},
                    {"error", result.error},
                    {"finish_reason", result.finish_reason},
                    {"attempts", result.usage.attempts},
                    {"prompt_tokens", result.usage.prompt_tokens},
                    {"completion_tokens", result.usage.completion_tokens},
                    {"prompt", sent.back().content},
                    {"answers", choices}});
    if (result.status != ChatStatus::kOk) WriteFile("raw-" + stage + ".txt", result.raw_body);
  }
  void Decision(const std::string& step, const std::string& what) { decisions_.push_back({{"step", step}, {"decision", what}}); }
  void WriteFile(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  void Finish(const TrialOutcome& outcome) const {
    WriteFile("conversation.json", log_.dump(2) + "\n");
    nlohmann::json j = {{"trial", outcome.trial},         {"task", outcome.task},
                        {"accepted", outcome.accepted},   {"failed_stage", outcome.failed_stage},
                        {"reason", outcome.reason},       {"repairs", outcome.repairs},
                        {"parents", outcome.parents},     {"steps", decisions_}};
    WriteFile("decision.json", j.dump(2) + "\n");
  }

 private:
  std::filesystem::path dir_;
  nlohmann::json log_ = nlohmann::json::array();
  nlohmann::json decisions_ = nlohmann::json::array();
};

std::string Lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

// A short report for the model: the stage, the reason and the first failing episodes.
std::string CompactReport(const library::ValidationReport& report) {
  nlohmann::json episodes = nlohmann::json::array();
  for (const library::EpisodeResult& e : report.episodes) {
    if (e.success && e.sanity_issues.empty()) continue;
    episodes.push_back({{"seed", e.seed}, {"success", e.success}, {"reward", e.reward}, {"actions", e.actions},
                        {"runtime_error", e.runtime_error}, {"failure", e.failure}, {"sanity_issues", e.sanity_issues}});
    if (episodes.size() == 3) break;
  }
  return nlohmann::json{{"stage", library::StageName(report.stage)}, {"reason", report.reason},
                        {"successes", report.successes}, {"episodes_run", report.episodes.size()},
                        {"failing_episodes", episodes}}
      .dump(2);
}

class Trial {
 public:
  Trial(const ChainContext& context, int trial)
      : ctx_(context), cfg_(context.config), record_(context.config.run_dir / Folder(trial)) {
    outcome_.trial = trial;
  }

  TrialOutcome Run() {
    RunChain();
    record_.Finish(outcome_);
    Say(outcome_.accepted ? "accepted " + outcome_.task : "rejected at " + outcome_.failed_stage + ": " + outcome_.reason);
    return outcome_;
  }

 private:
  static std::string Folder(int trial) {
    char name[32];
    std::snprintf(name, sizeof(name), "trial-%03d", trial);
    return name;
  }

  void Say(const std::string& line) const {
    if (ctx_.progress) ctx_.progress("[trial " + std::to_string(outcome_.trial) + "] " + line);
  }

  void Fail(const std::string& stage, const std::string& reason) {
    outcome_.failed_stage = stage;
    outcome_.reason = reason;
    record_.Decision(stage, "rejected: " + reason);
  }

  std::string ModeText() const {
    return ctx_.prompts.Fill(std::string("mode-") + ModeName(cfg_.mode), {{"TARGET", cfg_.target}});
  }

  // One chat call; the answer, or nullopt after recording a counted failure.
  std::optional<std::vector<std::string>> Ask(const std::string& stage, const std::vector<ChatMessage>& messages,
                                              const StageSettings& settings) {
    ChatRequest request{stage, outcome_.trial, messages, settings.temperature, settings.max_tokens, settings.timeout_s, 1};
    const ChatResult result = ctx_.client.Chat(request);
    record_.Exchange(stage, messages, result);
    if (result.status != ChatStatus::kOk) {
      Fail(stage, std::string(ChatStatusName(result.status)) + ": " + result.error);
      return std::nullopt;
    }
    return result.choices;
  }

  std::string LibrarySample() const {
    std::vector<size_t> order(ctx_.snapshot.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::mt19937_64 rng(cfg_.seed + uint64_t(outcome_.trial));
    std::shuffle(order.begin(), order.end(), rng);
    order.resize(std::min<size_t>(order.size(), size_t(std::max(cfg_.library_sample, 0))));
    std::sort(order.begin(), order.end());
    std::vector<std::string> lines;
    for (size_t i : order) lines.push_back("- " + ctx_.snapshot[i].name + ": " + ctx_.snapshot[i].description);
    return Lines(lines);
  }

  std::string PastNames() const {
    std::vector<std::string> names;
    for (const LibraryEntry& e : ctx_.snapshot) names.push_back(e.name);
    return JoinNames(names);
  }

  // Checks the proposal; on success fills name_, description_, assets_.
  bool AcceptProposal(const std::string& answer) {
    const std::optional<nlohmann::json> j = ExtractJsonObject(answer);
    if (!j || !(*j).contains("name") || !(*j)["name"].is_string() || !(*j).contains("description") ||
        !(*j)["description"].is_string()) {
      Fail("propose", "no JSON object with \"name\" and \"description\" strings in the answer");
      return false;
    }
    name_ = (*j)["name"].get<std::string>();
    description_ = (*j)["description"].get<std::string>();
    outcome_.task = name_;
    if (!std::regex_match(name_, std::regex("[a-z0-9]+(-[a-z0-9]+)*"))) {
      Fail("propose", "name '" + name_ + "' is not lower-case words joined by '-'");
      return false;
    }
    for (const LibraryEntry& e : ctx_.snapshot) {
      if (e.name == name_) {
        Fail("propose", "name '" + name_ + "' is already in the library");
        return false;
      }
    }
    const std::vector<std::string> catalogue = ctx_.prompts.AssetNames();
    for (const nlohmann::json& a : (*j).value("assets", nlohmann::json::array())) {
      if (!a.is_string()) continue;
      const std::string asset = a.get<std::string>();
      if (std::find(catalogue.begin(), catalogue.end(), asset) == catalogue.end()) {
        Fail("propose", "unknown asset '" + asset + "' (the catalogue has: " + JoinNames(catalogue) + ")");
        return false;
      }
      assets_.push_back(asset);
    }
    std::sort(assets_.begin(), assets_.end());
    outcome_.proposed = true;
    record_.Decision("propose", "proposed " + name_ + ": " + description_);
    return true;
  }

  std::string References() {
    std::string text;
    for (size_t i : MostSimilar(description_, assets_, ctx_.snapshot, cfg_.references)) {
      const LibraryEntry& e = ctx_.snapshot[i];
      outcome_.parents.push_back(e.name);
      text += "Reference task " + e.name + ":\n```lua\n" + e.source + (e.source.ends_with("\n") ? "" : "\n") + "```\n\n";
    }
    record_.Decision("references", "retrieved " + JoinNames(outcome_.parents));
    return text;
  }

  std::string TaskJson() const {
    return nlohmann::json{{"name", name_}, {"description", description_}, {"assets", assets_}}.dump();
  }

  // Validates `code`; records the report and the nested stage flags of the newest round.
  library::ValidationReport Validate(const std::string& code, int round) {
    record_.WriteFile("code-round" + std::to_string(round) + ".lua", code);
    tasks::TaskSource source{name_, "", name_ + ".lua", code};
    library::ValidationReport report = library::Validate(source, cfg_.validator);
    record_.WriteFile("validation-round" + std::to_string(round) + ".json", report.ToJson() + "\n");
    const library::Stage stage = report.stage;
    outcome_.syntax_pass = report.accepted || stage != library::Stage::kSyntax;
    outcome_.runtime_pass = report.accepted || stage == library::Stage::kCompleted || stage == library::Stage::kSanity;
    outcome_.completed_pass = report.accepted || stage == library::Stage::kSanity;
    outcome_.validated = report.accepted;
    record_.Decision("validate round " + std::to_string(round),
                     (report.accepted ? "accepted: " : std::string("rejected at ") + library::StageName(stage) + ": ") +
                         report.reason);
    Say("validate round " + std::to_string(round) + ": " +
        (report.accepted ? "accepted" : std::string("rejected at ") + library::StageName(stage) + ": " + report.reason));
    return report;
  }

  // Any "no" (or an answer without a verdict) rejects.
  bool Reflect(const std::string& code) {
    const std::string prompt = ctx_.prompts.Fill(
        "reflect", {{"MODE", ModeText()}, {"PAST_NAMES", PastNames()}, {"TASK_JSON", TaskJson()}, {"CODE", code}});
    const std::vector<ChatMessage> messages = {{"system", ctx_.prompts.templates.at("system")}, {"user", prompt}};
    // k separate calls rather than one with n = k: llama.cpp and some hosted APIs ignore n.
    for (int k = 0; k < cfg_.reflections; ++k) {
      const auto answers = Ask("reflect", messages, cfg_.reflect);
      if (!answers) return false;
      const std::optional<nlohmann::json> verdict = ExtractJsonObject(answers->front());
      std::string accept;
      if (verdict && verdict->contains("accept")) {
        const nlohmann::json& a = (*verdict)["accept"];
        accept = a.is_boolean() ? (a.get<bool>() ? "yes" : "no") : a.is_string() ? a.get<std::string>() : "";
        std::transform(accept.begin(), accept.end(), accept.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      }
      const std::string reasons = verdict ? verdict->value("reasons", "") : "";
      if (accept != "yes" && accept != "true") {
        Fail("reflect", accept.empty() ? "reflection " + std::to_string(k + 1) + " gave no yes/no verdict"
                                       : "reflection " + std::to_string(k + 1) + " said no: " + reasons);
        return false;
      }
      record_.Decision("reflect " + std::to_string(k + 1), "yes: " + reasons);
    }
    return true;
  }

  void AddToLibrary(const std::string& code, const library::ValidationReport& report) {
    library::TaskRecord task;
    task.name = report.task;
    task.description = report.description.empty() ? description_ : report.description;
    task.source = code;
    task.origin = library::Origin::kGenerated;
    task.parents = outcome_.parents;
    task.prompt_mode = ModeName(cfg_.mode);
    task.model = ctx_.client.config().model;
    task.assets = report.assets;
    task.validations = {library::ToValidationRecord(report)};
    try {
      std::lock_guard<std::mutex> lock(ctx_.library_mutex);
      ctx_.library.Add(task);
    } catch (const Error& e) {  // a duplicate, or a record the library refuses
      Fail("library", e.what());
      return;
    }
    outcome_.task = task.name;
    outcome_.accepted = true;
    outcome_.reason = "accepted";
    record_.Decision("library", "added " + task.name + " (parents: " + JoinNames(task.parents) + ")");
  }

  void RunChain() {
    std::vector<ChatMessage> chat = {{"system", ctx_.prompts.templates.at("system")}};
    chat.push_back({"user", ctx_.prompts.Fill("propose", {{"MODE", ModeText()},
                                                          {"ASSET_NAMES", JoinNames(ctx_.prompts.AssetNames())},
                                                          {"LIBRARY_SAMPLE", LibrarySample()},
                                                          {"PAST_NAMES", PastNames()}})});
    auto answer = Ask("propose", chat, cfg_.propose);
    if (!answer || !AcceptProposal(answer->front())) return;
    chat.push_back({"assistant", answer->front()});
    Say("proposed " + name_);

    std::vector<std::string> catalogue;
    for (const CatalogueAsset& a : ctx_.prompts.assets) {
      catalogue.push_back("- " + a.name + ": " + a.description + " (" + a.size_or_params + ")");
    }
    chat.push_back({"user", ctx_.prompts.Fill("api_review", {{"TASK_API", ctx_.prompts.task_api},
                                                             {"ASSET_CATALOGUE", Lines(catalogue)}})});
    if (!(answer = Ask("api_review", chat, cfg_.api_review))) return;
    chat.push_back({"assistant", answer->front()});

    chat.push_back({"user", ctx_.prompts.Fill("code", {{"TASK_JSON", TaskJson()},
                                                       {"REFERENCES", References()},
                                                       {"TASK_NAME", name_}})});
    std::string stage = "code";
    for (int round = 1;; ++round) {
      if (!(answer = Ask(stage, chat, cfg_.code))) return;
      chat.push_back({"assistant", answer->front()});
      const std::optional<std::string> code = ExtractLuaCode(answer->front());
      if (!code) {
        record_.WriteFile("raw-" + stage + "-round" + std::to_string(round) + ".txt", answer->front());
        Fail(stage, "no Lua code in the answer");
        return;
      }
      const library::ValidationReport report = Validate(*code, round);
      if (report.accepted) {
        if (Reflect(*code)) AddToLibrary(*code, report);
        return;
      }
      if (round > cfg_.repair_rounds) {
        Fail(library::StageName(report.stage), report.reason);
        return;
      }
      ++outcome_.repairs;
      stage = "repair";
      chat.push_back({"user", ctx_.prompts.Fill("repair", {{"STAGE", library::StageName(report.stage)},
                                                           {"ROUND", std::to_string(round)},
                                                           {"ROUNDS", std::to_string(cfg_.repair_rounds)},
                                                           {"REASON", report.reason},
                                                           {"REPORT", CompactReport(report)}})});
    }
  }

  const ChainContext& ctx_;
  const GenerateConfig& cfg_;
  TrialRecord record_;
  TrialOutcome outcome_;
  std::string name_, description_;
  std::vector<std::string> assets_;
};

}  // namespace

TrialOutcome RunTrial(const ChainContext& context, int trial) { return Trial(context, trial).Run(); }

}  // namespace taskforge::generator
