// The validator on seed tasks, broken tasks and hostile scripts. Episodes are few to keep the
// suite short; the figures for 8 episodes come from `taskforge bench validate`.
#include <catch2/catch.hpp>

#include "taskforge/library/validator.h"

using namespace taskforge;
using namespace taskforge::library;

namespace {

ValidatorConfig Quick(int episodes = 1) {
  ValidatorConfig config;
  config.episodes = episodes;
  config.jobs = 2;
  config.cpu_s_per_child = 30;
  config.wall_s_per_child = 300;  // generous: the test machine may be busy
  return config;
}

tasks::TaskSource Script(const std::string& code) { return {"probe", "", "probe.lua", code}; }

// A task the oracle solves: one block into one bowl. `extra` runs at the end of reset().
std::string BlockInBowl(const std::string& extra = "", const std::string& header_extra = "") {
  return "task = {name = 'probe', description = 'block in bowl', max_steps = 3" + header_extra + "}\n" +
         R"(function reset(env)
  local bowl = env.pose(0.5, 0.2, 0)
  env.add_object("bowl", bowl, {fixed = true, color = "green"})
  local block = env.add_object("block", env.pose(0.45, -0.15, 0.02), {color = "red", size = {0.04, 0.04, 0.04}})
  env.add_goal{objects = {block}, targets = {bowl}, symmetries = 0, language = "put the red block in the green bowl"}
)" + extra + "\nend\n";
}

ValidationReport Check(const std::string& code, ValidatorConfig config = Quick()) {
  return Validate(Script(code), config);
}

}  // namespace

TEST_CASE("the validator accepts seed tasks and reports every episode", "[library][validator]") {
  for (const char* name : {"place-red-in-green", "block-insertion"}) {
    INFO(name);
    const ValidationReport r = Validate(tasks::ResolveTask(name), Quick(2));
    INFO(r.reason);
    CHECK(r.accepted);
    CHECK(r.stage == Stage::kSanity);
    REQUIRE(r.episodes.size() == 2);
    CHECK(r.episodes[0].seed == 0);
    CHECK(r.episodes[1].seed == 1);
    CHECK(r.success_rate >= 0.5);
    CHECK_FALSE(r.assets.empty());
    CHECK(r.task == name);
  }
  const ValidationReport r = Validate(Script(BlockInBowl()), Quick(2));
  INFO(r.reason);
  CHECK(r.accepted);
  CHECK(r.assets == std::vector<std::string>{"block", "bowl"});
  CHECK_THAT(r.ToJson(), Catch::Contains("\"accepted\":true") && Catch::Contains("\"stage\":\"sanity\""));
}

