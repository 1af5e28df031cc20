#include <catch2/catch.hpp>

#include <lua.hpp>

#include <string>
#include <vector>

#include "lua_sandbox.h"
#include "taskforge/core/timing.h"

using namespace taskforge::tasks;

namespace {

// The message of the ScriptError that Load(source) throws, or "" when it succeeds.
std::string LoadError(LuaSandbox& sandbox, const std::string& source) {
  try {
    sandbox.Load(source);
  } catch (const ScriptError& e) {
    return e.what();
  }
  return "";
}

// Load(source) then Call(name) with no arguments; the ScriptError thrown, or one with line -1.
ScriptError CallError(LuaSandbox& sandbox, const std::string& source, const char* name) {
  sandbox.Load(source);
  try {
    sandbox.Call(name, 0, 0);
  } catch (const ScriptError& e) {
    return e;
  }
  return ScriptError("no error", "", -1);
}

// Values of math.random(args...) drawn `n` times, as numbers.
std::vector<double> Draws(LuaSandbox& sandbox, const std::string& args, int n) {
  sandbox.Load("function draw() return math.random(" + args + ") end");
  std::vector<double> values;
  for (int i = 0; i < n; ++i) {
    sandbox.Call("draw", 0, 1);
    values.push_back(lua_tonumber(sandbox.state(), -1));
    lua_pop(sandbox.state(), 1);
  }
  return values;
}

}  // namespace

TEST_CASE("LuaSandbox loads a script and calls its functions", "[tasks][sandbox]") {
  std::mt19937_64 rng(1);
  LuaSandbox sandbox("adder.lua", rng);
  sandbox.Load("function add(a, b) return a + b end");
  CHECK(sandbox.HasFunction("add"));
  CHECK_FALSE(sandbox.HasFunction("reset"));
  lua_State* L = sandbox.state();
  lua_pushinteger(L, 2);
  lua_pushinteger(L, 40);
  sandbox.Call("add", 2, 1);
  CHECK(lua_tointeger(L, -1) == 42);
  lua_pop(L, 1);
  CHECK(lua_gettop(L) == 0);
  CHECK(sandbox.memory_used() > 0);
  CHECK_THROWS_WITH(sandbox.Call("reset", 0, 0), "the script defines no function 'reset'");
  CHECK(lua_gettop(L) == 0);
}

TEST_CASE("LuaSandbox reports syntax and runtime errors with script, function and line", "[tasks][sandbox]") {
  std::mt19937_64 rng(1);
  LuaSandbox sandbox("build_car.lua", rng);
  CHECK(LoadError(sandbox, "local a = 1\n\nx = = 2\n") == "build_car.lua:3: unexpected symbol near '='");
  try {
    sandbox.Load("local a = 1\nx = = 2\n");
    FAIL("no syntax error");
  } catch (const ScriptError& e) {
    CHECK(e.line() == 2);
    CHECK(e.script() == "build_car.lua");
  }
  const char* script = "local function helper(t)\n  return t.x\nend\nfunction reset()\n  helper(nil)\nend\n";
  const ScriptError e = CallError(sandbox, script, "reset");
  INFO(e.what());
  CHECK(e.line() == 2);
  const std::string message = e.what();
  CHECK(message.rfind("attempt to index a nil value (local 't') in reset() at build_car.lua:2\nstack traceback:", 0) ==
        0);
  CHECK(message.find("build_car.lua:5: in function 'reset'") != std::string::npos);
  CHECK(message.find("[C]: in ?") == std::string::npos);  // the sandbox's plumbing is trimmed
  CHECK(LoadError(sandbox, "error('boom')").rfind("boom while loading at build_car.lua:1\n", 0) == 0);
  CHECK(lua_gettop(sandbox.state()) == 0);
}

