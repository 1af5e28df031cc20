// The structure fingerprint of a Lua script (near-duplicate detection): a small Lua tokenizer
// that keeps the shape of the code and forgets its names, numbers, strings and comments.
#include <cctype>
#include <set>
#include <string>

#include "taskforge/library/library.h"

namespace taskforge::library {
namespace {

// Identifiers kept as they are: Lua keywords, the task API's tables and the script's entry points.
const std::set<std::string>& KeptNames() {
  static const std::set<std::string> names = {
      "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
      "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
      "env", "util", "task", "reset", "after_step", "math", "string", "table", "ipairs", "pairs"};
  return names;
}

// Length of a long bracket opener "[[", "[=[", ... at `i` (0 if none); `level` gets the '=' count.
size_t LongBracket(const std::string& s, size_t i, size_t& level) {
  if (i >= s.size() || s[i] != '[') return 0;
  size_t j = i + 1;
  while (j < s.size() && s[j] == '=') ++j;
  if (j >= s.size() || s[j] != '[') return 0;
  level = j - i - 1;
  return j - i + 1;
}

// Index just past the long bracket's closer "]=*]" matching `level`, from `i` (or the end).
size_t SkipLong(const std::string& s, size_t i, size_t level) {
  const std::string closer = "]" + std::string(level, '=') + "]";
  const size_t end = s.find(closer, i);
  return end == std::string::npos ? s.size() : end + closer.size();
}

}  // namespace

std::string StructureFingerprint(const std::string& src) {
  std::string out;
  size_t i = 0;
  bool after_dot = false;  // the previous token was '.' or ':' (a field or method name follows)
  auto emit = [&](const std::string& token) {
    out += token;
    out += ' ';
  };
  while (i < src.size()) {
    const char c = src[i];
    size_t level = 0;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (src.compare(i, 2, "--") == 0) {  // comment: long or to the end of the line
      const size_t opener = LongBracket(src, i + 2, level);
      if (opener) {
        i = SkipLong(src, i + 2 + opener, level);
      } else {
        const size_t eol = src.find('\n', i);
        i = eol == std::string::npos ? src.size() : eol;
      }
    } else if (const size_t opener = LongBracket(src, i, level)) {  // long string
      i = SkipLong(src, i + opener, level);
      emit("S");
      after_dot = false;
    } else if (c == '"' || c == '\'') {
      ++i;
      while (i < src.size() && src[i] != c && src[i] != '\n') i += src[i] == '\\' ? 2 : 1;
      ++i;
      emit("S");
      after_dot = false;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < src.size() && std::isdigit(static_cast<unsigned char>(src[i + 1])))) {
      while (i < src.size() && (std::isalnum(static_cast<unsigned char>(src[i])) || src[i] == '.' ||
                                ((src[i] == '-' || src[i] == '+') && std::tolower(src[i - 1]) == 'e'))) {
        ++i;
      }
      emit("N");
      after_dot = false;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      const size_t start = i;
      while (i < src.size() && (std::isalnum(static_cast<unsigned char>(src[i])) || src[i] == '_')) ++i;
      const std::string name = src.substr(start, i - start);
      emit(after_dot || KeptNames().count(name) ? name : "I");
      after_dot = false;
    } else {
      // Operators: the three- and two-character ones first.
      size_t len = 1;
      for (const char* op : {"...", "..", "==", "~=", "<=", ">=", "//", "::", "<<", ">>"}) {
        const size_t n = std::char_traits<char>::length(op);
        if (src.compare(i, n, op) == 0) {
          len = n;
          break;
        }
      }
      const std::string op = src.substr(i, len);
      i += len;
      emit(op);
      after_dot = op == "." || op == ":";
    }
  }
  return out;
}

}  // namespace taskforge::library
