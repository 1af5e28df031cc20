#include "taskforge/core/timing.h"

#include <algorithm>

namespace taskforge {

double Median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  const size_t n = values.size();
  std::nth_element(values.begin(), values.begin() + n / 2, values.end());
  const double upper = values[n / 2];
  if (n % 2) return upper;
  return 0.5 * (*std::max_element(values.begin(), values.begin() + n / 2) + upper);
}

}  // namespace taskforge