TEST_CASE("LuaSandbox stops endless loops by instruction and wall-clock budgets", "[tasks][sandbox]") {
  std::mt19937_64 rng(1);
  LuaSandbox sandbox("loop.lua", rng);
  const taskforge::Stopwatch watch;
  const ScriptError e = CallError(sandbox, "function reset()\n  while true do end\nend", "reset");
  CHECK(watch.seconds() < 5.0);
  const std::string message = e.what();
  CHECK(message.rfind("instruction budget (20000000 instructions) exceeded in reset() at loop.lua:2\n", 0) == 0);
  CHECK(e.line() == 2);
  // pcall cannot swallow an exceeded budget.
  CHECK(LoadError(sandbox, "while true do pcall(function() while true do end end) end").rfind(
            "instruction budget (20000000 instructions) exceeded while loading at loop.lua:1", 0) == 0);
  // Lua runs xpcall handlers after a hook error, and finalizers, with hooks off: neither may loop.
  CHECK(LoadError(sandbox, "xpcall(function() while true do end end, function() while true do end end)")
            .rfind("instruction budget", 0) == 0);
  CHECK(LoadError(sandbox, "x = setmetatable({}, {__gc = function() while true do end end})")
            .rfind("__gc metamethods are not allowed in task scripts while loading at loop.lua:1", 0) == 0);
  CHECK(LoadError(sandbox, "print(xpcall(error, function(m) return 'handled ' .. m end, 'oops'))") == "");
  CHECK(sandbox.TakePrinted() == std::vector<std::string>{"false\thandled oops"});
  sandbox.Load("function answer() return 42 end");  // still usable
  sandbox.Call("answer", 0, 1);
  CHECK(lua_tointeger(sandbox.state(), -1) == 42);
  lua_pop(sandbox.state(), 1);

  LuaSandbox slow("slow.lua", rng, {.instructions_per_call = int64_t(1) << 60, .wall_s_per_call = 0.2});
  const taskforge::Stopwatch slow_watch;
  CHECK(LoadError(slow, "local x = 0\nwhile true do x = x + 1 end").rfind(
            "wall-clock budget (0.2 s) exceeded while loading at slow.lua:2", 0) == 0);
  const double slow_s = slow_watch.seconds();
  CHECK((slow_s >= 0.2 && slow_s < 1.0));
}

TEST_CASE("LuaSandbox enforces the memory budget and survives", "[tasks][sandbox]") {
  std::mt19937_64 rng(1);
  LuaSandbox sandbox("bomb.lua", rng);
  const char* bomb = "function reset()\n  local t = {}\n  for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end\nend";
  const ScriptError e = CallError(sandbox, bomb, "reset");
  INFO(e.what());
  CHECK(std::string(e.what()).rfind("memory budget (64 MiB) exceeded in reset() at bomb.lua:3", 0) == 0);
  CHECK(sandbox.memory_used() < (size_t(8) << 20));  // the garbage was collected
  CHECK(LoadError(sandbox, "local s = string.rep('x', 1e9)").rfind("memory budget (64 MiB) exceeded", 0) == 0);
  CHECK(LoadError(sandbox, "local s = string.rep('x', 1e10)").rfind("resulting string too large", 0) == 0);
  CHECK(LoadError(sandbox, "local s = ('x'):rep(1e7) .. ('y'):rep(1e7)") == "");
  // Deep recursion ends in Lua's own error, under the default and under a tight memory budget.
  CHECK(LoadError(sandbox, "local function f(n) return 1 + f(n + 1) end f(1)").find("stack overflow") !=
        std::string::npos);
  LuaSandbox tight("tight.lua", rng, {.memory_bytes = size_t(1) << 20});
  const std::string tight_error = LoadError(tight, "local function f(n) return 1 + f(n + 1) end f(1)");
  CHECK(tight_error.rfind("memory budget (1 MiB) exceeded while loading at tight.lua:1", 0) == 0);
  CHECK(LoadError(tight, "x = 1") == "");
  // An error raised with memory full still gets its own message and traceback (error handling has headroom).
  const std::string full_error = LoadError(tight,
      "local keep = {}\n"
      "for k = 1, 40 do pcall(function() local t = {} keep[k] = t for i = 1, 1e9 do t[i] = i end end) end\n"
      "error('boom', 0)");
  CHECK(full_error.rfind("boom while loading at tight.lua:3\nstack traceback:", 0) == 0);
}

