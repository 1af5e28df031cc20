#include <catch2/catch.hpp>

#include "taskforge/core/progress.h"

using taskforge::ProgressBar;

TEST_CASE("durations print as m:ss or h:mm:ss, unknown as ?", "[core][progress]") {
  CHECK(ProgressBar::FormatDuration(0) == "0:00");
  CHECK(ProgressBar::FormatDuration(62.4) == "1:02");
  CHECK(ProgressBar::FormatDuration(3723) == "1:02:03");
  CHECK(ProgressBar::FormatDuration(-1) == "?");
  CHECK(ProgressBar::FormatDuration(1.0 / 0.0) == "?");
}
