#include "retrieval.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace taskforge::generator {
namespace {

std::set<std::string> Words(const std::string& text) {
  std::set<std::string> words;
  std::string word;
  for (size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : ' ';
    if (std::isalnum(static_cast<unsigned char>(c))) {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      if (word.size() >= 3) words.insert(word);
      word.clear();
    }
  }
  return words;
}

template <typename Set>
double Jaccard(const Set& a, const Set& b) {
  if (a.empty() && b.empty()) return 0.0;
  size_t common = 0;
  for (const auto& x : a) common += b.count(x);
  return double(common) / double(a.size() + b.size() - common);
}

}  // namespace

std::vector<std::string> AssetsInSource(const std::string& source, const std::vector<std::string>& catalogue) {
  std::set<std::string> found;
  for (const std::string& name : catalogue) {
    for (const char quote : {'"', '\''}) {
      if (source.find(quote + name + quote) != std::string::npos) found.insert(name);
    }
  }
  if (source.find("add_rope") != std::string::npos) found.insert("bead");
  return {found.begin(), found.end()};
}

double Similarity(const std::string& description_a, const std::vector<std::string>& assets_a,
                  const std::string& description_b, const std::vector<std::string>& assets_b) {
  const std::set<std::string> sa(assets_a.begin(), assets_a.end()), sb(assets_b.begin(), assets_b.end());
  return 0.5 * Jaccard(Words(description_a), Words(description_b)) + 0.5 * Jaccard(sa, sb);
}

std::vector<size_t> MostSimilar(const std::string& description, const std::vector<std::string>& assets,
                                const std::vector<LibraryEntry>& entries, int count) {
  std::vector<std::pair<double, size_t>> scored;
  for (size_t i = 0; i < entries.size(); ++i) {
    scored.push_back({Similarity(description, assets, entries[i].description, entries[i].assets), i});
  }
  std::sort(scored.begin(), scored.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return entries[a.second].name < entries[b.second].name;
  });
  std::vector<size_t> best;
  for (size_t i = 0; i < scored.size() && int(best.size()) < count; ++i) best.push_back(scored[i].second);
  return best;
}

}  // namespace taskforge::generator
