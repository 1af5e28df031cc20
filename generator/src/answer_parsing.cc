#include "answer_parsing.h"

#include <cctype>
#include <vector>

namespace taskforge::generator {
namespace {

struct FencedBlock {
  std::string language;  // the word after the opening ```, lower-case; may be empty
  std::string body;
};

// Every ``` fenced block; an unclosed last fence runs to the end (truncated answers).
std::vector<FencedBlock> FencedBlocks(const std::string& text) {
  std::vector<FencedBlock> blocks;
  size_t pos = 0;
  while ((pos = text.find("```", pos)) != std::string::npos) {
    const size_t line_end = text.find('\n', pos);
    if (line_end == std::string::npos) break;
    FencedBlock block;
    for (size_t i = pos + 3; i < line_end; ++i) {
      const char c = text[i];
      if (c == ' ' || c == '\r' || c == '\t') continue;
      block.language += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const size_t close = text.find("```", line_end + 1);
    block.body = text.substr(line_end + 1, close == std::string::npos ? std::string::npos : close - line_end - 1);
    blocks.push_back(std::move(block));
    if (close == std::string::npos) break;
    pos = close + 3;
  }
  return blocks;
}

bool LooksLikeTask(const std::string& code) {
  return code.find("function reset") != std::string::npos ||
         (code.find("task") != std::string::npos && code.find('=') != std::string::npos &&
          code.find("name") != std::string::npos);
}

bool StartsScript(const std::string& line) {
  for (const char* start : {"task", "--", "local ", "function "}) {
    if (line.rfind(start, 0) == 0) return true;
  }
  return false;
}

// The end of the balanced {...} starting at `open`, skipping braces inside strings; npos if none.
size_t MatchingBrace(const std::string& text, size_t open) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = open; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{') ++depth;
    else if (c == '}' && --depth == 0) return i;
  }
  return std::string::npos;
}

std::optional<nlohmann::json> FirstObjectIn(const std::string& text) {
  for (size_t open = text.find('{'); open != std::string::npos; open = text.find('{', open + 1)) {
    const size_t close = MatchingBrace(text, open);
    if (close == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(text.substr(open, close - open + 1), nullptr, false);
    if (!j.is_discarded() && j.is_object()) return j;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ExtractLuaCode(const std::string& answer) {
  const std::vector<FencedBlock> blocks = FencedBlocks(answer);
  for (const FencedBlock& b : blocks) {
    if (b.language == "lua") return b.body;
  }
  for (const FencedBlock& b : blocks) {
    if (LooksLikeTask(b.body)) return b.body;
  }
  if (!blocks.empty() || !LooksLikeTask(answer)) return std::nullopt;
  size_t line_start = 0;
  while (line_start < answer.size()) {
    const size_t line_end = answer.find('\n', line_start);
    const std::string line = answer.substr(line_start, line_end == std::string::npos ? std::string::npos : line_end - line_start);
    if (StartsScript(line)) return answer.substr(line_start);
    if (line_end == std::string::npos) break;
    line_start = line_end + 1;
  }
  return std::nullopt;
}

std::optional<nlohmann::json> ExtractJsonObject(const std::string& answer) {
  for (const FencedBlock& b : FencedBlocks(answer)) {
    if (b.language != "json") continue;
    if (auto j = FirstObjectIn(b.body)) return j;
  }
  return FirstObjectIn(answer);
}

}  // namespace taskforge::generator
