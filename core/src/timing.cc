#include "taskforge/core/timing.h"

#include <algorithm>
#include <ctime>

namespace taskforge {

double CpuStopwatch::Now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  const size_t n = values.size();
  std::nth_element(values.begin(), values.begin() + n / 2, values.end());
  const double upper = values[n / 2];
  if (n % 2) return upper;
  return 0.5 * (*std::max_element(values.begin(), values.begin() + n / 2) + upper);
}

}  // namespace taskforge
