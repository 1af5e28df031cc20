#include "taskforge/core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace taskforge {

ProgressBar::ProgressBar(std::string label, long total, std::string unit, bool enabled)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(enabled),
      terminal_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { Finish(); }

std::string ProgressBar::FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = std::lround(seconds);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  }
  return text;
}

void ProgressBar::Update(long done, const std::string& detail) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
  const bool finished = done >= total_;
  if (!finished && since_draw < (terminal_ ? 0.1 : 10.0)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? double(done) / elapsed : 0.0;
  const double eta = rate > 0 ? double(total_ - done) / rate : -1.0;
  constexpr int kWidth = 24;
  const int filled = total_ > 0 ? int(kWidth * std::min(1.0, double(done) / double(total_))) : kWidth;
  const std::string bar = std::string(size_t(filled), '#') + std::string(size_t(kWidth - filled), '.');
  std::fprintf(stderr, "%s%s [%s] %ld/%ld %s%s%s, %.2f %s/s, elapsed %s, left %s%s", terminal_ ? "\r" : "",
               label_.c_str(), bar.c_str(), done, total_, unit_.c_str(), detail.empty() ? "" : ", ",
               detail.c_str(), rate, unit_.c_str(), FormatDuration(elapsed).c_str(),
               FormatDuration(eta).c_str(), terminal_ ? "\x1b[K" : "\n");
  std::fflush(stderr);
  drawn_ = terminal_;
}

void ProgressBar::Finish() {
  if (drawn_) std::fputc('\n', stderr);
  drawn_ = false;
}

}  // namespace taskforge
