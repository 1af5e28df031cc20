#include <catch2/catch.hpp>

#include "answer_parsing.h"

using namespace taskforge::generator;

TEST_CASE("Lua is found in ```lua fences, other fences and unfenced answers") {
  REQUIRE(ExtractLuaCode("Here it is:\n```lua\ntask = {name = 'a'}\n```\nDone.") == "task = {name = 'a'}\n");
  REQUIRE(ExtractLuaCode("```\nprint(1)\n```\n```\ntask = {name = 'b'}\nfunction reset(env) end\n```") ==
          "task = {name = 'b'}\nfunction reset(env) end\n");
  REQUIRE(ExtractLuaCode("Sure. The task:\n-- stacks\ntask = {name = 'c'}\nfunction reset(env) end") ==
          "-- stacks\ntask = {name = 'c'}\nfunction reset(env) end");
  // A truncated answer whose fence never closes still yields what was written.
  REQUIRE(ExtractLuaCode("```lua\ntask = {name = 'd'") == "task = {name = 'd'");
  REQUIRE_FALSE(ExtractLuaCode("I cannot help with that."));
  REQUIRE_FALSE(ExtractLuaCode("```python\nprint('no task here')\n```"));
}

TEST_CASE("JSON objects are found inside prose and fences, braces in strings respected") {
  auto j = ExtractJsonObject("My proposal {not json} is:\n{\"name\": \"x\", \"note\": \"a } brace\"} thanks");
  REQUIRE(j);
  REQUIRE((*j)["name"] == "x");
  REQUIRE((*j)["note"] == "a } brace");
  auto fenced = ExtractJsonObject("```json\n{\"verdict\": \"yes\"}\n```");
  REQUIRE(fenced);
  REQUIRE((*fenced)["verdict"] == "yes");
  REQUIRE_FALSE(ExtractJsonObject("{\"name\": \"unterminated\""));
  REQUIRE_FALSE(ExtractJsonObject("no braces at all"));
  REQUIRE_FALSE(ExtractJsonObject("[1, 2, 3]"));
}
