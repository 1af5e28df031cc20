// The shipped session generator/sessions/offline-demo.jsonl: how it is recorded (a hidden test
// case, run by hand after the prompts, docs/task-api.md, the catalogue or the seed tasks change)
// and that it replays through the full chain into a fresh library with no network.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <regex>

// Eigen (through the library headers) before cpp-httplib, whose <resolv.h> defines `_res`.
#include "taskforge/generator/generator.h"
#include "chain_fixtures.h"

using namespace taskforge;
using namespace taskforge::generator;
using namespace taskforge::testing;

namespace {

const std::filesystem::path kSession = std::filesystem::path(TASKFORGE_SOURCE_DIR) / "generator/sessions/offline-demo.jsonl";
const char* kModel = "handwritten-fixtures";

ScriptedReply Say(const std::string& content) {
  ScriptedReply reply = Answer(content);
  reply.estimate_usage = true;
  return reply;
}

// The run `taskforge generate --replay` does by default: the CLI's defaults, 4 trials.
GenerateConfig SessionConfig(const std::filesystem::path& run_dir) {
  GenerateConfig config;
  config.trials = 4;
  config.run_dir = run_dir;
  return config;
}

std::filesystem::path Scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("taskforge_session_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void PushSession(FakeProvider& server) {
  const std::string yes = "The library has nothing like it, and the code builds the scene and goals the description names.";
  auto good = [&](const std::string& name, const std::string& description, const std::vector<std::string>& assets,
                  const std::string& needs) {
    server.Push(Say(ProposeAnswer(name, description, assets)));
    server.Push(Say(ApiAnswer(needs)));
    server.Push(Say(CodeAnswer(DemoTask(name))));
    server.Push(Say(Verdict(true, yes)));
    server.Push(Say(Verdict(true, yes)));
  };
  // 0: passes on the first script.
  good("place-blocks-on-line", "Place three blocks of different colours on a line marker, left to right in the named order.",
       {"block", "line"}, "env.add_object for the line and the blocks, env.apply to put targets along the line, env.add_goal");
  // 1: the first script misspells max_steps; the validator's error sends it to one repair round.
  const std::string sort = DemoTask("sort-blocks-into-matching-bowls");
  server.Push(Say(ProposeAnswer("sort-blocks-into-matching-bowls",
                                "Sort blocks of two colours into the two bowls of the same colours.", {"block", "bowl"})));
  server.Push(Say(ApiAnswer("env.colors and env.shuffle, env.random_pose, bowls and blocks, one env.add_goal per colour")));
  server.Push(Say(CodeAnswer(std::regex_replace(sort, std::regex("max_steps = 8"), "max_step = 8"))));
  server.Push(Say("The task table has a misspelt field: `max_step` should be `max_steps`. Corrected script:\n\n```lua\n" +
                  sort + "```\n"));
  server.Push(Say(Verdict(true, yes)));
  server.Push(Say(Verdict(true, yes)));
  // 2: passes on the first script.
  good("box-into-container", "Pick up a box and put it inside an open container that fits it with a little clearance.",
       {"box", "container"}, "env.random_size for the box, a container sized from it, util.random_brown");
  // 3: validates, but it is place-red-in-green again: the second reflection rejects it.
  server.Push(Say(ProposeAnswer("red-blocks-into-green-bowls", "Put every red block into a green bowl among distractors.",
                                {"block", "bowl"})));
  server.Push(Say(ApiAnswer("bowls, blocks and util.add_distractors")));
  std::string copy = ReadSourceFile("tasks/library/place-red-in-green.lua");
  copy = std::regex_replace(copy, std::regex("name = \"place-red-in-green\""), "name = \"red-blocks-into-green-bowls\"");
  server.Push(Say(CodeAnswer(copy)));
  server.Push(Say(Verdict(true, "The code matches the description.")));
  server.Push(Say(Verdict(false, "This is place-red-in-green under another name: same objects, colours and goal.")));
}

}  // namespace

TEST_CASE("record the shipped offline session", "[.record-session]") {
  FakeProvider server;
  PushSession(server);
  const std::filesystem::path dir = Scratch("record");
  library::TaskLibrary lib(dir / "library.db");
  LlmConfig llm;
  llm.base_url = server.base_url();
  llm.api_key = "fixture";
  llm.model = kModel;
  llm.record_path = kSession;
  LlmClient client(llm);
  const GenerateSummary s = RunGeneration(SessionConfig(dir / "run"), client, lib);
  REQUIRE(server.pending() == 0);
  REQUIRE(s.accepted == 3);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the shipped session replays through the full chain into a fresh library, offline", "[chain]") {
  const std::filesystem::path dir = Scratch("replay");
  library::TaskLibrary lib(dir / "fresh.db");
  const RecordedSession recorded = DescribeRecording(kSession);
  REQUIRE(recorded.trials == 4);
  REQUIRE(recorded.model == kModel);
  LlmConfig llm;  // no key, no server
  llm.model = recorded.model;
  llm.replay_path = kSession;
  LlmClient client(llm);
  GenerateConfig config = SessionConfig(dir / "run");
  config.jobs = 2;  // replay matches per (trial, stage), so concurrency does not change the run
  const GenerateSummary s = RunGeneration(config, client, lib);
  CHECK(s.accepted == 3);
  CHECK(s.accepted_tasks == std::vector<std::string>{"place-blocks-on-line", "sort-blocks-into-matching-bowls",
                                                     "box-into-container"});
  CHECK(s.repairs == 1);
  CHECK(s.outcomes[1].repairs == 1);
  CHECK(s.outcomes[3].failed_stage == "reflect");
  CHECK(s.completed_pass == 4);
  CHECK(s.usage.prompt_tokens > 0);
  for (const std::string& name : s.accepted_tasks) {
    const library::TaskRecord t = lib.Get(name);
    CHECK(t.origin == library::Origin::kGenerated);
    CHECK(t.model == kModel);
    CHECK(!t.parents.empty());
  }
  CHECK_FALSE(lib.Find("red-blocks-into-green-bowls"));
  std::filesystem::remove_all(dir);
}
