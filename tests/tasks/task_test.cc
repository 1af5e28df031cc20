#include <catch2/catch.hpp>

#include <cmath>

#include "catalogue.h"
#include "goals.h"
#include "taskforge/core/error.h"
#include "taskforge/core/timing.h"
#include "taskforge/tasks/task.h"
#include "lua_sandbox.h"

using namespace taskforge;
using namespace taskforge::tasks;

namespace {

constexpr double kPi = 3.14159265358979323846;

// A task from source text, named like a file so messages can be checked.
TaskSource Script(const std::string& code, const std::string& name = "probe.lua") { return {"probe", "", name, code}; }

const char* kHeader = "task = {name = 'probe', max_steps = 3}\n";

// The message of the ScriptError that building an episode of `code` raises.
// The ScriptError that making an episode of `script` raises (the test fails if none).
std::string ScriptFailure(const std::string& script) {
  try {
    Episode episode(Script(script), EpisodeOptions{});
  } catch (const ScriptError& e) {
    return e.what();
  }
  FAIL("the script was expected to fail");
  return "";
}

// The same for the task header above followed by `code`.
std::string ResetError(const std::string& code) { return ScriptFailure(kHeader + code); }

}  // namespace

TEST_CASE("goal matching follows Ravens: planar distance and yaw modulo symmetry", "[tasks][goals]") {
  const Pose target = MakePlanarPose({0.5, 0.0, 0.02}, 0.3);
  CHECK(IsMatch(MakePlanarPose({0.505, 0.004, 0.2}, 0.3), target, kPi / 2, 0.01, 0.26));  // z is ignored
  CHECK_FALSE(IsMatch(MakePlanarPose({0.512, 0.0, 0.02}, 0.3), target, kPi / 2, 0.01, 0.26));
  CHECK(IsMatch(MakePlanarPose({0.5, 0.0, 0.02}, 0.3 + kPi / 2), target, kPi / 2, 0.01, 0.26));  // a cube's quarter turn
  CHECK_FALSE(IsMatch(MakePlanarPose({0.5, 0.0, 0.02}, 0.3 + kPi / 4), target, kPi / 2, 0.01, 0.26));
  CHECK(IsMatch(MakePlanarPose({0.5, 0.0, 0.02}, 2.0), target, 0.0, 0.01, 0.26));  // symmetry 0: any yaw
  CHECK_FALSE(IsMatch(MakePlanarPose({0.5, 0.0, 0.02}, 0.3 + kPi), target, 2 * kPi, 0.01, 0.26));
}

TEST_CASE("catalogue expressions and closest names", "[tasks][catalogue]") {
  CHECK(Evaluate("(outer_radius + 0.009) / 2", {{"outer_radius", 0.031}}) == Approx(0.02));
  CHECK(Evaluate("size_x / 2 - 0.0025", {{"size_x", 0.2}}) == Approx(0.0975));
  CHECK(Evaluate("-a * (2 + 3)", {{"a", 1.5}}) == Approx(-7.5));
  CHECK_THROWS_WITH(Evaluate("size_y / 2", {{"size_x", 1.0}}), Catch::Contains("no value for 'size_y'"));
  CHECK_THROWS_WITH(Evaluate("(1 + 2", {}), Catch::Contains("missing ')'"));
  CHECK(ClosestNames("blok", {"bowl", "block", "small_block", "zone"}, 2) ==
        std::vector<std::string>{"block", "bowl"});
}

TEST_CASE("the same seed gives the same episode and another seed another", "[tasks][determinism]") {
  const TaskSource task = ResolveTask("place-red-in-green");
  auto run = [&](uint64_t seed) {
    EpisodeOptions options;
    options.seed = seed;
    Episode episode(task, options);
    const std::optional<Action> action = episode.OracleAct();
    REQUIRE(action.has_value());
    episode.Step(*action);
    return std::make_pair(episode.sim().StateHash(), episode.sim().objects().size());
  };
  const auto first = run(7);
  CHECK(run(7) == first);
  CHECK(run(8).first != first.first);
}

TEST_CASE("the oracle solves a seed task and the episode ends as Ravens' does", "[tasks][oracle]") {
  EpisodeOptions options;
  options.seed = 3;
  const OracleRun run = RunOracleEpisode(ResolveTask("block-insertion"), options);
  INFO(run.error);
  CHECK(run.success);
  CHECK(run.reward == Approx(1.0).margin(1e-9));
  CHECK(run.actions >= 1);
  CHECK(run.actions <= 3);
  CHECK(run.stats.physics_steps > 0);
  CHECK(run.stats.renders >= 1);  // at least the oracle's view
}

