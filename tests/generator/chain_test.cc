// The whole chain against a loopback provider, a real library and the real validator: each
// fault ends as specified and the library ends up holding exactly the accepted tasks.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <set>

// Eigen (through the library headers) before cpp-httplib, whose <resolv.h> defines `_res`.
#include "taskforge/generator/generator.h"
#include "chain_fixtures.h"

using namespace taskforge;
using namespace taskforge::generator;
using namespace taskforge::testing;

namespace {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / ("taskforge_chain_" + std::to_string(::getpid()) + "_" + name)) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::set<std::string> Names(const library::TaskLibrary& lib, bool generated_only) {
  std::set<std::string> names;
  for (const library::TaskRecord& t : lib.List()) {
    if (!generated_only || t.origin == library::Origin::kGenerated) names.insert(t.name);
  }
  return names;
}

// A script whose reset() asks for an asset that does not exist.
const char* kRuntimeError = R"(task = {name = "stack-blocks-on-stand", description = "Stack two blocks on the stand.", max_steps = 4}
function reset(env)
  local stand = env.random_pose({0.05, 0.15, 0.005})
  env.add_object("stacking_stand", stand)
  local a = env.add_object("blok", env.random_pose({0.04, 0.04, 0.04}), {color = "red"})
  env.add_goal{objects = {a}, targets = {stand}, language = "put the red block on the stand"}
end
)";

// Three blocks to place with one action allowed: loads and runs, but the oracle cannot finish.
const char* kOracleCannotFinish = R"(task = {name = "three-blocks-one-move", description = "Put three blocks on a zone.", max_steps = 1}
function reset(env)
  local zone = env.random_pose({0.2, 0.2, 0.001})
  zone.yaw = 0
  env.add_object("zone", zone, {params = {size_x = 0.2, size_y = 0.2}})
  local blocks, targets = {}, {}
  for i = 1, 3 do
    blocks[i] = env.add_object("block", env.random_pose({0.04, 0.04, 0.04}), {color = "blue"})
    targets[i] = {pos = env.apply(zone, {-0.06 + 0.06 * (i - 1), 0, 0.02}), yaw = 0}
  end
  env.add_goal{objects = blocks, targets = targets, language = "put the blue blocks on the zone"}
end
)";

std::string WithoutLastEnd(std::string lua) {
  const size_t at = lua.rfind("end");
  return lua.erase(at, 3);
}

}  // namespace

