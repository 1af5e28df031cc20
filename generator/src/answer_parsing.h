#pragma once
// Pulling code and JSON out of a model's free-form answer. Nothing here throws: an answer with
// nothing usable gives nullopt, and the caller counts a failure and keeps the raw text.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace taskforge::generator {

/// The Lua task in an answer: the first ```lua block; else the first fenced block that looks
/// like a task (declares `task` or `function reset`); else, with no fences at all, the text
/// from the first line that starts the script (`task`, `--`, `local`, `function`) to the end.
std::optional<std::string> ExtractLuaCode(const std::string& answer);

/// The first JSON object in an answer: a ```json block, else the first balanced {...} that
/// parses (strings and escapes respected), so prose around it is ignored.
std::optional<nlohmann::json> ExtractJsonObject(const std::string& answer);

}  // namespace taskforge::generator
