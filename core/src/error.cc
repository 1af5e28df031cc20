#include "taskforge/core/error.h"

#include <cstdio>
#include <cstdlib>

namespace taskforge::internal {

void AbortOnBrokenInvariant(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "taskforge: internal error: %s failed at %s:%d\n", condition, file, line);
  std::abort();
}

}  // namespace taskforge::internal