TEST_CASE("every fault ends as specified and the library holds exactly the accepted tasks", "[chain]") {
  TempDir dir("faults");
  FakeProvider server;
  // 0: a good task.
  PushGoodTrial(server, "place-blocks-on-line", "Place three blocks on a line in the named order.", {"block", "line"});
  // 1: a syntax error, repaired in round 2.
  server.Push(Answer(ProposeAnswer("sort-blocks-into-matching-bowls", "Sort blocks into bowls of their colour.", {"block", "bowl"})));
  server.Push(Answer(ApiAnswer("bowls and blocks")));
  server.Push(Answer(CodeAnswer(WithoutLastEnd(DemoTask("sort-blocks-into-matching-bowls")))));
  server.Push(Answer(CodeAnswer(DemoTask("sort-blocks-into-matching-bowls"))));
  server.Push(Answer(Verdict(true, "new")));
  server.Push(Answer(Verdict(true, "matches")));
  // 2: a runtime error, still there after the one repair round allowed.
  server.Push(Answer(ProposeAnswer("stack-blocks-on-stand", "Stack two blocks on the stand.", {"block", "stacking_stand"})));
  server.Push(Answer(ApiAnswer("the stand")));
  server.Push(Answer(CodeAnswer(kRuntimeError)));
  server.Push(Answer(CodeAnswer(kRuntimeError)));
  // 3: a task the oracle cannot complete.
  server.Push(Answer(ProposeAnswer("three-blocks-one-move", "Put three blocks on a zone.", {"block", "zone"})));
  server.Push(Answer(ApiAnswer("zones")));
  server.Push(Answer(CodeAnswer(kOracleCannotFinish)));
  server.Push(Answer(CodeAnswer(kOracleCannotFinish)));
  // 4: 429 with Retry-After, then the whole chain succeeds.
  server.Push({429, ErrorReply(429, "rate limited").body, {{"Retry-After", "0"}}, 0.0});
  PushGoodTrial(server, "box-into-container", "Put a box into a container that fits it.", {"box", "container"});
  // 5: 500s on every attempt.
  server.Push(ErrorReply(500, "upstream down"));
  server.Push(ErrorReply(502, "bad gateway"));
  // 6: the code request times out on every attempt.
  server.Push(Answer(ProposeAnswer("slow-task", "A task whose code never arrives.", {"block"})));
  server.Push(Answer(ApiAnswer("blocks")));
  server.Push({200, CompletionBody({"too late"}), {}, 0.8});
  server.Push({200, CompletionBody({"too late"}), {}, 0.8});
  // 7: a truncated code answer.
  server.Push(Answer(ProposeAnswer("long-task", "A task whose code is cut off.", {"block"})));
  server.Push(Answer(ApiAnswer("blocks")));
  server.Push({200, CompletionBody({"```lua\ntask = {name = \"long-task\", description = "}, "length"), {}, 0.0});
  // 8: a proposal without JSON.
  server.Push(Answer("I would like the robot to build a {tall tower} out of blocks, name: tall-tower."));
  // 9: a malformed HTTP body at the API review.
  server.Push(Answer(ProposeAnswer("broken-body", "The provider answers nonsense.", {"block"})));
  server.Push({200, "{\"id\": \"x\", \"choices\": [", {}, 0.0});
  // 10: validated, but a reflection says no.
  server.Push(Answer(ProposeAnswer("red-blocks-in-green-bowls", "Put the red blocks in green bowls.", {"block", "bowl"})));
  server.Push(Answer(ApiAnswer("bowls")));
  server.Push(Answer(CodeAnswer(ReadSourceFile("tasks/library/place-red-in-green.lua"))));
  server.Push(Answer(Verdict(true, "looks fine")));
  server.Push(Answer(Verdict(false, "The same as place-red-in-green.")));

  library::TaskLibrary lib(dir.path / "library.db");
  const std::set<std::string> seeds = Names(lib, false);
  GenerateConfig config = TestGenerateConfig(dir.path / "run");
  config.trials = 11;
  config.repair_rounds = 1;
  config.code.timeout_s = 0.5;
  LlmClient client(FastRetryConfig(server, 2));
  const GenerateSummary s = RunGeneration(config, client, lib);
  REQUIRE(server.pending() == 0);  // every scripted reply was asked for, none more

  const auto& o = s.outcomes;
  CHECK(o[0].accepted);
  CHECK(o[0].repairs == 0);
  CHECK(o[1].accepted);
  CHECK(o[1].repairs == 1);
  CHECK((o[2].failed_stage == "runtime" && o[2].reason.find("blok") != std::string::npos && o[2].repairs == 1));
  CHECK((o[2].syntax_pass && !o[2].runtime_pass));
  CHECK(o[3].failed_stage == "completed");
  CHECK((o[3].runtime_pass && !o[3].completed_pass));
  CHECK(o[4].accepted);
  CHECK((o[5].failed_stage == "propose" && o[5].reason.find("HTTP 502") != std::string::npos));
  CHECK((o[6].failed_stage == "code" && o[6].reason.find("timeout") != std::string::npos));
  CHECK((o[7].failed_stage == "code" && o[7].reason.find("truncated") != std::string::npos));
  CHECK((o[8].failed_stage == "propose" && o[8].reason.find("no JSON object") != std::string::npos));
  CHECK((o[9].failed_stage == "api_review" && o[9].reason.find("malformed response body") != std::string::npos));
  CHECK((o[10].failed_stage == "reflect" && o[10].reason.find("said no") != std::string::npos));
  CHECK(s.accepted == 3);
  CHECK(s.syntax_pass == 6);
  CHECK(s.runtime_pass == 5);
  CHECK(s.completed_pass == 4);
  CHECK(s.repairs == 3);

  // The library holds the seeds and exactly the accepted tasks, with their lineage.
  std::set<std::string> expected = seeds;
  expected.insert({"place-blocks-on-line", "sort-blocks-into-matching-bowls", "box-into-container"});
  CHECK(Names(lib, false) == expected);
  CHECK(Names(lib, true) == std::set<std::string>{"place-blocks-on-line", "sort-blocks-into-matching-bowls", "box-into-container"});
  const library::TaskRecord added = lib.Get("sort-blocks-into-matching-bowls");
  CHECK(added.model == "fixture-model");
  CHECK(added.prompt_mode == "explore");
  CHECK(added.parents.size() == 3);
  CHECK(added.source == DemoTask("sort-blocks-into-matching-bowls"));
  REQUIRE(added.latest_validation());
  CHECK(added.latest_validation()->accepted);

  // The run directory keeps each trial's conversation, code, reports, decisions and raw answers.
  const std::filesystem::path t1 = dir.path / "run" / "trial-001";
  CHECK(std::filesystem::exists(t1 / "code-round1.lua"));
  CHECK(std::filesystem::exists(t1 / "validation-round2.json"));
  CHECK(std::filesystem::exists(t1 / "conversation.json"));
  CHECK(ReadSourceFile((dir.path / "run" / "trial-008" / "conversation.json").string()).find("tall tower") != std::string::npos);
  CHECK(std::filesystem::exists(dir.path / "run" / "trial-009" / "raw-api_review.txt"));
  CHECK(std::filesystem::exists(dir.path / "run" / "summary.json"));

  // The repair prompt carried the validator's structured error back to the model.
  bool repair_saw_syntax = false;
  for (const nlohmann::json& request : server.requests()) {
    const std::string last = request["messages"].back()["content"].get<std::string>();
    if (last.find("rejected your script at the syntax stage") != std::string::npos) repair_saw_syntax = true;
  }
  CHECK(repair_saw_syntax);
}

