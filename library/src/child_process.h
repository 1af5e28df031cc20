#pragma once
// Runs work in forked child processes under resource limits: the validator's isolation. A child
// returns its result as text over a pipe; whatever kills it (a signal, a limit, the parent's
// wall-clock kill) is reported, never propagated. Private to library/.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace taskforge::library {

struct ChildLimits {
  double cpu_s = 60.0;               ///< RLIMIT_CPU [s of CPU time]; SIGXCPU, then SIGKILL 2 s later
  size_t address_space_bytes = size_t(4) << 30;  ///< RLIMIT_AS [bytes]
  double wall_s = 120.0;             ///< the parent sends SIGKILL after this [s of wall time]
};

struct ChildOutcome {
  bool exited = false;        ///< returned normally (the output is complete)
  int exit_code = 0;
  int signal = 0;             ///< the signal that ended it, 0 if none
  bool wall_killed = false;   ///< killed by the parent for running past ChildLimits::wall_s
  std::string output;         ///< what work() returned (empty if the child died first)
  std::string stderr_tail;    ///< the last 2 KB the child wrote to stderr
  double wall_s = 0.0;
};

/// Runs every `work` item in a child of its own, at most `jobs` at a time; outcomes in order.
/// In the child, work() runs with RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE = 0 and RLIMIT_CORE = 0,
/// stdin and stdout on /dev/null; an exception it throws becomes output
/// "!exception: <what>", std::bad_alloc "!out-of-memory".
std::vector<ChildOutcome> RunInChildren(const std::vector<std::function<std::string()>>& work, int jobs,
                                        const ChildLimits& limits);

/// A sentence saying how a child that did not return ended, for a person or a language model,
/// e.g. "the task's process was killed by the CPU-time limit (60 s): an endless loop?".
std::string DescribeChildDeath(const ChildOutcome& outcome, const ChildLimits& limits);

}  // namespace taskforge::library
