#pragma once
// Error policy (docs/architecture.md):
//  * bad input from outside (files, scripts, flags)  -> throw taskforge::Error via TF_THROW_UNLESS;
//  * our own broken invariants                        -> TF_DEMAND aborts with file and line;
//  * expected runtime failures in loops               -> return values (enum/optional).

#include <sstream>
#include <stdexcept>
#include <string>

namespace taskforge {

/// The exception for bad user input. Its message names the offending value and where it came
/// from, since messages may be shown to people and to language models alike.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Names joined for a message: "a, b, c".
template <typename Range>
std::string JoinNames(const Range& names) {
  std::string out;
  for (const auto& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

namespace internal {
[[noreturn]] void AbortOnBrokenInvariant(const char* condition, const char* file, int line);

template <typename... Args>
std::string Concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}
}  // namespace internal

}  // namespace taskforge

/// Throws taskforge::Error with the concatenated message parts unless `cond` holds.
#define TF_THROW_UNLESS(cond, ...)                                            \
  do {                                                                        \
    if (!(cond)) throw ::taskforge::Error(::taskforge::internal::Concat(__VA_ARGS__)); \
  } while (0)

/// Aborts with file and line unless `cond` holds; for our own bugs only, never for user input.
#define TF_DEMAND(cond)                                                              \
  do {                                                                               \
    if (!(cond)) ::taskforge::internal::AbortOnBrokenInvariant(#cond, __FILE__, __LINE__); \
  } while (0)
