#include "prompt_set.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "taskforge/core/error.h"
#include "taskforge/core/files.h"

namespace taskforge::generator {
namespace {

const char* kTemplates[] = {"system", "propose", "api_review", "code", "repair", "reflect",
                            "mode-explore", "mode-goal", "mode-curriculum"};

std::string Describe(const nlohmann::json& object) {
  if (object.contains("size") && object["size"].is_array()) {
    std::ostringstream out;
    const auto& s = object["size"];
    out << s[0].get<double>() << " x " << s[1].get<double>() << " x " << s[2].get<double>() << " m";
    return out.str();
  }
  std::vector<std::string> params;
  for (const auto& p : object.value("template_params", nlohmann::json::array())) {
    const std::string name = p.get<std::string>();
    if (name != "r" && name != "g" && name != "b") params.push_back(name);  // colours go in `color`
  }
  return params.empty() ? "size set by the task" : "give: " + JoinNames(params);
}

std::vector<CatalogueAsset> ReadCatalogue(const std::filesystem::path& path) {
  const nlohmann::json j = nlohmann::json::parse(ReadTextFile(path, "asset catalogue"), nullptr, false);
  TF_THROW_UNLESS(!j.is_discarded() && j.contains("objects") && j["objects"].is_array(), "asset catalogue ",
                  path.string(), " has no \"objects\" list");
  std::vector<CatalogueAsset> assets;
  for (const nlohmann::json& object : j["objects"]) {
    assets.push_back({object.value("name", ""), object.value("description", ""), Describe(object)});
  }
  return assets;
}

}  // namespace

std::string FillPlaceholders(const std::string& text, const std::map<std::string, std::string>& values,
                             const std::string& where) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("{{", pos);
    if (open == std::string::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == std::string::npos) break;
    const std::string key = text.substr(open + 2, close - open - 2);
    auto it = values.find(key);
    TF_THROW_UNLESS(it != values.end(), where, ": placeholder {{", key, "}} has no value here");
    out += text.substr(pos, open - pos);
    out += it->second;
    pos = close + 2;
  }
  return out + text.substr(pos);
}

PromptSet PromptSet::Load(const std::filesystem::path& prompts_dir, const std::filesystem::path& task_api_doc,
                          const std::filesystem::path& catalogue) {
  PromptSet set;
  set.dir = prompts_dir;
  for (const char* name : kTemplates) {
    set.templates[name] = ReadTextFile(prompts_dir / (std::string(name) + ".txt"), "prompt template");
  }
  set.task_api = ReadTextFile(task_api_doc, "task API document");
  set.assets = ReadCatalogue(catalogue);
  return set;
}

std::string PromptSet::Fill(const std::string& name, const std::map<std::string, std::string>& values) const {
  auto it = templates.find(name);
  TF_DEMAND(it != templates.end());
  return FillPlaceholders(it->second, values, (dir / (name + ".txt")).string());
}

std::vector<std::string> PromptSet::AssetNames() const {
  std::vector<std::string> names;
  for (const CatalogueAsset& a : assets) names.push_back(a.name);
  return names;
}

}  // namespace taskforge::generator