TEST_CASE("the validator rejects broken tasks at the stage that fails", "[library][validator]") {
  SECTION("syntax") {
    const ValidationReport r = Check("task = {name = 'probe'}\nfunction reset(env)\n  local x = = 1\nend\n");
    CHECK_FALSE(r.accepted);
    CHECK(r.stage == Stage::kSyntax);
    CHECK_THAT(r.reason, Catch::Contains("probe.lua does not load") && Catch::Contains("probe.lua:3"));
    CHECK(r.episodes.empty());
  }
  SECTION("no task table") {
    const ValidationReport r = Check("function reset(env) end\n");
    CHECK(r.stage == Stage::kSyntax);
    CHECK_THAT(r.reason, Catch::Contains("task"));
  }
  SECTION("runtime error in reset") {
    const ValidationReport r = Check(BlockInBowl("  env.add_object('no-such-asset', env.pose(0.5, 0, 0))"));
    CHECK(r.stage == Stage::kRuntime);
    CHECK_THAT(r.reason, Catch::Contains("seed 0") && Catch::Contains("no-such-asset") &&
                             Catch::Contains("probe.lua:7"));
  }
  SECTION("runtime error after a step") {
    const ValidationReport r = Check(BlockInBowl() + "function after_step(env) error('boom') end\n");
    CHECK(r.stage == Stage::kRuntime);
    CHECK_THAT(r.reason, Catch::Contains("after 1 oracle actions") && Catch::Contains("boom"));
  }
  SECTION("a goal the oracle cannot complete") {
    // Two blocks to place and one action allowed: at most half the reward.
    const ValidationReport r = Check(R"(task = {name = 'probe', max_steps = 3}
function reset(env)
  local bowls, blocks = {}, {}
  for i = 1, 2 do
    bowls[i] = env.pose(0.6, -0.3 + 0.4 * i - 0.4, 0)
    env.add_object("bowl", bowls[i], {fixed = true})
    blocks[i] = env.add_object("block", env.pose(0.4, -0.3 + 0.4 * i - 0.4, 0.02), {size = {0.04, 0.04, 0.04}})
  end
  env.add_goal{objects = blocks, targets = bowls, matches = "all", symmetries = {0, 0}, language = "fill the bowls"}
  env.set_max_steps(1)
end
)", Quick(2));
    INFO(r.reason);
    CHECK_FALSE(r.accepted);
    CHECK(r.stage == Stage::kCompleted);
    CHECK_THAT(r.reason, Catch::Contains("completed the task in 0 of 2 episodes") && Catch::Contains("reward 0.5"));
  }
  SECTION("an object reaching outside the workspace") {
    const ValidationReport r =
        Check(BlockInBowl("  env.add_object('box', env.pose(0.74, 0.45, 0.01), {fixed = true, size = {0.3, 0.3, 0.02}})"));
    INFO(r.reason);
    CHECK_FALSE(r.accepted);
    CHECK(r.stage == Stage::kSanity);
    CHECK_THAT(r.reason, Catch::Contains("reaches outside the workspace") && Catch::Contains("'box'"));
  }
  SECTION("an object spawned inside another") {
    const ValidationReport r = Check(BlockInBowl(
        "  env.add_object('box', env.pose(0.65, -0.35, 0.05), {size = {0.1, 0.1, 0.1}})\n"
        "  env.add_object('block', env.pose(0.65, -0.35, 0.05), {size = {0.02, 0.02, 0.02}})"));
    INFO(r.reason);
    CHECK_FALSE(r.accepted);
    CHECK_THAT(r.reason, Catch::Contains("was spawned inside object"));
  }
  SECTION("an unreachable target") {
    const ValidationReport r = Check(BlockInBowl(
        "  local b2 = env.add_object('block', env.pose(0.4, 0.3, 0.02), {size = {0.04, 0.04, 0.04}})\n"
        "  env.add_goal{objects = {b2}, targets = {env.pose(0.5, 0, 0.95)}, language = 'lift it'}"));
    INFO(r.reason);
    CHECK_FALSE(r.accepted);
    CHECK_THAT(r.reason, Catch::Contains("cannot be reached"));
  }
}

