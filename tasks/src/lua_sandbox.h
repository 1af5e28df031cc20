#pragma once
// A Lua 5.4 interpreter for task scripts nobody has read: only safe libraries, text chunks only,
// and budgets on every call (VM instructions, memory, wall clock). One sandbox per task instance.
// Private to tasks/: Lua types never reach a public header.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "taskforge/core/error.h"

struct lua_State;

namespace taskforge::tasks {

/// Limits applied to the whole interpreter (memory) and to each call into the script.
struct SandboxLimits {
  int64_t instructions_per_call = 20'000'000;  ///< Lua VM instructions per Load()/Call()
  size_t memory_bytes = size_t(64) << 20;      ///< cap on the interpreter's total allocation [bytes]
  double wall_s_per_call = 2.0;                ///< wall-clock guard per Load()/Call() [s]
  int max_pattern_subject = 2'000;             ///< longest string string.find/match/gmatch/gsub accept
};

/// A script failed: syntax error, runtime error, exceeded budget, or an API function rejected
/// its arguments. what() is the whole message, ready to show a person or a language model, e.g.
/// "instruction budget (20000000 instructions) exceeded in reset() at build_car.lua:42", then a
/// newline and a traceback. Syntax errors keep Lua's wording: "build_car.lua:3: unexpected symbol".
class ScriptError : public Error {
 public:
  ScriptError(const std::string& message, std::string script, int line)
      : Error(message), script_(std::move(script)), line_(line) {}
  const std::string& script() const { return script_; }
  int line() const { return line_; }  ///< 0 when unknown

 private:
  std::string script_;
  int line_;
};

class LuaSandbox {
 public:
  /// `script_name` (e.g. "build_car.lua") names the chunk in every message. `rng` is the
  /// episode's generator: math.random draws from it, so a seed fixes everything the script does.
  /// The sandbox keeps a reference; it must outlive the sandbox.
  LuaSandbox(std::string script_name, std::mt19937_64& rng, const SandboxLimits& limits = {});
  ~LuaSandbox();
  LuaSandbox(const LuaSandbox&) = delete;
  LuaSandbox& operator=(const LuaSandbox&) = delete;

  /// The interpreter, for registering API functions (C functions raise errors with luaL_error;
  /// the message gets the script's line prepended by Lua).
  lua_State* state() { return state_; }
  const std::string& script_name() const { return script_name_; }

  /// Compiles `source` as text (binary chunks are refused) and runs it under the budgets.
  /// `chunk_name` names it in messages (default: the script's name).
  /// @throws ScriptError for a syntax error (with line), a runtime error or an exceeded budget.
  void Load(const std::string& source, const std::string& chunk_name = {});

  /// Whether the script defines a global function `name`.
  bool HasFunction(const char* name);

  /// Calls global function `name` with the `nargs` values the caller pushed onto the stack,
  /// under the budgets; leaves `nresults` results on the stack (LUA_MULTRET allowed).
  /// On error the arguments are popped and nothing is left on the stack.
  /// @throws ScriptError naming the function, e.g. "... in reset() at build_car.lua:42".
  void Call(const char* name, int nargs, int nresults);

  /// Lines the script printed with print(), oldest first; clears them.
  std::vector<std::string> TakePrinted();

  /// Bytes the interpreter holds now.
  size_t memory_used() const;

 private:
  // Per-call budget state seen by the hook and the allocator, the printed lines, and the Lua
  // callbacks (static members, so that they may name it). Defined in lua_sandbox.cc.
  struct Guard;
  // Runs the chunk or function below `nargs` arguments on top of the stack under the budgets;
  // `function` is the name for messages, nullptr while loading.
  void ProtectedCall(int nargs, int nresults, const char* function);
  // Turns the error object on top of the stack into a ScriptError and pops the stack to `base` - 1.
  [[noreturn]] void ThrowError(int status, const char* function, int base);

  std::string script_name_;
  std::unique_ptr<Guard> guard_;  // limits, generator, accounting; outlives state_ (the allocator's)
  lua_State* state_ = nullptr;
};

}  // namespace taskforge::tasks
