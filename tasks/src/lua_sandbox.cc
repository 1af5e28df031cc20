#include "lua_sandbox.h"

#include <lua.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

// Lua is C and unwinds with longjmp: no C++ object with a destructor may be alive in a frame that
// a Lua error can cross, and no exception may leave a callback. The callbacks below therefore keep
// only trivial locals, and C++ work that may throw happens in separate noexcept helpers.

namespace taskforge::tasks {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kHookPeriod = 1000;                  // VM instructions between hook calls
constexpr size_t kErrorHeadroom = size_t(1) << 20;  // extra bytes for building error messages
constexpr size_t kClockCheckBytes = 64 << 10;       // allocations this large [bytes] check the clock
constexpr size_t kMaxPrintedLines = 1000;
constexpr size_t kMaxPrintedLine = 2000;  // [chars]
constexpr size_t kMaxMessage = 2000;      // [chars] of an error message before the traceback

enum Budget { kNoBudget = -1, kInstructionBudget, kWallBudget, kMemoryBudget };

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string MemoryText(size_t bytes) {
  return bytes >= (size_t(1) << 20) ? Format("%g MiB", double(bytes) / (1 << 20)) : std::to_string(bytes) + " bytes";
}

// A uniform integer in [0, range] from raw generator output, identical on every standard library.
uint64_t UniformUpTo(std::mt19937_64& rng, uint64_t range) {
  if (range == std::numeric_limits<uint64_t>::max()) return rng();
  const uint64_t n = range + 1;
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n: rejecting below it removes the bias
  uint64_t r = rng();
  while (r < threshold) r = rng();
  return r % n;
}

// "<script>:<line>: <what>" -> line, with `what` set to the rest; 0 (and `what` the whole) otherwise.
int SplitPosition(const std::string& message, const std::string& script, std::string* what) {
  *what = message;
  if (message.compare(0, script.size(), script) != 0 || message.size() <= script.size() + 1 ||
      message[script.size()] != ':') {
    return 0;
  }
  size_t pos = script.size() + 1;
  int line = 0;
  while (pos < message.size() && message[pos] >= '0' && message[pos] <= '9' && line < 100'000'000) {
    line = line * 10 + (message[pos++] - '0');
  }
  if (line == 0 || message.compare(pos, 2, ": ") != 0) return 0;
  *what = message.substr(pos + 2);
  return line;
}

// Drops the frames of C functions without a name (the sandbox's own plumbing).
std::string TrimTraceback(const std::string& traceback) {
  std::string out;
  size_t begin = 0;
  while (begin < traceback.size()) {
    size_t end = traceback.find('\n', begin);
    if (end == std::string::npos) end = traceback.size();
    const std::string line = traceback.substr(begin, end - begin);
    if (line != "\t[C]: in ?") out += (out.empty() ? "" : "\n") + line;
    begin = end + 1;
  }
  return out;
}

}  // namespace

struct LuaSandbox::Guard {
  Guard(const SandboxLimits& budget, std::mt19937_64& generator) : limits(budget), rng(generator) {
    messages[kInstructionBudget] =
        "instruction budget (" + std::to_string(budget.instructions_per_call) + " instructions) exceeded";
    messages[kWallBudget] = "wall-clock budget (" + Format("%g", budget.wall_s_per_call) + " s) exceeded";
    messages[kMemoryBudget] = "memory budget (" + MemoryText(budget.memory_bytes) + ") exceeded";
  }

