#pragma once
// Work units run in forked worker processes, so each has its own simulator, renderer, Lua state
// and (for policy evaluation) its own Torch runtime. Used by dataset (demos, GIF replays) and the
// CLI's `eval --jobs`. The parent must not have started threads (it must not have rendered, nor
// initialised Torch or CUDA): RunInWorkers refuses to fork then, as a child could inherit a lock
// held by another thread and hang. State a worker builds for itself (a loaded policy) lives in its
// own copy of the parent's memory and is kept from one unit to the next.

#include <functional>
#include <string>
#include <vector>

namespace taskforge {

/// Runs `work(unit)` for every unit in up to `jobs` worker processes, handing out units one at a
/// time as workers free up; `on_result(unit, result)` runs in the parent as each finishes.
/// A unit whose work throws, or a worker that dies, stops new units from starting; once the
/// running ones finish, it throws Error naming the unit and the cause.
void RunInWorkers(int jobs, const std::vector<int>& units, const std::function<std::string(int unit)>& work,
                  const std::function<void(int unit, const std::string& result)>& on_result);

}  // namespace taskforge