TEST_CASE("sequential goals pop one at a time with their own instructions", "[tasks][goals]") {
  EpisodeOptions options;
  options.seed = 1;
  Episode episode(ResolveTask("stack-block-pyramid-seq-seen-colors"), options);
  REQUIRE(episode.language_goals().size() == 6);
  CHECK_THAT(episode.language_goal(), Catch::Contains("lightest brown block"));
  const std::string first = episode.language_goal();
  const StepResult step = episode.Step(*episode.OracleAct());
  CHECK(step.reward == Approx(1.0 / 6).margin(1e-6));
  CHECK(episode.language_goal() != first);
  CHECK(episode.total_reward() == Approx(1.0 / 6).margin(1e-6));
}

TEST_CASE("variants pick colour splits and unknown tasks and variants are named", "[tasks][library]") {
  const TaskSource unseen = ResolveTask("put-block-in-bowl-unseen-colors");
  CHECK(unseen.name == "put-block-in-bowl");
  CHECK(unseen.variant == "unseen-colors");
  CHECK_THROWS_WITH(ResolveTask("put-blocks-in-bowl"), Catch::Contains("put-block-in-bowl"));
  TaskSource bad = unseen;
  bad.variant = "purple-only";
  CHECK_THROWS_WITH(Episode(bad, EpisodeOptions{}), Catch::Contains("no variant 'purple-only'") &&
                                                        Catch::Contains("unseen-colors"));
  const std::vector<TaskInfo> all = ListTasks();
  CHECK(all.size() == 18);
  // Reading a task's metadata sees the same `util` helpers as its episodes.
  CHECK(ReadTaskInfo(Script("task = {name = 'probe', max_steps = util.ROPE_BEADS}\nfunction reset(env) end\n"))
            .max_steps == 20);
}

TEST_CASE("hostile scripts are stopped with a clear error and the process carries on", "[tasks][sandbox]") {
  const Stopwatch watch;
  CHECK_THAT(ResetError("function reset(env)\n  while true do end\nend\n"),
             Catch::StartsWith("instruction budget (20000000 instructions) exceeded in reset() at probe.lua:3"));
  CHECK_THAT(ResetError("function reset(env)\n  local t = {}\n  for i = 1, 1e9 do t[i] = string.rep('x', 4096) .. i end\nend\n"),
             Catch::Contains("memory budget (64 MiB) exceeded"));
  CHECK_THAT(ResetError("function reset(env)\n  io.open('/etc/passwd')\nend\n"),
             Catch::Contains("global 'io'") && Catch::Contains("probe.lua:3"));
  CHECK_THAT(ResetError("function reset(env)\n  os.execute('touch /tmp/pwned')\nend\n"), Catch::Contains("global 'os'"));
  CHECK_THAT(ResetError("function reset(env)\n  require('socket')\nend\n"), Catch::Contains("global 'require'"));
  CHECK_THAT(ResetError("local function f(n) return 1 + f(n + 1) end\nfunction reset(env) f(1) end\n"),
             Catch::Contains("stack overflow"));
  CHECK_THAT(ResetError("function reset(env)\n  for i = 1, 1000 do env.add_object('block', env.pose(0.5, 0, 0.02)) end\nend\n"),
             Catch::Contains("object budget exceeded"));
  CHECK(watch.seconds() < 10.0);
  // The process carries on: a good task still runs.
  CHECK(RunOracleEpisode(ResolveTask("align-box-corner"), EpisodeOptions{}).success);
}

TEST_CASE("task API errors name the problem, the line and the value", "[tasks][api]") {
  CHECK_THAT(ResetError("function reset(env)\n  env.add_object('blok', env.pose(0.5, 0, 0.02))\nend\n"),
             Catch::Contains("probe.lua:3") && Catch::Contains("unknown asset 'blok'") &&
                 Catch::Contains("closest: block"));
  CHECK_THAT(ResetError("function reset(env)\n  env.add_object('block', env.pose(0.9, 0, 0.02))\nend\n"),
             Catch::Contains("(0.9, 0) is outside the workspace"));
  CHECK_THAT(ResetError("function reset(env)\n  env.add_object('block', env.pose(0.5, 0, 0.02), {colour = 'red'})\nend\n"),
             Catch::Contains("no field 'colour'") && Catch::Contains("color"));
  CHECK_THAT(ResetError("function reset(env)\n  env.add_object('block', env.pose(0.5, 0, 0.02), {color = 'mauve'})\nend\n"),
             Catch::Contains("unknown colour 'mauve'"));
  CHECK_THAT(ResetError("function reset(env)\n  local a = env.add_object('block', env.pose(0.5, 0, 0.02))\n"
                        "  env.add_goal{objects = {a}, targets = {env.pose(0.4, 0, 0), env.pose(0.6, 0, 0)},\n"
                        "               matches = {{1, 0, 1}}}\nend\n"),
             Catch::Contains("goal.matches[1] must be a row of 2 values") && Catch::Contains("got 3 values"));
  CHECK_THAT(ResetError("function reset(env)\n  env.add_goal{objects = {42}, targets = {env.pose(0.5, 0, 0)}}\nend\n"),
             Catch::Contains("42, which is not an object this task added"));
  CHECK_THAT(ResetError("function reset(env)\n  env.add_object('box', env.pose(0.5, 0, 0.02))\nend\n"),
             Catch::Contains("asset 'box' needs a value for 'size_x'"));
  CHECK_THAT(ResetError("function reset(env) end\n"), Catch::Contains("reset() declared no goals"));
  CHECK_THAT(ResetError("function reset(env)\n  env:add_object('block', {pos = {0.5, 0}})\nend\n"),
             Catch::Contains("pos must hold 3 numbers, got 2"));
  CHECK_THAT(ScriptFailure("task = {name = 'x', max_step = 3}\nfunction reset(env) end\n"),  // a misspelt field
             Catch::Contains("no field 'max_step'") && Catch::Contains("max_steps"));
}