  // Starts the budgets of one Load() or Call().
  void Start() {
    instructions = 0;
    const double wall_s = std::min(limits.wall_s_per_call, 1e6);  // keeps the deadline representable
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wall_s));
    tripped = kNoBudget;
    overdraft = memory_refused = false;
    last_line = error_line = 0;
  }

  static Guard& Of(lua_State* L) { return **static_cast<Guard**>(lua_getextraspace(L)); }

  // lua_Alloc: realloc with accounting; refuses growth past the memory budget (plus headroom while
  // an error message is built) and, once the wall clock ran out, large growth (long C loops such
  // as string.rep or table.concat allocate as they go, but the count hook does not see them).
  static void* Allocate(void* ud, void* ptr, size_t osize, size_t nsize) {
    Guard& g = *static_cast<Guard*>(ud);
    const size_t old = ptr != nullptr ? osize : 0;  // without ptr, osize is a type tag
    if (nsize == 0) {
      std::free(ptr);
      g.used -= old;
      return nullptr;
    }
    if (nsize > old) {
      const size_t grow = nsize - old;
      const size_t cap = g.limits.memory_bytes + (g.overdraft ? kErrorHeadroom : 0);
      if (grow > cap || g.used > cap - grow) {
        g.memory_refused = true;
        return nullptr;
      }
      if (grow >= kClockCheckBytes && (g.tripped != kNoBudget || Clock::now() > g.deadline)) {
        if (g.tripped == kNoBudget) g.tripped = kWallBudget;
        return nullptr;
      }
    }
    void* block = std::realloc(ptr, nsize);
    if (block != nullptr) g.used = g.used - old + nsize;
    return block;
  }

  // Raises the tripped budget's error at stack `level` (0 in the hook: the running function).
  static int RaiseTripped(lua_State* L, int level) {
    Guard& g = Of(L);
    g.overdraft = true;
    luaL_where(L, level);
    lua_pushstring(L, g.messages[g.tripped].c_str());
    lua_concat(L, 2);
    return lua_error(L);
  }

  // Count hook, every kHookPeriod instructions. Once a budget is exceeded it raises on every call,
  // so a script's pcall cannot swallow the error for long.
  static void Hook(lua_State* L, lua_Debug* ar) {
    Guard& g = Of(L);
    if (lua_getinfo(L, "l", ar) != 0 && ar->currentline > 0) g.last_line = ar->currentline;
    g.instructions += kHookPeriod;
    if (g.tripped == kNoBudget && g.instructions > g.limits.instructions_per_call) g.tripped = kInstructionBudget;
    if (g.tripped == kNoBudget && Clock::now() > g.deadline) g.tripped = kWallBudget;
    if (g.tripped != kNoBudget) RaiseTripped(L, 0);
  }

  // Message handler of every call: remembers the innermost line and appends a traceback.
  static int MessageHandler(lua_State* L) {
    Guard& g = Of(L);
    g.overdraft = true;
    lua_Debug ar;
    for (int level = 1; level < 20 && lua_getstack(L, level, &ar) != 0; ++level) {
      if (lua_getinfo(L, "l", &ar) != 0 && ar.currentline > 0) {
        g.error_line = ar.currentline;
        break;
      }
    }
    const char* message = lua_tostring(L, 1);  // no metamethods: no script code runs here
    if (message == nullptr) message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, message, 1);
    return 1;
  }

  // Calls the original (upvalue 1) with the arguments and returns all its results.
  static int CallOriginal(lua_State* L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
  }

  // An xpcall message handler (upvalue 1) that is skipped after the hook raised a budget error:
  // Lua runs message handlers with hooks off then, so the script's handler could loop forever.
  static int GuardedHandler(lua_State* L) { return Of(L).tripped != kNoBudget ? 1 : CallOriginal(L); }

  // pcall/xpcall that re-raise an exceeded budget instead of returning it to the script.
  static int GuardedPcall(lua_State* L) {
    luaL_checkany(L, 1);
    if (lua_toboolean(L, lua_upvalueindex(2))) {  // xpcall
      luaL_checktype(L, 2, LUA_TFUNCTION);
      lua_pushvalue(L, 2);
      lua_pushcclosure(L, GuardedHandler, 1);
      lua_replace(L, 2);
    }
    const int nresults = CallOriginal(L);
    Guard& g = Of(L);
    if (g.tripped != kNoBudget) return RaiseTripped(L, 1);
    g.overdraft = false;
    return nresults;
  }

  // string.find/match/gmatch/gsub: the C matcher backtracks out of the hook's reach, so the
  // subject's length is capped before the original (upvalue 1) runs.
  // The pattern is limited too: with one unbounded quantifier (*, +, -) a match costs at most
  // subject² steps (4e6 for 2000 characters); two would make it subject³.
  static int GuardedPattern(lua_State* L) {
    size_t length = 0;
    luaL_checklstring(L, 1, &length);
    const int max = Of(L).limits.max_pattern_subject;
    const char* function = lua_tostring(L, lua_upvalueindex(2));
    if (length > size_t(max)) {
      return luaL_error(L, "string.%s: subject of %I characters is longer than the sandbox allows (%d)", function,
                        lua_Integer(length), max);
    }
    const bool plain = std::strcmp(function, "find") == 0 && lua_toboolean(L, 4);
    if (lua_type(L, 2) == LUA_TSTRING && !plain) {
      size_t n = 0;
      const char* pattern = lua_tolstring(L, 2, &n);
      int unbounded = 0, optional = 0;
      for (size_t i = 0; i < n; ++i) {
        if (pattern[i] == '%') {
          ++i;  // an escaped character or class
        } else if (pattern[i] == '[') {  // a set: skip to its closing bracket
          ++i;
          if (i < n && pattern[i] == '^') ++i;
          if (i < n && pattern[i] == ']') ++i;
          while (i < n && pattern[i] != ']') i += pattern[i] == '%' ? 2 : 1;
        } else if (pattern[i] == '*' || pattern[i] == '+' || pattern[i] == '-') {
          ++unbounded;
        } else if (pattern[i] == '?') {
          ++optional;
        }
      }
      if (unbounded > 1 || optional > 4) {
        return luaL_error(L, "string.%s: pattern '%s' is too complex for the sandbox (at most one of * + - and four ?)",
                          function, pattern);
      }
    }
    return CallOriginal(L);
  }

  // setmetatable without __gc: Lua runs finalizers with hooks off, out of the budgets' reach.
  static int GuardedSetmetatable(lua_State* L) {
    lua_settop(L, 2);
    lua_pushliteral(L, "__gc");
    if (lua_type(L, 2) == LUA_TTABLE && lua_rawget(L, 2) != LUA_TNIL) {  // raw, as Lua looks it up
      return luaL_error(L, "__gc metamethods are not allowed in task scripts");
    }
    lua_settop(L, 2);
    return CallOriginal(L);
  }

  // math.random with Lua 5.4's arguments, drawing from the episode's generator.
  static int Random(lua_State* L) {
    std::mt19937_64& rng = Of(L).rng;
    lua_Integer low = 1, up = 0;
    switch (lua_gettop(L)) {
      case 0:
        lua_pushnumber(L, lua_Number(rng() >> 11) * 0x1.0p-53);  // 53 random bits -> [0, 1)
        return 1;
      case 1:
        up = luaL_checkinteger(L, 1);
        if (up == 0) {  // math.random(0): all 64 bits
          lua_pushinteger(L, lua_Integer(rng()));
          return 1;
        }
        break;
      case 2:
        low = luaL_checkinteger(L, 1);
        up = luaL_checkinteger(L, 2);
        break;
      default:
        return luaL_error(L, "wrong number of arguments");
    }
    luaL_argcheck(L, low <= up, 1, "interval is empty");
    lua_pushinteger(L, lua_Integer(uint64_t(low) + UniformUpTo(rng, uint64_t(up) - uint64_t(low))));
    return 1;
  }

  static int NoOp(lua_State*) { return 0; }

  // Keeps one printed line (truncated); false when C++ memory ran out.
  bool Record(const char* text, size_t length) noexcept {
    if (printed.size() >= kMaxPrintedLines) {
      ++printed_dropped;
      return true;
    }
    try {
      printed.emplace_back(text, std::min(length, kMaxPrintedLine));
      if (length > kMaxPrintedLine) printed.back() += "...";
    } catch (...) {
      return false;
    }
    return true;
  }

  // print: tostring'ed arguments, tab-separated, into `printed` instead of stdout.
  static int Print(lua_State* L) {
    const int n = lua_gettop(L);
    luaL_Buffer buffer;
    luaL_buffinit(L, &buffer);
    for (int i = 1; i <= n && luaL_bufflen(&buffer) <= kMaxPrintedLine; ++i) {
      if (i > 1) luaL_addchar(&buffer, '\t');
      luaL_tolstring(L, i, nullptr);
      luaL_addvalue(&buffer);
    }
    luaL_pushresult(&buffer);
    size_t length = 0;
    const char* text = lua_tolstring(L, -1, &length);
    if (!Of(L).Record(text, length)) return luaL_error(L, "print: out of memory");
    return 0;
  }

  // Opens the safe libraries and replaces what a hostile script must not have (protected call).
  static int OpenLibraries(lua_State* L) {
    const luaL_Reg libraries[] = {{LUA_GNAME, luaopen_base},        {LUA_STRLIBNAME, luaopen_string},
                                  {LUA_TABLIBNAME, luaopen_table},  {LUA_MATHLIBNAME, luaopen_math},
                                  {LUA_UTF8LIBNAME, luaopen_utf8}};
    for (const luaL_Reg& library : libraries) {
      luaL_requiref(L, library.name, library.func, 1);
      lua_pop(L, 1);
    }
    for (const char* name : {"load", "loadfile", "dofile", "require", "collectgarbage", "warn", "io", "os",
                             "package", "debug", "coroutine"}) {
      lua_pushnil(L);
      lua_setglobal(L, name);
    }
    lua_pushcfunction(L, Print);
    lua_setglobal(L, "print");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, GuardedSetmetatable, 1);
    lua_setglobal(L, "setmetatable");
    for (const char* name : {"pcall", "xpcall"}) {
      lua_getglobal(L, name);
      lua_pushboolean(L, name[0] == 'x');
      lua_pushcclosure(L, GuardedPcall, 2);
      lua_setglobal(L, name);
    }
    lua_getglobal(L, LUA_MATHLIBNAME);
    lua_pushcfunction(L, Random);
    lua_setfield(L, -2, "random");
    lua_pushcfunction(L, NoOp);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    // The script sees a copy of the string table; package.loaded.string keeps the originals (out of
    // the script's reach), so that their argument errors still read "bad argument #2 to 'string.find'".
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_newtable(L);
    for (lua_pushnil(L); lua_next(L, -3) != 0;) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -4);
    }
    for (const char* name : {"find", "match", "gmatch", "gsub"}) {
      lua_getfield(L, -2, name);
      lua_pushstring(L, name);
      lua_pushcclosure(L, GuardedPattern, 2);
      lua_setfield(L, -2, name);
    }
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");  // ("s"):find(...) goes through the guarded copy too
    lua_pop(L, 2);
    lua_setglobal(L, LUA_STRLIBNAME);
    lua_pop(L, 1);
    return 0;
  }

  // Pushes the raw global named by the light userdata at 1 (no metamethods; protected call).
  static int RawGlobal(lua_State* L) {
    lua_pushglobaltable(L);
    lua_pushstring(L, static_cast<const char*>(lua_touserdata(L, 1)));
    lua_rawget(L, -2);
    return 1;
  }

  const SandboxLimits limits;
  std::mt19937_64& rng;
  std::string messages[3];  // indexed by Budget
  size_t used = 0;          // [bytes] held by the interpreter
  bool overdraft = false;   // an error message is being built: kErrorHeadroom more bytes allowed
  bool memory_refused = false;
  int64_t instructions = 0;  // [VM instructions] this call, in steps of kHookPeriod
  Clock::time_point deadline = Clock::time_point::max();
  Budget tripped = kNoBudget;
  int last_line = 0;   // line of the running function at the last hook call
  int error_line = 0;  // innermost line known to the message handler
  std::vector<std::string> printed;
  size_t printed_dropped = 0;
};

