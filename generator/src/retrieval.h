#pragma once
// Reference tasks for the code stage: the library tasks most similar to a proposal by the words
// of their descriptions and the assets they use (GenSim's selection is silently dropped in its
// released code; ours is what the model actually sees).

#include <string>
#include <vector>

namespace taskforge::generator {

struct LibraryEntry {
  std::string name, description, source;
  std::vector<std::string> assets;  ///< sorted
};

/// The catalogue assets a script spawns: quoted names in env.add_object calls (and "bead" for
/// env.add_rope), sorted and unique.
std::vector<std::string> AssetsInSource(const std::string& source, const std::vector<std::string>& catalogue);

/// Similarity in [0, 1]: the mean of the Jaccard indices of description words (3+ letters,
/// lower case) and of asset sets.
double Similarity(const std::string& description_a, const std::vector<std::string>& assets_a,
                  const std::string& description_b, const std::vector<std::string>& assets_b);

/// Indices of the `count` most similar entries, best first (ties by name, for determinism).
std::vector<size_t> MostSimilar(const std::string& description, const std::vector<std::string>& assets,
                                const std::vector<LibraryEntry>& entries, int count);

}  // namespace taskforge::generator