TEST_CASE("LuaSandbox hides unsafe libraries and refuses binary chunks", "[tasks][sandbox]") {
  std::mt19937_64 rng(1);
  LuaSandbox sandbox("probe.lua", rng);
  for (const char* name : {"io", "os", "package", "debug", "load", "loadfile", "dofile", "require", "collectgarbage",
                           "string.dump", "coroutine"}) {
    INFO(name);
    CHECK(LoadError(sandbox, std::string("assert(") + name + " == nil)") == "");
  }
  CHECK(LoadError(sandbox, "assert(string.format and table.concat and math.floor and utf8.char and pcall)") == "");
  CHECK(LoadError(sandbox, "load(string.dump(function() end))").find("attempt to call a nil value") !=
        std::string::npos);
  CHECK(LoadError(sandbox, std::string("\x1bLua\x54\x00", 6) + "junk").find("attempt to load a binary chunk") !=
        std::string::npos);
}

TEST_CASE("LuaSandbox math.random draws reproducibly from the episode generator", "[tasks][sandbox]") {
  std::mt19937_64 rng_a(7), rng_b(7), rng_c(8);
  LuaSandbox a("a.lua", rng_a), b("b.lua", rng_b), c("c.lua", rng_c);
  const std::vector<double> floats = Draws(a, "", 200);
  CHECK(floats == Draws(b, "", 200));
  CHECK(floats != Draws(c, "", 200));
  for (double x : floats) CHECK((x >= 0.0 && x < 1.0));
  for (double x : Draws(a, "6", 200)) CHECK((x >= 1 && x <= 6 && x == int(x)));
  const std::vector<double> ranged = Draws(a, "-3, 3", 500);
  for (int v = -3; v <= 3; ++v) CHECK(std::count(ranged.begin(), ranged.end(), double(v)) > 20);
  CHECK(LoadError(a, "math.random(5, 1)").find("interval is empty") != std::string::npos);
  CHECK(LoadError(a, "math.random(0.5)").find("number has no integer representation") != std::string::npos);
  // randomseed is a no-op: the next draws continue the generator's sequence.
  std::mt19937_64 rng_d(7), rng_e(7);
  LuaSandbox d("d.lua", rng_d), e("e.lua", rng_e);
  e.Load("math.randomseed(123)");
  CHECK(Draws(d, "1, 1000000", 50) == Draws(e, "1, 1000000", 50));
}

TEST_CASE("LuaSandbox captures print and bounds pattern subjects", "[tasks][sandbox]") {
  std::mt19937_64 rng(1);
  LuaSandbox sandbox("talk.lua", rng, {.max_pattern_subject = 100});
  sandbox.Load("print('hello', 1, nil, true)\nprint()\n"
               "print(setmetatable({}, {__tostring = function() return 'T' end}))");
  CHECK(sandbox.TakePrinted() == std::vector<std::string>{"hello\t1\tnil\ttrue", "", "T"});
  CHECK(sandbox.TakePrinted().empty());
  sandbox.Load("for i = 1, 1500 do print(string.rep('y', 5000)) end");
  const std::vector<std::string> lines = sandbox.TakePrinted();
  REQUIRE(lines.size() == 1001);
  CHECK(lines[0] == std::string(2000, 'y') + "...");
  CHECK(lines.back() == "(500 more lines not kept)");

  CHECK(LoadError(sandbox, "assert(('abc'):find('b') == 2 and string.gsub('aaa', 'a', 'b') == 'bbb')") == "");
  for (const char* call : {"string.find(s, 'x')", "s:match('.-x')", "string.gmatch(s, 'x')", "s:gsub('x', 'y')"}) {
    INFO(call);
    CHECK(LoadError(sandbox, std::string("local s = string.rep('a', 101)\n") + call)
              .find("subject of 101 characters is longer than the sandbox allows (100) while loading at talk.lua:2") !=
          std::string::npos);
  }
  CHECK(LoadError(sandbox, "string.find('abc', '%')").find("malformed pattern") != std::string::npos);
}