LuaSandbox::LuaSandbox(std::string script_name, std::mt19937_64& rng, const SandboxLimits& limits)
    : script_name_(std::move(script_name)), guard_(std::make_unique<Guard>(limits, rng)) {
  state_ = lua_newstate(Guard::Allocate, guard_.get());
  TF_THROW_UNLESS(state_ != nullptr, "cannot create a Lua interpreter within ", MemoryText(limits.memory_bytes));
  *static_cast<Guard**>(lua_getextraspace(state_)) = guard_.get();
  lua_atpanic(state_, [](lua_State* L) -> int {
    std::fprintf(stderr, "taskforge: unprotected Lua error: %s\n", lua_tostring(L, -1));
    std::abort();
  });
  lua_pushcfunction(state_, Guard::OpenLibraries);
  if (lua_pcall(state_, 0, 0, 0) != LUA_OK) {
    lua_close(state_);
    throw Error("cannot set up the Lua sandbox within " + MemoryText(limits.memory_bytes));
  }
  lua_sethook(state_, Guard::Hook, LUA_MASKCOUNT, kHookPeriod);
}

LuaSandbox::~LuaSandbox() {
  guard_->Start();  // finalizers run by lua_close get a fresh, bounded budget
  lua_close(state_);
}

void LuaSandbox::Load(const std::string& source, const std::string& chunk_name_override) {
  guard_->Start();
  const std::string chunk_name = "=" + (chunk_name_override.empty() ? script_name_ : chunk_name_override);
  const int status = luaL_loadbufferx(state_, source.data(), source.size(), chunk_name.c_str(), "t");
  if (status != LUA_OK) ThrowError(status, nullptr, lua_gettop(state_));
  ProtectedCall(0, 0, nullptr);
}

