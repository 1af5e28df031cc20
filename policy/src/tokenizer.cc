#include "tokenizer.h"

#include <cctype>

#include "taskforge/core/error.h"

namespace taskforge::policy {
namespace {

// 64-bit FNV-1a: stable across platforms and runs.
uint64_t HashWord(const std::string& word) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : word) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::vector<int64_t> Tokenize(const std::string& text, int buckets, int max_tokens) {
  TF_DEMAND(buckets > 2 && max_tokens >= 1);
  std::vector<int64_t> ids{kStartToken};
  std::string word;
  auto flush = [&] {
    if (!word.empty() && int(ids.size()) < max_tokens) ids.push_back(2 + int64_t(HashWord(word) % uint64_t(buckets - 2)));
    word.clear();
  };
  for (unsigned char c : text) {
    if (std::isalnum(c)) {
      word.push_back(char(std::tolower(c)));
    } else {
      flush();
    }
  }
  flush();
  ids.resize(size_t(max_tokens), kPadToken);
  return ids;
}

}  // namespace taskforge::policy
