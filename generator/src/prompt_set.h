#pragma once
// The chain's prompt templates (generator/prompts/*.txt) and the reference text they quote:
// docs/task-api.md and the asset catalogue. Templates use {{NAME}} placeholders.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace taskforge::generator {

struct CatalogueAsset {
  std::string name, description;
  std::string size_or_params;  ///< "0.04 x 0.04 x 0.04 m" or "give: size_x, size_y, ..."
};

struct PromptSet {
  std::map<std::string, std::string> templates;  ///< file stem -> text, e.g. "propose"
  std::filesystem::path dir;
  std::string task_api;                          ///< docs/task-api.md
  std::vector<CatalogueAsset> assets;

  /// Reads every template the chain uses, the API doc and the catalogue. @throws Error naming a
  /// missing or unreadable file.
  static PromptSet Load(const std::filesystem::path& prompts_dir, const std::filesystem::path& task_api_doc,
                        const std::filesystem::path& catalogue);

  /// The template `name` with each {{KEY}} replaced. @throws Error naming the template file and
  /// the placeholder when one has no value.
  std::string Fill(const std::string& name, const std::map<std::string, std::string>& values) const;
  std::vector<std::string> AssetNames() const;
};

/// Replaces {{KEY}} in `text`; `where` names the text in errors. @throws Error for a key with no value.
std::string FillPlaceholders(const std::string& text, const std::map<std::string, std::string>& values,
                             const std::string& where);

}  // namespace taskforge::generator