TEST_CASE("env:method() and env.method() both work and math.random follows the seed", "[tasks][api]") {
  const std::string code = std::string(kHeader) +
                           "function reset(env)\n"
                           "  local size = env:random_size(0.03, 0.05, 0.03, 0.05, 0.02, 0.02)\n"
                           "  local a = env:add_object('box', env.random_pose(size), {size = size, color = 'blue'})\n"
                           "  print(math.random(1, 1000000))\n"
                           "  env.add_goal{objects = {a}, targets = {env.pose(0.5, 0.2, 0.01)}, language = 'move it'}\n"
                           "end\n";
  EpisodeOptions options;
  options.seed = 5;
  Episode a(Script(code), options), b(Script(code), options);
  REQUIRE(a.script_output().size() == 1);
  CHECK(a.script_output() == b.script_output());
  CHECK(a.sim().StateHash() == b.sim().StateHash());
  CHECK(a.language_goal() == "move it");
  options.seed = 6;
  Episode c(Script(code), options);
  CHECK(c.script_output() != a.script_output());
}

TEST_CASE("an episode's layout lists spawned objects with their assets and the goal targets", "[tasks][layout]") {
  const std::string code = R"(
function reset(env)
  local bowl = env.pose(0.6, 0.1, 0)
  env.add_object("bowl", bowl, {fixed = true})
  local block = env.add_object("block", env.pose(0.4, -0.1, 0.02), {size = {0.04, 0.04, 0.04}})
  local parked = env.add_object("block", env.pose(0.5, 0.2, 0.02), {size = {0.04, 0.04, 0.04}})
  env.park(parked)
  env.add_goal{objects = {block}, targets = {bowl}, language = "put the block in the bowl"}
end)";
  Episode episode(Script(kHeader + code), EpisodeOptions{});
  const SceneLayout layout = episode.layout();
  REQUIRE(layout.objects.size() == 2);  // the parked block is left out
  CHECK(layout.objects[0].asset == "bowl");
  CHECK(layout.objects[0].fixed);
  CHECK(layout.objects[1].asset == "block");
  CHECK_FALSE(layout.objects[1].fixed);
  REQUIRE(layout.targets.size() == 1);
  CHECK(layout.targets[0].translation().isApprox(Vec3(0.6, 0.1, 0)));
}

TEST_CASE("task.physics_hz sets the step and env.wait_for_rest stops once objects rest", "[tasks][api]") {
  // A block dropped from 5 cm falls for ~0.1 s, then rests: far fewer steps than the 480 allowed.
  const std::string code = R"(
function reset(env)
  local block = env.add_object("block", env.pose(0.5, 0, 0.07), {size = {0.04, 0.04, 0.04}})
  print(env.wait_for_rest(480))
  env.add_goal{objects = {block}, targets = {env.pose(0.5, 0.2, 0.02)}}
end)";
  Episode at_480(Script(kHeader + code), EpisodeOptions{});
  Episode at_240(Script("task = {name = 'probe', physics_hz = 240}\n" + code), EpisodeOptions{});
  CHECK(at_480.sim().config().time_step_s == Approx(1.0 / 480));
  CHECK(at_240.sim().config().time_step_s == Approx(1.0 / 240));
  for (Episode* episode : {&at_480, &at_240}) {
    REQUIRE(episode->script_output().size() == 1);
    const int steps = std::stoi(episode->script_output()[0]);
    CHECK(steps > 10);   // the fall itself, then 10 steps at rest
    CHECK(steps < 240);  // well before the limit
    CHECK(episode->sim().body_pose(episode->sim().objects()[0]).translation().z() == Approx(0.02).margin(0.002));
    CHECK(episode->sim().step_count() == steps);
  }
  CHECK_THAT(ResetError("function reset(env)\n  env.wait_for_rest(0)\nend\n"),
             Catch::Contains("max_steps must be a positive integer"));
  CHECK_THAT(ScriptFailure("task = {name = 'x', physics_hz = 300}\nfunction reset(env) end\n"),
             Catch::Contains("task.physics_hz must be 240 or 480, got 300"));
}