bool LuaSandbox::HasFunction(const char* name) {
  lua_pushcfunction(state_, Guard::RawGlobal);
  lua_pushlightuserdata(state_, const_cast<char*>(name));
  const bool found = lua_pcall(state_, 1, 1, 0) == LUA_OK && lua_type(state_, -1) == LUA_TFUNCTION;
  lua_pop(state_, 1);
  return found;
}

void LuaSandbox::Call(const char* name, int nargs, int nresults) {
  TF_DEMAND(nargs >= 0 && lua_gettop(state_) >= nargs);
  guard_->Start();
  const int base = lua_gettop(state_) - nargs + 1;  // first argument; the function goes here
  if (!lua_checkstack(state_, 4)) {
    lua_settop(state_, base - 1);
    throw ScriptError(guard_->messages[kMemoryBudget] + " before calling " + name + "()", script_name_, 0);
  }
  lua_pushcfunction(state_, Guard::RawGlobal);
  lua_pushlightuserdata(state_, const_cast<char*>(name));
  const int status = lua_pcall(state_, 1, 1, 0);
  if (status != LUA_OK) ThrowError(status, name, base);
  if (lua_type(state_, -1) != LUA_TFUNCTION) {
    lua_settop(state_, base - 1);
    throw ScriptError("the script defines no function '" + std::string(name) + "'", script_name_, 0);
  }
  lua_insert(state_, base);
  ProtectedCall(nargs, nresults, name);
}

