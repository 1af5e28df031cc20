#pragma once
// A one-line progress bar on stderr for long commands (demos, benchmarks): done/total, a caller's
// counters, the rate and the time left. On a terminal it redraws in place; otherwise (logs, CI) it
// prints a plain line now and then. Disabled, it prints nothing (--quiet, --json).

#include <chrono>
#include <string>

namespace taskforge {

class ProgressBar {
 public:
  /// `label` starts the line (e.g. "demos"); `total` is the number of units to do; `unit` names
  /// them in the rate ("episodes" -> "2.5 episodes/s").
  ProgressBar(std::string label, long total, std::string unit, bool enabled);
  ~ProgressBar();  ///< ends the line if one was drawn
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Reports `done` units finished and `detail` (e.g. "12 attempts"); draws at most 10 times a
  /// second on a terminal, every 10 s elsewhere, and always when done == total.
  void Update(long done, const std::string& detail = {});
  /// Ends the bar's line (further updates start a new one).
  void Finish();

  /// "1:02:03" or "2:03" for a number of seconds; "?" when unknown (negative or not finite).
  static std::string FormatDuration(double seconds);

 private:
  std::string label_, unit_;
  long total_;
  bool enabled_, terminal_, drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace taskforge
