#pragma once
// Wall-clock measurement for benchmarks and reports. Nothing in the simulation's decisions reads
// a clock (docs/architecture.md, "Time and determinism"); only the figures around it do.

#include <chrono>
#include <vector>

namespace taskforge {

/// Seconds of wall-clock time since construction or the last Restart().
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  void Restart() { start_ = std::chrono::steady_clock::now(); }
  double seconds() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

/// Seconds of CPU time the whole process (every thread, e.g. the renderer's) used since
/// construction or the last Restart(). On a machine shared with other work this is what one
/// core would need, where wall-clock time also counts the waits for a core.
class CpuStopwatch {
 public:
  CpuStopwatch() : start_(Now()) {}
  void Restart() { start_ = Now(); }
  double seconds() const { return Now() - start_; }

 private:
  static double Now();
  double start_;
};

/// The median of `values` (the mean of the two middle ones for an even count); 0 when empty.
/// Benchmarks report medians: a shared machine's hiccups land in the tail, not the figure.
double Median(std::vector<double> values);

}  // namespace taskforge