void LuaSandbox::ProtectedCall(int nargs, int nresults, const char* function) {
  const int handler = lua_gettop(state_) - nargs;  // where the function is; the handler goes below it
  lua_pushcfunction(state_, Guard::MessageHandler);
  lua_insert(state_, handler);
  const int status = lua_pcall(state_, nargs, nresults, handler);
  guard_->overdraft = false;
  if (status != LUA_OK) ThrowError(status, function, handler);
  lua_remove(state_, handler);
}

void LuaSandbox::ThrowError(int status, const char* function, int base) {
  Guard& g = *guard_;
  std::string raw = lua_type(state_, -1) == LUA_TSTRING ? lua_tostring(state_, -1) : "(error object is not a string)";
  lua_settop(state_, base - 1);
  g.overdraft = false;
  if (status == LUA_ERRMEM) lua_gc(state_, LUA_GCCOLLECT, 0);  // leave room for the next call
  std::string traceback;
  if (const size_t at = raw.find("\nstack traceback:\n"); at != std::string::npos) {
    traceback = TrimTraceback(raw.substr(at + 1));
    raw.resize(at);
  }
  if (raw.size() > kMaxMessage) raw = raw.substr(0, kMaxMessage) + "...";
  std::string what;
  int line = 0;
  if (status == LUA_ERRSYNTAX) {  // Lua's own wording, which names script and line
    line = SplitPosition(raw, script_name_, &what);
    throw ScriptError(line > 0 ? raw : raw + " while loading " + script_name_, script_name_, line);
  }
  if (status == LUA_ERRMEM || (status == LUA_ERRERR && (g.memory_refused || g.tripped != kNoBudget))) {
    what = g.messages[g.tripped != kNoBudget ? g.tripped : kMemoryBudget];  // no message handler ran
    line = g.last_line;
  } else {
    line = SplitPosition(raw, script_name_, &what);
    if (line == 0) line = g.error_line;
  }
  std::string message = what + (function != nullptr ? " in " + std::string(function) + "()" : " while loading");
  if (line > 0) message += " at " + script_name_ + ":" + std::to_string(line);
  if (!traceback.empty()) message += "\n" + traceback;
  throw ScriptError(message, script_name_, line);
}

std::vector<std::string> LuaSandbox::TakePrinted() {
  std::vector<std::string> lines = std::exchange(guard_->printed, {});
  if (guard_->printed_dropped > 0) {
    char note[64];
    std::snprintf(note, sizeof note, "(%lld more lines not kept)", static_cast<long long>(guard_->printed_dropped));
    lines.emplace_back(note);
    guard_->printed_dropped = 0;
  }
  return lines;
}

size_t LuaSandbox::memory_used() const { return guard_->used; }

}  // namespace taskforge::tasks