TEST_CASE("a 401 stops the run at once and adds nothing", "[chain]") {
  TempDir dir("auth");
  FakeProvider server;
  server.Push(ErrorReply(401, "invalid api key"));
  PushGoodTrial(server, "place-blocks-on-line", "never asked", {"block"});
  library::TaskLibrary lib(dir.path / "library.db");
  GenerateConfig config = TestGenerateConfig(dir.path / "run");
  config.trials = 2;
  LlmClient client(FastRetryConfig(server, 2));
  REQUIRE_THROWS_AS(RunGeneration(config, client, lib), AuthError);
  CHECK(server.requests().size() == 1);
  CHECK(Names(lib, true).empty());
}

TEST_CASE("goal and curriculum modes put the target into the proposal prompt", "[chain]") {
  TempDir dir("modes");
  library::TaskLibrary lib(dir.path / "library.db");
  for (const Mode mode : {Mode::kGoal, Mode::kCurriculum}) {
    FakeProvider server;
    server.Push(Answer("no proposal today"));  // ends the trial before any code runs
    GenerateConfig config = TestGenerateConfig(dir.path / ModeName(mode));
    config.mode = mode;
    config.target = "build a four-block tower on the pallet";
    LlmClient client(FastRetryConfig(server, 2));
    const GenerateSummary s = RunGeneration(config, client, lib);
    CHECK(s.outcomes[0].failed_stage == "propose");
    const std::string prompt = server.requests().at(0)["messages"][1]["content"].get<std::string>();
    CHECK(prompt.find("build a four-block tower on the pallet") != std::string::npos);
    CHECK(prompt.find(mode == Mode::kGoal ? "Mode: goal" : "Do NOT design the target itself") != std::string::npos);
    CHECK(prompt.find("put-block-in-bowl") != std::string::npos);  // the taken names
  }
  GenerateConfig no_target = TestGenerateConfig(dir.path / "none");
  no_target.mode = Mode::kGoal;
  CHECK_THROWS_WITH(CheckConfig(no_target), Catch::Contains("needs --target"));
}