TEST_CASE("hostile scripts are rejected with the stage and what went wrong", "[library][validator][hostile]") {
  struct Case {
    const char* what;
    std::string code;
    Stage stage;
    const char* message;
  };
  const std::string header = "task = {name = 'probe'}\n";
  const std::vector<Case> cases = {
      {"endless loop in reset", BlockInBowl("  while true do end"), Stage::kRuntime, "budget"},
      {"endless loop while loading", header + "while true do end\n", Stage::kSyntax, "budget"},
      {"string.rep bomb", BlockInBowl("  local s = string.rep('x', 1 << 28)"), Stage::kRuntime, "memory budget"},
      {"string.rep past the size limit", BlockInBowl("  local s = string.rep('x', 1 << 40)"), Stage::kRuntime,
       "too large"},
      {"table growth", BlockInBowl("  local t = {} for i = 1, 1e9 do t[i] = {i, i, i} end"), Stage::kRuntime, "memory"},
      {"string doubling", BlockInBowl("  local s = 'x' while true do s = s .. s end"), Stage::kRuntime, "memory"},
      {"deep recursion", BlockInBowl("  local function f(n) return 1 + f(n + 1) end f(1)"), Stage::kRuntime,
       "stack overflow"},
      {"io", BlockInBowl("  io.open('/tmp/x', 'w')"), Stage::kRuntime, "global 'io'"},
      {"os", BlockInBowl("  os.execute('touch /tmp/pwned')"), Stage::kRuntime, "global 'os'"},
      {"load", BlockInBowl("  load('return 1')()"), Stage::kRuntime, "global 'load'"},
      {"require", BlockInBowl("  require('ffi')"), Stage::kRuntime, "global 'require'"},
      {"string.dump", BlockInBowl("  string.dump(reset)"), Stage::kRuntime, "dump"},
      {"pattern bomb", BlockInBowl("  string.find(string.rep('a', 1500), string.rep('a*', 40) .. 'b')"),
       Stage::kRuntime, "too complex"},
      {"__gc finaliser", BlockInBowl("  setmetatable({}, {__gc = function() while true do end end})"),
       Stage::kRuntime, "__gc"},
      {"coroutines", BlockInBowl("  coroutine.wrap(function() while true do end end)()"), Stage::kRuntime,
       "global 'coroutine'"},
      {"debug library", BlockInBowl("  debug.sethook()"), Stage::kRuntime, "global 'debug'"},
      {"rawset on _ENV to hide env", BlockInBowl("  rawset(_G, 'print', nil) print('x')"), Stage::kRuntime,
       "print"},
      {"print flood", BlockInBowl("  for i = 1, 1e7 do print(string.rep('y', 1000)) end"), Stage::kRuntime,
       "budget"},
      {"error with a looping __tostring",
       BlockInBowl("  error(setmetatable({}, {__tostring = function() while true do end end}))"), Stage::kRuntime,
       "probe"},
      {"endless loop after every step", BlockInBowl() + "function after_step(env) while true do end end\n",
       Stage::kRuntime, "after_step"},
      {"object flood", BlockInBowl("  for i = 1, 1000 do env.add_object('block', env.pose(0.5, 0, 0.02)) end"),
       Stage::kRuntime, "object budget"},
      {"NaN pose", BlockInBowl("  env.add_object('block', env.pose(0/0, 0, 0.02))"), Stage::kRuntime, "must be finite"},
      {"a 10 MB error message", BlockInBowl("  error(string.rep('e', 10e6))"), Stage::kRuntime, "more characters"},
      {"huge settle", BlockInBowl("  for i = 1, 1000 do env.settle(4800) end"), Stage::kRuntime, "settle"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const ValidationReport r = Check(c.code);
    INFO(r.reason);
    CHECK_FALSE(r.accepted);
    CHECK(StageName(r.stage) == std::string(StageName(c.stage)));
    CHECK_THAT(r.reason, Catch::Contains(c.message));
    CHECK(r.reason.size() < 3000);  // a script cannot flood the report (or a model's prompt)
  }
}

TEST_CASE("a child killed by its limits is a rejection and the validator carries on", "[library][validator][hostile]") {
  // Lua's own budgets are generous here; the process limits must stop the script.
  ValidatorConfig config = Quick();
  config.limits.instructions_per_call = int64_t(1) << 60;
  config.limits.wall_s_per_call = 1e9;
  config.cpu_s_per_child = 3;
  config.wall_s_per_child = 300;
  const ValidationReport spin = Check(BlockInBowl("  while true do end"), config);
  CHECK(spin.stage == Stage::kRuntime);
  CHECK_THAT(spin.reason, Catch::Contains("CPU-time limit (3 s)"));

  config.cpu_s_per_child = 60;
  config.wall_s_per_child = 3;
  const ValidationReport slow = Check(BlockInBowl("  while true do end"), config);
  CHECK(slow.stage == Stage::kRuntime);
  CHECK_THAT(slow.reason, Catch::Contains("wall-clock limit (3 s)"));

  // Lua's heap cap above the address-space limit: the child runs out of memory.
  config = Quick();
  config.limits.memory_bytes = size_t(8) << 30;
  config.limits.instructions_per_call = int64_t(1) << 60;
  config.limits.wall_s_per_call = 1e9;
  config.address_space_bytes = size_t(1) << 30;
  const ValidationReport bomb = Check(BlockInBowl("  local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1 << 20) .. i end"), config);
  CHECK(bomb.stage == Stage::kRuntime);
  CHECK_THAT(bomb.reason, Catch::Contains("memory"));
}

TEST_CASE("validation is deterministic and jobs do not change the outcome", "[library][validator]") {
  ValidatorConfig one = Quick(2), two = Quick(2);
  one.jobs = 1;
  const ValidationReport a = Validate(tasks::ResolveTask("place-red-in-green"), one);
  const ValidationReport b = Validate(tasks::ResolveTask("place-red-in-green"), two);
  REQUIRE(a.episodes.size() == b.episodes.size());
  for (size_t i = 0; i < a.episodes.size(); ++i) {
    CHECK(a.episodes[i].reward == b.episodes[i].reward);
    CHECK(a.episodes[i].physics_steps == b.episodes[i].physics_steps);
  }
  ValidatorConfig bad = Quick();
  bad.episodes = 0;
  CHECK_THROWS_WITH(Validate(tasks::ResolveTask("place-red-in-green"), bad), Catch::Contains("episodes"));
}
