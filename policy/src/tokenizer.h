#pragma once
// The built-in tokenizer: lower-cased words (runs of letters and digits) hashed into a fixed
// number of ids. No vocabulary file, so any task's language works; the same text always gives the
// same ids. Ids 0 (padding) and 1 (start of sentence) are reserved.

#include <cstdint>
#include <string>
#include <vector>

namespace taskforge::policy {

inline constexpr int64_t kPadToken = 0;
inline constexpr int64_t kStartToken = 1;

/// Start token followed by one id per word, cut to `max_tokens`, padded with kPadToken to exactly
/// `max_tokens` ids. `buckets` counts all ids including the two reserved ones.
std::vector<int64_t> Tokenize(const std::string& text, int buckets, int max_tokens);

}  // namespace taskforge::policy
